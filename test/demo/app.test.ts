// The demo's routes, through the real server: what each view does to the session.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createDemoFromConfig, USERNAME_MAX_CHARACTERS } from '../../src/demo/app.js';
import { longestUsernameThatFits } from '../../src/demo/username-limit.js';
import { createHttpServer, loadConfig } from '../../src/index.js';
import { csrfFor, get, postForm, sessionCookieFrom, startServer, TEST_SECRET_KEY, TestClock, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

test('GET /login shows the form with a CSRF token, sets only the CSRF cookie, and does not touch the session', async () => {
  const response = await get(`${server.url}/login`);
  assert.equal(response.status, 200);
  const body = await response.text();
  assert.match(body, /<form method="post" action="\/login">/);
  const token = /name="csrf_token" value="([A-Za-z0-9_-]{43})"/.exec(body)?.[1];
  assert.ok(token !== undefined);
  // It depends on the CSRF cookie (its token is this browser's), not on the session: only the
  // CSRF cookie is set, and no session cookie is.
  assert.equal(response.headers.get('vary'), 'Cookie');
  const cookies = response.headers.getSetCookie();
  assert.equal(cookies.length, 1);
  assert.match(cookies[0]!, /^session_csrf=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
  assert.equal(response.headers.get('cache-control'), 'no-store');
});

test('GET /login reuses the token of a CSRF cookie the browser already has', async () => {
  const first = await get(`${server.url}/login`);
  const cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
  const token = /name="csrf_token" value="([^"]+)"/.exec(await first.text())![1];
  const again = await get(`${server.url}/login`, cookie);
  assert.deepEqual(again.headers.getSetCookie(), []);
  assert.match(await again.text(), new RegExp(`name="csrf_token" value="${token}"`));
});

test('POST /login goes to a local "next" path, and to / for anything else', async () => {
  const cases: [string, string][] = [
    ['/account?tab=1', '/account?tab=1'],
    ['https://evil.example/', '/'],
    ['//evil.example/', '/'],
    ['/\\evil.example/', '/'],
  ];
  for (const [next, want] of cases) {
    const response = await postForm(`${server.url}/login`, { username: 'alice', next });
    assert.equal(response.headers.get('location'), want, next);
  }
});

test('GET /login?next= carries a local next into the form and drops a foreign one', async () => {
  assert.match(await (await get(`${server.url}/login?next=%2Faccount`)).text(), /name="next" value="\/account"/);
  assert.match(await (await get(`${server.url}/login?next=https%3A%2F%2Fevil.example`)).text(), /name="next" value="\/"/);
});

test('POST /login trims the username and only "on" counts as "Remember me"', async () => {
  const login = await postForm(`${server.url}/login`, { username: '  alice  ', remember: 'yes' });
  assert.doesNotMatch(login.headers.getSetCookie()[0]!, /Max-Age/);
  assert.match(await (await get(server.url, sessionCookieFrom(login)!)).text(), /Logged in as <strong>alice<\/strong>/);
});

test(`POST /login accepts a username of exactly ${USERNAME_MAX_CHARACTERS} characters (then the cookie limit decides)`, async () => {
  const response = await postForm(`${server.url}/login`, { username: 'é'.repeat(USERNAME_MAX_CHARACTERS) });
  assert.equal(response.status, 413, 'valid as a name, too large as a cookie');
  const short = await postForm(`${server.url}/login`, { username: 'é'.repeat(100) });
  assert.equal(short.status, 303);
});

test('GET /logout without a session changes nothing and sends no cookie', async () => {
  const response = await get(`${server.url}/logout`);
  assert.equal(response.status, 303);
  assert.deepEqual(response.headers.getSetCookie(), []);
});

test('POST /logout without a CSRF token is refused with 403 and keeps the session', async () => {
  const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'bob' }))!;
  const response = await fetch(`${server.url}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie } });
  assert.equal(response.status, 403);
  assert.match(await response.text(), /CSRF cookie is missing or invalid/);
  assert.deepEqual(response.headers.getSetCookie(), []);
  assert.match(await (await get(server.url, cookie)).text(), /Logged in as <strong>bob<\/strong>/);
});

test('POST /logout with its token logs out, and the index page offers that token', async () => {
  const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'bob' }))!;
  const index = await get(server.url, cookie);
  const token = /name="csrf_token" value="([^"]+)"/.exec(await index.text())![1]!;
  const csrfCookie = index.headers.getSetCookie().find((line) => line.startsWith('session_csrf='))!.split(';')[0]!;
  const response = await fetch(`${server.url}/logout`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: `${csrfCookie}; ${cookie}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: `csrf_token=${token}`,
  });
  assert.equal(response.status, 303);
  assert.match(response.headers.getSetCookie()[0]!, /^session=; Max-Age=0/);
});

