// createSessions() and Sessions.listener(): the library as an application uses it, on a plain
// http.createServer(), over real HTTP.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  createSessions,
  escapeHtml,
  HttpError,
  htmlReply,
  jsonReply,
  MemorySessionStore,
  redirectReply,
  SessionStoreUnavailableError,
  SessionsOptionError,
  type ListenOptions,
  type SessionHandler,
  type SessionsOptions,
  type SessionStore,
} from '../../src/index.js';
import { makeCertificate } from '../helpers/certificate.js';
import { startRedis } from '../helpers/redis.js';
import { get, postBody, postForm, sessionCookieFrom, TEST_SECRET_KEY } from '../helpers/server.js';
import { skipUnlessInstalled } from '../helpers/tools.js';

const servers: { server: Server; close: () => Promise<void> }[] = [];
after(async () => {
  for (const { server, close } of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await close();
  }
});

/** The Flask example on the public API: the shape of examples/login.js. */
const loginApp: SessionHandler = async (request, session, context) => {
  const path = new URL(request.url ?? '/', 'http://x').pathname;
  if (path === '/' && request.method !== 'POST') {
    const name = session.get('username');
    return htmlReply(200, typeof name === 'string' ? `Logged in as ${escapeHtml(name)}` : 'You are not logged in');
  }
  if (path === '/login' && request.method === 'GET') {
    return htmlReply(200, `<form method="post"><input name="csrf_token" value="${context.csrfToken()}"><input name="username"></form>`);
  }
  if (path === '/login' && request.method === 'POST') {
    const form = await context.form();
    session.set('username', form.get('username') ?? '');
    session.permanent = form.get('remember') === 'on';
    session.regenerate();
    return redirectReply('/');
  }
  if (path === '/big') {
    session.set('big', 'x'.repeat(5000));
    return htmlReply(200, 'saved?');
  }
  if (path === '/huge') {
    session.set('huge', 'x'.repeat(17 * 1024 * 1024));
    return htmlReply(200, 'saved?');
  }
  if (path === '/peek') {
    context.leaveCookieAsIs();
    return htmlReply(200, `peeked ${session.size}`);
  }
  if (path === '/cart') return jsonReply(200, { got: await context.json() });
  if (path === '/bug') throw new Error('a bug in the handler');
  if (path === '/forgot') return undefined as never;
  if (path === '/remove' && request.method === 'DELETE') {
    context.requireSameOrigin();
    session.delete('username');
    return htmlReply(200, 'removed');
  }
  throw new HttpError(404, `there is no page at ${path}`);
};

async function serve(options: Partial<SessionsOptions>, handler: SessionHandler = loginApp, listen: ListenOptions = {}): Promise<string> {
  const sessions = await createSessions({ secretKey: TEST_SECRET_KEY, log: () => {}, ...options });
  const server = createServer(sessions.listener(handler, listen));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ server, close: () => sessions.close() });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('the five-line start: log in with a CSRF-checked form, see the session, with Flask defaults on the cookie', async () => {
  const url = await serve({});
  const form = await get(`${url}/login`);
  // The token's page must never be cached, and depends on the cookie.
  assert.equal(form.headers.get('cache-control'), 'no-store');
  assert.match(form.headers.get('vary') ?? '', /Cookie/);
  assert.match(form.headers.getSetCookie()[0]!, /^session_csrf=.*; HttpOnly; SameSite=Strict$/);
  const login = await postForm(`${url}/login`, { username: '<b>alice</b>' });
  assert.equal(login.status, 303);
  const setCookie = login.headers.getSetCookie().find((line) => line.startsWith('session='))!;
  assert.match(setCookie, /^session=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/, 'volatile: no Max-Age, and no Secure over plain HTTP');
  const page = await (await get(url, sessionCookieFrom(login)!)).text();
  assert.equal(page, 'Logged in as &lt;b&gt;alice&lt;/b&gt;');
  const remembered = await postForm(`${url}/login`, { username: 'bob', remember: 'on' });
  assert.match(remembered.headers.getSetCookie().find((line) => line.startsWith('session='))!, /; Max-Age=2678400; /);
});

