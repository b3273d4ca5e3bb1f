/**
 * Benchmark: what GET / with a valid session costs each server-side store, counted in store
 * operations and timed against cookie sessions, for two candidates side by side.
 *
 *   npm run build:test && node .build/scripts/bench-store-trips.js [BUILD]
 *       one build (this one by default): restarting idle time only once a tenth of it has passed
 *       (the lazy touch, src/fast/lazy-touch-store.ts, which src/session/backend.ts puts around a
 *       store with getWithExpiry()) against restarting it on every request (the same store, its
 *       getWithExpiry() hidden, so that no lazy touch is put around it)
 *   node .build/scripts/bench-store-trips.js BEFORE AFTER
 *       two compiled builds of src/ (folders holding index.js), such as an older checkout's, each
 *       with its stores as they are
 *
 * A build folder is what `tsc` makes of src/: `npx tsc -p tsconfig.json --outDir DIR` in a checkout.
 * Every server is the demo of that build (createSessions() and createDemoApp(), no /source pages),
 * and every request is a browser's GET / with its session and CSRF cookies.
 *
 * 1. Counted, which no noise can blur: each candidate serves GET / 200 times in this process,
 *    through a wrapper around its store that counts every call; for Redis, INFO commandstats also
 *    counts the commands Redis ran.
 * 2. In process: the CPU time (all threads) that calling the application costs, one request at a
 *    time, with no HTTP around it; the cookie session of the second build and the two candidates
 *    alternate in turns of 1,000 requests, 21 rounds, so drift reaches all three alike.
 * 3. Under load, at the same time: a cookie-session server (of the second build) and the two
 *    candidates are started together, each pinned to CPU 0, and each loaded by its own wrk (CPU 1)
 *    at once; rounds alternate which candidate's load starts first. Two measures per round:
 *    - the CPU time each server process spent per request, all its threads included (from
 *      /proc/PID/stat): what a request costs, whoever else runs on the core;
 *    - requests per second. Linux shares a core fairly between *threads*, and favours one that
 *      wakes from sleep (waiting for Redis), so a server whose work waits on the filesystem's
 *      thread pool or on Redis gets more of the core than the cookie server beside it: this ratio
 *      flatters those stores, and CPU per request compares them more fairly with cookie sessions.
 * Each ratio (after ÷ before, each ÷ cookie) is given as the median and the range over the rounds.
 *
 * BENCH_ROUNDS (6), BENCH_SECONDS (4), BENCH_CONNECTIONS (16), BENCH_TYPES (memory,filesystem,redis),
 * BENCH_SESSION_COOKIE_ONLY (false; true sends no CSRF cookie, so that every page issues one).
 * Needs wrk for part 3 (skipped without it), and redis-server for the redis rows.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hasTool, runWrk, startBenchRedis, type LoadResult } from './load.js';

type Library = typeof import('../src/index.js');
type DemoModule = typeof import('../src/demo/app.js');
type SessionStore = import('../src/session/store.js').SessionStore;
type StoreType = 'cookie' | 'memory' | 'filesystem' | 'redis';

const SCRIPT = fileURLToPath(import.meta.url);
const THIS_BUILD = resolve(SCRIPT, '../../src');
const SECRET = 'benchmark-secret-key-of-at-least-32-bytes';
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 6);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 4);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
const TYPES = (process.env['BENCH_TYPES'] ?? 'memory,filesystem,redis').split(',') as StoreType[];
const COUNTED_REQUESTS = 200;
/** Send the session cookie alone, as bench-session-types.ts does, instead of a browser's two cookies. */
const SESSION_COOKIE_ONLY = process.env['BENCH_SESSION_COOKIE_ONLY'] === 'true';

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const range = (values: readonly number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;

/** One side of the A/B: a build, and whether its store may answer getWithExpiry(). */
interface Candidate {
  readonly label: string;
  readonly build: string;
  readonly expiry: boolean;
}

/** The store calls of one side, by method. */
type Calls = Record<'get' | 'getWithExpiry' | 'set' | 'destroy' | 'touch', number>;

/**
 * `store` with every call counted into `calls`. Without `expiry`, or when the store has none,
 * the wrapper has no getWithExpiry(): server-session.ts then restarts idle time on every request.
 */
function counted(store: SessionStore, calls: Calls, expiry: boolean): SessionStore {
  const wrapper: SessionStore = {
    name: store.name,
    get: (id) => (calls.get++, store.get(id)),
    set: (id, record, ttl, expected) => (calls.set++, store.set(id, record, ttl, expected)),
    destroy: (id) => (calls.destroy++, store.destroy(id)),
    touch: (id, ttl) => (calls.touch++, store.touch(id, ttl)),
    close: () => store.close(),
  };
  const read = store.getWithExpiry?.bind(store);
  return expiry && read !== undefined ? { ...wrapper, getWithExpiry: (id) => (calls.getWithExpiry++, read(id)) } : wrapper;
}

async function load(build: string): Promise<{ library: Library; demo: DemoModule }> {
  const library = (await import(pathToFileURL(join(build, 'index.js')).href)) as Library;
  const demo = (await import(pathToFileURL(join(build, 'demo', 'app.js')).href)) as DemoModule;
  return { library, demo };
}

/** The demo of `build` on `type`, listening on a free loopback port; its store calls go to `calls`. */
async function serveDemo(build: string, type: StoreType, expiry: boolean, where: string, calls: Calls) {
  const { library, demo } = await load(build);
  let store: SessionStore | null = null;
  if (type === 'memory') store = new library.MemorySessionStore({ maxEntries: 10_000 });
  if (type === 'filesystem') store = await library.FileSessionStore.open({ directory: where });
  if (type === 'redis') {
    const { hostname, port } = new URL(where);
    store = new library.RedisSessionStore(new library.RedisClient({ host: hostname, port: Number(port) }));
  }
  const sessions = await library.createSessions({ secretKey: SECRET, store: store === null ? 'cookie' : counted(store, calls, expiry) });
  const application = demo.createDemoApp({ sessions, source: null, secrets: [SECRET] });
  const server = library.createHttpServer(application, { accessLog: null, errorLog: (message) => console.error(message) });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async () => {
    await new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    });
    await sessions.close();
  };
  return { url, application, close };
}

