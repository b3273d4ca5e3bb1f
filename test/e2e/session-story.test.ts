// The login story end to end: the real server on port 0, spoken to over HTTP with fetch.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { get, postForm, sessionCookieFrom, startServer, TestClock, type RunningServer } from '../helpers/server.js';

const clock = new TestClock();

/** The Set-Cookie lines for the session cookie only (pages with forms also set the CSRF cookie). */
function sessionSetCookies(response: Response): string[] {
  return response.headers.getSetCookie().filter((line) => line.startsWith('session='));
}
let server: RunningServer;
before(async () => {
  server = await startServer({}, { now: clock.now });
});
after(() => server.close());

test('a first visit is not logged in and gets no cookie', async () => {
  const response = await get(server.url);
  assert.equal(response.status, 200);
  assert.match(await response.text(), /You are not logged in/);
  assert.deepEqual(response.headers.getSetCookie(), []);
  assert.equal(response.headers.get('vary'), 'Cookie');
  assert.equal(response.headers.get('cache-control'), 'no-store');
});

test('login → index → logout, without "Remember me": a volatile session', async () => {
  const login = await postForm(`${server.url}/login`, { username: 'alice' });
  assert.equal(login.status, 303);
  assert.equal(login.headers.get('location'), '/');
  const [setCookie] = login.headers.getSetCookie();
  assert.match(setCookie!, /^session=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/, 'no Max-Age, no Expires');
  assert.equal(login.headers.get('cache-control'), 'no-store');
  const cookie = sessionCookieFrom(login)!;

  const index = await get(server.url, cookie);
  const body = await index.text();
  assert.match(body, /Logged in as <strong>alice<\/strong>/);
  assert.match(body, /<strong>volatile<\/strong>/);
  assert.match(body, new RegExp(`yes, ${cookie.length - 1} of the 4096 bytes`));
  assert.match(body, /&quot;username&quot;: &quot;alice&quot;/);
  assert.deepEqual(sessionSetCookies(index), [], 'an unchanged volatile session is not re-sent');

  const logout = await get(`${server.url}/logout`, cookie);
  assert.equal(logout.status, 303);
  assert.equal(logout.headers.get('location'), '/');
  assert.deepEqual(logout.headers.getSetCookie(), ['session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax']);
});

test('login with "Remember me": a permanent session with Max-Age and Expires', async () => {
  const login = await postForm(`${server.url}/login`, { username: 'bob', remember: 'on' });
  const [setCookie] = login.headers.getSetCookie();
  const expires = new Date(clock.milliseconds + 2678400 * 1000).toUTCString();
  assert.match(setCookie!, new RegExp(`; Max-Age=2678400; Expires=${expires}; Path=/; HttpOnly; SameSite=Lax$`));
  const index = await get(server.url, sessionCookieFrom(login)!);
  const body = await index.text();
  assert.match(body, /Logged in as <strong>bob<\/strong>/);
  assert.match(body, /<strong>permanent<\/strong>: <code>Max-Age=2678400<\/code> \(31 d\)/);
  assert.match(body, new RegExp(`keeps it until ${expires}`));
});

test('a permanent session is refreshed on every request; POST /logout deletes it', async () => {
  const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'carol', remember: 'on' }))!;
  clock.advanceSeconds(600);
  const index = await get(server.url, cookie);
  const [refreshed] = sessionSetCookies(index);
  assert.match(refreshed!, new RegExp(`Expires=${new Date(clock.milliseconds + 2678400 * 1000).toUTCString()}`));
  assert.notEqual(refreshed!.split(';')[0], cookie);
  // Any page refreshes it, even one that does not read the session.
  assert.equal(sessionSetCookies(await get(`${server.url}/login`, cookie)).length, 1);

  const logout = await postForm(`${server.url}/logout`, {}, cookie);
  assert.equal(logout.status, 303);
  assert.match(logout.headers.getSetCookie()[0]!, /^session=; Max-Age=0; /);
  // The deletion leaves nothing behind: no "_permanent" remnant as Flask would keep.
  assert.match(await (await get(server.url)).text(), /You are not logged in/);
});

test('unticking "Remember me" on a new login turns a permanent session volatile', async () => {
  const permanent = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'dave', remember: 'on' }))!;
  const again = await postForm(`${server.url}/login`, { username: 'dave' }, permanent);
  assert.doesNotMatch(again.headers.getSetCookie()[0]!, /Max-Age/);
});

test('a permanent cookie replayed after its lifetime is refused by the server', async () => {
  const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'erin', remember: 'on' }))!;
  clock.advanceSeconds(2678400 + 3600);
  const body = await (await get(server.url, cookie)).text();
  assert.match(body, /You are not logged in/);
  assert.match(body, /rejected<\/span>: SignatureExpired: signature expired 1 h ago/);
  assert.match(server.accessLog.at(-1)!, /^GET \/ 200 .*session cookie rejected: SignatureExpired/);
});

test('a volatile cookie kept by a browser that restores sessions is bounded by the same lifetime', async () => {
  const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'frank' }))!;
  clock.advanceSeconds(2678400 + 1);
  assert.match(await (await get(server.url, cookie)).text(), /You are not logged in/);
});