test('a form post without its token, or from another site, is a 403 page before the handler changes anything', async () => {
  const url = await serve({});
  const missing = await fetch(`${url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=mallory' });
  assert.equal(missing.status, 403);
  assert.equal(missing.headers.getSetCookie().length, 0);
  assert.match(await missing.text(), /<h1>403<\/h1>\n<p>the CSRF cookie is missing or invalid/);
  const withToken = await postForm(`${url}/login`, { username: 'mallory' });
  assert.equal(withToken.status, 303, 'the same post with its token passes');
  const evil = await fetch(`${url}/cart`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: '{}' });
  assert.equal(evil.status, 403);
  assert.match(await evil.text(), /another origin are refused/);
});

test('errors are JSON for a client that asks for JSON, and every expected failure is no-store', async () => {
  const url = await serve({});
  const notFound = await fetch(`${url}/nowhere`, { headers: { accept: 'application/json' } });
  assert.equal(notFound.status, 404);
  assert.equal(notFound.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(notFound.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await notFound.json(), { error: 'there is no page at /nowhere' });
  const json = await fetch(`${url}/cart`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"tea"}' });
  assert.deepEqual(await json.json(), { got: { sku: 'tea' } });
  const form = await fetch(`${url}/cart`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
  assert.equal(form.status, 415);
});

test('a session too large for a cookie is a 413 page, and the browser keeps the cookie it had', async () => {
  const url = await serve({});
  const login = await postForm(`${url}/login`, { username: 'alice' });
  const big = await get(`${url}/big`, sessionCookieFrom(login)!);
  assert.equal(big.status, 413);
  assert.equal(big.headers.getSetCookie().length, 0);
  assert.match(await big.text(), /browsers silently drop cookies over 4096 bytes/);
});

test('a session too large for the filesystem store is a 413 page, and the session is kept as it was', async () => {
  const url = await serve({ store: 'filesystem', fileDirectory: join(mkdtempSync(join(tmpdir(), 'scratchpad-sessions-')), 's') });
  const cookie = sessionCookieFrom(await postForm(`${url}/login`, { username: 'erin' }))!;
  const huge = await get(`${url}/huge`, cookie);
  assert.equal(huge.status, 413);
  assert.equal(huge.headers.getSetCookie().length, 0);
  assert.match(await huge.text(), /the filesystem store keeps at most 16777216/);
  assert.equal(await (await get(url, cookie)).text(), 'Logged in as erin');
});

test('the same app on a server-side store: the cookie holds an id, the data lives in the store', async () => {
  const store = new MemorySessionStore({ maxEntries: 100 });
  const url = await serve({ store });
  const login = await postForm(`${url}/login`, { username: 'carol' });
  assert.match(sessionCookieFrom(login)!, /^session=[A-Za-z0-9_-]{43}\.\d+\.[A-Za-z0-9_-]{43}$/);
  assert.equal(store.size, 1);
  assert.equal(await (await get(url, sessionCookieFrom(login)!)).text(), 'Logged in as carol');
  const memory = await serve({ store: 'memory' });
  assert.equal((await postForm(`${memory}/login`, { username: 'dan' })).status, 303);
});

test('newSessionsPerMinute: a server-side store counts new sessions per client address, which the listener passes on', async () => {
  const url = await serve({ store: 'memory', newSessionsPerMinute: 2 });
  const statuses: number[] = [];
  for (const username of ['erin', 'frank', 'grace']) statuses.push((await postForm(`${url}/login`, { username })).status);
  assert.deepEqual(statuses, [303, 303, 429]);
});

test('a store that is down is a 503 page that keeps its cause for the logs, and the handler never runs', async () => {
  let handled = 0;
  const down: SessionStore = {
    name: 'flaky',
    get: () => Promise.reject(new SessionStoreUnavailableError('flaky', 'connection refused')),
    set: () => Promise.reject(new SessionStoreUnavailableError('flaky', 'connection refused')),
    destroy: () => Promise.resolve(),
    touch: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const healthy = await createSessions({ secretKey: TEST_SECRET_KEY, store: 'memory' });
  const cookieFor = async (): Promise<string> => {
    const loaded = await healthy.sessionInterface.open(undefined);
    loaded.session.set('username', 'erin');
    const reply = await healthy.sessionInterface.commit(loaded, htmlReply(200, ''));
    return (reply.headers['set-cookie'] as readonly string[])[0]!.split(';')[0]!;
  };
  const errors: string[] = [];
  const lines: string[] = [];
  const url = await serve(
    { store: down },
    async () => {
      handled++;
      return htmlReply(200, 'ran');
    },
    { errorLog: (message) => errors.push(message), accessLog: (line) => lines.push(line) },
  );
  const response = await get(url, await cookieFor());
  await healthy.close();
  assert.equal(response.status, 503);
  assert.equal(response.headers.get('retry-after'), '5');
  const page = await response.text();
  assert.match(page, /the server cannot answer this request right now; try again in a moment/);
  assert.doesNotMatch(page, /flaky|connection refused/, 'the inside of the system is not the visitor\'s business');
  assert.match(errors.join('\n'), /^GET \/: SessionStoreUnavailableError: the session store \(flaky\) is not answering \(connection refused\)/m);
  assert.match(lines.join('\n'), /^GET \/ 503 .*SessionStoreUnavailableError: the session store \(flaky\) is not answering/m);
  assert.equal(handled, 0);
});

test('a bug in the handler is a 500 with nothing of the error in it, logged, and the next request is served', async () => {
  const errors: string[] = [];
  const lines: string[] = [];
  const url = await serve({}, loginApp, { errorLog: (message) => errors.push(message), accessLog: (line) => lines.push(line) });
  const bug = await get(`${url}/bug`);
  assert.equal(bug.status, 500);
  assert.equal(await bug.text(), 'Internal Server Error\n');
  assert.match(errors[0]!, /^GET \/bug: Error: a bug in the handler/);
  assert.equal((await get(url)).status, 200);
  assert.match(lines.join('\n'), /^GET \/bug 500 /m);
});

test('a handler that returns nothing is a 500, and the log says what to return', async () => {
  const errors: string[] = [];
  const url = await serve({}, loginApp, { errorLog: (message) => errors.push(message) });
  assert.equal((await get(`${url}/forgot`)).status, 500);
  assert.match(errors[0]!, /TypeError: the handler returned undefined, not a Reply: return one, such as htmlReply\(200, '…'\)/);
});

test('requireSameOrigin(): a DELETE another site made is refused before the handler changes anything', async () => {
  const url = await serve({});
  const cookie = sessionCookieFrom(await postForm(`${url}/login`, { username: 'jo' }))!;
  const evil = await fetch(`${url}/remove`, { method: 'DELETE', headers: { cookie, 'sec-fetch-site': 'cross-site' } });
  assert.equal(evil.status, 403);
  assert.equal(evil.headers.getSetCookie().length, 0);
  assert.equal(await (await get(url, cookie)).text(), 'Logged in as jo');
  const own = await fetch(`${url}/remove`, { method: 'DELETE', headers: { cookie, 'sec-fetch-site': 'same-origin' } });
  assert.equal(own.status, 200);
  const csrfOff = await serve({ csrf: false });
  assert.equal((await fetch(`${csrfOff}/remove`, { method: 'DELETE', headers: { origin: 'https://evil.example' } })).status, 200, 'with CSRF off, nothing is checked');
});

test('HEAD gets the headers of GET, Content-Length included, and no body', async () => {
  const url = await serve({});
  const head = await get(url, undefined, 'HEAD');
  const full = await get(url);
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), full.headers.get('content-length'));
  assert.equal(await head.text(), '');
});

test('leaveCookieAsIs(): a permanent session read by such a reply is not re-sent', async () => {
  const url = await serve({});
  const login = await postForm(`${url}/login`, { username: 'frank', remember: 'on' });
  const cookie = sessionCookieFrom(login)!;
  assert.equal((await get(url, cookie)).headers.getSetCookie().length, 1, 'a permanent session is refreshed on an ordinary page');
  const peek = await get(`${url}/peek`, cookie);
  assert.equal(await peek.text(), 'peeked 1');
  assert.equal(peek.headers.getSetCookie().length, 0);
});

test('headers: added to every reply, error pages and 503s included', async () => {
  const url = await serve({}, loginApp, { headers: { 'X-Frame-Options': 'DENY' } });
  assert.equal((await get(url)).headers.get('x-frame-options'), 'DENY');
  assert.equal((await get(`${url}/nowhere`)).headers.get('x-frame-options'), 'DENY');
});

test('errorReply: a page of your own for expected failures', async () => {
  const url = await serve({}, loginApp, { errorReply: (error: HttpError, request: IncomingMessage) => htmlReply(error.status, `sorry: ${request.url}`) });
  const response = await get(`${url}/nowhere`);
  assert.equal(response.status, 404);
  assert.equal(await response.text(), 'sorry: /nowhere');
});

test('a tampered cookie is no session, noted in the access log', async () => {
  const lines: string[] = [];
  const url = await serve({}, loginApp, { accessLog: (line) => lines.push(line) });
  const login = await postForm(`${url}/login`, { username: 'gina' });
  const tampered = sessionCookieFrom(login)!.replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
  assert.equal(await (await get(url, tampered)).text(), 'You are not logged in');
  assert.match(lines.at(-1)!, /^GET \/ 200 .* session cookie rejected: /);
});

test('csrf: false: forms are read without a token, and csrfToken() says CSRF is off', async () => {
  const url = await serve({ csrf: false });
  const post = await postBody(`${url}/login`, 'username=hal&csrf_token=none');
  assert.equal(post.status, 303);
  const form = await get(`${url}/login`);
  assert.equal(form.status, 500, 'calling csrfToken() with CSRF off is a bug in the app');
});

test('secure: auto sets Secure exactly when the request came over HTTPS (here: a trusted proxy says so)', async () => {
  const url = await serve({ trustProxy: true });
  const overHttps = await fetch(`${url}/login`, { headers: { 'x-forwarded-proto': 'https' } });
  assert.match(overHttps.headers.getSetCookie()[0]!, /; Secure; /);
  const overHttp = await fetch(`${url}/login`);
  assert.doesNotMatch(overHttp.headers.getSetCookie()[0]!, /Secure/);
});

const badOptions: readonly { name: string; options: Record<string, unknown>; message: RegExp }[] = [
  { name: 'no secret key (SECRET_KEY unset)', options: { secretKey: undefined }, message: /^createSessions\(\): secretKey must be a string of at least 32 random bytes .*; got nothing \(is SECRET_KEY set\?\)$/ },
  { name: 'a short secret key, without quoting it', options: { secretKey: 'short-key' }, message: /got a key of 9 bytes$/ },
  { name: 'an empty list of keys', options: { secretKey: [] }, message: /secretKey must be/ },
  { name: 'an empty fallback key', options: { secretKey: [TEST_SECRET_KEY, ''] }, message: /a list with an empty or non-string key/ },
  { name: 'an unknown store', options: { store: 'mongo' }, message: /^createSessions\(\): store must be 'cookie', 'memory', 'filesystem', 'redis', a redis:\/\/ or rediss:\/\/ URL, or a SessionStore; got "mongo"$/ },
  { name: 'a Redis URL that is not one', options: { store: 'redis://:hunter2@/x' }, message: /^createSessions\(\): store must be .*redis:\/\/:\*\*\*@/ },
  { name: 'a CA file for a plaintext Redis URL', options: { store: 'redis://127.0.0.1:1/0', redisCaFile: '/etc/hostname' }, message: /^createSessions\(\): redisCaFile must be unset unless the Redis URL starts with rediss:\/\// },
  { name: 'a CA file that is not PEM', options: { store: 'rediss://127.0.0.1:1/0', redisCaFile: '/etc/hostname' }, message: /^createSessions\(\): redisCaFile must be / },
  { name: 'a CA file without Redis', options: { store: 'memory', redisCaFile: '/etc/hostname' }, message: /^createSessions\(\): redisCaFile must be unset unless the store is a rediss:\/\/ URL/ },
  { name: 'an upper-case Redis URL that is not one, without its password', options: { store: 'REDIS://:hunter2@/x' }, message: /REDIS:\/\/:\*\*\*@/ },
  { name: 'a Redis URL with a leading space, without its password', options: { store: ' redis://:hunter2@/0' }, message: / redis:\/\/:\*\*\*@\/0/ },
  { name: 'the Flask format with a Redis URL whose password holds an @', options: { store: 'redis://:p@ss-hunter2@h/0', format: 'flask' }, message: /store 'redis:\/\/:\*\*\*@h\/0'/ },
  { name: 'encrypt with a server-side store', options: { store: 'memory', encrypt: true }, message: /^createSessions\(\): encrypt must be false unless the store is 'cookie'/ },
  { name: 'memoryMax without the memory store', options: { store: 'cookie', memoryMax: 10 }, message: /^createSessions\(\): memoryMax must be unset unless the store is 'memory'/ },
  { name: 'fileDirectory without the filesystem store', options: { store: 'memory', fileDirectory: '/tmp/x' }, message: /fileDirectory must be unset unless the store is 'filesystem'/ },
  { name: 'an idle lifetime for cookie sessions', options: { idleLifetimeSeconds: 60 }, message: /idleLifetimeSeconds must be unset with cookie sessions/ },
  { name: 'an object that is not a store', options: { store: { name: 'x' } }, message: /an object without get, set, destroy, touch, close \(store\.ts says/ },
  { name: 'a store without touch() or a name', options: { store: { get() {}, set() {}, destroy() {}, close() {} } }, message: /; got an object without name, touch \(/ },
  { name: 'lazyRefresh with cookie sessions', options: { lazyRefresh: false }, message: /lazyRefresh must be unset with cookie sessions/ },
  { name: 'the Flask format with a server-side store', options: { store: 'memory', format: 'flask' }, message: /^createSessions\(\): format must be 'native' unless the store is 'cookie'/ },
  { name: 'a cookie name with a space', options: { cookie: { name: 'my session' } }, message: /^createSessions\(\): cookie.name must be/ },
  { name: 'SameSite=None without Secure', options: { cookie: { sameSite: 'None', secure: false } }, message: /^createSessions\(\): cookie.sameSite must be/ },
  { name: 'a __Host- cookie without Secure', options: { cookie: { name: '__Host-session', secure: false } }, message: /^createSessions\(\): cookie.name must be/ },
  { name: 'a lifetime of zero', options: { cookie: { lifetimeSeconds: 0 } }, message: /^createSessions\(\): cookie.lifetimeSeconds must be a whole number of at least 1; got 0$/ },
  { name: 'a fractional idle lifetime', options: { store: 'memory', idleLifetimeSeconds: 1.5 }, message: /idleLifetimeSeconds must be a whole number/ },
];
for (const { name, options, message } of badOptions) {
  test(`createSessions() refuses ${name}, naming the option`, async () => {
    await assert.rejects(createSessions({ secretKey: TEST_SECRET_KEY, ...options } as SessionsOptions), (error: unknown) => {
      assert.ok(error instanceof SessionsOptionError);
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /short-key|hunter2/, 'never a secret in the message');
      return true;
    });
  });
}

test('createSessions() takes a short key only when told to, and a list with the current key first', async () => {
  const sessions = await createSessions({ secretKey: ['short-key', TEST_SECRET_KEY], allowShortSecretKey: true });
  assert.equal(sessions.cookie.name, 'session');
  assert.equal(sessions.cookie.lifetimeSeconds, 31 * 24 * 60 * 60);
  assert.equal(sessions.cookie.sameSite, 'Lax');
  assert.equal(sessions.cookie.httpOnly, true);
  assert.equal(sessions.store, null);
  assert.deepEqual(sessions.inspect(await sessions.sessionInterface.open(undefined)), { type: 'cookie', cookieHolds: 'data', protection: 'signed', storedBytes: null, storedRecord: null, cookieExpiry: null });
  await sessions.close();
});

describe('store: a rediss:// URL', { skip: skipUnlessInstalled('redis-server', 'redis-server') }, () => {
  test('sessions live in Redis over TLS with the CA given; with another CA, a 503 names the TLS failure', async () => {
    const certificate = makeCertificate({ subjectAltName: 'DNS:localhost,IP:127.0.0.1', commonName: 'localhost' });
    const stranger = makeCertificate({ subjectAltName: 'DNS:localhost', commonName: 'localhost' });
    const redis = await startRedis({ tls: certificate });
    try {
      const url = await serve({ store: `rediss://localhost:${redis.port}/2`, redisCaFile: certificate.cert });
      const login = await postForm(`${url}/login`, { username: 'ida' });
      assert.equal(login.status, 303);
      assert.equal(await (await get(url, sessionCookieFrom(login)!)).text(), 'Logged in as ida');
      const errors: string[] = [];
      const refused = await serve({ store: `rediss://localhost:${redis.port}/2`, redisCaFile: stranger.cert }, loginApp, { errorLog: (message) => errors.push(message) });
      const response = await get(refused, sessionCookieFrom(login)!);
      assert.equal(response.status, 503);
      assert.match(errors.join('\n'), /TLS: self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\); if Redis's certificate comes from a private CA, trust that CA/);
    } finally {
      await redis.stop();
    }
  });
});
