import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import type { Reply } from '../../src/http/reply.js';
import { makeCertificate } from '../helpers/certificate.js';
import { sendRaw } from '../helpers/raw.js';
import { closeGracefully, createHttpServer, escapeForLog, formatAccessLine, SERVER_LIMITS, type AccessEntry, type Application, type ServerLimits } from '../../src/http/serve.js';

async function listen(
  application: Application,
  accessLog: string[] | null = [],
  errorLog: string[] = [],
  limits: Partial<ServerLimits> = {},
): Promise<{ server: Server; url: string }> {
  const server = createHttpServer(application, {
    accessLog: accessLog === null ? null : (line) => accessLog.push(line),
    errorLog: (message) => errorLog.push(message),
    limits,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const hello: Application = async () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'héllo' });


test('createHttpServer() writes the reply with a byte-accurate Content-Length', async () => {
  const { server, url } = await listen(hello);
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-length'), '6'); // "é" is two bytes in UTF-8
  assert.equal(await response.text(), 'héllo');
  server.close();
});

test('createHttpServer() answers HEAD with the headers of GET and no body', async () => {
  const { server, url } = await listen(hello);
  const answer = await sendRaw(url, 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(answer, /content-length: 6\r\n/i);
  assert.ok(answer.endsWith('\r\n\r\n'), 'nothing follows the headers');
  server.close();
});

test('createHttpServer() logs one access line per request, with the note', async () => {
  const lines: string[] = [];
  const { server, url } = await listen(async () => ({ status: 204, headers: {}, body: '', logNote: 'session cookie rejected: x' }), lines);
  await fetch(`${url}/path?query=hidden`);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^GET \/path 204 \d+\.\dms session cookie rejected: x$/);
  server.close();
});

test('createHttpServer() hands the entry, not a line, to accessEntries, and then does not call accessLog', async (t) => {
  const entries: AccessEntry[] = [];
  const lines: string[] = [];
  const server = createHttpServer(async () => ({ status: 303, headers: { location: '/' }, body: '', logNote: 'a note' }), {
    accessLog: (line) => lines.push(line),
    accessEntries: (entry) => entries.push(entry),
    errorLog: () => {},
  });
  t.after(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/path?query=kept`, { method: 'POST', redirect: 'manual' });
  assert.equal(entries.length, 1);
  const { milliseconds, ...rest } = entries[0]!;
  assert.deepEqual(rest, { method: 'POST', target: '/path?query=kept', status: 303, note: 'a note' });
  assert.ok(milliseconds > 0 && milliseconds < 5_000, `${milliseconds} ms: the time the request took, measured`);
  assert.deepEqual(lines, [], 'one log, not both');
});

const accessLines: readonly { entry: AccessEntry; want: string }[] = [
  { entry: { method: 'GET', target: '/', status: 200, milliseconds: 1.44, note: undefined }, want: 'GET / 200 1.4ms' },
  { entry: { method: 'GET', target: '/path?token=secret#x', status: 404, milliseconds: 0.05, note: undefined }, want: 'GET /path 404 0.1ms' },
  { entry: { method: 'POST', target: '/login', status: 303, milliseconds: 12.96, note: 'a note' }, want: 'POST /login 303 13.0ms a note' },
  { entry: { method: 'GET', target: '/a\u2028b', status: 200, milliseconds: 0, note: 'session cookie rejected: \x1b[31m' }, want: 'GET /a\\u2028b 200 0.0ms session cookie rejected: \\x1b[31m' },
];

for (const { entry, want } of accessLines) {
  test(`formatAccessLine() writes ${JSON.stringify(want)}`, () => {
    assert.equal(formatAccessLine(entry), want);
  });
}

test('createHttpServer() logs nothing when the access log is off', async () => {
  const { server, url } = await listen(hello, null);
  assert.equal((await fetch(url)).status, 200);
  server.close();
});

test('createHttpServer() turns a bug into a bare 500 and logs the stack, not the client', async () => {
  const errors: string[] = [];
  const { server, url } = await listen(async () => {
    throw new Error('secret internal detail');
  }, [], errors);
  const response = await fetch(url);
  assert.equal(response.status, 500);
  assert.equal(await response.text(), 'Internal Server Error\n');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /secret internal detail/);
  assert.match(errors[0]!, /at /, 'the stack is logged');
  server.close();
});

test('createHttpServer() logs a thrown non-Error too', async () => {
  const errors: string[] = [];
  const { server, url } = await listen(() => Promise.reject('plain string'), [], errors);
  assert.equal((await fetch(url)).status, 500);
  assert.match(errors[0]!, /plain string/);
  server.close();
});

test('createHttpServer() applies the documented limits', async () => {
  const { server } = await listen(hello);
  assert.equal(server.headersTimeout, SERVER_LIMITS.headersTimeoutMs);
  assert.equal(server.requestTimeout, SERVER_LIMITS.requestTimeoutMs);
  assert.equal(server.keepAliveTimeout, SERVER_LIMITS.keepAliveTimeoutMs);
  server.close();
});

test('createHttpServer() answers 408 to a client too slow to send its request (slowloris)', async () => {
  const { server, url } = await listen(hello, [], [], { headersTimeoutMs: 200, requestTimeoutMs: 300, timeoutCheckIntervalMs: 100 });
  const { port } = new URL(url);
  const started = Date.now();
  const answer = await new Promise<string>((resolve) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n'));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('close', () => resolve(text));
  });
  assert.match(answer, /^HTTP\/1\.1 408 /);
  assert.ok(Date.now() - started < 5_000);
  server.close();
});

test('createHttpServer() answers 431 to headers over the limit', async () => {
  const { server, url } = await listen(hello);
  const answer = await sendRaw(url, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(SERVER_LIMITS.maxHeaderSize)}\r\n\r\n`);
  assert.match(answer, /^HTTP\/1\.1 431 /);
  server.close();
});

test('closeGracefully() lets a request in flight finish, closes the connection, and resolves true', async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const inFlight = new Promise<void>((resolve) => (started = resolve));
  const { server, url } = await listen(async (): Promise<Reply> => {
    started();
    await held;
    return { status: 200, headers: {}, body: 'finished' };
  });
  const pending = fetch(url);
  await inFlight;
  const closing = closeGracefully(server, 5_000);
  assert.equal(server.listening, false, 'no longer accepting');
  await assert.rejects(fetch(url), 'a new connection is refused');
  release();
  const response = await pending;
  assert.equal(await response.text(), 'finished');
  assert.equal(response.headers.get('connection'), 'close');
  assert.equal(await closing, true);
});

