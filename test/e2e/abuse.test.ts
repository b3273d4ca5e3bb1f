// The security review of 2026-12, against the real server over HTTP: one request that used to stop
// the process, floods of new sessions that used to log users out or fill a store, a login page
// that shared caches could keep, and control bytes in log lines. Each test failed before its fix.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { RedisClient } from '../../src/redis/client.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { sendRaw } from '../helpers/raw.js';
import { csrfFor, get, postForm, sessionCookieFrom, startServer, type RunningServer } from '../helpers/server.js';
import { skipUnlessInstalled } from '../helpers/tools.js';

/** A login as a browser behind a proxy at `client` would send it (TRUST_PROXY reads X-Forwarded-For). */
async function loginAs(server: RunningServer, username: string, client: string, csrf: { token: string; cookie: string }): Promise<Response> {
  return fetch(`${server.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrf.cookie, 'x-forwarded-for': client },
    body: new URLSearchParams({ username, csrf_token: csrf.token }).toString(),
  });
}

async function isLoggedInAs(server: RunningServer, cookie: string, username: string): Promise<boolean> {
  return (await (await get(server.url, cookie)).text()).includes(`Logged in as <strong>${username}</strong>`);
}

describe('a next= value no header can hold', () => {
  let server: RunningServer;
  before(async () => (server = await startServer()));
  after(() => server.close());

  const targets: readonly { next: string; location: string }[] = [
    { next: '/\u0100', location: '/%C4%80' },
    { next: '/\uff0e/evil.com', location: '/%EF%BC%8E/evil.com' },
    { next: '/\u2028/evil.com', location: '/%E2%80%A8/evil.com' },
    { next: '/caf\u00e9', location: '/caf%C3%A9' },
    // A form cannot carry a lone surrogate: the client sends U+FFFD in its place.
    { next: '/\ud800', location: '/%EF%BF%BD' },
  ];
  for (const { next, location } of targets) {
    test(`POST /login with next=${JSON.stringify(next)} redirects to ${location}, and the server goes on serving`, async () => {
      const login = await postForm(`${server.url}/login`, { username: 'alice', next });
      assert.equal(login.status, 303);
      assert.equal(login.headers.get('location'), location);
      assert.equal((await get(server.url)).status, 200, 'the next request is served');
      assert.deepEqual(server.errorLog, []);
    });
  }

  test('a crafted GET /login?next= link carries an encoded path through the form, and the login lands there', async () => {
    const form = await (await get(`${server.url}/login?next=${encodeURIComponent('/\u0100/x')}`)).text();
    assert.match(form, /name="next" value="\/%C4%80\/x"/);
    const login = await postForm(`${server.url}/login`, { username: 'alice', next: '/%C4%80/x' });
    assert.equal(login.headers.get('location'), '/%C4%80/x');
  });
});

test('every page that carries a CSRF token is kept by no shared cache: no-store and Vary: Cookie, new token or not', async () => {
  const server = await startServer();
  try {
    const first = await get(`${server.url}/login`);
    const csrfCookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
    const again = await get(`${server.url}/login`, csrfCookie);
    assert.deepEqual(again.headers.getSetCookie(), [], 'the browser already has its token cookie');
    for (const response of [first, again]) {
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.match(response.headers.get('vary') ?? '', /\bCookie\b/);
    }
    // The login form shown again with a problem carries the token too.
    const csrf = await csrfFor(server.url);
    const refused = await fetch(`${server.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrf.cookie },
      body: `username=&csrf_token=${csrf.token}`,
    });
    assert.equal(refused.status, 422);
    assert.equal(refused.headers.get('cache-control'), 'no-store');
    assert.match(refused.headers.get('vary') ?? '', /\bCookie\b/);
    // And the index page of a logged-in user (its log-out form).
    const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'alice' }))!;
    const index = await get(server.url, `${cookie}; ${csrfCookie}`);
    assert.equal(index.headers.get('cache-control'), 'no-store');
    assert.match(index.headers.get('vary') ?? '', /\bCookie\b/);
  } finally {
    await server.close();
  }
});

