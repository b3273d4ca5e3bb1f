// RedisClient over TLS: against Debian's real redis-server listening for TLS only, against a Node
// TLS server (to see what the client sends in SNI), and against raw TCP listeners that record
// every byte, to prove that a client configured for TLS never says anything in plaintext.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test, type TestContext } from 'node:test';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { RedisClient, RedisUnavailableError, type RedisClientOptions } from '../../src/redis/client.js';
import { parseRedisUrl } from '../../src/redis/redis-url.js';
import { makeCertificate } from '../helpers/certificate.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { skipUnlessInstalled } from '../helpers/tools.js';

/** What a refusal for an untrusted certificate adds: how to trust a private CA. */
const TRUST_HINT = "if Redis's certificate comes from a private CA, trust that CA: SESSION_REDIS_CA_FILE (createSessions' redisCaFile) or NODE_EXTRA_CA_CERTS";

const skip = skipUnlessInstalled('redis-server', 'redis-server');

// The server's certificate is self-signed for 127.0.0.1 only (an IP entry, no DNS name), so it is
// its own CA; `stranger` is another self-signed certificate, a CA that did not sign it.
const certificate = makeCertificate();
const ca = readFileSync(certificate.cert);
const stranger = makeCertificate();

/** Matches a RedisUnavailableError whose message passes `pattern`. */
const unavailable = (pattern: RegExp) => (error: unknown) => error instanceof RedisUnavailableError && pattern.test(error.message);

