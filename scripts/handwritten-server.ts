/**
 * A reference for the load benchmark: GET / with a session, written by hand on node:http, the way
 * a careful developer would write it without a library and without any memo.
 *
 * It reads Scratchpad's own session cookie (so the benchmark can send both servers the same
 * request): finds `session=` in the Cookie header, splits `payload.timestamp.signature`, computes
 * one HMAC-SHA256 with the same derived key and compares it with `timingSafeEqual`, checks the age,
 * decodes the JSON, and answers with the escaped username in a page padded to `/<n>` bytes (the
 * size of the page the candidate served), with the same security headers, `Vary: Cookie` and
 * `Cache-Control: no-store`. No CSRF cookie, no inspector, no rotation, no Set-Cookie: it is the
 * floor a hand-written session check sits on, which the issue measured at 0.65× of a bare server.
 * SECRET_KEY must be the candidate's. Prints its port on the first line.
 *
 * SKIP_SESSION_CHECK=true makes it the ceiling of that comparison: it then answers any request
 * with a cookie as the `benchmark` user that npm run bench logs in, checking nothing. That is
 * everything this server does except the session check, so no library that builds the same page
 * for each request (as scripts/library-server.ts does) can lead this server by more than that one
 * leads it. Never a way to serve sessions.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { PAGE_STYLE } from '../src/demo/html.js';
import { cspSourceHash, escapeHtml, securityHeaders } from '../src/index.js';

const secret = process.env['SECRET_KEY'] ?? '';
if (secret === '') throw new Error('handwritten-server needs SECRET_KEY, the same as the server it is compared with');
// Scratchpad derives the session key as HMAC(secret, salt) (signing/signer.ts, session/backend.ts).
const key = createHmac('sha256', secret).update('scratchpad.session').digest();
const maxAgeSeconds = 31 * 24 * 3600;
// One headers object, its length set per response (writeHead reads it at once): no copy per request.
const headers = { 'content-type': 'text/html; charset=utf-8', vary: 'Cookie', 'cache-control': 'no-store', ...securityHeaders([cspSourceHash(PAGE_STYLE)]), 'content-length': 0 };

function username(cookieHeader: string | undefined): string | null {
  if (cookieHeader === undefined) return null;
  const start = cookieHeader.startsWith('session=') ? 8 : cookieHeader.indexOf('; session=') + 10;
  if (start < 8) return null;
  const end = cookieHeader.indexOf(';', start);
  const [payload, timestamp, signature] = cookieHeader.slice(start, end === -1 ? undefined : end).split('.');
  if (payload === undefined || timestamp === undefined || signature === undefined) return null;
  const expected = createHmac('sha256', key).update(`session=${payload}.${timestamp}`).digest();
  const sent = Buffer.from(signature, 'base64url');
  if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) return null;
  if (Date.now() / 1000 - Number(timestamp) > maxAgeSeconds) return null;
  try {
    const name = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { data?: { username?: unknown } }).data?.username;
    return typeof name === 'string' ? name : null;
  } catch {
    return null;
  }
}

const skipSessionCheck = process.env['SKIP_SESSION_CHECK'] === 'true';

const server = createServer((request, response) => {
  const name = skipSessionCheck ? (request.headers.cookie === undefined ? null : 'benchmark') : username(request.headers.cookie);
  const greeting = name === null ? '<p>You are not logged in</p>' : `<p>Logged in as <strong>${escapeHtml(name)}</strong></p>`;
  const size = /^\/\d{1,6}$/.test(request.url ?? '') ? Number(request.url!.slice(1)) : 0;
  const body = `<!doctype html><title>Scratchpad</title>${greeting}`;
  const page = body + ' '.repeat(Math.max(0, size - body.length));
  headers['content-length'] = Buffer.byteLength(page);
  response.writeHead(200, headers);
  response.end(page);
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(typeof address === 'object' && address !== null ? address.port : 0);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
