// Scratchpad and real Flask share logins: the same browser cookie works on both, both ways.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { FlaskCookieCodec } from '../../src/session/flask-codec.js';
import type { JsonValue } from '../../src/session/session.js';
import { flaskDecode, skipUnlessFlask, startFlask, type FlaskServer } from '../helpers/flask.js';
import { get, postForm, sessionCookieFrom, startServer, type RunningServer } from '../helpers/server.js';

const skip = skipUnlessFlask();
const KEY = 'shared-secret-key-for-flask-interop-tests-0123';

describe('Scratchpad (SESSION_COOKIE_FORMAT=flask) beside a real Flask app', { skip }, () => {
  let flask: FlaskServer;
  let scratchpad: RunningServer;
  before(async () => {
    flask = await startFlask(KEY);
    scratchpad = await startServer({ SECRET_KEY: KEY, SESSION_COOKIE_FORMAT: 'flask' });
  });
  after(async () => {
    await flask?.stop();
    await scratchpad?.close();
  });

  const flaskLogin = async (username: string, remember: boolean) => {
    const response = await fetch(`${flask.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, ...(remember ? { remember: 'on' } : {}) }).toString(),
    });
    assert.equal(response.status, 303);
    return sessionCookieFrom(response)!;
  };

  test('log in on Flask, be logged in on Scratchpad, with the permanent flag carried across', async () => {
    const cookie = await flaskLogin('alice', true);
    const page = await (await get(scratchpad.url, cookie)).text();
    assert.match(page, /Logged in as <strong>alice<\/strong>/);
    assert.match(page, /<strong>permanent<\/strong>/);
    const volatile = await flaskLogin('Zoë 🍪', false);
    const other = await (await get(scratchpad.url, volatile)).text();
    assert.match(other, /Logged in as <strong>Zoë 🍪<\/strong>/);
    assert.match(other, /<strong>volatile<\/strong>/);
  });

  test('log in on Scratchpad, be logged in on Flask, with the permanent flag carried across', async () => {
    const cookie = sessionCookieFrom(await postForm(`${scratchpad.url}/login`, { username: 'bob', remember: 'on' }))!;
    assert.equal(await (await fetch(flask.url, { headers: { cookie } })).text(), 'Logged in as bob');
    const [decoded] = flaskDecode(KEY, [cookie.slice('session='.length)]);
    assert.deepEqual(decoded, { ok: true, data: { _permanent: true, username: 'bob' } });
  });

  test('logout on one is seen on the other', async () => {
    // Scratchpad logs out a Flask login: the browser is told to delete the cookie.
    const fromFlask = await flaskLogin('carol', false);
    const logout = await get(`${scratchpad.url}/logout`, fromFlask);
    assert.match(logout.headers.getSetCookie()[0]!, /^session=; Max-Age=0/);
    assert.equal(await (await fetch(flask.url)).text(), 'You are not logged in', 'with the cookie gone');
    // Flask logs out a Scratchpad login: its new cookie no longer has a username.
    const fromScratchpad = sessionCookieFrom(await postForm(`${scratchpad.url}/login`, { username: 'dave', remember: 'on' }))!;
    const flaskLogout = await fetch(`${flask.url}/logout`, { redirect: 'manual', headers: { cookie: fromScratchpad } });
    const after = sessionCookieFrom(flaskLogout)!;
    // Flask keeps a cookie holding only {"_permanent": true}; Scratchpad reads it as logged out.
    assert.match(await (await get(scratchpad.url, after)).text(), /You are not logged in/);
  });

  test('tampered, foreign-key and expired cookies are refused by both, the same way', async () => {
    const cookie = (await flaskLogin('erin', false)).slice('session='.length);
    const [, timestamp, signature] = cookie.split('.') as [string, string, string];
    const tampered = `${Buffer.from('{"username":"admin"}').toString('base64url')}.${timestamp}.${signature}`;
    const foreign = new FlaskCookieCodec({ secrets: ['not-the-shared-key'] }).encode('session', { permanent: false, created: null, data: { username: 'admin' } });
    const vectors = JSON.parse(readFileSync(fileURLToPath(new URL('../../../test/fixtures/flask-vectors.json', import.meta.url)), 'utf8')) as { secret: string; vectors: { cookie: string }[] };
    // Signed a year ago: past the 31-day lifetime for both.
    const expired = vectors.vectors[0]!.cookie;
    assert.deepEqual(flaskDecode(KEY, [tampered, foreign]).map((result) => (result.ok ? 'accepted' : result.error)), ['BadTimeSignature', 'BadTimeSignature'], 'itsdangerous calls a bad timed signature BadTimeSignature (a BadSignature)');
    assert.deepEqual(flaskDecode(vectors.secret, [expired]).map((result) => (result.ok ? 'accepted' : result.error)), ['SignatureExpired']);
    for (const bad of [tampered, foreign]) {
      assert.match(await (await get(scratchpad.url, `session=${bad}`)).text(), /You are not logged in[\s\S]*BadSignature/);
    }
    const oldKeyServer = await startServer({ SECRET_KEY: vectors.secret, SESSION_COOKIE_FORMAT: 'flask' });
    try {
      assert.match(await (await get(oldKeyServer.url, `session=${expired}`)).text(), /You are not logged in[\s\S]*SignatureExpired/);
    } finally {
      await oldKeyServer.close();
    }
  });

  test('every cookie Scratchpad writes, real Flask reads back to the same data', () => {
    const codec = new FlaskCookieCodec({ secrets: [KEY] });
    const samples: Record<string, JsonValue>[] = [
      { username: 'alice' },
      { username: 'Zoë 🍪 名前 \u2028 "quotes" \\ \u007f', n: -42, half: 0.5, big: 1.5e16, tiny: 2.5e-7 },
      { nested: { z: [1, { b: null, a: true }], '\uffff': 1, '\u{1F600}': 2 } },
      { history: Array.from({ length: 80 }, (_, index) => `page-${index % 3}`) },
      { point: { ' t': [1, 2] }, blob: { ' b': 'AAH/' }, id: { ' u': '12345678123456781234567812345678' }, odd: { ' di': { ' t__': 'x' } } },
    ];
    const cookies = samples.flatMap((data) => [false, true].map((permanent) => codec.encode('session', { permanent, created: null, data })));
    const decoded = flaskDecode(KEY, cookies);
    decoded.forEach((result, index) => {
      assert.ok(result.ok, `Flask refused sample ${index}: ${JSON.stringify(result)}`);
      const expected = { ...samples[Math.floor(index / 2)], ...(index % 2 === 1 ? { _permanent: true } : {}) };
      assert.deepEqual(result.data, expected, `sample ${index}`);
    });
  });
});
