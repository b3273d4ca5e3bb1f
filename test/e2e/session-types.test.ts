// Every server-side SESSION_TYPE end to end: the same demo routes, the same story, plus what only a
// store can do (revocation, fixation defence, restart survival, sharing between processes).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RedisClient } from '../../src/redis/client.js';
import { runServer, stopServer, urlOf } from '../helpers/process.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { get, postForm, sessionCookieFrom, startServer, TEST_SECRET_KEY, TestClock } from '../helpers/server.js';
import { skipUnlessInstalled } from '../helpers/tools.js';

const redisSkip = skipUnlessInstalled('redis-server', 'redis-server');
let redis: RedisServer | null = null;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(() => redis?.stop());

interface Mode {
  readonly type: 'memory' | 'filesystem' | 'redis';
  readonly skip: string | false;
  /** Environment for one server of this mode; servers given the same `shared` value share a store. */
  env(shared: string): Record<string, string>;
  /** Whether the store can run on a frozen clock (Redis keeps real time). */
  readonly frozenClock: boolean;
}

const sharedDirectories = new Map<string, string>();
const modes: readonly Mode[] = [
  { type: 'memory', skip: false, frozenClock: true, env: () => ({ SESSION_TYPE: 'memory' }) },
  {
    type: 'filesystem',
    skip: false,
    frozenClock: true,
    env: (shared) => {
      if (!sharedDirectories.has(shared)) sharedDirectories.set(shared, join(mkdtempSync(join(tmpdir(), 'scratchpad-e2e-')), 'sessions'));
      return { SESSION_TYPE: 'filesystem', SESSION_FILE_DIR: sharedDirectories.get(shared)! };
    },
  },
  { type: 'redis', skip: redisSkip, frozenClock: false, env: () => ({ SESSION_TYPE: 'redis', SESSION_REDIS_URL: redis!.url }) },
];

