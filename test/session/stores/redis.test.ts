import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { RedisClient } from '../../../src/redis/client.js';
import { RespDecoder } from '../../../src/redis/resp.js';
import { SessionStoreUnavailableError, type SessionRecord, type SessionStore } from '../../../src/session/store.js';
import { RedisSessionStore } from '../../../src/session/stores/redis.js';
import { testSessionStore } from '../../../src/testing/store-contract.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { skipUnlessInstalled } from '../../helpers/tools.js';

const skip = skipUnlessInstalled('redis-server', 'redis-server');

describe('RedisSessionStore', { skip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.stop());

  const newStore = () => new RedisSessionStore(new RedisClient({ host: '127.0.0.1', port: redis.port }));

  // Redis expires keys by the server's clock, which no test can move: the contract sleeps instead.
  testSessionStore('RedisSessionStore', newStore, { realTime: true });

  test('RedisSessionStore re-sends its script after Redis forgot it (NOSCRIPT)', async () => {
    const store = newStore();
    const id = randomBytes(32).toString('base64url');
    assert.equal(await store.set(id, { data: {}, permanent: false, version: 1, createdAt: 1 }, 60, null), true);
    const admin = new RedisClient({ host: '127.0.0.1', port: redis.port });
    await admin.command(['SCRIPT', 'FLUSH']);
    assert.equal(await store.set(id, { data: { a: 1 }, permanent: false, version: 2, createdAt: 1 }, 60, 1), true);
    await Promise.all([store.close(), admin.close()]);
  });

  test('RedisSessionStore stores under a prefixed key with Redis expiry', async () => {
    const store = newStore();
    const admin = new RedisClient({ host: '127.0.0.1', port: redis.port });
    const id = randomBytes(32).toString('base64url');
    await store.set(id, { data: { a: 1 }, permanent: true, version: 1, createdAt: 1 }, 120, null);
    const ttl = (await admin.command(['TTL', `scratchpad:session:${id}`])) as number;
    assert.ok(ttl > 100 && ttl <= 120, `ttl ${ttl}`);
    assert.deepEqual(JSON.parse((await admin.command(['GET', `scratchpad:session:${id}`])) as string), { version: 1, createdAt: 1, permanent: true, data: { a: 1 } });
    await Promise.all([store.close(), admin.close()]);
  });

  test('RedisSessionStore.getWithExpiry() reads the expiry from PTTL, and calls a key without one (written by hand) Infinity', async () => {
    const store = newStore();
    const admin = new RedisClient({ host: '127.0.0.1', port: redis.port });
    const id = randomBytes(32).toString('base64url');
    const written = { data: { a: 1 }, permanent: false, version: 1, createdAt: 1 };
    const before = Date.now();
    await store.set(id, written, 120, null);
    const read = await store.getWithExpiry(id);
    assert.deepEqual(read?.record, written);
    assert.ok(read!.expiresAtMs > before + 119_000 && read!.expiresAtMs <= Date.now() + 120_000, `expiresAtMs ${read!.expiresAtMs - before} ms after the write`);
    await admin.command(['PERSIST', `scratchpad:session:${id}`]);
    assert.equal((await store.getWithExpiry(id))?.expiresAtMs, Number.POSITIVE_INFINITY);
    await Promise.all([store.close(), admin.close()]);
  });

  test('RedisSessionStore refuses to write under an id that is not a session id', async () => {
    const store = newStore();
    await assert.rejects(store.set('a:b', { data: {}, permanent: false, version: 1, createdAt: 1 }, 60, null), /not a session id/);
    await store.close();
  });

  test('RedisSessionStore.set() answers 503 naming OOM when Redis is out of memory', async () => {
    // A refusal from inside the compare-and-set script must keep its code (OOM), not become a 500.
    const store = newStore();
    const admin = new RedisClient({ host: '127.0.0.1', port: redis.port });
    const id = randomBytes(32).toString('base64url');
    await admin.command(['CONFIG', 'SET', 'maxmemory', '1']);
    try {
      await assert.rejects(
        store.set(id, { data: {}, permanent: false, version: 1, createdAt: 1 }, 60, null),
        (error: unknown) => error instanceof SessionStoreUnavailableError && error.status === 503 && /OOM command not allowed/.test(error.message),
      );
    } finally {
      await admin.command(['CONFIG', 'SET', 'maxmemory', '0']);
    }
    await Promise.all([store.close(), admin.close()]);
  });

  test('RedisSessionStore throws SessionStoreUnavailableError (503) while Redis is down', async () => {
    const store = newStore();
    const id = randomBytes(32).toString('base64url');
    await store.set(id, { data: {}, permanent: false, version: 1, createdAt: 1 }, 60, null);
    await redis.kill();
    await assert.rejects(store.get(id), (error: unknown) => error instanceof SessionStoreUnavailableError && error.status === 503 && /redis at 127\.0\.0\.1/.test(error.message));
    await redis.restart();
    await store.close();
  });
});