test('closeGracefully() cuts connections still open after the grace period and resolves false', async () => {
  const { server, url } = await listen(() => new Promise<Reply>(() => {}));
  const pending = fetch(url).catch((error: unknown) => error);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(await closeGracefully(server, 50), false);
  assert.ok((await pending) instanceof Error, 'the client sees the connection cut');
});

test('createHttpServer() answers a reply that Node refuses to write with a 500, logs it, and serves the next request', async () => {
  const errors: string[] = [];
  const lines: string[] = [];
  let calls = 0;
  const { server, url } = await listen(
    async (): Promise<Reply> => {
      calls += 1;
      // A character above U+00FF in a header value: writeHead() throws ERR_INVALID_CHAR.
      if (calls === 1) return { status: 303, headers: { 'set-cookie': ['session=attacker'], location: '/\u0100' }, body: '' };
      return { status: 200, headers: {}, body: 'still here' };
    },
    lines,
    errors,
  );
  const refused = await fetch(url, { redirect: 'manual' });
  assert.equal(refused.status, 500);
  assert.equal(refused.statusText, 'Internal Server Error', 'not the refused 303\'s "See Other"');
  assert.equal(await refused.text(), 'Internal Server Error\n');
  assert.deepEqual(refused.headers.getSetCookie(), [], 'nothing of the refused reply rides on the 500');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /ERR_INVALID_CHAR|Invalid character/);
  assert.match(lines[0]!, /^GET \/ 500 /);
  const next = await fetch(url);
  assert.equal(next.status, 200);
  assert.equal(await next.text(), 'still here');
  server.close();
});

