/**
 * The baseline for the load benchmark: a bare node:http server that does no session work at all.
 *
 * It answers GET with a page of BODY_BYTES bytes (the size of the demo's index page) and POST by
 * reading the body and redirecting, as the login does. Whatever Scratchpad costs on top of this is
 * the price of sessions. Prints its port on the first line.
 */
import { createServer } from 'node:http';

const body = 'x'.repeat(Number(process.env['BODY_BYTES'] ?? 2200));
const server = createServer((request, response) => {
  if (request.method === 'POST') {
    request.resume();
    request.on('end', () => {
      response.writeHead(303, { location: '/', 'content-length': 0 });
      response.end();
    });
    return;
  }
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  response.end(body);
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(typeof address === 'object' && address !== null ? address.port : 0);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
