/**
 * The baseline for the load benchmark: a bare node:http server that does no session work at all.
 *
 * It answers `GET /<n>` with a page of exactly n bytes (the benchmark asks for the size of the page
 * the candidate served, so both send the same bytes; a page is made once per size and kept), any
 * other GET with BODY_BYTES bytes, and POST by reading the body and redirecting, as the login
 * does. With BARE_HEADERS=same (the default) every response also carries the headers Scratchpad
 * sends whether or not there is a session (the security headers and Content-Type): they cost a
 * bare server the same, so the ratio measures the price of sessions, not of those headers. BARE_HEADERS=minimal sends only what HTTP needs, to show
 * what the headers themselves cost. Prints its port on the first line.
 */
import { createServer } from 'node:http';
import { PAGE_STYLE } from '../src/demo/html.js';
import { cspSourceHash, securityHeaders } from '../src/index.js';

const same = (process.env['BARE_HEADERS'] ?? 'same') === 'same';
const common: Record<string, string> = same ? securityHeaders([cspSourceHash(PAGE_STYLE)]) : {};
const redirectHeaders = { location: '/', ...common, 'content-length': 0 };

interface Page {
  readonly body: string;
  readonly headers: Record<string, string | number>;
}
const MAX_BYTES = 1 << 20;
const defaultPage = makePage(Number(process.env['BODY_BYTES'] ?? 2400));
const pagesBySize = new Map<string, Page>();

function makePage(bytes: number): Page {
  const body = 'x'.repeat(bytes);
  return { body, headers: { 'content-type': 'text/html; charset=utf-8', ...common, 'content-length': bytes } };
}

/** The page for this URL: `/<n>` is n bytes (up to 1 MiB), anything else the default. */
function pageFor(url: string | undefined): Page {
  const known = pagesBySize.get(url ?? '');
  if (known !== undefined) return known;
  const bytes = /^\/\d{1,7}$/.test(url ?? '') ? Number(url!.slice(1)) : NaN;
  if (!(bytes <= MAX_BYTES)) return defaultPage;
  const page = makePage(bytes);
  pagesBySize.set(url!, page);
  return page;
}

const server = createServer((request, response) => {
  if (request.method === 'POST') {
    request.resume();
    request.on('end', () => {
      response.writeHead(303, redirectHeaders);
      response.end();
    });
    return;
  }
  const page = pageFor(request.url);
  response.writeHead(200, page.headers);
  response.end(page.body);
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(typeof address === 'object' && address !== null ? address.port : 0);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
