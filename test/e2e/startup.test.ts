// The entry point as a user runs it: `node server.js` in a child process, configured by environment.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runServer, urlOf } from '../helpers/process.js';
import { csrfFor, get, postForm, sessionCookieFrom, TEST_SECRET_KEY } from '../helpers/server.js';

test('PORT=0 picks a free port, the startup line prints the real URL, and SIGTERM exits 0', async () => {
  const child = runServer({ PORT: '0', SECRET_KEY: TEST_SECRET_KEY });
  const url = await urlOf(child);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.doesNotMatch(url, /:0$/);
  assert.match(await (await get(url)).text(), /You are not logged in/);
  child.process.kill('SIGTERM');
  assert.equal(await child.exit, 0);
  assert.match(child.stdout, /^GET \/ 200 \d+\.\dms$/m, 'one access-log line per request');
  assert.match(child.stdout, /SIGTERM received, finishing requests in flight/);
});

test('SIGINT lets a request in flight finish before exiting 0', async () => {
  const child = runServer({ PORT: '0', SECRET_KEY: TEST_SECRET_KEY });
  const url = await urlOf(child);
  const { port } = new URL(url);
  const csrf = await csrfFor(url);
  const body = `csrf_token=${csrf.token}&username=alice`;
  const socket = connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk.toString()));
  socket.write(`POST /login HTTP/1.1\r\nHost: x\r\nCookie: ${csrf.cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  child.process.kill('SIGINT');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(child.process.exitCode, null, 'still running while the request is unfinished');
  socket.write(body.slice(10));
  await once(socket, 'close');
  assert.match(answer, /^HTTP\/1\.1 303 See Other\r\n/);
  assert.match(answer, /\r\nconnection: close\r\n/i);
  assert.equal(await child.exit, 0);
});

const badConfigurations: readonly { env: Record<string, string>; message: RegExp }[] = [
  { env: { PORT: 'abc' }, message: /configuration error: PORT must be a whole number from 0 to 65535, got "abc"/ },
  { env: { SESSION_COOKIE_SAMESITE: 'None' }, message: /SESSION_COOKIE_SAMESITE must be Strict or Lax unless SESSION_COOKIE_SECURE=true or TLS is on/ },
  { env: { NODE_ENV: 'production', SECRET_KEY: '' }, message: /SECRET_KEY must be a random string of at least 32 bytes/ },
  { env: { PERMANENT_SESSION_LIFETIME: 'forever' }, message: /PERMANENT_SESSION_LIFETIME must be a whole number/ },
];

for (const { env, message } of badConfigurations) {
  test(`bad configuration ${JSON.stringify(env)} stops the server at start with exit code 2`, async () => {
    const child = runServer({ SECRET_KEY: TEST_SECRET_KEY, PORT: '0', ...env });
    assert.equal(await child.exit, 2);
    assert.match(child.stderr, message);
    assert.doesNotMatch(child.stdout, /listening/);
  });
}

test('a port already in use stops the server with a message naming HOST and PORT', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address() as AddressInfo;
  const child = runServer({ PORT: String(port), SECRET_KEY: TEST_SECRET_KEY });
  assert.equal(await child.exit, 1);
  assert.match(child.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*\\(set HOST or PORT\\)`));
  blocker.close();
});

test('without SECRET_KEY a development key is generated, kept, and logins survive a restart', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'scratchpad-devkey-'));
  const first = runServer({ PORT: '0' }, cwd);
  const cookie = sessionCookieFrom(await postForm(`${await urlOf(first)}/login`, { username: 'alice', remember: 'on' }))!;
  assert.match(first.stderr, /warning: SECRET_KEY is not set: using the development key in .*\.scratchpad-dev-key/);
  first.process.kill('SIGTERM');
  assert.equal(await first.exit, 0);

  const second = runServer({ PORT: '0' }, cwd);
  assert.match(await (await get(await urlOf(second), cookie)).text(), /Logged in as <strong>alice<\/strong>/);
  second.process.kill('SIGTERM');
  assert.equal(await second.exit, 0);
});

test('ACCESS_LOG=false turns the access log off', async () => {
  const child = runServer({ PORT: '0', SECRET_KEY: TEST_SECRET_KEY, ACCESS_LOG: 'false' });
  await get(await urlOf(child));
  child.process.kill('SIGTERM');
  assert.equal(await child.exit, 0);
  assert.doesNotMatch(child.stdout, /^GET \//m);
});

test('a session store that cannot be opened stops the server with a message naming it', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'scratchpad-start-')), 'not-a-directory');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, '');
  const child = runServer({ PORT: '0', SECRET_KEY: TEST_SECRET_KEY, SESSION_TYPE: 'filesystem', SESSION_FILE_DIR: file });
  assert.equal(await child.exit, 1);
  assert.match(child.stderr, /cannot open the filesystem session store: .*(EEXIST|not a directory)/);
});