describe('a flood of logins from one client', () => {
  test('memory store, SESSION_MEMORY_MAX=300, no per-client limit: 1,500 logins leave a logged-in victim logged in, and another client can log in', async () => {
    const server = await startServer({ SESSION_TYPE: 'memory', SESSION_MEMORY_MAX: '300', LIMIT_NEW_SESSIONS: '0' });
    try {
      const victim = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'victim' }))!;
      assert.ok(await isLoggedInAs(server, victim, 'victim'));
      const csrf = await csrfFor(server.url);
      for (let index = 0; index < 1_500; index += 1) {
        const login = await loginAs(server, `flood-${index}`, '203.0.113.66', csrf);
        assert.equal(login.status, 303);
      }
      assert.ok(await isLoggedInAs(server, victim, 'victim'), 'the victim is still logged in');
      const newcomer = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'newcomer' }))!;
      assert.ok(await isLoggedInAs(server, newcomer, 'newcomer'), 'a new user can still log in');
    } finally {
      await server.close();
    }
  });

  test('default LIMIT_NEW_SESSIONS: past 100 a minute the flooding client gets 429 with Retry-After and a page that says why; others log in', async () => {
    const server = await startServer({ SESSION_TYPE: 'memory', TRUST_PROXY: 'true' });
    try {
      const csrf = await csrfFor(server.url);
      const statuses = new Map<number, number>();
      let refused: Response | null = null;
      for (let index = 0; index < 150; index += 1) {
        const login = await loginAs(server, `flood-${index}`, '203.0.113.66', csrf);
        statuses.set(login.status, (statuses.get(login.status) ?? 0) + 1);
        if (login.status === 429) refused ??= login;
        else await login.arrayBuffer();
      }
      // A burst of 100, and the odd token that flowed back while the test ran.
      assert.ok(statuses.get(303)! >= 100 && statuses.get(303)! <= 103, `${statuses.get(303)} logins went through`);
      assert.equal(statuses.get(303)! + statuses.get(429)!, 150, 'every other one was refused with 429');
      assert.ok(Number(refused!.headers.get('retry-after')) >= 1);
      assert.deepEqual(refused!.headers.getSetCookie(), [], 'no session cookie with the refusal');
      assert.match(await refused!.text(), /too many new sessions from your address \(at most 100 a minute\); try again in \d+ s/);
      const other = await loginAs(server, 'bob', '198.51.100.7', csrf);
      assert.equal(other.status, 303);
      assert.ok(await isLoggedInAs(server, sessionCookieFrom(other)!, 'bob'), 'another client logs in');
      assert.deepEqual(server.errorLog, []);
    } finally {
      await server.close();
    }
  });

  test('filesystem store: 3,000 logins from one client create at most 1,000 files, and a second client can log in', async () => {
    const server = await startServer({ SESSION_TYPE: 'filesystem', TRUST_PROXY: 'true' });
    try {
      const csrf = await csrfFor(server.url);
      for (let index = 0; index < 3_000; index += 1) await (await loginAs(server, `flood-${index}`, '203.0.113.66', csrf)).arrayBuffer();
      const files = readdirSync(server.config.store.fileDirectory).filter((name) => name.endsWith('.json'));
      assert.ok(files.length <= 1_000, `${files.length} session files`);
      assert.ok(files.length >= 100, 'the first burst was served');
      const other = await loginAs(server, 'bob', '198.51.100.7', csrf);
      assert.ok(await isLoggedInAs(server, sessionCookieFrom(other)!, 'bob'));
    } finally {
      await server.close();
    }
  });

  const redisSkip = skipUnlessInstalled('redis-server', 'redis-server');
  test('redis store: 3,000 logins from one client create at most 1,000 records, and a second client can log in', { skip: redisSkip }, async () => {
    const redis: RedisServer = await startRedis();
    const server = await startServer({ SESSION_TYPE: 'redis', SESSION_REDIS_URL: redis.url, TRUST_PROXY: 'true' });
    const client = new RedisClient({ host: '127.0.0.1', port: redis.port });
    try {
      const csrf = await csrfFor(server.url);
      for (let index = 0; index < 3_000; index += 1) await (await loginAs(server, `flood-${index}`, '203.0.113.66', csrf)).arrayBuffer();
      const records = (await client.command(['DBSIZE'])) as number;
      assert.ok(records <= 1_000 && records >= 100, `${records} records`);
      const other = await loginAs(server, 'bob', '198.51.100.7', csrf);
      assert.ok(await isLoggedInAs(server, sessionCookieFrom(other)!, 'bob'));
    } finally {
      await client.close();
      await server.close();
      await redis.stop();
    }
  });
});

test('a rejected cookie carrying raw C1 control bytes reaches the access log only as escapes', async () => {
  const server = await startServer({ SESSION_COOKIE_ENCRYPT: 'true' });
  try {
    // The sealer quotes the format it found (JSON.stringify keeps C1 characters as they are).
    const cookie = Buffer.concat([Buffer.from('session='), Buffer.from([0x85, 0x9b]), Buffer.from('31m.1764000000.AAAA')]);
    const answer = await sendRaw(server.url, Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nCookie: '), cookie, Buffer.from('\r\nConnection: close\r\n\r\n')]));
    assert.match(answer, /^HTTP\/1\.1 200 /);
    const line = server.accessLog.at(-1)!;
    assert.match(line, /session cookie rejected: .*\\x85\\x9b31m/);
    assert.doesNotMatch(line, /[\x00-\x1f\x7f-\x9f\u2028\u2029]/);
  } finally {
    await server.close();
  }
});