describe('RedisClient over TLS against a real redis-server', { skip }, () => {
  let redis: RedisServer;
  let plaintext: RedisServer;
  before(async () => {
    [redis, plaintext] = await Promise.all([startRedis({ tls: certificate }), startRedis()]);
  });
  after(() => Promise.all([redis.stop(), plaintext.stop()]));

  const client = (options: Partial<RedisClientOptions> = {}) => new RedisClient({ host: '127.0.0.1', port: redis.port, tls: { ca }, ...options });

  test('commands work over TLS with the CA given, pipelined as over TCP', async () => {
    const redisClient = client();
    assert.equal(await redisClient.command(['PING']), 'PONG');
    assert.equal(await redisClient.command(['SET', 'greeting', 'héllo\r\nwörld']), 'OK');
    assert.equal(await redisClient.command(['GET', 'greeting']), 'héllo\r\nwörld');
    const replies = await Promise.all(Array.from({ length: 200 }, (_, index) => redisClient.command(['ECHO', `message ${index}`])));
    replies.forEach((reply, index) => assert.equal(reply, `message ${index}`));
    assert.equal(redisClient.address, `rediss://127.0.0.1:${redis.port}`, 'the address says TLS');
    await redisClient.close();
  });

  test('a rediss:// URL with a CA file, a password and a database works end to end', async () => {
    const own = await startRedis({ tls: certificate, password: 's3cret pass' });
    try {
      const connection = parseRedisUrl(`rediss://:${encodeURIComponent('s3cret pass')}@127.0.0.1:${own.port}/2`, { caFile: certificate.cert });
      const redisClient = new RedisClient(connection);
      assert.equal(await redisClient.command(['SET', 'where', 'db2']), 'OK');
      assert.equal(await redisClient.command(['GET', 'where']), 'db2');
      await redisClient.close();
      const other = new RedisClient({ ...connection, db: 0 });
      assert.equal(await other.command(['GET', 'where']), null, 'SELECT 2 was sent over TLS too');
      await other.close();
    } finally {
      await own.stop();
    }
  });

  test('a CA that did not sign the certificate is refused: RedisUnavailableError naming TLS and the reason, kept while failing fast', async () => {
    const redisClient = client({ tls: { ca: readFileSync(stranger.cert) } });
    await assert.rejects(redisClient.command(['PING']), unavailable(/^TLS: self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\); if Redis's certificate comes from a private CA, trust that CA: SESSION_REDIS_CA_FILE \(createSessions' redisCaFile\) or NODE_EXTRA_CA_CERTS$/));
    // During the backoff no attempt is made: the reason must come from the last one.
    await assert.rejects(
      redisClient.command(['PING']),
      unavailable(/^cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+ \(last failure: TLS: self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\); if Redis's certificate comes from a private CA, trust that CA: SESSION_REDIS_CA_FILE \(createSessions' redisCaFile\) or NODE_EXTRA_CA_CERTS\); next attempt in \d+ ms$/),
    );
    await redisClient.close();
  });

  test("without a CA, Node's default store is used, and it does not know a self-signed certificate", async () => {
    const redisClient = client({ tls: {} });
    await assert.rejects(redisClient.command(['PING']), unavailable(/TLS: self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)/));
    await redisClient.close();
  });

  test('a certificate for another host name is refused, even from the trusted CA', async () => {
    // The certificate names IP 127.0.0.1 only; "localhost" resolves there but is not in it.
    const byName = client({ host: 'localhost' });
    await assert.rejects(byName.command(['PING']), unavailable(/^TLS: Hostname\/IP does not match certificate's altnames: .*localhost.* \(ERR_TLS_CERT_ALTNAME_INVALID\)$/));
    assert.match(byName.address, /^rediss:\/\/localhost:\d+$/);
    await byName.close();
    // A servername makes the client check that name instead of the address it connects to.
    const renamed = client({ tls: { ca, servername: 'cache.example.com' } });
    await assert.rejects(renamed.command(['PING']), unavailable(/TLS: .*cache\.example\.com.* \(ERR_TLS_CERT_ALTNAME_INVALID\)/));
    await renamed.close();
  });

  test('rediss:// against a plaintext port fails with a TLS reason, within the connect timeout', async () => {
    const redisClient = client({ port: plaintext.port, connectTimeoutMs: 300 });
    const started = Date.now();
    await assert.rejects(redisClient.command(['PING']), unavailable(/^TLS: no handshake within 300 ms \(does this port speak TLS\?/));
    assert.ok(Date.now() - started < 1_000, `failed after ${Date.now() - started} ms`);
    await assert.rejects(redisClient.command(['PING']), unavailable(/last failure: TLS: no handshake/));
    await redisClient.close();
  });

  test('redis:// against the TLS port fails at once, and the message suggests rediss://', async () => {
    const redisClient = client({ tls: null });
    const started = Date.now();
    await assert.rejects(redisClient.command(['PING']), unavailable(/^connection to 127\.0\.0\.1:\d+ lost before the reply \(.*nothing was ever answered on this connection: if that port expects TLS, use rediss:\/\/\)$/));
    assert.ok(Date.now() - started < 1_000, `failed after ${Date.now() - started} ms`);
    assert.equal(redisClient.address, `127.0.0.1:${redis.port}`, 'the address says plaintext');
    await redisClient.close();
    // With a password, AUTH is part of connecting, so the reason is also kept while failing fast.
    const withPassword = client({ tls: null, password: 'secret' });
    await assert.rejects(withPassword.command(['PING']), unavailable(/use rediss:\/\//));
    await assert.rejects(withPassword.command(['PING']), unavailable(/next attempt in \d+ ms/), 'a connect failure: the backoff applies');
    await withPassword.close();
  });
});

/**
 * Runs a RedisClient with `tls: {}` (or the CA in `caFile`) in a new `node`: Node reads
 * NODE_EXTRA_CA_CERTS and NODE_TLS_REJECT_UNAUTHORIZED only as it starts. Prints the reply to a
 * PING, or the error.
 */
async function pingInNewNode(port: number, env: Record<string, string>, caFile = ''): Promise<string> {
  const script = `
    import { readFileSync } from 'node:fs';
    const [clientModule, port, caFile] = process.argv.slice(1);
    const { RedisClient } = await import(clientModule);
    const client = new RedisClient({ host: '127.0.0.1', port: Number(port), tls: caFile === '' ? {} : { ca: readFileSync(caFile) } });
    try {
      console.log(await client.command(['PING']));
    } catch (error) {
      console.log(error.name + ': ' + error.message);
    } finally {
      await client.close();
    }`;
  // PATH and the coverage variable are passed on; nothing else leaks in from the test's environment.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => name === 'PATH' || name === 'NODE_V8_COVERAGE'));
  const clientModule = new URL('../../src/redis/client.js', import.meta.url).href;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, clientModule, String(port), caFile], { env: { ...inherited, ...env } });
  return stdout.trim();
}

describe('RedisClient over TLS with the CA from the environment (a new node process each)', { skip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis({ tls: certificate });
  });
  after(() => redis.stop());

  test('NODE_EXTRA_CA_CERTS adds the CA to the default store: commands work with no CA given', async () => {
    assert.equal(await pingInNewNode(redis.port, { NODE_EXTRA_CA_CERTS: certificate.cert }), 'PONG');
  });

  test('without NODE_EXTRA_CA_CERTS the same client is refused', async () => {
    assert.equal(await pingInNewNode(redis.port, {}), `RedisUnavailableError: TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT); ${TRUST_HINT}`);
  });

  test('a CA given to the client replaces the default store, NODE_EXTRA_CA_CERTS included', async () => {
    assert.match(await pingInNewNode(redis.port, { NODE_EXTRA_CA_CERTS: certificate.cert }, stranger.cert), /^RedisUnavailableError: TLS: .*\(DEPTH_ZERO_SELF_SIGNED_CERT\); if Redis's certificate comes from a private CA/);
  });

  test('NODE_TLS_REJECT_UNAUTHORIZED=0 does not turn verification off', async () => {
    assert.equal(await pingInNewNode(redis.port, { NODE_TLS_REJECT_UNAUTHORIZED: '0' }), `RedisUnavailableError: TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT); ${TRUST_HINT}`);
  });
});

