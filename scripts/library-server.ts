/**
 * The library's side of the "library vs hand-written" benchmark row: the page that
 * scripts/handwritten-server.ts serves, served through Scratchpad's public API instead.
 *
 * `createSessions()` and `Sessions.listener()` on node:http's own `createServer()`, as the
 * README's five lines do, since the hand-written server is a bare `createServer()` too
 * (`createHttpServer()` would add limits the other one does not have). Everything else is what the
 * hand-written server does: the session cookie read and checked (here by the library: memoized
 * signer and decoded-session memo, as an application gets them by default), the escaped username in
 * a page padded to `/<n>` bytes, the same security headers, `Vary: Cookie` and
 * `Cache-Control: no-store` (here added by the session layer, because the page read the session).
 * No CSRF (`csrf: false`), no access log, and `refreshEachRequest: false`, so that a permanent
 * session is not sent back either: the hand-written server never sends a Set-Cookie.
 * test/scripts/library-server.test.ts checks that both answer the same request with the same
 * status, headers and body. SECRET_KEY must be the one that signed the cookie. Prints its port on
 * the first line.
 */
import { createServer } from 'node:http';
import { PAGE_STYLE } from '../src/demo/html.js';
import { createSessions, cspSourceHash, escapeHtml, htmlReply, securityHeaders } from '../src/index.js';

const sessions = await createSessions({ secretKey: process.env['SECRET_KEY'], csrf: false, cookie: { refreshEachRequest: false } });

const listener = sessions.listener(
  (request, session) => {
    const name = session.get('username');
    const greeting = typeof name === 'string' ? `<p>Logged in as <strong>${escapeHtml(name)}</strong></p>` : '<p>You are not logged in</p>';
    const size = /^\/\d{1,6}$/.test(request.url ?? '') ? Number(request.url!.slice(1)) : 0;
    const body = `<!doctype html><title>Scratchpad</title>${greeting}`;
    return htmlReply(200, body + ' '.repeat(Math.max(0, size - body.length)));
  },
  { headers: securityHeaders([cspSourceHash(PAGE_STYLE)]) },
);

const server = createServer(listener);
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(typeof address === 'object' && address !== null ? address.port : 0);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
