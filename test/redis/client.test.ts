import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test, type TestContext } from 'node:test';
import { RedisClient, RedisReplyError, RedisUnavailableError } from '../../src/redis/client.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { skipUnlessInstalled } from '../helpers/tools.js';

const skip = skipUnlessInstalled('redis-server', 'redis-server');

describe('RedisClient against a real redis-server', { skip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.stop());

  const client = (options: Partial<ConstructorParameters<typeof RedisClient>[0]> = {}) => new RedisClient({ host: '127.0.0.1', port: redis.port, ...options });

  test('command() sends a command and resolves with the reply', async () => {
    const redisClient = client();
    assert.equal(await redisClient.command(['PING']), 'PONG');
    assert.equal(await redisClient.command(['SET', 'greeting', 'héllo\r\nwörld']), 'OK');
    assert.equal(await redisClient.command(['GET', 'greeting']), 'héllo\r\nwörld');
    assert.equal(await redisClient.command(['GET', 'missing']), null);
    assert.equal(await redisClient.command(['DEL', 'greeting']), 1);
    await redisClient.close();
  });

  test('command() pipelines: many commands in flight on one connection come back in order', async () => {
    const redisClient = client();
    const replies = await Promise.all(Array.from({ length: 200 }, (_, index) => redisClient.command(['ECHO', `message ${index}`])));
    replies.forEach((reply, index) => assert.equal(reply, `message ${index}`));
    await redisClient.close();
  });

  test('command() rejects an error reply with RedisReplyError and the connection stays usable', async () => {
    const redisClient = client();
    await assert.rejects(redisClient.command(['NOSUCHCOMMAND']), (error: unknown) => error instanceof RedisReplyError && /unknown command/i.test(error.message));
    assert.equal(await redisClient.command(['PING']), 'PONG');
    await redisClient.close();
  });

  test('db selects the database', async () => {
    const one = client({ db: 1 });
    const zero = client();
    await one.command(['SET', 'where', 'db1']);
    assert.equal(await zero.command(['GET', 'where']), null);
    assert.equal(await one.command(['GET', 'where']), 'db1');
    await Promise.all([one.close(), zero.close()]);
  });

  test('a closed client refuses commands', async () => {
    const redisClient = client();
    await redisClient.command(['PING']);
    await redisClient.close();
    await assert.rejects(redisClient.command(['PING']), RedisUnavailableError);
  });

  test('when Redis dies, commands fail fast with RedisUnavailableError, and work again once it is back', async () => {
    const lines: string[] = [];
    const redisClient = client({ log: (line) => lines.push(line) });
    assert.equal(await redisClient.command(['PING']), 'PONG');
    await redis.kill();
    await assert.rejects(redisClient.command(['PING']), RedisUnavailableError);
    const started = Date.now();
    await assert.rejects(redisClient.command(['PING']), RedisUnavailableError);
    assert.ok(Date.now() - started < 100, 'during the backoff a command fails at once');
    await redis.restart();
    let reply: unknown = null;
    for (let attempt = 0; attempt < 60 && reply === null; attempt += 1) {
      reply = await redisClient.command(['PING']).catch(() => null);
      if (reply === null) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(reply, 'PONG');
    assert.ok(lines.some((line) => /lost the connection/.test(line)));
    assert.ok(lines.some((line) => /connected to .* again/.test(line)));
    await redisClient.close();
  });
});

describe('RedisClient with a password', { skip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis({ password: 's3cret pass' });
  });
  after(() => redis.stop());

  test('authenticates with AUTH before the first command', async () => {
    const redisClient = new RedisClient({ host: '127.0.0.1', port: redis.port, password: 's3cret pass' });
    assert.equal(await redisClient.command(['PING']), 'PONG');
    await redisClient.close();
  });

  test('AUTH with username and password (Redis 6 ACL form)', async () => {
    const redisClient = new RedisClient({ host: '127.0.0.1', port: redis.port, username: 'default', password: 's3cret pass' });
    assert.equal(await redisClient.command(['PING']), 'PONG');
    await redisClient.close();
  });

  test('a wrong password makes Redis unavailable, with the reason', async () => {
    const redisClient = new RedisClient({ host: '127.0.0.1', port: redis.port, password: 'wrong' });
    await assert.rejects(redisClient.command(['PING']), (error: unknown) => error instanceof RedisUnavailableError && /AUTH failed/.test(error.message));
    await redisClient.close();
  });
});

/** A TCP server that plays a broken Redis: `behave` decides what it does with each connection. */
async function fakeRedis(context: TestContext, behave: (socket: Socket) => void): Promise<{ port: number; connections: () => number; close: () => void }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    behave(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => {
    for (const socket of sockets) socket.destroy();
    server.close();
  };
  context.after(close);
  return { port: (server.address() as AddressInfo).port, connections: () => connections, close };
}

test('RedisClient gives up on a command that gets no reply, and closes the connection', async (context) => {
  const silent = await fakeRedis(context, () => {});
  const redisClient = new RedisClient({ host: '127.0.0.1', port: silent.port, commandTimeoutMs: 100 });
  await assert.rejects(redisClient.command(['PING']), (error: unknown) => error instanceof RedisUnavailableError && /lost before the reply/.test(error.message));
  await redisClient.close();
});

test('RedisClient drops a connection that speaks something other than RESP', async (context) => {
  const garbage = await fakeRedis(context, (socket) => socket.once('data', () => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n')));
  const redisClient = new RedisClient({ host: '127.0.0.1', port: garbage.port });
  await assert.rejects(redisClient.command(['PING']), RedisUnavailableError);
  await redisClient.close();
});

test('RedisClient drops a connection that sends a reply nobody asked for, and reconnects', async (context) => {
  const chatty = await fakeRedis(context, (socket) => socket.on('data', () => socket.write('+PONG\r\n+EXTRA\r\n')));
  const redisClient = new RedisClient({ host: '127.0.0.1', port: chatty.port });
  assert.equal(await redisClient.command(['PING']), 'PONG');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(await redisClient.command(['PING']), 'PONG');
  assert.equal(chatty.connections(), 2, 'the out-of-step connection was replaced');
  await redisClient.close();
});

test('RedisClient reports a refused connection as unavailable', async (context) => {
  const gone = await fakeRedis(context, () => {});
  gone.close();
  const redisClient = new RedisClient({ host: '127.0.0.1', port: gone.port });
  await assert.rejects(redisClient.command(['PING']), (error: unknown) => error instanceof RedisUnavailableError && /ECONNREFUSED/.test(error.message));
  assert.match(redisClient.address, /^127\.0\.0\.1:\d+$/);
});
