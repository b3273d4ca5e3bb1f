/**
 * Benchmark: GET / with a valid session, in every SESSION_TYPE, against cookie sessions in the same run.
 *
 *   npm run bench:session-types            (needs redis-server for the redis row; skipped otherwise)
 *
 * Each mode runs the real server (dist/server.js) in a child process, pinned to CPU 0 with taskset
 * where available, while this process generates load from the other core. The table gives
 * requests per second, latency, and the ratio to cookie mode measured minutes earlier on the same
 * machine: absolute numbers depend on the machine, ratios much less.
 *
 * It then measures the memory store's heap use at 100,000 sessions (bytes per session).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryStoreBytesPerSession } from './memory-store-heap.js';
import { hasTool, runLoad, startBenchRedis, temporaryDirectory, type LoadResult } from './load.js';

const SERVER = fileURLToPath(new URL('../../dist/server.js', import.meta.url));
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 32);

async function startServer(env: Record<string, string>): Promise<{ url: string; stop: () => Promise<void> }> {
  const command = hasTool('taskset') ? ['taskset', '-c', '0', process.execPath, SERVER] : [process.execPath, SERVER];
  const child = spawn(command[0]!, command.slice(1), {
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', ACCESS_LOG: 'false', SECRET_KEY: 'benchmark-secret-key-of-at-least-32-bytes', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)\//.exec(output);
      if (match !== null) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  return { url, stop: () => new Promise((resolve) => (child.kill('SIGTERM'), child.once('exit', () => resolve()))) };
}


async function measure(name: string, env: Record<string, string>): Promise<LoadResult & { name: string }> {
  const server = await startServer(env);
  try {
    // Log in as a browser does: fetch the form for its CSRF token and cookie, then post it.
    const form = await fetch(`${server.url}/login`);
    const token = /name="csrf_token" value="([^"]+)"/.exec(await form.text())![1]!;
    const login = await fetch(`${server.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.headers.getSetCookie()[0]!.split(';')[0]! },
      body: `username=benchmark&csrf_token=${token}`,
    });
    const cookie = login.headers.getSetCookie().find((line) => line.startsWith('session='))!.split(';')[0]!;
    await runLoad(`${server.url}/`, { connections: CONNECTIONS, seconds: 1, headers: { cookie } }); // warm-up
    return { name, ...(await runLoad(`${server.url}/`, { connections: CONNECTIONS, seconds: SECONDS, headers: { cookie } })) };
  } finally {
    await server.stop();
  }
}

const redis = await startBenchRedis();
const directory = join(temporaryDirectory('bench-fs-'), 'sessions');
const rows = [await measure('cookie (baseline)', { SESSION_TYPE: 'cookie' }), await measure('memory', { SESSION_TYPE: 'memory' })];
rows.push(await measure('filesystem', { SESSION_TYPE: 'filesystem', SESSION_FILE_DIR: directory }));
if (redis !== null) rows.push(await measure('redis', { SESSION_TYPE: 'redis', SESSION_REDIS_URL: redis.url }));
redis?.stop();

const baseline = rows[0]!.requestsPerSecond;
console.log(`GET / with a valid volatile session, ${CONNECTIONS} keep-alive connections, ${SECONDS} s each${hasTool('taskset') ? ', server pinned to CPU 0' : ''}`);
console.log('mode                 req/s     p50 ms   p99 ms   errors   ratio to cookie');
for (const row of rows) {
  console.log(
    `${row.name.padEnd(18)} ${row.requestsPerSecond.toFixed(0).padStart(7)} ${row.p50Ms.toFixed(2).padStart(10)} ${row.p99Ms.toFixed(2).padStart(8)} ${String(row.errors).padStart(8)}   ${(row.requestsPerSecond / baseline).toFixed(2)}x`,
  );
}
if (redis === null) console.log('redis: skipped, redis-server is not installed');
console.log(`memory store: ${(await memoryStoreBytesPerSession(100_000)).toFixed(0)} bytes of heap per session at 100,000 sessions`);