test('POST /logout with a non-form body is refused with 415 and keeps the session', async () => {
  const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'carol' }))!;
  const response = await fetch(`${server.url}/logout`, { method: 'POST', headers: { cookie, 'content-type': 'text/plain' }, body: 'bye' });
  assert.equal(response.status, 415);
  assert.deepEqual(response.headers.getSetCookie(), []);
});

test('GET / without a cookie is one page for everyone; a rejected cookie still gets its own page', async () => {
  // The page of a visitor without a session cookie is rendered once and kept (app.ts): it must be
  // the page every such visitor gets, and never the page of a visitor who sent something.
  const first = await (await get(`${server.url}/`)).text();
  const second = await (await get(`${server.url}/`)).text();
  assert.equal(second, first);
  assert.match(first, /You are not logged in/);
  assert.match(first, /this browser sent no <code>session<\/code> cookie/);
  const rejected = await (await get(`${server.url}/`, 'session=forged.1.x')).text();
  assert.match(rejected, /<span class="error">rejected<\/span>/);
  assert.notEqual(rejected, first);
  const { token, cookie } = await csrfFor(server.url);
  const login = await postForm(`${server.url}/login`, { username: 'alice', csrf_token: token }, cookie);
  const loggedIn = await (await get(`${server.url}/`, `${sessionCookieFrom(login)!}; ${cookie}`)).text();
  assert.match(loggedIn, /Logged in as <strong>alice<\/strong>/);
  assert.equal(await (await get(`${server.url}/`)).text(), first);
});

test('error pages are not cacheable', async () => {
  const response = await get(`${server.url}/missing`);
  assert.equal(response.headers.get('cache-control'), 'no-store');
});

test('longestUsernameThatFits() is exact: a name that long logs in, one character more gets the 413 page', async () => {
  const longest = await longestUsernameThatFits();
  assert.equal(longest, 2962, 'default settings, a volatile session, ASCII letters, a ten-digit timestamp');
  assert.equal(await longestUsernameThatFits({ permanent: true }), 2963, '"true" is a byte shorter than "false"');
  assert.equal(await longestUsernameThatFits({ character: 'é' }), 1481, 'two bytes of UTF-8 each');
  assert.ok(longest < USERNAME_MAX_CHARACTERS, 'the form takes names the cookie cannot hold, so that the limit can be watched');
  assert.equal((await postForm(`${server.url}/login`, { username: 'x'.repeat(longest) })).status, 303);
  assert.equal((await postForm(`${server.url}/login`, { username: 'x'.repeat(longest + 1) })).status, 413);
});

test('keepPages: false serves every index page straight from pages.ts, byte for byte the page kept pages give', async () => {
  const clock = new TestClock();
  const start = async (keepPages: boolean) => {
    const config = loadConfig({ SECRET_KEY: TEST_SECRET_KEY }, mkdtempSync(join(tmpdir(), 'scratchpad-test-')));
    const demo = await createDemoFromConfig(config, { now: clock.now, keepPages, source: null });
    const http = createHttpServer(demo.application, { accessLog: () => {}, errorLog: () => {}, limits: config.limits.server, tls: null });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, close: () => new Promise((resolve) => http.close(resolve)) };
  };
  const kept = await start(true);
  const plain = await start(false);
  try {
    const { token, cookie: csrf } = await csrfFor(kept.url);
    const session = sessionCookieFrom(await postForm(`${kept.url}/login`, { username: 'alice', csrf_token: token }, csrf))!;
    const cookies = `${csrf}; ${session}`;
    const pages = await Promise.all([kept, kept, plain, plain].map(async ({ url }) => (await get(url, cookies)).text()));
    assert.match(pages[0]!, /Logged in as <strong>alice<\/strong>/);
    for (const page of pages) assert.equal(page, pages[0]);
    const anonymous = await Promise.all([kept, kept, plain, plain].map(async ({ url }) => (await get(url)).text()));
    assert.match(anonymous[0]!, /You are not logged in/);
    for (const page of anonymous) assert.equal(page, anonymous[0]);
  } finally {
    await kept.close();
    await plain.close();
  }
});
