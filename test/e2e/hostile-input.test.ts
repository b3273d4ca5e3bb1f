// Hostile and broken requests against the real server: each gets a clear 4xx, never a 500 or a hang.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { sendRaw } from '../helpers/raw.js';
import { get, postBody, postForm, sessionCookieFrom, startServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  assert.deepEqual(server.errorLog, [], 'no request reached the 500 path');
  await server.close();
});


const statusCases: readonly { name: string; request: () => Promise<Response>; status: number; text: RegExp }[] = [
  { name: 'an unknown path', request: () => get(`${server.url}/admin`), status: 404, text: /there is no page at \/admin/ },
  { name: 'a path with a query string is still matched on its path', request: () => get(`${server.url}/nope?x=1`), status: 404, text: /no page at \/nope</ },
  {
    name: 'a non-form content type on POST /login',
    request: () => fetch(`${server.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"a"}' }),
    status: 415,
    text: /application\/x-www-form-urlencoded/,
  },
  {
    name: 'a malformed percent escape',
    request: () => fetch(`${server.url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=%E0%A4' }),
    status: 400,
    text: /not valid UTF-8/,
  },
  {
    name: 'a body over 64 KiB',
    request: () => postForm(`${server.url}/login`, { username: 'x'.repeat(70 * 1024) }),
    status: 413,
    text: /larger than 65536 bytes/,
  },
  {
    name: 'too many fields',
    request: () => fetch(`${server.url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&'.repeat(101) }),
    status: 413,
    text: /more than 100 fields/,
  },
  { name: 'a blank username', request: () => postForm(`${server.url}/login`, { username: '   ' }), status: 422, text: /Enter a username\./ },
  { name: 'a missing username', request: () => postForm(`${server.url}/login`, { remember: 'on' }), status: 422, text: /Enter a username\./ },
  {
    name: 'a username over 3000 characters',
    request: () => postForm(`${server.url}/login`, { username: '🍪'.repeat(3001) }),
    status: 422,
    text: /at most 3000 characters/,
  },
];

for (const { name, request, status, text } of statusCases) {
  test(`the server answers ${status} for ${name}`, async () => {
    const response = await request();
    assert.equal(response.status, status);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html; charset=utf-8$/);
    assert.match(await response.text(), text);
  });
}

test('the server answers 405 with Allow for a known path and a wrong method', async () => {
  const response = await fetch(`${server.url}/login`, { method: 'DELETE' });
  assert.equal(response.status, 405);
  assert.equal(response.headers.get('allow'), 'GET, HEAD, POST, OPTIONS');
  assert.match(await response.text(), /\/login does not accept DELETE/);
  assert.equal((await fetch(`${server.url}/`, { method: 'POST' })).headers.get('allow'), 'GET, HEAD, OPTIONS');
});

test('the server answers OPTIONS with 204 and Allow', async () => {
  const response = await fetch(`${server.url}/logout`, { method: 'OPTIONS' });
  assert.equal(response.status, 204);
  assert.equal(response.headers.get('allow'), 'GET, HEAD, POST, OPTIONS');
});

test('HEAD is answered like GET without a body', async () => {
  const getResponse = await get(server.url);
  const headResponse = await get(server.url, undefined, 'HEAD');
  assert.equal(headResponse.status, 200);
  assert.equal(headResponse.headers.get('content-length'), getResponse.headers.get('content-length'));
  assert.equal(await headResponse.text(), '');
  assert.equal((await get(`${server.url}/missing`, undefined, 'HEAD')).status, 404);
});

test('a refused login changes nothing: no cookie, and the form comes back filled in', async () => {
  const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'alice' }))!;
  const response = await postForm(`${server.url}/login`, { username: ' ', remember: 'on' }, cookie);
  assert.equal(response.status, 422);
  assert.deepEqual(response.headers.getSetCookie(), []);
  const body = await response.text();
  assert.match(body, /<input type="checkbox" name="remember" checked>/);
  assert.match(body, /role="alert">Enter a username\.</);
  assert.match(await (await get(server.url, cookie)).text(), /Logged in as <strong>alice<\/strong>/);
});

test('a username carrying markup is shown as text, on the page and in the inspector', async () => {
  const attack = `<script>alert(1)</script><img src=x onerror="alert('x')">`;
  const login = await postForm(`${server.url}/login`, { username: attack });
  const body = await (await get(server.url, sessionCookieFrom(login)!)).text();
  assert.ok(!body.includes('<script>alert'), 'no live script tag');
  assert.ok(!body.includes('<img src=x'), 'no live img tag');
  assert.match(body, /Logged in as <strong>&lt;script&gt;alert\(1\)&lt;\/script&gt;&lt;img src=x onerror=&quot;alert\(&#39;x&#39;\)&quot;&gt;<\/strong>/);
});

test('a username that breaks out of the value attribute is escaped when the form is re-shown', async () => {
  const response = await postForm(`${server.url}/login`, { username: `"><script>x()</script>${'a'.repeat(3000)}` });
  const body = await response.text();
  assert.equal(response.status, 422);
  assert.match(body, /value="&quot;&gt;&lt;script&gt;x\(\)/);
});

test('form fields named __proto__ and constructor do nothing special', async () => {
  const response = await postBody(`${server.url}/login`, '__proto__=x&constructor=y&username=zed');
  assert.equal(response.status, 303);
  assert.equal(({} as Record<string, unknown>)['x'], undefined);
});

test('the server answers 431 to oversized headers', async () => {
  const answer = await sendRaw(server.url, `GET / HTTP/1.1\r\nHost: x\r\nCookie: session=${'a'.repeat(20_000)}\r\n\r\n`);
  assert.match(answer, /^HTTP\/1\.1 431 /);
});

test('the server answers 413 to a declared huge body without waiting for it', async () => {
  const answer = await sendRaw(server.url, 
    'POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000000\r\n\r\nusername=a',
    { keepOpen: true },
  );
  assert.match(answer, /^HTTP\/1\.1 413 /);
  assert.match(answer, /\r\nconnection: close\r\n/i);
});

test('the server stops reading a chunked body at the limit', async () => {
  const chunk = 'a'.repeat(16 * 1024);
  const chunks = Array.from({ length: 8 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
  const answer = await sendRaw(server.url, 
    `POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`,
  );
  assert.match(answer, /^HTTP\/1\.1 413 /);
});

test('a client that disconnects mid-body does not hurt the server', async () => {
  const { port } = new URL(server.url);
  await new Promise<void>((resolve) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write('POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=');
      setTimeout(() => socket.destroy(), 50);
    });
    socket.on('close', () => resolve());
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal((await get(server.url)).status, 200);
});

test('a malformed request line gets 400 from Node and the server lives on', async () => {
  const answer = await sendRaw(server.url, 'NOT HTTP AT ALL\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 400 /);
  assert.equal((await get(server.url)).status, 200);
});

test('cookies that are not ours, or repeated, do not confuse the session', async () => {
  const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'judy' }))!;
  // First of a repeated name wins (RFC 6265 §5.4): a later forged duplicate is ignored.
  const body = await (await get(server.url, `junk; other=1; ${cookie}; session=forged`)).text();
  assert.match(body, /Logged in as <strong>judy<\/strong>/);
});