/** Logs in as a browser does (the form's CSRF token and cookie, then the post); returns the session cookie. */
async function logIn(url: string): Promise<string> {
  const form = await fetch(`${url}/login`);
  const token = /name="csrf_token" value="([^"]+)"/.exec(await form.text())![1]!;
  const login = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.headers.getSetCookie()[0]!.split(';')[0]! },
    body: `username=benchmark&csrf_token=${token}`,
  });
  const session = login.headers.getSetCookie().find((line) => line.startsWith('session='))!.split(';')[0]!;
  // Both cookies, as a browser sends them: without the CSRF cookie, every page issues a new one.
  return SESSION_COOKIE_ONLY ? session : `${session}; ${form.headers.getSetCookie()[0]!.split(';')[0]!}`;
}

/** Redis's own count of the commands it ran since `reset()`, by name. */
async function redisCommands(library: Library, redisUrl: string): Promise<{ reset: () => Promise<void>; read: () => Promise<Record<string, number>> }> {
  const { hostname, port } = new URL(redisUrl);
  const admin = new library.RedisClient({ host: hostname, port: Number(port) });
  return {
    reset: async () => void (await admin.command(['CONFIG', 'RESETSTAT'])),
    read: async () => {
      const stats = String(await admin.command(['INFO', 'commandstats']));
      await admin.close();
      return Object.fromEntries([...stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map((match) => [match[1]!, Number(match[2])]));
    },
  };
}

/** Part 1: store calls (and Redis commands) per GET / with a session. */
async function count(candidate: Candidate, type: StoreType, where: string): Promise<string> {
  const calls: Calls = { get: 0, getWithExpiry: 0, set: 0, destroy: 0, touch: 0 };
  const server = await serveDemo(candidate.build, type, candidate.expiry, where, calls);
  try {
    const cookie = await logIn(server.url);
    for (const key of Object.keys(calls) as (keyof Calls)[]) calls[key] = 0;
    const redis = type === 'redis' ? await redisCommands((await load(THIS_BUILD)).library, where) : null;
    await redis?.reset();
    for (let request = 0; request < COUNTED_REQUESTS; request += 1) {
      const page = await (await fetch(`${server.url}/`, { headers: { cookie } })).text();
      if (!page.includes('Logged in as')) throw new Error(`${candidate.label} ${type}: GET / did not show the session`);
    }
    const perRequest = (value: number) => +(value / COUNTED_REQUESTS).toFixed(2);
    const used = Object.entries(calls).filter(([, value]) => value > 0);
    const total = perRequest(used.reduce((sum, [, value]) => sum + value, 0));
    const store = `${total} store calls (${used.map(([name, value]) => `${name} ${perRequest(value)}`).join(', ')})`;
    if (redis === null) return store;
    const commands = Object.entries(await redis.read()).filter(([name]) => name !== 'config' && name !== 'info');
    return `${store}; Redis ran ${commands.map(([name, value]) => `${name} ${perRequest(value)}`).join(', ')}`;
  } finally {
    await server.close();
  }
}

/** Part 2: CPU microseconds per GET / calling each application directly, cookie and the two candidates in turns. */
async function inProcess(before: Candidate, after: Candidate, type: StoreType, where: (label: string) => string): Promise<string> {
  const sides = [
    { build: after.build, type: 'cookie' as StoreType, expiry: true, label: 'cookie' },
    { ...before, type },
    { ...after, type },
  ];
  const turns: { run: (requests: number) => Promise<number>; close: () => Promise<void> }[] = [];
  for (const side of sides) {
    const calls: Calls = { get: 0, getWithExpiry: 0, set: 0, destroy: 0, touch: 0 };
    const server = await serveDemo(side.build, side.type, side.expiry, side.type === 'cookie' ? '' : where(side.label), calls);
    const cookie = await logIn(server.url);
    // What the application reads of a request: method, URL, headers and the peer's address.
    const request = { method: 'GET', url: '/', headers: { host: 'localhost', cookie }, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
    const run = async (requests: number) => {
      const started = process.cpuUsage();
      for (let index = 0; index < requests; index += 1) await server.application(request);
      const { user, system } = process.cpuUsage(started);
      return (user + system) / requests;
    };
    turns.push({ run, close: server.close });
  }
  try {
    for (const turn of turns) await turn.run(1000);
    const costs: number[][] = [];
    for (let round = 0; round < 21; round += 1) {
      const row: number[] = [];
      for (const index of round % 2 === 0 ? [0, 1, 2] : [2, 1, 0]) row[index] = await turns[index]!.run(1000);
      costs.push(row);
    }
    const cost = (index: number) => `${median(costs.map((row) => row[index]!)).toFixed(1)} µs`;
    const speed = (top: number, bottom: number) => {
      const values = costs.map((row) => row[bottom]! / row[top]!);
      return `${median(values).toFixed(2)} (${range(values)})`;
    };
    return [
      `${type}, in process, CPU per request: cookie ${cost(0)}, ${before.label} ${cost(1)}, ${after.label} ${cost(2)}`,
      `  speed: ${after.label} ÷ ${before.label} ${speed(2, 1)}; ÷ cookie: ${before.label} ${speed(1, 0)}, ${after.label} ${speed(2, 0)}`,
    ].join('\n');
  } finally {
    for (const turn of turns) await turn.close();
  }
}

/** Part 3: a server of its own, pinned to CPU 0, serving `candidate` (this script again, in `--serve` mode). */
async function startPinned(build: string, type: StoreType, expiry: boolean, where: string): Promise<{ url: string; cpuMs: () => number; stop: () => Promise<void> }> {
  const command = [process.execPath, SCRIPT, '--serve', build, type, String(expiry), where];
  const pinned = hasTool('taskset') ? ['taskset', '-c', '0', ...command] : command;
  const child = spawn(pinned[0]!, pinned.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((done, fail) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (\S+)/.exec(output);
      if (match !== null) done(match[1]!);
    });
    child.once('exit', (code) => fail(new Error(`server exited with ${code}: ${output}`)));
  });
  // taskset execs node in place, so the child's pid is the server's.
  return { url, cpuMs: () => cpuMilliseconds(child.pid!), stop: () => new Promise((done) => (child.once('exit', () => done()), child.kill('SIGTERM'))) };
}