const tampered: readonly { name: string; change: (cookie: string) => string; reason: RegExp }[] = [
  {
    name: 'an edited payload (username changed to admin)',
    change: (cookie) => {
      const [, signature] = cookie.slice('session='.length).split(/\.(.*)/s);
      return `session=${Buffer.from('{"permanent":false,"data":{"username":"admin"}}').toString('base64url')}.${signature}`;
    },
    reason: /BadSignature/,
  },
  { name: 'a cut-off signature', change: (cookie) => cookie.slice(0, -5), reason: /MalformedSignature|BadSignature/ },
  { name: 'a value that is not ours at all', change: () => 'session=hello', reason: /MalformedSignature/ },
];

for (const { name, change, reason } of tampered) {
  test(`a cookie with ${name} means no session, not an error`, async () => {
    const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'gina' }))!;
    const response = await get(server.url, change(cookie));
    assert.equal(response.status, 200);
    const body = await response.text();
    assert.match(body, /You are not logged in/);
    assert.match(body, reason);
    assert.doesNotMatch(body, /admin/);
  });
}

test('a cookie signed with another key means no session', async () => {
  const other = await startServer({ SECRET_KEY: 'a-completely-different-secret-key-of-length' }, { now: clock.now });
  const foreign = sessionCookieFrom(await postForm(`${other.url}/login`, { username: 'mallory' }))!;
  await other.close();
  const body = await (await get(server.url, foreign)).text();
  assert.match(body, /You are not logged in/);
  assert.match(body, /signature matches none of the 1 configured key/);
});

test('a cookie signed with a fallback key is accepted and re-signed with the current key', async () => {
  const oldServer = await startServer({ SECRET_KEY: 'the-old-key-that-is-being-retired-now' }, { now: clock.now });
  const old = sessionCookieFrom(await postForm(`${oldServer.url}/login`, { username: 'heidi' }))!;
  await oldServer.close();
  const rotated = await startServer({ SECRET_KEY_FALLBACKS: 'the-old-key-that-is-being-retired-now' }, { now: clock.now });
  const response = await get(rotated.url, old);
  assert.match(await response.text(), /Logged in as <strong>heidi<\/strong>/);
  const fresh = sessionCookieFrom(response)!;
  await rotated.close();
  assert.match(await (await get(server.url, fresh)).text(), /Logged in as <strong>heidi<\/strong>/, 'the current key alone verifies it');
});

test('many parallel logins each get their own session', async () => {
  const names = Array.from({ length: 50 }, (_, index) => `user-${index}`);
  const cookies = await Promise.all(names.map(async (name) => sessionCookieFrom(await postForm(`${server.url}/login`, { username: name }))!));
  const pages = await Promise.all(cookies.map(async (cookie) => (await get(server.url, cookie)).text()));
  pages.forEach((body, index) => assert.match(body, new RegExp(`Logged in as <strong>user-${index}</strong>`)));
});

test('a session too large for a cookie gets a clear 413 page and the old cookie stays', async () => {
  const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'ivan' }))!;
  const response = await postForm(`${server.url}/login`, { username: 'x'.repeat(2990) }, cookie);
  assert.equal(response.status, 413);
  assert.deepEqual(response.headers.getSetCookie(), [], 'no Set-Cookie: the browser keeps the old one');
  assert.match(await response.text(), /browsers silently drop cookies over 4096 bytes, so it was not saved; your previous session is unchanged/);
  assert.match(await (await get(server.url, cookie)).text(), /Logged in as <strong>ivan<\/strong>/);
});

test('SESSION_COOKIE_ENCRYPT=true: the cookie is unreadable, the story is the same, and signed cookies are refused', async () => {
  const encrypted = await startServer({ SESSION_COOKIE_ENCRYPT: 'true' }, { now: clock.now });
  try {
    const login = await postForm(`${encrypted.url}/login`, { username: 'alice', remember: 'on' });
    const cookie = sessionCookieFrom(login)!;
    assert.match(cookie, /^session=v1\.\d+\.[A-Za-z0-9_-]+$/);
    assert.doesNotMatch(Buffer.from(cookie.split('.')[2]!, 'base64url').toString('latin1'), /alice|username/);
    const page = await (await get(encrypted.url, cookie)).text();
    assert.match(page, /Logged in as <strong>alice<\/strong>/);
    assert.match(page, /<strong>encrypted<\/strong> with AES-256-GCM/);
    // A cookie signed by a server with the same key but no encryption is not accepted (no downgrade).
    const signed = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'mallory' }))!;
    const downgraded = await (await get(encrypted.url, signed)).text();
    assert.match(downgraded, /You are not logged in/);
    assert.match(downgraded, /this server reads v1 only/);
  } finally {
    await encrypted.close();
  }
});

test('a cookie session cannot be revoked: a copy made before logout still works until it expires', async () => {
  const copy = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'kim' }))!;
  const logout = await get(`${server.url}/logout`, copy);
  assert.match(logout.headers.getSetCookie()[0]!, /^session=; Max-Age=0/, 'the browser deletes its cookie');
  // Whoever kept a copy is still "kim": the server has no record to delete. This is the limit
  // that server-side sessions remove (see test/e2e/session-types.test.ts, replay after logout).
  assert.match(await (await get(server.url, copy)).text(), /Logged in as <strong>kim<\/strong>/);
});
