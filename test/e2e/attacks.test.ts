// The attack suite: what people have broken session layers with, tried against the real server.
// Every case must end in "no session" or a clear 4xx, never a 500, a crash, or a login.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Signer } from '../../src/signing/signer.js';
import { sendRaw } from '../helpers/raw.js';
import { csrfFor, get, postBody, postForm, sessionCookieFrom, startServer, TEST_SECRET_KEY, TestClock, type RunningServer } from '../helpers/server.js';

const clock = new TestClock();
let server: RunningServer;
let encrypted: RunningServer;
let good: string; // a valid `session=…` pair for alice
before(async () => {
  server = await startServer({}, { now: clock.now });
  encrypted = await startServer({ SESSION_COOKIE_ENCRYPT: 'true' }, { now: clock.now });
  good = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'alice' }))!;
});
after(async () => {
  assert.deepEqual(server.errorLog, [], 'no attack reached the 500 path');
  assert.deepEqual(encrypted.errorLog, []);
  await server.close();
  await encrypted.close();
});


const value = () => good.slice('session='.length);
const parts = () => value().split('.') as [string, string, string];
const signedWith = (key: string, payload: string, at = clock.milliseconds) => new Signer({ secrets: [key], salt: 'scratchpad.session', now: () => at }).sign('session', payload);
const adminPayload = () => JSON.stringify({ permanent: true, created: clock.milliseconds / 1000, data: { username: 'admin' } });

const forgedCookies: readonly { name: string; cookie: () => string }[] = [
  { name: 'a payload changed to admin, signature kept', cookie: () => `session=${Buffer.from(adminPayload()).toString('base64url')}.${parts()[1]}.${parts()[2]}` },
  { name: 'a timestamp moved forward', cookie: () => `session=${parts()[0]}.${Number(parts()[1]) + 86400}.${parts()[2]}` },
  { name: 'a timestamp moved back', cookie: () => `session=${parts()[0]}.${Number(parts()[1]) - 1}.${parts()[2]}` },
  { name: 'a truncated signature', cookie: () => good.slice(0, -1) },
  { name: 'half a cookie', cookie: () => good.slice(0, Math.floor(good.length / 2)) },
  { name: 'only the payload', cookie: () => `session=${parts()[0]}` },
  { name: 'the signature stripped', cookie: () => `session=${parts()[0]}.${parts()[1]}.` },
  { name: 'the signature and its dot stripped', cookie: () => `session=${parts()[0]}.${parts()[1]}` },
  { name: 'parts re-ordered (signature first)', cookie: () => `session=${parts()[2]}.${parts()[1]}.${parts()[0]}` },
  { name: 'parts re-ordered (timestamp first)', cookie: () => `session=${parts()[1]}.${parts()[0]}.${parts()[2]}` },
  { name: 'the value doubled', cookie: () => `session=${value()}.${value()}` },
  { name: 'the value doubled without a separator', cookie: () => `session=${value()}${value()}` },
  { name: 'base64 padding added', cookie: () => `session=${parts()[0]}=.${parts()[1]}.${parts()[2]}` },
  { name: 'standard base64 characters', cookie: () => good.replace(/-/g, '+').replace(/_/g, '/').replace(/^session=[^.]*/, (match) => `${match}+/`) },
  { name: 'the value percent-encoded', cookie: () => `session=${encodeURIComponent(value()).replace(/\./g, '%2E')}` },
  { name: 'the value quoted', cookie: () => `session="${value()}"x` },
  { name: 'a signature from another key', cookie: () => `session=${signedWith('attacker-key', adminPayload())}` },
  { name: 'a signature from the right key with the wrong salt (another purpose)', cookie: () => `session=${new Signer({ secrets: [TEST_SECRET_KEY], salt: 'scratchpad.csrf', now: clock.now }).sign('session', adminPayload())}` },
  { name: 'a signature for another cookie name', cookie: () => `session=${new Signer({ secrets: [TEST_SECRET_KEY], salt: 'scratchpad.session', now: clock.now }).sign('session_csrf', adminPayload())}` },
  { name: 'a timestamp far in the future', cookie: () => `session=${signedWith('attacker-key', adminPayload(), clock.milliseconds + 10 * 86400_000)}` },
  { name: 'an empty value', cookie: () => 'session=' },
  { name: 'markup in the value', cookie: () => 'session=<script>alert(1)</script>.1.x' },
  { name: 'a 4 KB value', cookie: () => `session=${'A'.repeat(4090)}.1.x` },
  { name: 'the forged cookie first, the good one second (the first wins)', cookie: () => `session=${signedWith('attacker-key', adminPayload())}; ${good}` },
];

for (const { name, cookie } of forgedCookies) {
  test(`attack: ${name} → no session`, async () => {
    const response = await get(server.url, cookie());
    assert.equal(response.status, 200);
    const body = await response.text();
    assert.match(body, /You are not logged in/);
    assert.doesNotMatch(body, /Logged in as|<script>alert/);
  });
}

