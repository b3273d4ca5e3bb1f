import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test, type TestContext } from 'node:test';
import { RedisClient, RedisReplyError, RedisUnavailableError } from '../../src/redis/client.js';
import { RespDecoder } from '../../src/redis/resp.js';
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
    // A command Redis knows, used wrongly: a bug in the command, not Redis refusing to serve.
    await assert.rejects(redisClient.command(['GET']), (error: unknown) => error instanceof RedisReplyError && /wrong number of arguments/i.test(error.message));
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

  test('a database number the server does not have makes Redis unavailable, with the reason', async () => {
    const redisClient = client({ db: 99 });
    await assert.rejects(redisClient.command(['PING']), (error: unknown) => error instanceof RedisUnavailableError && /refused SELECT: ERR DB index is out of range/.test(error.message));
    await redisClient.close();
  });

  test('a client closed while it connects refuses the command it was connecting for', async () => {
    const redisClient = client();
    const pending = redisClient.command(['PING']);
    await redisClient.close();
    await assert.rejects(pending, (error: unknown) => error instanceof RedisUnavailableError && /the client was closed/.test(error.message));
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
    assert.ok(lines.some((line) => /lost the connection to \S+ \(.+\)/.test(line)), 'the log says why the connection was lost');
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

  test('a wrong password makes Redis unavailable, and every fail-fast error after it still names WRONGPASS', async () => {
    const redisClient = new RedisClient({ host: '127.0.0.1', port: redis.port, password: 'wrong' });
    await assert.rejects(redisClient.command(['PING']), (error: unknown) => error instanceof RedisUnavailableError && /refused AUTH: WRONGPASS/.test(error.message));
    // During the backoff no attempt is made, so the reason must come from the last attempt.
    for (let request = 0; request < 3; request += 1) {
      await assert.rejects(
        redisClient.command(['PING']),
        (error: unknown) => error instanceof RedisUnavailableError && /next attempt in \d+ ms/.test(error.message) && /\(last failure: .*WRONGPASS/.test(error.message),
      );
    }
    await redisClient.close();
  });

  test('without the password Redis requires, a command fails as unavailable, naming NOAUTH', async () => {
    // No password means no AUTH in the handshake, so the refusal arrives as the reply to GET.
    const redisClient = new RedisClient({ host: '127.0.0.1', port: redis.port });
    await assert.rejects(redisClient.command(['GET', 'k']), (error: unknown) => error instanceof RedisUnavailableError && /refused GET: NOAUTH/.test(error.message));
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
  await assert.rejects(redisClient.command(['PING']), (error: unknown) => error instanceof RedisUnavailableError && /lost before the reply \(no reply within 100 ms\)/.test(error.message));
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

test('RedisClient reports a refused connection as unavailable, and keeps naming ECONNREFUSED while it fails fast', async (context) => {
  const gone = await fakeRedis(context, () => {});
  gone.close();
  const redisClient = new RedisClient({ host: '127.0.0.1', port: gone.port });
  await assert.rejects(redisClient.command(['PING']), (error: unknown) => error instanceof RedisUnavailableError && /ECONNREFUSED/.test(error.message));
  await assert.rejects(redisClient.command(['PING']), (error: unknown) => error instanceof RedisUnavailableError && /next attempt in \d+ ms/.test(error.message) && /\(last failure: connect ECONNREFUSED/.test(error.message));
  assert.match(redisClient.address, /^127\.0\.0\.1:\d+$/);
});

test('RedisClient survives a reply nested 20,000 arrays deep that ends in garbage: unavailable, then a new connection', async (context) => {
  // A RangeError or any other exception thrown in the socket's 'data' handler would be uncaught
  // and end the process; this listener sees such an exception before anything else does.
  const escaped: unknown[] = [];
  const onUncaught = (error: unknown) => escaped.push(error);
  process.on('uncaughtExceptionMonitor', onUncaught);
  context.after(() => process.off('uncaughtExceptionMonitor', onUncaught));
  let connection = 0;
  const hostile = await fakeRedis(context, (socket) => {
    connection += 1;
    const reply = connection === 1 ? '*1\r\n'.repeat(20_000) + '!\r\n' : '+PONG\r\n';
    socket.on('data', () => socket.write(reply));
  });
  const redisClient = new RedisClient({ host: '127.0.0.1', port: hostile.port });
  await assert.rejects(redisClient.command(['PING']), (error: unknown) => error instanceof RedisUnavailableError && /protocol error: RespProtocolError/.test(error.message));
  assert.equal(await redisClient.command(['PING']), 'PONG', 'the next command reconnects at once, as after an outage');
  assert.equal(hostile.connections(), 2);
  assert.deepEqual(escaped, []);
  await redisClient.close();
});

test('RedisClient fails every command waiting on a connection that sends garbage, all with the same reason', async (context) => {
  const garbage = await fakeRedis(context, (socket) => {
    let commands = 0;
    // Answers once three commands have arrived, so that all three are waiting when the garbage comes.
    socket.on('data', (chunk: Buffer) => {
      commands += chunk.toString().split('PING').length - 1;
      if (commands === 3) socket.write('?\r\n');
    });
  });
  const redisClient = new RedisClient({ host: '127.0.0.1', port: garbage.port });
  const results = await Promise.allSettled([redisClient.command(['PING']), redisClient.command(['PING']), redisClient.command(['PING'])]);
  const messages = results.map((result) => {
    assert.ok(result.status === 'rejected' && result.reason instanceof RedisUnavailableError, String(result));
    return (result.reason as Error).message;
  });
  assert.match(messages[0]!, /lost before the reply \(protocol error: RespProtocolError: unexpected RESP type byte "\?"\)$/);
  assert.deepEqual(new Set(messages).size, 1);
  await redisClient.close();
});

/**
 * Error replies, and whether each one means "Redis will not serve you now" (RedisUnavailableError,
 * a 503 upstream) or "this command is wrong" (RedisReplyError, a bug). The code is the reply's
 * first word: https://redis.io/docs/latest/develop/reference/errors/.
 */
const errorReplies: readonly { reply: string; unavailable: boolean }[] = [
  // Credentials and permissions: the configuration does not match the server's.
  { reply: 'NOAUTH Authentication required.', unavailable: true },
  { reply: 'WRONGPASS invalid username-password pair or user is disabled.', unavailable: true },
  { reply: "NOPERM User app has no permissions to run the 'get' command", unavailable: true },
  // The server's state: starting up, out of memory, unable to save, stuck in a long script.
  { reply: 'LOADING Redis is loading the dataset in memory', unavailable: true },
  { reply: "OOM command not allowed when used memory > 'maxmemory'.", unavailable: true },
  { reply: 'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.', unavailable: true },
  { reply: 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.', unavailable: true },
  // Replication: pointed at a replica, or a primary without enough replicas.
  { reply: "READONLY You can't write against a read only replica.", unavailable: true },
  { reply: "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", unavailable: true },
  { reply: 'NOREPLICAS Not enough good replicas to write.', unavailable: true },
  // Cluster: this client follows no redirects, so a redirect means it was pointed at a cluster.
  { reply: 'MOVED 3999 127.0.0.1:6381', unavailable: true },
  { reply: 'ASK 3999 127.0.0.1:6381', unavailable: true },
  { reply: 'CLUSTERDOWN The cluster is down', unavailable: true },
  { reply: 'TRYAGAIN Multiple keys request during rehashing of slot', unavailable: true },
  // maxclients: the one outage Redis reports under the generic ERR code.
  { reply: 'ERR max number of clients reached', unavailable: true },
  // Bugs: the command itself is wrong, and retrying will not help.
  { reply: "ERR wrong number of arguments for 'get' command", unavailable: false },
  // We send only commands every Redis has: an unknown one was renamed or disabled in its configuration.
  { reply: "ERR unknown command 'EVALSHA', with args beginning with: ", unavailable: true },
  { reply: 'DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.', unavailable: true },
  { reply: 'WRONGTYPE Operation against a key holding the wrong kind of value', unavailable: false },
  { reply: 'NOSCRIPT No matching script. Please use EVAL.', unavailable: false },
  // The code is the whole first word: BUSYKEY (RESTORE onto an existing key) is not BUSY.
  { reply: 'BUSYKEY Target key name already exists.', unavailable: false },
];

/** A fake Redis that answers every command `[name, reply]` with the error reply `-<reply>`. */
function refuseWithReply(socket: Socket): void {
  const decoder = new RespDecoder();
  socket.on('data', (chunk: Buffer) => {
    for (const command of decoder.push(chunk)) socket.write(`-${(command as string[])[1]}\r\n`);
  });
}

for (const { reply, unavailable } of errorReplies) {
  test(`RedisClient treats the error reply ${JSON.stringify(reply)} as ${unavailable ? 'Redis unavailable' : 'a bug in the command'}`, async (context) => {
    const refusing = await fakeRedis(context, refuseWithReply);
    const redisClient = new RedisClient({ host: '127.0.0.1', port: refusing.port });
    await assert.rejects(redisClient.command(['GET', reply]), (error: unknown) => {
      if (unavailable) return error instanceof RedisUnavailableError && error.message === `Redis refused GET: ${reply}`;
      return error instanceof RedisReplyError && error.message === reply;
    });
    await redisClient.close();
  });
}

test('close() lets the process exit at once even when Redis has stopped answering (frozen, or cut off)', async () => {
  // A "Redis" that accepts the connection and then neither answers nor closes: SIGSTOP, a partition.
  const held: Socket[] = [];
  const frozen = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => frozen.listen(0, '127.0.0.1', resolve));
  const { port } = frozen.address() as AddressInfo;
  const client = new URL('../../src/redis/client.js', import.meta.url).href;
  const program = `
    const { RedisClient } = await import(${JSON.stringify(client)});
    const redis = new RedisClient({ host: '127.0.0.1', port: ${port}, commandTimeoutMs: 60000 });
    redis.command(['PING']).catch(() => {});
    setTimeout(() => redis.close(), 200);`;
  const started = Date.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: 'ignore' });
  const exited = await Promise.race([new Promise((resolve) => child.once('exit', () => resolve(true))), new Promise((resolve) => setTimeout(() => resolve(false), 5000))]);
  child.kill('SIGKILL');
  for (const socket of held) socket.destroy();
  frozen.close();
  assert.equal(exited, true, 'the process was still alive 5 s after close(): the socket waited for a goodbye that never comes');
  assert.ok(Date.now() - started < 5000);
});
