// No lost updates: many truly concurrent HTTP requests on one session, each changing its own key,
// against every store. A last-write-wins store is run through the same test to show it would fail.
import { LazyTouchStore, type StoreWithExpiry } from '../../src/fast/lazy-touch-store.js';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createHttpServer,
  FileSessionStore,
  htmlReply,
  MemorySessionStore,
  RedisClient,
  RedisSessionStore,
  Router,
  ServerSessionInterface,
  Signer,
  type Session,
  type SessionStore,
} from '../../src/index.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { skipUnlessInstalled } from '../helpers/tools.js';

const redisSkip = skipUnlessInstalled('redis-server', 'redis-server');
let redis: RedisServer | null = null;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(() => redis?.stop());

/**
 * A server whose GET /add?key=K sets session[K] after 20 ms of "work", so that every request has
 * read the session before any of them writes it back: the situation in which updates get lost.
 * Each server has its own session interface, as a separate process would; they share `store`.
 */
async function serve(store: SessionStore) {
  const sessions = new ServerSessionInterface({
    settings: { name: 'session', path: '/', httpOnly: true, secure: false, sameSite: 'Lax', partitioned: false, lifetimeSeconds: 3600, refreshEachRequest: false, absoluteLifetimeSeconds: 86400 * 90 },
    idleLifetimeSeconds: 3600,
    store,
    signer: new Signer({ secrets: ['concurrency-test-key'] }),
  });
  const router = new Router<{ session: Session; url: URL }>()
    .get('/add', async ({ session, url }) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      session.set(url.searchParams.get('key')!, true);
      return htmlReply(200, 'ok');
    })
    .get('/keys', ({ session }) => htmlReply(200, JSON.stringify(session.keys().sort())));
  const server = createHttpServer(
    async (request) => {
      const loaded = await sessions.open(request.headers.cookie);
      const url = new URL(request.url ?? '/', 'http://localhost');
      return sessions.commit(loaded, await router.dispatch(request.method ?? 'GET', url.pathname, { session: loaded.session, url }));
    },
    { accessLog: null, errorLog: (message) => assert.fail(message) },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { base, close };
}

/**
 * Starts a session, sends `count` concurrent requests on it, alternating between two servers on
 * the same store (so both the in-process queue and the store's compare-and-set are exercised),
 * and returns the keys that survived.
 */
async function concurrentKeys(store: SessionStore, count = 30): Promise<string[]> {
  const servers = [await serve(store), await serve(store)];
  try {
    const first = await fetch(`${servers[0]!.base}/add?key=first`);
    const cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
    const responses = await Promise.all(
      Array.from({ length: count }, (_, index) => fetch(`${servers[index % 2]!.base}/add?key=k${index}`, { headers: { cookie } })),
    );
    for (const response of responses) assert.equal(response.status, 200);
    return JSON.parse(await (await fetch(`${servers[1]!.base}/keys`, { headers: { cookie } })).text()) as string[];
  } finally {
    await Promise.all(servers.map((server) => server.close()));
    await store.close();
  }
}

const expected = ['first', ...Array.from({ length: 30 }, (_, index) => `k${index}`)].sort();

test('memory store: 30 concurrent requests each keep their change', async () => {
  assert.deepEqual(await concurrentKeys(new MemorySessionStore({ maxEntries: 100 })), expected);
});

test('filesystem store: 30 concurrent requests each keep their change', async () => {
  const directory = join(mkdtempSync(join(tmpdir(), 'scratchpad-cc-')), 'sessions');
  assert.deepEqual(await concurrentKeys(await FileSessionStore.open({ directory })), expected);
});

describe('redis store', { skip: redisSkip }, () => {
  test('redis store: 30 concurrent requests each keep their change', async () => {
    assert.deepEqual(await concurrentKeys(new RedisSessionStore(new RedisClient({ host: '127.0.0.1', port: redis!.port }))), expected);
  });
});

test('with the lazy touch (the default), requests that only read cost the store one operation each, and never lose a concurrent write', async () => {
  const memory = new MemorySessionStore({ maxEntries: 100 });
  const calls = { get: 0, getWithExpiry: 0, set: 0, destroy: 0, touch: 0 };
  const counted: StoreWithExpiry = {
    name: 'counted',
    get: (id) => (calls.get++, memory.get(id)),
    getWithExpiry: (id) => (calls.getWithExpiry++, memory.getWithExpiry(id)),
    set: (id, record, ttl, expected) => (calls.set++, memory.set(id, record, ttl, expected)),
    destroy: (id) => (calls.destroy++, memory.destroy(id)),
    touch: (id, ttl) => (calls.touch++, memory.touch(id, ttl)),
    close: () => memory.close(),
  };
  // Two processes, each with its own lazy touch, as backend.ts builds it.
  const servers = [await serve(new LazyTouchStore(counted)), await serve(new LazyTouchStore(counted))];
  try {
    const first = await fetch(`${servers[0]!.base}/add?key=first`);
    const cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
    for (const key of Object.keys(calls) as (keyof typeof calls)[]) calls[key] = 0;
    const reads = await Promise.all(Array.from({ length: 20 }, (_, index) => fetch(`${servers[index % 2]!.base}/keys`, { headers: { cookie } })));
    for (const response of reads) assert.deepEqual(JSON.parse(await response.text()), ['first']);
    assert.deepEqual(calls, { get: 0, getWithExpiry: 20, set: 0, destroy: 0, touch: 0 }, 'one read each, and no restart of a session written a moment ago');
    // Readers and writers at once: a reader writes nothing, so it cannot undo a writer's change.
    const mixed = await Promise.all(
      Array.from({ length: 30 }, (_, index) => fetch(`${servers[index % 2]!.base}/${index % 3 === 0 ? `add?key=k${index}` : 'keys'}`, { headers: { cookie } })),
    );
    for (const response of mixed) assert.equal(response.status, 200);
    const keys = JSON.parse(await (await fetch(`${servers[1]!.base}/keys`, { headers: { cookie } })).text()) as string[];
    assert.deepEqual(keys, ['first', ...Array.from({ length: 10 }, (_, index) => `k${index * 3}`)].sort());
  } finally {
    await Promise.all(servers.map((server) => server.close()));
    await counted.close();
  }
});

test('the same test catches a last-write-wins store: it loses updates', async () => {
  const memory = new MemorySessionStore({ maxEntries: 100 });
  // What most session libraries do: write whatever the request had, ignoring what happened meanwhile.
  const lastWriteWins: SessionStore = {
    name: 'last-write-wins',
    get: (id) => memory.get(id),
    set: async (id, record, ttl) => {
      await memory.destroy(id);
      return memory.set(id, record, ttl, null);
    },
    destroy: (id) => memory.destroy(id),
    touch: (id, ttl) => memory.touch(id, ttl),
    close: () => memory.close(),
  };
  const keys = await concurrentKeys(lastWriteWins);
  assert.ok(keys.length < expected.length, `only ${keys.length} of ${expected.length} keys survived`);
});
