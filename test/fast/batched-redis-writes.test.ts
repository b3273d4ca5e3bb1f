// Batched Redis writes must send every command, in the order issued, with no command waiting past
// its turn of the event loop, and the session store on a batching client must keep its contract.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer, Socket, type AddressInfo } from 'node:net';
import { after, before, describe, test, type TestContext } from 'node:test';
import { writeInBatches } from '../../src/fast/batched-redis-writes.js';
import { RedisClient } from '../../src/redis/client.js';
import { RespDecoder } from '../../src/redis/resp.js';
import { openSessionBackend } from '../../src/session/backend.js';
import { RedisSessionStore } from '../../src/session/stores/redis.js';
import { testSessionStore } from '../../src/testing/store-contract.js';
import { TEST_COOKIE_SETTINGS, testStoreSettings } from '../helpers/fixtures.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { skipUnlessInstalled } from '../helpers/tools.js';

/** A socket that only records what is done to it. */
class RecordingSocket extends EventEmitter {
  readonly calls: string[] = [];
  cork(): void {
    this.calls.push('cork');
  }
  uncork(): void {
    this.calls.push('uncork');
  }
  write(bytes: Buffer): boolean {
    this.calls.push(`write ${bytes.toString()}`);
    return true;
  }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

test('writeInBatches corks a socket at the first write of a turn and uncorks it once, at the end of the turn, writes in order', async () => {
  const [first, second] = [new RecordingSocket(), new RecordingSocket()];
  for (const word of ['a', 'b', 'c']) writeInBatches(first as unknown as Socket, Buffer.from(word));
  writeInBatches(second as unknown as Socket, Buffer.from('x'));
  await Promise.resolve();
  assert.deepEqual(first.calls, ['cork', 'write a', 'write b', 'write c'], 'still corked after the microtasks of the turn');
  await nextTurn();
  assert.deepEqual(first.calls, ['cork', 'write a', 'write b', 'write c', 'uncork']);
  assert.deepEqual(second.calls, ['cork', 'write x', 'uncork'], 'each socket on its own');
  writeInBatches(first as unknown as Socket, Buffer.from('d'));
  await nextTurn();
  assert.deepEqual(first.calls.slice(5), ['cork', 'write d', 'uncork'], 'a later turn is a new batch');
});

test('writeInBatches on a socket destroyed while corked throws nothing, then or at the end of the turn', async () => {
  const socket = new Socket();
  socket.on('error', () => {});
  writeInBatches(socket, Buffer.from('*1\r\n$4\r\nPING\r\n'));
  socket.destroy();
  await nextTurn();
  await nextTurn();
});

/** A Redis that answers each command with its own second argument, as an integer, and counts the chunks it read. */
async function echoRedis(context: TestContext): Promise<{ port: number; chunks: () => number }> {
  let chunks = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const decoder = new RespDecoder();
    socket.on('data', (chunk: Buffer) => {
      chunks += 1;
      for (const command of decoder.push(chunk)) socket.write(`:${String((command as readonly unknown[])[1])}\r\n`);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  context.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, chunks: () => chunks };
}

test('a client writing in batches sends the commands of one turn as one chunk, and matches every reply to its command', async (context) => {
  const redis = await echoRedis(context);
  const client = new RedisClient({ host: '127.0.0.1', port: redis.port, write: writeInBatches });
  context.after(() => client.close());
  await client.command(['ECHO', -1]); // connected
  const before = redis.chunks();
  const replies = await Promise.all(Array.from({ length: 100 }, (_, index) => client.command(['ECHO', index])));
  assert.deepEqual(replies, Array.from({ length: 100 }, (_, index) => index));
  assert.equal(redis.chunks() - before, 1, 'a hundred commands, one write');
  // Issued from an immediate (the phase that uncorks) and from a timer: each still leaves within a turn.
  assert.equal(await new Promise((resolve, reject) => setImmediate(() => client.command(['ECHO', 7]).then(resolve, reject))), 7);
  assert.equal(await new Promise((resolve, reject) => setTimeout(() => client.command(['ECHO', 8]).then(resolve, reject), 1)), 8);
});

const skip = skipUnlessInstalled('redis-server', 'redis-server');

describe('RedisSessionStore on a client writing in batches', { skip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.stop());

  testSessionStore('RedisSessionStore, batched writes', () => new RedisSessionStore(new RedisClient({ host: '127.0.0.1', port: redis.port, write: writeInBatches })), { realTime: true });

  test('openSessionBackend() gives the Redis store a batching client unless SESSION_MEMO=false, and the same sessions either way', async () => {
    const seen: string[] = [];
    // What shows the batching from outside: whether the client's socket is ever corked.
    let corks = 0;
    const cork = Socket.prototype.cork;
    Socket.prototype.cork = function (this: Socket) {
      corks += 1;
      cork.call(this);
    };
    const corked: boolean[] = [];
    for (const memo of [true, false]) {
      corks = 0;
      const backend = await openSessionBackend({ cookie: TEST_COOKIE_SETTINGS, store: testStoreSettings({ type: 'redis', redis: { host: '127.0.0.1', port: redis.port, db: 0 }, memo }), secrets: ['current-key'] });
      const login = await backend.sessions.open(undefined);
      login.session.set('username', `alice-${memo}`);
      const sent = String((await backend.sessions.commit(login, { status: 200, headers: {}, body: '' })).headers['set-cookie']).split(';')[0]!;
      const loaded = await Promise.all(Array.from({ length: 20 }, () => backend.sessions.open(sent)));
      seen.push(...new Set(loaded.map((one) => String(one.session.get('username')))));
      corked.push(corks > 0);
      await backend.close();
    }
    Socket.prototype.cork = cork;
    assert.deepEqual(seen, ['alice-true', 'alice-false']);
    assert.deepEqual(corked, [true, false]);
  });
});