test('SESSION_FILE_DIR writable by other users stops the server at start with exit code 2', async () => {
  const directory = join(mkdtempSync(join(tmpdir(), 'scratchpad-start-')), 'sessions');
  const { chmodSync, mkdirSync, statSync } = await import('node:fs');
  mkdirSync(directory);
  chmodSync(directory, 0o777);
  const child = runServer({ PORT: '0', SECRET_KEY: TEST_SECRET_KEY, SESSION_TYPE: 'filesystem', SESSION_FILE_DIR: directory });
  // Raced against the start-up line, so that a server which accepts the directory fails the test at once.
  const outcome = await Promise.race([child.exit, urlOf(child).then(() => 'listening')]);
  if (outcome === 'listening') child.process.kill('SIGTERM');
  assert.equal(outcome, 2);
  assert.match(child.stderr, /configuration error: SESSION_FILE_DIR must be a directory owned by this user and writable by no one else \(chmod 700\)/);
  assert.ok(child.stderr.includes(`(mode 0777)`) && child.stderr.includes(`chmod 700 ${JSON.stringify(directory)}`), child.stderr);
  assert.doesNotMatch(child.stdout, /listening/);
  assert.equal(statSync(directory).mode & 0o777, 0o777, 'refused, not silently repaired');
});

test('WORKERS=2 serves one port from two processes, sessions work across them, and SIGTERM exits 0', async () => {
  const child = runServer({ PORT: '0', SECRET_KEY: TEST_SECRET_KEY, WORKERS: '2', ACCESS_LOG: 'false' });
  const url = await urlOf(child);
  assert.match(child.stdout, /listening on http:\/\/127\.0\.0\.1:\d+\/ with 2 workers/);
  assert.equal(child.stdout.match(/listening on/g)?.length, 1, 'one start-up line for the cluster, from the primary');
  const cookie = sessionCookieFrom(await postForm(`${url}/login`, { username: 'alice' }))!;
  const pages = await Promise.all(Array.from({ length: 20 }, async () => (await get(url, cookie)).text()));
  for (const page of pages) assert.match(page, /Logged in as <strong>alice<\/strong>/);
  child.process.kill('SIGTERM');
  assert.equal(await child.exit, 0);
  assert.match(child.stdout, /SIGTERM received, stopping 2 workers/);
});

test('WORKERS with a memory store stops at start and says why', async () => {
  const child = runServer({ PORT: '0', SECRET_KEY: TEST_SECRET_KEY, WORKERS: '2', SESSION_TYPE: 'memory' });
  assert.equal(await child.exit, 2);
  assert.match(child.stderr, /WORKERS must be 1 when SESSION_TYPE=memory: each worker would keep its own sessions/);
});

test('WORKERS=2 on a port in use stops the whole cluster with the workers\' exit code', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address() as AddressInfo;
  const child = runServer({ PORT: String(port), SECRET_KEY: TEST_SECRET_KEY, WORKERS: '2' });
  assert.equal(await child.exit, 1);
  assert.match(child.stderr, /EADDRINUSE/);
  blocker.close();
});

test('WORKERS=2 replaces a worker that dies, and keeps serving meanwhile', async () => {
  const child = runServer({ PORT: '0', SECRET_KEY: TEST_SECRET_KEY, WORKERS: '2', ACCESS_LOG: 'false' });
  const url = await urlOf(child);
  // The start-up line comes once every worker listens: only then is a dying worker replaced (one
  // that dies during start-up stops the cluster).
  const workers = () => execFileSync('pgrep', ['-P', String(child.process.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
  const [victim] = workers();
  process.kill(victim!, 'SIGKILL');
  // Generous bounds (the loops end as soon as the condition holds): the full suite runs test files
  // in parallel on two cores, and a worker's start-up can then take seconds.
  for (let waited = 0; waited < 15_000 && !/starting another/.test(child.stderr); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.match(child.stderr, /worker \d died \(SIGKILL\); starting another/);
  for (let waited = 0; waited < 15_000 && (workers().length < 2 || workers().includes(victim!)); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(workers().length, 2);
  assert.equal((await get(url)).status, 200);
  child.process.kill('SIGTERM');
  assert.equal(await child.exit, 0);
});
