// The demo's routes, through the real server: what each view does to the session.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { USERNAME_MAX_CHARACTERS } from '../../src/demo/app.js';
import { get, postForm, sessionCookieFrom, startServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

test('GET /login shows the form and does not touch the session', async () => {
  const response = await get(`${server.url}/login`);
  assert.equal(response.status, 200);
  assert.match(await response.text(), /<form method="post" action="\/login">/);
  assert.equal(response.headers.get('vary'), null, 'the form does not depend on the cookie');
  assert.deepEqual(response.headers.getSetCookie(), []);
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

test('POST /logout works without a body or a content type, as curl -X POST sends it', async () => {
  const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'bob' }))!;
  const response = await fetch(`${server.url}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie } });
  assert.equal(response.status, 303);
  assert.match(response.headers.getSetCookie()[0]!, /^session=; Max-Age=0/);
});

test('POST /logout with a non-form body is refused with 415 and keeps the session', async () => {
  const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'carol' }))!;
  const response = await fetch(`${server.url}/logout`, { method: 'POST', headers: { cookie, 'content-type': 'text/plain' }, body: 'bye' });
  assert.equal(response.status, 415);
  assert.deepEqual(response.headers.getSetCookie(), []);
});

test('error pages are not cacheable', async () => {
  const response = await get(`${server.url}/missing`);
  assert.equal(response.headers.get('cache-control'), 'no-store');
});
