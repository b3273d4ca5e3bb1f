/**
 * Scale, stated: requests/s and p99 by number of worker processes, and memory by number of
 * sessions and connections.
 *
 *   npm run bench:scale [-- --json scale.json]
 *
 * 1. Throughput: the built server (../../dist/server.js, or BENCH_SERVER) with WORKERS=1, 2 and one
 *    per CPU, for cookie and Redis sessions, serving GET / with a valid session to wrk (50
 *    connections; the built-in generator without wrk). A bare node:http server, one process, is
 *    measured in the same run for scale. BENCH_SECONDS (default 5) and BENCH_ROUNDS (default 3):
 *    the median round is reported, with the range of requests/s.
 * 2. Memory per session: a fresh process fills a MemorySessionStore with 10k, 100k and 1M sessions
 *    (a 10-character username each, as the demo's login stores) and reports RSS and heap growth.
 * 3. Memory per connection: the server's RSS before and after 1,000 idle keep-alive connections,
 *    each having made one request.
 * Needs `node --expose-gc` (the npm script passes it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MemorySessionStore, newSessionId } from '../src/index.js';
import { hasTool, runLoad, runWrk, sessionCookie, startBenchRedis, type LoadResult } from './load.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CONNECTIONS = 50;
const SERVER = process.env['BENCH_SERVER'] ?? fileURLToPath(new URL('../../dist/server.js', import.meta.url));
const BARE = fileURLToPath(new URL('./bare-server.js', import.meta.url));
const KEY = 'benchmark-secret-key-of-at-least-32-bytes';
const args = process.argv.slice(2);

// 2. runs in a child of its own, so that its RSS is the store's and nothing else's.
if (args[0] === '--fill-memory-store') {
  const count = Number(args[1]);
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  const before = process.memoryUsage();
  const store = new MemorySessionStore({ maxEntries: count, sweepIntervalMs: 0 });
  for (let index = 0; index < count; index += 1) {
    const record = { data: { username: `user${String(index).padStart(6, '0')}` }, permanent: false, version: 1, createdAt: 1764000000 };
    void store.set(newSessionId().toString('base64url'), record, 3600, null);
  }
  gc();
  const after = process.memoryUsage();
  console.log(JSON.stringify({ count, rssBytes: after.rss - before.rss, heapBytes: after.heapUsed - before.heapUsed, size: store.size }));
  process.exit(0);
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

interface Running {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts a node script (not pinned: the workers are meant to use every CPU) and waits for its URL. */
async function start(script: string, env: Record<string, string>, urlFrom: (line: string) => string | null): Promise<Running> {
  const child: ChildProcess = spawn(process.execPath, [script], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        const found = urlFrom(line);
        if (found !== null) resolve(found);
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${output}`)));
  });
  return { url, pid: child.pid!, stop: () => new Promise((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))) };
}

const startScratchpad = (env: Record<string, string>) =>
  start(SERVER, { PORT: '0', ACCESS_LOG: 'false', SECRET_KEY: KEY, ...env }, (line) => /listening on (http:\/\/\S+)\//.exec(line)?.[1] ?? null);

interface ThroughputRow {
  readonly sessions: string;
  readonly workers: number;
  readonly requestsPerSecond: number;
  readonly range: readonly [number, number];
  readonly p99Ms: number;
  readonly errors: number;
}

async function throughput(sessions: string, workers: number, url: string, headers: Record<string, string>): Promise<ThroughputRow> {
  const run = (seconds: number): Promise<LoadResult> =>
    hasTool('wrk') ? runWrk(url, { connections: CONNECTIONS, seconds, headers }) : runLoad(url, { connections: CONNECTIONS, seconds, headers });
  await run(1);
  const results: LoadResult[] = [];
  for (let round = 0; round < ROUNDS; round += 1) results.push(await run(SECONDS));
  results.sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  const median = results[Math.floor(results.length / 2)]!;
  const errors = results.reduce((sum, result) => sum + result.errors, 0);
  return { sessions, workers, requestsPerSecond: median.requestsPerSecond, range: [results[0]!.requestsPerSecond, results.at(-1)!.requestsPerSecond], p99Ms: median.p99Ms, errors };
}

function residentBytes(pid: number): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line![1]) * 1024;
}

/** Opens `count` keep-alive connections that each make one request, and keeps them open. */
async function idleConnections(url: string, count: number, cookie: string): Promise<Socket[]> {
  const { hostname, port } = new URL(url);
  const sockets: Socket[] = [];
  for (let index = 0; index < count; index += 1) {
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.write(`GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nCookie: ${cookie}\r\n\r\n`);
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        const length = /content-length: (\d+)/i.exec(received);
        const headerEnd = received.indexOf('\r\n\r\n');
        if (length !== null && headerEnd !== -1 && received.length >= headerEnd + 4 + Number(length[1])) resolve();
      });
    });
    sockets.push(socket);
  }
  return sockets;
}

const cpus = availableParallelism();
const workerCounts = [...new Set([1, 2, cpus])];
const redis = await startBenchRedis();
const rows: ThroughputRow[] = [];

const bare = await start(BARE, {}, (line) => (/^\d+$/.test(line.trim()) ? `http://127.0.0.1:${line.trim()}` : null));
rows.push(await throughput('bare node:http (no session)', 1, `${bare.url}/`, {}));
await bare.stop();
for (const [sessions, env] of [['cookie', {}], ...(redis === null ? [] : [['redis', { SESSION_TYPE: 'redis', SESSION_REDIS_URL: redis.url, LIMIT_NEW_SESSIONS: '0' }]])] as [string, Record<string, string>][]) {
  for (const workers of workerCounts) {
    const server = await startScratchpad({ ...env, WORKERS: String(workers) });
    const cookie = await sessionCookie(server.url);
    rows.push(await throughput(sessions, workers, `${server.url}/`, { cookie }));
    await server.stop();
  }
}
redis?.stop();

const memory: { count: number; rssBytes: number; heapBytes: number }[] = [];
for (const count of [10_000, 100_000, 1_000_000]) {
  const child = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=4096', fileURLToPath(import.meta.url), '--fill-memory-store', String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  memory.push(JSON.parse(output) as { count: number; rssBytes: number; heapBytes: number });
}

const CONNECTION_COUNT = 1000;
const server = await startScratchpad({ MAX_CONNECTIONS: '5000', MAX_CONNECTIONS_PER_CLIENT: '0', KEEP_ALIVE_TIMEOUT_MS: '120000' });
const cookie = await sessionCookie(server.url);
await idleConnections(server.url, 20, cookie).then((warm) => warm.forEach((socket) => socket.destroy()));
await new Promise((resolve) => setTimeout(resolve, 500));
const rssBefore = residentBytes(server.pid);
const sockets = await idleConnections(server.url, CONNECTION_COUNT, cookie);
await new Promise((resolve) => setTimeout(resolve, 500));
const perConnection = (residentBytes(server.pid) - rssBefore) / CONNECTION_COUNT;
for (const socket of sockets) socket.destroy();
await server.stop();

const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const cpuText = `${cpus} CPU${cpus === 1 ? '' : 's'} shared by the server and the load generator`;
console.log(`\nThroughput: GET / with a valid session, ${CONNECTIONS} connections, ${hasTool('wrk') ? 'wrk' : 'node generator'}, ${cpuText}, median of ${ROUNDS} × ${SECONDS} s\n`);
console.log(`${'sessions'.padEnd(30)}${'workers'.padStart(8)}${'req/s'.padStart(10)}${'range'.padStart(18)}${'p99 ms'.padStart(9)}${'errors'.padStart(8)}`);
for (const row of rows) {
  console.log(`${row.sessions.padEnd(30)}${String(row.workers).padStart(8)}${row.requestsPerSecond.toFixed(0).padStart(10)}${`${row.range[0].toFixed(0)}-${row.range[1].toFixed(0)}`.padStart(18)}${row.p99Ms.toFixed(2).padStart(9)}${String(row.errors).padStart(8)}`);
}
console.log('\nMemory store, sessions held (a 10-character username each):\n');
for (const row of memory) console.log(`${String(row.count).padStart(9)} sessions: RSS +${megabytes(row.rssBytes)} MB, heap +${megabytes(row.heapBytes)} MB (${(row.heapBytes / row.count).toFixed(0)} bytes per session)`);
console.log(`\nPer idle keep-alive connection: ${(perConnection / 1024).toFixed(1)} KB of server RSS (${CONNECTION_COUNT} connections)`);

const jsonPath = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
if (jsonPath !== undefined) writeFileSync(jsonPath, JSON.stringify({ rows, memory, perConnectionBytes: perConnection }, null, 2));