test('createHttpServer() survives an error log that throws: the client still gets a 500', async () => {
  const server = createHttpServer(
    async () => {
      throw new Error('bug');
    },
    {
      accessLog: null,
      errorLog: () => {
        throw new Error('the log is broken too');
      },
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  assert.equal((await fetch(url)).status, 500);
  assert.equal((await fetch(url)).status, 500, 'and the next request too');
  server.close();
});

const logEscapes: readonly { text: string; want: string }[] = [
  { text: 'GET / 200 1.0ms', want: 'GET / 200 1.0ms' },
  { text: 'a\nb\r\nc', want: 'a\\x0ab\\x0d\\x0ac' },
  { text: '\x00\x1b[31m\x7f', want: '\\x00\\x1b[31m\\x7f' },
  { text: 'C1: \x85 \x9b \x9f', want: 'C1: \\x85 \\x9b \\x9f' },
  { text: 'separators: \u2028 \u2029', want: 'separators: \\u2028 \\u2029' },
  { text: 'a backslash: \\x0a', want: 'a backslash: \\\\x0a' },
  { text: 'not controls: é \u00a0 🍪', want: 'not controls: é \u00a0 🍪' },
];

for (const { text, want } of logEscapes) {
  test(`escapeForLog(${JSON.stringify(text)})`, () => {
    assert.equal(escapeForLog(text), want);
  });
}

test('createHttpServer() writes raw control bytes of a request into the access and error logs only as escapes', async () => {
  const lines: string[] = [];
  const errors: string[] = [];
  const { server, url } = await listen(
    async (request): Promise<Reply> => {
      if (request.url === '/fail') throw new Error(`cannot serve ${request.headers['cookie']}`);
      return { status: 200, headers: {}, body: '', logNote: `cookie rejected: ${request.headers['cookie']}` };
    },
    lines,
    errors,
  );
  // Node refuses C0 controls and DEL in a request, but reads header values as Latin-1: raw bytes
  // 0x85 (a line break to some log readers) and 0x9b (a terminal's escape) arrive as U+0085, U+009B.
  const cookie = Buffer.concat([Buffer.from('session=a'), Buffer.from([0x85, 0x9b]), Buffer.from('31mb')]);
  for (const path of ['/', '/fail']) {
    await sendRaw(url, Buffer.concat([Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\nCookie: `), cookie, Buffer.from('\r\nConnection: close\r\n\r\n')]));
  }
  assert.equal(lines.length, 2);
  for (const line of [...lines, errors[0]!.split('\n')[0]!]) assert.doesNotMatch(line, /[\x00-\x1f\x7f-\x9f]/, `no raw control character in ${JSON.stringify(line)}`);
  assert.match(lines[0]!, /^GET \/ 200 .* cookie rejected: session=a\\x85\\x9b31mb$/);
  assert.match(errors[0]!, /^GET \/fail: Error: cannot serve session=a\\x85\\x9b31mb\n    at /);
  server.close();
});

test('createHttpServer() limits open connections per client address, and other clients are still served', async () => {
  const { server, url } = await listen(hello, [], [], { maxConnectionsPerClient: 5 });
  const { port } = new URL(url);
  const open = (localAddress: string): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = connect({ port: Number(port), host: '127.0.0.1', localAddress }, () => resolve(socket));
      socket.on('error', reject);
    });
  const closed = (socket: Socket): Promise<boolean> =>
    new Promise((resolve) => {
      if (socket.destroyed) return resolve(true);
      socket.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 500).unref();
    });
  // Linux routes all of 127/8 to loopback: 127.0.0.2 is the attacker, 127.0.0.3 a good client.
  const attacker = await Promise.all(Array.from({ length: 8 }, () => open('127.0.0.2')));
  for (const socket of attacker) socket.on('error', () => {});
  const verdicts = await Promise.all(attacker.map(closed));
  assert.equal(verdicts.filter((wasClosed) => wasClosed).length, 3, 'the three over the limit were closed at once');
  const good = await open('127.0.0.3');
  const answer = await new Promise<string>((resolve) => {
    let text = '';
    good.on('data', (chunk) => (text += chunk.toString()));
    good.on('close', () => resolve(text));
    good.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  });
  assert.match(answer, /^HTTP\/1\.1 200 OK/);
  // A closed connection frees its place.
  const kept = attacker.filter((socket) => !socket.destroyed);
  assert.equal(kept.length, 5);
  kept[0]!.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const again = await open('127.0.0.2');
  assert.equal(await closed(again), false, 'a place was free again');
  for (const socket of [...kept, again]) socket.destroy();
  server.close();
});

test('createHttpServer() with maxConnectionsPerClient 0 sets no per-client limit', async () => {
  const { server, url } = await listen(hello, [], [], { maxConnectionsPerClient: 0 });
  const { port } = new URL(url);
  const sockets = await Promise.all(
    Array.from({ length: 120 }, () => new Promise<Socket>((resolve) => { const socket = connect(Number(port), '127.0.0.1', () => resolve(socket)); })),
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(sockets.filter((socket) => socket.destroyed).length, 0);
  for (const socket of sockets) socket.destroy();
  server.close();
});

test('createHttpServer() with TLS closes a connection that never finishes its handshake within headersTimeoutMs', async () => {
  const { cert, key } = makeCertificate();
  const server = createHttpServer(hello, {
    accessLog: null,
    errorLog: () => {},
    tls: { cert: readFileSync(cert), key: readFileSync(key) },
    limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, timeoutCheckIntervalMs: 100 },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const started = Date.now();
  // A plain TCP connection that says nothing: Node's own TLS handshake timeout would be 120 s.
  const closed = await new Promise<boolean>((resolve) => {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('close', () => resolve(true));
    setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 5_000).unref();
  });
  server.close();
  assert.ok(closed, 'the server closed the silent connection within 5 s');
  assert.ok(Date.now() - started < 5_000, `closed after ${Date.now() - started} ms`);
});