describe('RedisSessionStore against a Redis that requires a password it was not given', { skip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis({ password: 'the store was not told' });
  });
  after(() => redis.stop());

  const id = randomBytes(32).toString('base64url');
  const record: SessionRecord = { data: {}, permanent: false, version: 1, createdAt: 1 };
  const methods: readonly { name: string; call: (store: SessionStore) => Promise<unknown> }[] = [
    { name: 'get', call: (store) => store.get(id) },
    { name: 'set', call: (store) => store.set(id, record, 60, null) },
    { name: 'touch', call: (store) => store.touch(id, 60) },
    { name: 'destroy', call: (store) => store.destroy(id) },
  ];

  // Database 0 and no password: no handshake, so Redis's NOAUTH is the reply to the command itself.
  for (const { name, call } of methods) {
    test(`RedisSessionStore.${name}() answers 503 naming NOAUTH when Redis wants a password`, async () => {
      const store = new RedisSessionStore(new RedisClient({ host: '127.0.0.1', port: redis.port }));
      await assert.rejects(call(store), (error: unknown) => error instanceof SessionStoreUnavailableError && error.status === 503 && /NOAUTH Authentication required/.test(error.message));
      await store.close();
    });
  }
});

/** A fake Redis that answers every command with `reply`: the other end is broken, or not Redis. */
async function fakeRedis(reply: string): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    // One reply per command, however the commands arrive (GET and PTTL come in one chunk).
    const decoder = new RespDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const _command of decoder.push(chunk)) socket.write(reply);
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

const strangeReplies: readonly { command: string; reply: string; call: (store: RedisSessionStore) => Promise<unknown>; kind: RegExp }[] = [
  { command: 'GET', reply: ':5\r\n', call: (store) => store.get('a'.repeat(43)), kind: /GET answered with the integer 5/ },
  { command: 'GET', reply: '*0\r\n', call: (store) => store.get('a'.repeat(43)), kind: /GET answered with an array/ },
  { command: 'PTTL', reply: '$2\r\n{}\r\n', call: (store) => store.getWithExpiry('a'.repeat(43)), kind: /PTTL answered with a string/ },
  { command: 'EVALSHA', reply: '+OK\r\n', call: (store) => store.set('a'.repeat(43), { data: {}, permanent: false, version: 1, createdAt: 0 }, 60, null), kind: /EVALSHA answered with a string/ },
  { command: 'EVALSHA', reply: ':7\r\n', call: (store) => store.set('a'.repeat(43), { data: {}, permanent: false, version: 1, createdAt: 0 }, 60, null), kind: /EVALSHA answered with the integer 7/ },
];

for (const { command, reply, call, kind } of strangeReplies) {
  test(`RedisSessionStore answers 503 when ${command} gets ${JSON.stringify(reply.trim())}, a reply it never gives`, async () => {
    const fake = await fakeRedis(reply);
    const store = new RedisSessionStore(new RedisClient({ host: '127.0.0.1', port: fake.port }));
    try {
      await assert.rejects(call(store), (error: unknown) => error instanceof SessionStoreUnavailableError && kind.test(error.message));
    } finally {
      await store.close();
      fake.close();
    }
  });
}
