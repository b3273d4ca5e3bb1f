// SESSION_TYPE=redis over TLS end to end: SESSION_REDIS_URL=rediss://… and SESSION_REDIS_CA_FILE,
// against Debian's redis-server listening for TLS only. With the right CA, logins work; with a
// wrong one, requests that need the session get a 503 naming the TLS failure, and the server stays up.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeCertificate } from '../helpers/certificate.js';
import { runServer, stopServer, urlOf } from '../helpers/process.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { get, postForm, sessionCookieFrom, startServer, TEST_SECRET_KEY } from '../helpers/server.js';
import { skipUnlessInstalled } from '../helpers/tools.js';

const skip = skipUnlessInstalled('redis-server', 'redis-server');

// Redis's certificate names localhost (and 127.0.0.1), so the URL can use the name, as a real
// deployment would; `stranger` is a CA that did not sign it.
const certificate = makeCertificate({ subjectAltName: 'DNS:localhost,IP:127.0.0.1', commonName: 'localhost' });
const stranger = makeCertificate({ subjectAltName: 'DNS:localhost', commonName: 'localhost' });
const TLS_REFUSED = /TLS: self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)/;

describe('SESSION_TYPE=redis over TLS (rediss://)', { skip }, () => {
  let redis: RedisServer;
  const env = (caFile: string): Record<string, string> => ({ SESSION_TYPE: 'redis', SESSION_REDIS_URL: `rediss://localhost:${redis.port}`, SESSION_REDIS_CA_FILE: caFile });
  before(async () => {
    redis = await startRedis({ tls: certificate });
  });
  after(() => redis.stop());

  test('with SESSION_REDIS_CA_FILE, login → index works, the session living in Redis over TLS', async () => {
    const server = await startServer(env(certificate.cert));
    try {
      assert.ok(server.config.store.redis.tls?.ca !== undefined, 'the CA file was read at start');
      const login = await postForm(`${server.url}/login`, { username: 'alice', remember: 'on' });
      assert.equal(login.status, 303);
      const cookie = sessionCookieFrom(login)!;
      const page = await (await get(server.url, cookie)).text();
      assert.match(page, /Logged in as <strong>alice<\/strong>/);
      assert.match(page, /in the <code>redis<\/code> store \(\d+ bytes\); the cookie holds only a signed session id/);
      assert.deepEqual(server.errorLog, []);
    } finally {
      await server.close();
    }
  });

  test('the built server says at start that its Redis is rediss://, and serves logins', async () => {
    const child = runServer({ ...env(certificate.cert), PORT: '0', SECRET_KEY: TEST_SECRET_KEY });
    try {
      const url = await urlOf(child);
      const cookie = sessionCookieFrom(await postForm(`${url}/login`, { username: 'bob' }))!;
      assert.match(await (await get(url, cookie)).text(), /Logged in as <strong>bob<\/strong>/);
    } finally {
      assert.equal(await stopServer(child), 0);
    }
    assert.match(child.stdout, new RegExp(`redis store at rediss://localhost:${redis.port}, database 0`));
    assert.doesNotMatch(child.stdout, /not reachable/);
  });

  test('with a CA that did not sign Redis\'s certificate, requests that need the session get a 503 naming TLS, and the server stays up', async () => {
    // A valid session cookie, signed with the same key, from a server that trusts the right CA.
    const good = await startServer(env(certificate.cert));
    const cookie = sessionCookieFrom(await postForm(`${good.url}/login`, { username: 'alice' }))!;
    await good.close();
    const server = await startServer(env(stranger.cert));
    try {
      const refused = await get(server.url, cookie);
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '5');
      const body = await refused.text();
      assert.match(body, /the session store \(redis at rediss:\/\/localhost:\d+\) is not answering/);
      assert.match(body, TLS_REFUSED);
      const login = await postForm(`${server.url}/login`, { username: 'bob' });
      assert.equal(login.status, 503, 'a login cannot be stored');
      assert.match(await login.text(), TLS_REFUSED);
      assert.deepEqual(login.headers.getSetCookie().filter((line) => line.startsWith('session=')), []);
      assert.equal((await get(`${server.url}/login`)).status, 200, 'pages without a session still work');
      assert.equal((await get(server.url, cookie)).status, 503, 'and it still refuses, rather than falling back to plaintext');
      assert.deepEqual(server.errorLog, []);
    } finally {
      await server.close();
    }
  });

  test('the built server starts with a wrong CA, says why Redis is not reachable, answers 503 with the TLS reason, and exits cleanly', async () => {
    const child = runServer({ ...env(stranger.cert), PORT: '0', SECRET_KEY: TEST_SECRET_KEY });
    try {
      const url = await urlOf(child);
      assert.match(child.stdout, /redis is not reachable yet \(TLS: self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\); if Redis's certificate comes from a private CA, trust that CA: SESSION_REDIS_CA_FILE/);
      const login = await postForm(`${url}/login`, { username: 'carol' });
      assert.equal(login.status, 503);
      assert.match(await login.text(), TLS_REFUSED);
      assert.equal((await get(`${url}/login`)).status, 200, 'still running');
    } finally {
      assert.equal(await stopServer(child), 0);
    }
  });
});
