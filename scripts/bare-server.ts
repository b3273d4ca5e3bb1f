/**
 * The baseline for the load benchmark: a bare node:http server that does no session work at all.
 *
 * It answers GET with a page of BODY_BYTES bytes (the size of the demo's index page) and POST by
 * reading the body and redirecting, as the login does. With BARE_HEADERS=same (the default) every
 * response also carries the headers Scratchpad sends whether or not there is a session (the
 * security headers and Content-Type): they cost a bare server the same, so the ratio measures the
 * price of sessions, not of those headers. BARE_HEADERS=minimal sends only what HTTP needs, to show
 * what the headers themselves cost. Prints its port on the first line.
 */
import { createServer } from 'node:http';
import { PAGE_STYLE } from '../src/demo/pages.js';
import { cspSourceHash, securityHeaders } from '../src/index.js';

const body = 'x'.repeat(Number(process.env['BODY_BYTES'] ?? 2400));
const same = (process.env['BARE_HEADERS'] ?? 'same') === 'same';
const common: Record<string, string> = same ? securityHeaders([cspSourceHash(PAGE_STYLE)]) : {};
const pageHeaders = { 'content-type': 'text/html; charset=utf-8', ...common, 'content-length': Buffer.byteLength(body) };
const redirectHeaders = { location: '/', ...common, 'content-length': 0 };

const server = createServer((request, response) => {
  if (request.method === 'POST') {
    request.resume();
    request.on('end', () => {
      response.writeHead(303, redirectHeaders);
      response.end();
    });
    return;
  }
  response.writeHead(200, pageHeaders);
  response.end(body);
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(typeof address === 'object' && address !== null ? address.port : 0);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