/** User plus system CPU time of a process, all its threads, in milliseconds (fields 14 and 15 of /proc/PID/stat, in ticks of 10 ms). */
function cpuMilliseconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function time(before: Candidate, after: Candidate, type: StoreType, where: (label: string) => string): Promise<string> {
  const servers = [
    await startPinned(after.build, 'cookie', true, ''),
    await startPinned(before.build, type, before.expiry, where('before')),
    await startPinned(after.build, type, after.expiry, where('after')),
  ];
  try {
    const cookies = await Promise.all(servers.map((server) => logIn(server.url)));
    /** Per round: [cookie, before, after], as requests per second and as CPU microseconds per request. */
    const rates: number[][] = [];
    const costs: number[][] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      // Alternate which candidate's load starts first: both orders, the same number of times.
      const order = round % 2 === 0 ? [0, 1, 2] : [0, 2, 1];
      const results: LoadResult[] = [];
      const cpuBefore = servers.map((server) => server.cpuMs());
      await Promise.all(
        order.map(async (index, position) => {
          await new Promise((done) => setTimeout(done, position * 20));
          results[index] = await runWrk(`${servers[index]!.url}/`, { connections: CONNECTIONS, seconds: SECONDS, headers: { cookie: cookies[index]! } });
        }),
      );
      if (results.some((result) => result.errors > 0)) throw new Error(`errors: ${JSON.stringify(results)}`);
      rates.push(results.map((result) => result.requestsPerSecond));
      costs.push(results.map((result, index) => ((servers[index]!.cpuMs() - cpuBefore[index]!) * 1000) / result.requests));
      const [cookie, old, changed] = costs.at(-1)!.map((cost) => cost.toFixed(0));
      console.error(`  ${type} round ${round + 1}: µs of CPU per request: cookie ${cookie}, ${before.label} ${old}, ${after.label} ${changed}; req/s ${rates.at(-1)!.map((rate) => rate.toFixed(0)).join(', ')}`);
    }
    // A ratio of speeds: for CPU per request, the inverse ratio of costs.
    const ratio = (rows: number[][], top: number, bottom: number, inverse: boolean) => {
      const values = rows.map((row) => (inverse ? row[bottom]! / row[top]! : row[top]! / row[bottom]!));
      return `${median(values).toFixed(2)} (${range(values)})`;
    };
    const table = (name: string, rows: number[][], inverse: boolean) =>
      `  ${name}: ${after.label} ÷ ${before.label} ${ratio(rows, 2, 1, inverse)}; ÷ cookie: ${before.label} ${ratio(rows, 1, 0, inverse)}, ${after.label} ${ratio(rows, 2, 0, inverse)}`;
    const cost = (index: number) => median(costs.map((row) => row[index]!)).toFixed(0);
    return [
      `${type}, median µs of CPU per request: cookie ${cost(0)}, ${before.label} ${cost(1)}, ${after.label} ${cost(2)}`,
      table('speed by CPU per request', costs, true),
      table('requests per second', rates, false),
    ].join('\n');
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

async function main(): Promise<void> {
  const builds = process.argv.slice(2).map((build) => resolve(build));
  const [before, after]: [Candidate, Candidate] =
    builds.length < 2
      ? [
          { label: 'every request', build: builds[0] ?? THIS_BUILD, expiry: false },
          { label: 'after a tenth', build: builds[0] ?? THIS_BUILD, expiry: true },
        ]
      : [
          { label: 'before', build: builds[0]!, expiry: true },
          { label: 'after', build: builds[1]!, expiry: true },
        ];
  const redis = TYPES.includes('redis') ? await startBenchRedis() : null;
  const directory = mkdtempSync(join(tmpdir(), 'bench-trips-'));
  const where = (type: StoreType) => (label: string) => (type === 'redis' ? redis!.url : join(directory, `${type}-${label}-${Math.random().toString(36).slice(2)}`));
  try {
    for (const type of TYPES) {
      if (type === 'redis' && redis === null) {
        console.log('redis: skipped, redis-server is not installed');
        continue;
      }
      for (const candidate of [before, after]) console.log(`${type}, ${candidate.label}: ${await count(candidate, type, where(type)(candidate.label))} per GET /`);
      console.log(await inProcess(before, after, type, where(type)));
      if (hasTool('wrk')) console.log(await time(before, after, type, where(type)));
    }
    if (!hasTool('wrk')) console.log('timed part skipped: wrk is not installed');
  } finally {
    redis?.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') {
  const [, , , build, type, expiry, where] = process.argv;
  const calls: Calls = { get: 0, getWithExpiry: 0, set: 0, destroy: 0, touch: 0 };
  const server = await serveDemo(build!, type as StoreType, expiry === 'true', where ?? '', calls);
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
  console.log(`listening on ${server.url}`);
} else {
  await main();
}
