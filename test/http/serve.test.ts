import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Reply } from '../../src/http/reply.js';
import { sendRaw } from '../helpers/raw.js';
import { closeGracefully, createHttpServer, SERVER_LIMITS, type Application, type ServerLimits } from '../../src/http/serve.js';

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