test('attack: a valid cookie replayed after PERMANENT_SESSION_LIFETIME → no session', async () => {
  const local = new TestClock();
  const own = await startServer({}, { now: local.now });
  try {
    const cookie = sessionCookieFrom(await postForm(`${own.url}/login`, { username: 'alice' }))!;
    local.advanceSeconds(31 * 86400 + 1);
    assert.match(await (await get(own.url, cookie)).text(), /You are not logged in[\s\S]*SignatureExpired/);
  } finally {
    await own.close();
  }
});

test('attack: a server-side session replayed after logout → no session', async () => {
  const own = await startServer({ SESSION_TYPE: 'memory' });
  try {
    const cookie = sessionCookieFrom(await postForm(`${own.url}/login`, { username: 'alice' }))!;
    await get(`${own.url}/logout`, cookie);
    assert.match(await (await get(own.url, cookie)).text(), /You are not logged in[\s\S]*UnknownSession/);
  } finally {
    await own.close();
  }
});

const downgrades: readonly { name: string; cookie: () => string }[] = [
  { name: 'a merely signed cookie made with the same key', cookie: () => `session=${signedWith(TEST_SECRET_KEY, adminPayload())}` },
  { name: 'format version v0', cookie: () => `session=v0.${Math.floor(clock.milliseconds / 1000)}.${Buffer.alloc(40).toString('base64url')}` },
  { name: 'format version v2', cookie: () => `session=v2.${Math.floor(clock.milliseconds / 1000)}.${Buffer.alloc(40).toString('base64url')}` },
  { name: 'no format version', cookie: () => `session=.${Math.floor(clock.milliseconds / 1000)}.${Buffer.alloc(40).toString('base64url')}` },
  { name: 'the plaintext payload in place of the ciphertext', cookie: () => `session=v1.${Math.floor(clock.milliseconds / 1000)}.${Buffer.from(adminPayload()).toString('base64url')}` },
];

for (const { name, cookie } of downgrades) {
  test(`attack on encrypted cookies: ${name} → no session`, async () => {
    const body = await (await get(encrypted.url, cookie())).text();
    assert.match(body, /You are not logged in/);
  });
}

const injectedNames: readonly { name: string; username: string }[] = [
  { name: 'a semicolon and an attribute', username: 'alice; Domain=evil.example; Max-Age=99999999' },
  { name: 'CR LF and a second header', username: 'alice\r\nSet-Cookie: admin=1' },
  { name: 'a NUL byte', username: 'ali\0ce' },
  { name: 'non-ASCII text', username: 'Zoë 🍪 \u2028' },
  { name: 'quotes and commas', username: '"alice", bob' },
  { name: 'a fake cookie pair', username: 'x=1; session=forged' },
];

for (const { name, username } of injectedNames) {
  test(`attack: a username with ${name} cannot inject into Set-Cookie`, async () => {
    const login = await postForm(`${server.url}/login`, { username });
    assert.equal(login.status, 303);
    const cookies = login.headers.getSetCookie();
    assert.equal(cookies.length, 1, 'exactly one Set-Cookie');
    assert.match(cookies[0]!, /^session=[A-Za-z0-9_-]+\.\d+\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    const body = await (await get(server.url, sessionCookieFrom(login)!)).text();
    assert.match(body, /Logged in as <strong>/);
  });
}

const xssPayloads = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '"><svg onload=alert(1)>', "'><iframe src=javascript:alert(1)>", '<a href="javascript:alert(1)">x</a>'];