for (const mode of modes) {
  describe(`SESSION_TYPE=${mode.type}`, { skip: mode.skip }, () => {
    test('login → index → logout works, and the cookie carries only an id', async () => {
      const server = await startServer(mode.env(`story-${mode.type}`));
      try {
        const login = await postForm(`${server.url}/login`, { username: 'alice', remember: 'on' });
        assert.equal(login.status, 303);
        const cookie = sessionCookieFrom(login)!;
        assert.match(cookie, /^session=[A-Za-z0-9_-]{43}\.\d+\.[A-Za-z0-9_-]{43}$/);
        assert.match(login.headers.getSetCookie()[0]!, /Max-Age=2678400/);
        const page = await (await get(server.url, cookie)).text();
        assert.match(page, /Logged in as <strong>alice<\/strong>/);
        assert.match(page, new RegExp(`in the <code>${mode.type}</code> store \\(\\d+ bytes\\); the cookie holds only a signed session id`));
        const logout = await get(`${server.url}/logout`, cookie);
        assert.match(logout.headers.getSetCookie()[0]!, /^session=; Max-Age=0/);
        // Replay after logout: the record is gone, so the old cookie is worthless.
        const replay = await (await get(server.url, cookie)).text();
        assert.match(replay, /You are not logged in/);
        assert.match(replay, /UnknownSession/);
      } finally {
        await server.close();
      }
    });

    test('login issues a new id, so a planted id is worthless (session fixation)', async () => {
      const server = await startServer(mode.env(`fixation-${mode.type}`));
      try {
        const planted = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'attacker' }))!;
        const victim = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'victim' }, planted))!;
        assert.notEqual(victim.split('.')[0], planted.split('.')[0], 'the id changed at login');
        assert.match(await (await get(server.url, victim)).text(), /Logged in as <strong>victim<\/strong>/);
        assert.match(await (await get(server.url, planted)).text(), /You are not logged in/, 'the planted id no longer leads anywhere');
      } finally {
        await server.close();
      }
    });

    test('a session larger than any cookie is fine on the server', async () => {
      const server = await startServer(mode.env(`large-${mode.type}`));
      try {
        const login = await postForm(`${server.url}/login`, { username: 'x'.repeat(3000) });
        assert.equal(login.status, 303);
        assert.match(await (await get(server.url, sessionCookieFrom(login)!)).text(), /Logged in as <strong>x{3000}<\/strong>/);
      } finally {
        await server.close();
      }
    });

    test('an idle volatile session expires after SESSION_IDLE_LIFETIME', async () => {
      const clock = new TestClock();
      const server = await startServer({ ...mode.env(`idle-${mode.type}`), SESSION_IDLE_LIFETIME: '1' }, mode.frozenClock ? { now: clock.now } : {});
      try {
        const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'alice' }))!;
        assert.match(await (await get(server.url, cookie)).text(), /Logged in as/);
        if (mode.frozenClock) clock.advanceSeconds(2);
        else await new Promise((resolve) => setTimeout(resolve, 2100));
        assert.match(await (await get(server.url, cookie)).text(), /You are not logged in/);
      } finally {
        await server.close();
      }
    });

    test('the inspector shows the record that open() read, with no read of its own', async () => {
      const server = await startServer(mode.env(`record-${mode.type}`));
      try {
        const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'alice' }))!;
        const page = await (await get(server.url, cookie)).text();
        assert.match(page, /<th>Record in the store<\/th><td><pre>\{&quot;version&quot;:1,&quot;createdAt&quot;:\d+,&quot;permanent&quot;:false,&quot;data&quot;:\{&quot;username&quot;:&quot;alice&quot;\}\}<\/pre>/);
      } finally {
        await server.close();
      }
    });

    test('a session in use stays alive: its idle time is restarted once a tenth of it has passed', async () => {
      // Redis keeps real time (and whole seconds): a short lifetime, and real waits.
      const idle = mode.frozenClock ? 100 : 2;
      const clock = new TestClock();
      const wait = (seconds: number) => (mode.frozenClock ? clock.advanceSeconds(seconds) : new Promise((resolve) => setTimeout(resolve, seconds * 1000)));
      const server = await startServer({ ...mode.env(`refresh-${mode.type}`), SESSION_IDLE_LIFETIME: String(idle) }, mode.frozenClock ? { now: clock.now } : {});
      try {
        const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'alice' }))!;
        await wait(idle * 0.5);
        assert.match(await (await get(server.url, cookie)).text(), /Logged in as/, 'half its idle lifetime after login: the idle time is restarted');
        await wait(idle * 0.7);
        assert.match(await (await get(server.url, cookie)).text(), /Logged in as/, '1.2 idle lifetimes after login, 0.7 after its last request');
      } finally {
        await server.close();
      }
    });

    if (mode.type !== 'memory') {
      test('sessions survive a server restart', async () => {
        const env = mode.env(`restart-${mode.type}`);
        const first = await startServer(env);
        const cookie = sessionCookieFrom(await postForm(`${first.url}/login`, { username: 'alice' }))!;
        await first.close();
        const second = await startServer(env);
        try {
          assert.match(await (await get(second.url, cookie)).text(), /Logged in as <strong>alice<\/strong>/);
        } finally {
          await second.close();
        }
      });

      test('two server processes share one store: log in on one, be logged in on the other', async () => {
        const env = { ...mode.env(`shared-${mode.type}`), PORT: '0', SECRET_KEY: TEST_SECRET_KEY };
        const [one, two] = [runServer(env), runServer(env)];
        try {
          const [urlOne, urlTwo] = await Promise.all([urlOf(one), urlOf(two)]);
          const cookie = sessionCookieFrom(await postForm(`${urlOne}/login`, { username: 'alice' }))!;
          assert.match(await (await get(urlTwo, cookie)).text(), /Logged in as <strong>alice<\/strong>/);
          assert.match((await get(`${urlTwo}/logout`, cookie)).headers.getSetCookie()[0]!, /Max-Age=0/);
          assert.match(await (await get(urlOne, cookie)).text(), /You are not logged in/, 'logout on two ended it on one too');
        } finally {
          assert.equal(await stopServer(one), 0);
          assert.equal(await stopServer(two), 0);
        }
      });
    }

    if (mode.type === 'memory') {
      test('the memory store says at start that it is per-process and lost on restart', async () => {
        const child = runServer({ ...mode.env(''), PORT: '0', SECRET_KEY: TEST_SECRET_KEY });
        await urlOf(child);
        assert.equal(await stopServer(child), 0);
        assert.match(child.stdout, /memory store \(at most 10000\); it belongs to this process alone and is lost on restart/);
      });
    }
  });
}

