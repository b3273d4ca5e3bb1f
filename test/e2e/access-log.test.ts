// The access log of the real server, written in batches (src/fast/buffered-log.ts): whatever stdout
// is (a file, as in production, or a pipe) and however the process stops (SIGTERM, SIGINT, or a
// process.exit() that skips the graceful stop), every request has its line, whole and in order.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TEST_SECRET_KEY } from '../helpers/server.js';

const SERVER = fileURLToPath(new URL('../../src/server.js', import.meta.url));
const ACCESS_LINE = /^GET \/line-(\d+) 404 \d+\.\dms$/;

interface Started {
  readonly url: string;
  /** Everything the server wrote to stdout so far. */
  stdout(): string;
  readonly exit: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Starts the built server with stdout to a file or to a pipe that this test reads. `preload` is
 * a module run before the server (node --import), for a test that needs a hook inside the process.
 */
async function startServer(stdout: 'file' | 'pipe', env: Record<string, string> = {}, preload?: string): Promise<Started> {
  const directory = mkdtempSync(join(tmpdir(), 'scratchpad-access-log-'));
  const file = join(directory, 'stdout');
  const fd = stdout === 'file' ? openSync(file, 'w') : null;
  const args = preload === undefined ? [SERVER] : ['--import', preload, SERVER];
  const child = spawn(process.execPath, args, {
    cwd: directory,
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', SECRET_KEY: TEST_SECRET_KEY, ...env },
    stdio: ['ignore', fd ?? 'pipe', 'pipe'],
  });
  if (fd !== null) closeSync(fd);
  let piped = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (piped += chunk));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  const read = () => (fd === null ? piped : readFileSync(file, 'utf8'));
  for (let waited = 0; waited < 15_000; waited += 20) {
    const match = /listening on (http:\/\/\S+)\//.exec(read());
    if (match !== null) return { url: match[1]!, stdout: read, exit, kill: (signal) => child.kill(signal) };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`no start-up line; stdout: ${read()}; stderr: ${stderr}`);
}

/** GET on a connection of its own, waiting for the whole answer. */
function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

/** Sends `/line-0` … `/line-(count-1)`, `parallel` at a time, each batch finished before the next. */
async function sendRequests(url: string, count: number, parallel = 1): Promise<void> {
  for (let first = 0; first < count; first += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - first) }, (_, index) => get(`${url}/line-${first + index}`));
    for (const status of await Promise.all(batch)) assert.equal(status, 404);
  }
}

/** The access lines of the output, after checking that every line of it is a line we know, whole. */
function accessLines(stdout: string): string[] {
  const lines = stdout.split('\n');
  assert.equal(lines.pop(), '', 'the output ends with a whole line');
  for (const line of lines) assert.ok(ACCESS_LINE.test(line) || line.startsWith('Scratchpad listening on') || line.startsWith('scratchpad: '), `a line cut or mixed: ${JSON.stringify(line)}`);
  return lines.filter((line) => ACCESS_LINE.test(line));
}

const numbers = (lines: string[]) => lines.map((line) => Number(ACCESS_LINE.exec(line)![1]));
const upTo = (count: number) => Array.from({ length: count }, (_, index) => index);

for (const stdout of ['file', 'pipe'] as const) {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`stdout to a ${stdout}: after ${signal}, exactly one access line per request, in order`, async () => {
      const server = await startServer(stdout);
      await sendRequests(server.url, 300);
      server.kill(signal);
      assert.equal(await server.exit, 0);
      assert.deepEqual(numbers(accessLines(server.stdout())), upTo(300));
    });
  }

  test(`stdout to a ${stdout}: a process.exit() that skips the graceful stop still writes every line`, async () => {
    // A hook inside the server's process: SIGUSR2 ends it at once, as a bare process.exit() anywhere would.
    const preload = join(mkdtempSync(join(tmpdir(), 'scratchpad-preload-')), 'exit-on-usr2.mjs');
    writeFileSync(preload, "process.on('SIGUSR2', () => process.exit(0));\n");
    const server = await startServer(stdout, {}, preload);
    // In parallel and then at once: the last lines are still in the buffer (under 100 ms, under 4 KiB) when the signal comes.
    await sendRequests(server.url, 120, 20);
    server.kill('SIGUSR2');
    assert.equal(await server.exit, 0);
    const lines = accessLines(server.stdout());
    assert.doesNotMatch(server.stdout(), /finishing requests in flight/, 'the graceful stop did not run');
    assert.deepEqual([...numbers(lines)].sort((a, b) => a - b), upTo(120));
  });

  test(`stdout to a ${stdout}: WORKERS=2 write whole lines, never one worker's line inside another's`, async () => {
    const server = await startServer(stdout, { WORKERS: '2' });
    await sendRequests(server.url, 600, 25);
    server.kill('SIGTERM');
    assert.equal(await server.exit, 0);
    // Two workers, two buffers: the order between them is not defined, every line is.
    assert.deepEqual([...numbers(accessLines(server.stdout()))].sort((a, b) => a - b), upTo(600));
  });
}

test('ACCESS_LOG_BUFFER=false writes each line at once, in the same format', async () => {
  const server = await startServer('file', { ACCESS_LOG_BUFFER: 'false' });
  await sendRequests(server.url, 3);
  // No batch to wait for, and no stop needed to see them.
  for (let waited = 0; waited < 1_000 && accessLines(server.stdout()).length < 3; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(numbers(accessLines(server.stdout())), upTo(3));
  server.kill('SIGTERM');
  assert.equal(await server.exit, 0);
});

for (const buffer of ['true', 'false']) {
  test(`ACCESS_LOG_BUFFER=${buffer}: a reader of stdout that goes away (EPIPE) does not stop the server; it says so once`, async () => {
    const child = spawn(process.execPath, [SERVER], {
      cwd: mkdtempSync(join(tmpdir(), 'scratchpad-epipe-')),
      env: { PATH: process.env['PATH'] ?? '', PORT: '0', SECRET_KEY: TEST_SECRET_KEY, ACCESS_LOG_BUFFER: buffer },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exit = once(child, 'exit');
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    for (let waited = 0; waited < 15_000 && !/listening on (http:\/\/\S+)\//.test(stdout); waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    const url = /listening on (http:\/\/\S+)\//.exec(stdout)![1]!;
    child.stdout!.destroy(); // the reader goes away
    for (let round = 0; round < 3; round += 1) {
      await sendRequests(url, 20, 10);
      await new Promise((resolve) => setTimeout(resolve, 150)); // past the buffered log's interval: its batch is written and fails
    }
    assert.equal(await get(`${url}/line-0`), 404, 'still serving');
    child.kill('SIGTERM');
    const [code] = await exit;
    assert.equal(code, 0);
    assert.equal(stderr.match(/cannot write to stdout any more/g)?.length, 1, stderr);
  });
}