for (const payload of xssPayloads) {
  test(`attack: XSS ${JSON.stringify(payload)} is text on the index page, in the inspector, and in the re-shown form`, async () => {
    const login = await postForm(`${server.url}/login`, { username: payload });
    const page = await (await get(server.url, sessionCookieFrom(login)!)).text();
    const form = await (await postForm(`${server.url}/login`, { username: `${payload}${'x'.repeat(3000)}` })).text();
    for (const body of [page, form]) {
      assert.ok(!body.includes(payload), 'the payload never appears unescaped');
      assert.doesNotMatch(body, /<(script|img|svg|iframe|a href="javascript)/i);
    }
  });
}

test('attack: markup in the request path is escaped on the 404 page', async () => {
  const answer = await sendRaw(server.url, 'GET /"><script>alert(1)</script> HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.doesNotMatch(answer, /<script>alert/);
  assert.match(answer, /^HTTP\/1\.1 (400|404) /);
});

test('attack: markup in a rejected cookie is escaped in the inspector', async () => {
  const body = await (await get(encrypted.url, 'session=<b>x</b>.1.<i>')).text();
  assert.doesNotMatch(body, /<b>x<\/b>|<i>/);
  assert.match(body, /You are not logged in/);
});

test('attack: a signed session whose JSON has __proto__ and constructor keys pollutes nothing', async () => {
  const payload = `{"permanent":false,"created":${clock.milliseconds / 1000},"data":{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"isAdmin":true}},"username":"alice"}}`;
  const body = await (await get(server.url, `session=${signedWith(TEST_SECRET_KEY, payload)}`)).text();
  assert.match(body, /Logged in as <strong>alice<\/strong>/);
  assert.match(body, /&quot;__proto__&quot;: \{/);
  assert.equal(({} as Record<string, unknown>)['isAdmin'], undefined);
});

const badEncodings = ['%', '%4', '%G0', '%%', '%C0%AF', '%ED%A0%80', '%FF%FE', '%E0%80%AF'];

for (const encoding of badEncodings) {
  test(`attack: percent-encoding ${encoding} in a form → 400`, async () => {
    const response = await postBody(`${server.url}/login`, `username=${encoding}`);
    assert.equal(response.status, 400);
  });
}

test('attack: a 2 MB body → 413', async () => {
  assert.equal((await postBody(`${server.url}/login`, `username=${'a'.repeat(2 * 1024 * 1024)}`)).status, 413);
});

test('attack: 10,000 fields → 413', async () => {
  assert.equal((await postBody(`${server.url}/login`, 'a=&'.repeat(10_000))).status, 413);
});

test('attack: 64 KB of headers → 431', async () => {
  const answer = await sendRaw(server.url, `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 64 }, (_, index) => `X-Pad-${index}: ${'a'.repeat(1000)}\r\n`).join('')}\r\n`);
  assert.match(answer, /^HTTP\/1\.1 431 /);
});

test('attack: thousands of cookies → the session still works while they fit, 431 once they do not', async () => {
  const many = Array.from({ length: 1500 }, (_, index) => `c${index}=1`).join('; ');
  assert.match(await (await get(server.url, `${many}; ${good}`)).text(), /Logged in as <strong>alice<\/strong>/);
  const tooMany = Array.from({ length: 5000 }, (_, index) => `c${index}=1`).join('; ');
  assert.match(await sendRaw(server.url, `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${tooMany}\r\n\r\n`), /^HTTP\/1\.1 431 /);
});

describe('CSRF', () => {
  const post = async (headers: Record<string, string>, body: string) =>
    fetch(`${server.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });

  test('attack: login post without a token → 403, and nothing changes', async () => {
    const response = await post({ cookie: good }, 'username=mallory');
    assert.equal(response.status, 403);
    assert.deepEqual(response.headers.getSetCookie(), []);
    assert.match(await (await get(server.url, good)).text(), /Logged in as <strong>alice<\/strong>/);
  });

  test('attack: a wrong token → 403', async () => {
    const csrf = await csrfFor(server.url);
    assert.equal((await post({ cookie: csrf.cookie }, `username=m&csrf_token=${'A'.repeat(43)}`)).status, 403);
  });

  test('attack: the attacker\'s own valid token with the victim\'s CSRF cookie → 403', async () => {
    const victim = await csrfFor(server.url);
    const attacker = await csrfFor(server.url);
    assert.equal((await post({ cookie: victim.cookie }, `username=m&csrf_token=${attacker.token}`)).status, 403);
  });

  test('attack: a valid token posted from another origin → 403', async () => {
    const csrf = await csrfFor(server.url);
    const response = await post({ cookie: csrf.cookie, origin: 'https://evil.example' }, `username=m&csrf_token=${csrf.token}`);
    assert.equal(response.status, 403);
    assert.match(await response.text(), /another origin are refused/);
  });

  test('attack: a cross-site post flagged by Sec-Fetch-Site → 403', async () => {
    const csrf = await csrfFor(server.url);
    assert.equal((await post({ cookie: csrf.cookie, 'sec-fetch-site': 'cross-site' }, `username=m&csrf_token=${csrf.token}`)).status, 403);
  });

  test('a same-origin post with its token → 303', async () => {
    const csrf = await csrfFor(server.url);
    const response = await post({ cookie: csrf.cookie, origin: server.url, 'sec-fetch-site': 'same-origin' }, `username=m&csrf_token=${csrf.token}`);
    assert.equal(response.status, 303);
  });
});

const openRedirects = ['//evil.example/', 'https://evil.example/', '/\\evil.example/', 'http:evil.example', '/%2F/evil.example', '\t//evil.example', 'javascript:alert(1)'];

for (const next of openRedirects) {
  test(`attack: open redirect via next=${JSON.stringify(next)} → stays on this site`, async () => {
    const location = (await postForm(`${server.url}/login`, { username: 'alice', next })).headers.get('location')!;
    assert.ok(location.startsWith('/') && !location.startsWith('//') && !location.includes('\\'), location);
    assert.ok(location === '/' || location === next, location);
  });
}