describe('SESSION_TYPE=redis, counted by Redis', { skip: redisSkip }, () => {
  for (const lazy of [true, false]) {
    test(lazy ? 'GET / with a session sends Redis one GET and one PTTL, together, and no EXPIRE' : 'with SESSION_LAZY_REFRESH=false, every GET / is a GET and an EXPIRE, as before the lazy refresh', async () => {
      const own = await startRedis();
      const admin = new RedisClient({ host: '127.0.0.1', port: own.port });
      const server = await startServer({ SESSION_TYPE: 'redis', SESSION_REDIS_URL: own.url, ...(lazy ? {} : { SESSION_LAZY_REFRESH: 'false' }) });
      try {
        const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'alice' }))!;
        await admin.command(['CONFIG', 'RESETSTAT']);
        for (let request = 0; request < 10; request += 1) assert.match(await (await get(server.url, cookie)).text(), /Logged in as/);
        const stats = String(await admin.command(['INFO', 'commandstats']));
        const calls = (command: string) => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
        assert.deepEqual({ get: calls('get'), pttl: calls('pttl'), expire: calls('expire'), evalsha: calls('evalsha') }, { get: 10, pttl: lazy ? 10 : 0, expire: lazy ? 0 : 10, evalsha: 0 }, stats);
      } finally {
        await server.close();
        await admin.close();
        await own.stop();
      }
    });
  }
});

describe('SESSION_TYPE=redis while Redis is down', { skip: redisSkip }, () => {
  test('a request that needs the session gets a clear 503; the server stays up and recovers by itself', async () => {
    const own = await startRedis();
    const server = await startServer({ SESSION_TYPE: 'redis', SESSION_REDIS_URL: own.url });
    try {
      const cookie = sessionCookieFrom(await postForm(`${server.url}/login`, { username: 'alice' }))!;
      await own.kill();
      const down = await get(server.url, cookie);
      assert.equal(down.status, 503);
      assert.equal(down.headers.get('retry-after'), '5');
      assert.match(await down.text(), /the session store \(redis at 127\.0\.0\.1:\d+\) is not answering/);
      assert.equal((await get(`${server.url}/login`)).status, 200, 'pages without a session still work');
      const failedLogin = await postForm(`${server.url}/login`, { username: 'bob' });
      assert.equal(failedLogin.status, 503, 'a login cannot be stored');
      assert.deepEqual(failedLogin.headers.getSetCookie(), []);
      await own.restart();
      let status = 0;
      for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await get(server.url, cookie)).status;
      }
      assert.equal(status, 200, 'back without a restart');
      assert.deepEqual(server.errorLog, []);
    } finally {
      await server.close();
      await own.stop();
    }
  });

  test('the server starts even when Redis is not reachable yet', async () => {
    const own = await startRedis();
    const url = own.url;
    await own.stop();
    const child = runServer({ SESSION_TYPE: 'redis', SESSION_REDIS_URL: url, PORT: '0', SECRET_KEY: TEST_SECRET_KEY });
    const serverUrl = await urlOf(child);
    assert.match(child.stdout, /redis is not reachable yet/);
    assert.equal((await get(serverUrl)).status, 200);
    assert.equal(await stopServer(child), 0);
  });
});