/** A TCP listener that records the bytes of each connection; `answer` may reply to the first chunk. */
async function recorder(context: TestContext, answer?: string): Promise<{ port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const index = received.push(Buffer.alloc(0)) - 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      if (received[index]!.length === 0 && answer !== undefined) socket.write(answer);
      received[index] = Buffer.concat([received[index]!, chunk]);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  context.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, received };
}

/** Commands until `connections` attempts were made, waiting out each backoff; every one must fail. */
async function failRepeatedly(redisClient: RedisClient, received: Buffer[], connections: number, pattern: RegExp): Promise<void> {
  for (let attempt = 0; attempt < 50 && received.length < connections; attempt += 1) {
    await assert.rejects(redisClient.command(['SET', 'session', 'secret-session-data']), unavailable(pattern));
    await new Promise((resolve) => setTimeout(resolve, 60));
  }
  assert.ok(received.length >= connections, `only ${received.length} connections`);
}

/** Each connection began with a TLS handshake record (RFC 8446 §5.1: type 22, version 3.x), and nothing readable ever crossed. */
function assertOnlyTls(received: Buffer[]): void {
  for (const bytes of received) {
    assert.ok(bytes.length > 0 && bytes[0] === 0x16 && bytes[1] === 0x03, `a connection began with ${JSON.stringify(bytes.subarray(0, 16).toString('latin1'))}`);
    const text = bytes.toString('latin1');
    for (const secret of ['hunter2', 'AUTH', 'SELECT', 'secret-session-data', 'PING']) assert.ok(!text.includes(secret), `${secret} was sent in plaintext`);
  }
}

test('RedisClient with tls sends nothing but a TLS hello to a server that never answers, on every attempt', async (context) => {
  const silent = await recorder(context);
  const redisClient = new RedisClient({ host: '127.0.0.1', port: silent.port, password: 'hunter2', db: 3, tls: {}, connectTimeoutMs: 100 });
  await failRepeatedly(redisClient, silent.received, 3, /TLS: no handshake within 100 ms|last failure: TLS: no handshake/);
  assertOnlyTls(silent.received);
  await redisClient.close();
});

test('RedisClient with tls refuses a server that answers the hello in plaintext, naming the TLS error, and never falls back', async (context) => {
  // What a plaintext Redis says to bytes that are not a command.
  const plaintext = await recorder(context, "-ERR unknown command '\\x16\\x03\\x01', with args beginning with: \r\n");
  const redisClient = new RedisClient({ host: '127.0.0.1', port: plaintext.port, password: 'hunter2', tls: {}, connectTimeoutMs: 1_000 });
  const started = Date.now();
  await assert.rejects(redisClient.command(['PING']), unavailable(/^TLS: .+ \(ERR_SSL_[A-Z_]+\)$/));
  assert.ok(Date.now() - started < 1_000, 'an answer that is not TLS fails at once, not at the timeout');
  await failRepeatedly(redisClient, plaintext.received, 3, /TLS: .+ \(ERR_SSL_[A-Z_]+\)/);
  assertOnlyTls(plaintext.received);
  await redisClient.close();
});

test('RedisClient sends the host name in SNI, and no SNI for an IP address (RFC 6066 §3)', async (context) => {
  const named = makeCertificate({ subjectAltName: 'DNS:localhost,IP:127.0.0.1', commonName: 'localhost' });
  const servernames: (string | false)[] = [];
  const server = createTlsServer({ cert: readFileSync(named.cert), key: readFileSync(named.key) }, (socket: TLSSocket) => {
    servernames.push(socket.servername ?? false);
    socket.on('error', () => {});
    socket.on('data', () => socket.write('+PONG\r\n'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  context.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  context.after(() => process.off('warning', onWarning));
  for (const host of ['localhost', '127.0.0.1']) {
    const redisClient = new RedisClient({ host, port, tls: { ca: readFileSync(named.cert) } });
    assert.equal(await redisClient.command(['PING']), 'PONG', host);
    await redisClient.close();
  }
  assert.deepEqual(servernames, ['localhost', false]);
  assert.deepEqual(warnings.filter((warning) => /ServerName|RFC 6066/.test(warning.message)), []);
});
