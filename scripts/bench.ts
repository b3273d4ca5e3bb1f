/**
 * Load benchmark: Scratchpad against a bare node:http server, in one run, as ratios.
 *
 *   npm run bench [-- --json results.json] [-- --node]
 *
 * Every server runs in a child process pinned to CPU 0 (taskset, where available); the load comes
 * from wrk pinned to CPU 1 when Debian's wrk is installed, or from the built-in node:http generator
 * (`--node` forces it). Each figure is compared with the bare server (scripts/bare-server.ts: no
 * session work, the same security headers) sent the same request and answering with as many bytes,
 * measured by the same generator just before it (see row()): absolute numbers depend on the
 * machine, ratios much less.
 * Four rows compare two servers instead, measured at the same time (see sameTimeRow()), in this
 * order: the library (scripts/library-server.ts) against the hand-written server, the hand-written
 * server without its session check against itself (the most a library serving the same page could
 * lead it by), the default configuration against ACCESS_LOG=false (what the access log costs,
 * stdout to a file as in production), and the demo on the memory store against the demo on cookies.
 * BENCH_SECONDS (default 3), BENCH_CONNECTIONS (default 50) and BENCH_ROUNDS (default 5) tune the runs;
 * BENCH_ONLY (a regular expression, such as `same time`) measures only the rows whose server matches.
 * The server is the one built beside this script (../../dist/server.js), or BENCH_SERVER, the path
 * of another build's server.js (to compare two versions from one checkout).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasTool, loginForm, removeTemporaryDirectory, requestOnce, runLoad, runWrk, sessionCookie, startBenchRedis, temporaryDirectory, type LoadOptions, type LoadResult } from './load.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
/** BENCH_ONLY: a regular expression; only the rows whose server column matches it are measured. */
const ONLY = new RegExp(process.env['BENCH_ONLY'] ?? '', 'i');
const args = process.argv.slice(2);
const useWrk = hasTool('wrk') && !args.includes('--node');
const jsonPath = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const SERVER = process.env['BENCH_SERVER'] ?? fileURLToPath(new URL('../../dist/server.js', import.meta.url));
const BARE = fileURLToPath(new URL('./bare-server.js', import.meta.url));
const HANDWRITTEN = fileURLToPath(new URL('./handwritten-server.js', import.meta.url));
const LIBRARY = fileURLToPath(new URL('./library-server.js', import.meta.url));
const KEY = 'benchmark-secret-key-of-at-least-32-bytes';

/** Every server started, so that none outlives the benchmark, whatever happens to it. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

interface Running {
  readonly url: string;
  stop(): Promise<void>;
}

/** The address of a script server that prints its port on the first line (the reference servers). */
function printedPort(line: string): string | null {
  return /^\d+$/.test(line.trim()) ? `http://127.0.0.1:${line.trim()}` : null;
}

/**
 * Starts a node script pinned to CPU 0 and waits for the line that tells its URL. Its stdout goes to
 * a file, as in production: that is where an access log's cost is measured (a write to a file is
 * synchronous in Node, to a pipe not).
 */
async function start(script: string, env: Record<string, string>, urlFrom: (line: string) => string | null, pin = true): Promise<Running> {
  // A cluster is not pinned: its workers are meant to spread over every CPU (wrk shares one with them).
  const command = pin && hasTool('taskset') ? ['taskset', '-c', '0', process.execPath, script] : [process.execPath, script];
  const stdout = join(temporaryDirectory('bench-stdout-'), 'stdout');
  const fd = openSync(stdout, 'w');
  const child: ChildProcess = spawn(command[0]!, command.slice(1), { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', fd, 'inherit'] });
  closeSync(fd);
  children.add(child);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const removeStdout = () => removeTemporaryDirectory(dirname(stdout));
  for (;;) {
    const output = readFileSync(stdout, 'utf8');
    const url = output.split('\n').map(urlFrom).find((found) => found !== null);
    if (url !== undefined && url !== null) return { url, stop: () => new Promise((resolve) => (child.once('exit', () => (removeStdout(), resolve())), child.kill('SIGTERM'))) };
    if (exited !== undefined) {
      removeStdout();
      throw new Error(`${script} exited with ${exited}: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const startBare = (env: Record<string, string>) => start(BARE, env, printedPort);
const startScratchpad = (env: Record<string, string>) =>
  start(SERVER, { PORT: '0', ACCESS_LOG: 'false', SECRET_KEY: KEY, ...env }, (line) => /listening on (http:\/\/\S+)\//.exec(line)?.[1] ?? null, env['WORKERS'] === undefined);

/** `warmUpSeconds` of load first, not counted: the JIT compiles the hot paths, the connections open. */
async function measure(url: string, options: Omit<LoadOptions, 'seconds' | 'connections'>, warmUpSeconds = 1): Promise<LoadResult> {
  const run = (seconds: number) => (useWrk ? runWrk(url, { ...options, seconds, connections: CONNECTIONS }) : runLoad(url, { ...options, seconds, connections: CONNECTIONS }));
  await run(warmUpSeconds);
  return run(SECONDS);
}

/**
 * The warm-up of a same-time row, both servers together, before its rounds. Two versions of one server differ by a few per cent, and so does
 * what the JIT still compiles after one second: the access log's path measured 0.93× of the server
 * without it in 4-second runs after 1 s of warm-up, and 0.97× in 8-second runs, while counted
 * instructions (scripts/count-instructions.ts) put its steady cost at 1–4 %. A server runs for
 * hours; what it costs once compiled is what is compared.
 */
const SAME_TIME_WARM_UP_SECONDS = 4;

interface Row extends LoadResult {
  readonly scenario: string;
  readonly server: string;
  /** The bare server's requests/s for the same kind of request, measured just before this row. */
  readonly baseline: number;
  readonly ratio: number;
  /** The lowest and highest ratio of the pairs: how far one pair alone could have been off. */
  readonly ratioRange: readonly [number, number];
}
const rows: Row[] = [];

// The bare server runs throughout, and is measured again right before every row: this machine's
// speed drifts by ±20 % over a minute (shared cores), and a ratio is only as good as the
// baseline's age.
const bare = await startBare({});

/** What a row sends: the same request goes to the candidate and to the bare server. */
interface Load {
  readonly url: string;
  readonly options: Omit<LoadOptions, 'seconds' | 'connections'>;
}

/**
 * The bare server's twin of a candidate's load: the same method, headers and body, and for a GET
 * a page of exactly the size the candidate served (bare-server.ts answers `/<n>` with n bytes), so
 * the ratio prices the session work, not a difference in bytes or in request headers.
 */
async function bareTwin(candidate: Load): Promise<Load> {
  if (candidate.options.method === 'POST') return { url: `${bare.url}/login`, options: candidate.options };
  const { body } = await requestOnce(candidate.url, candidate.options.headers === undefined ? {} : { headers: candidate.options.headers });
  return { url: `${bare.url}/${Buffer.byteLength(body)}`, options: candidate.options };
}

/**
 * ROUNDS (default 5) alternating pairs, bare twin then candidate, each with its own warm-up; the
 * row is the pair with the median ratio. One pair alone was not enough: a bare run measured 40,000
 * and the next 63,000 req/s on this machine, which moves a ratio by half; with three, two runs of
 * the same code still gave 0.39× and 0.49× for one row.
 *
 * Not measured at the same time, though that would cancel the drift: with both servers sharing
 * CPU 0, two bare servers stayed within 2 %, but the server with more code and data lost more to
 * the other evicting it from the caches (anonymous GET 0.76× together, 0.87× alone). A server
 * alone on its core is what is deployed, so that is what is measured.
 */
async function row(scenario: string, server: string, candidate: Load): Promise<void> {
  if (!ONLY.test(server)) return;
  const baselineLoad = await bareTwin(candidate);
  const pairs: { baseline: number; result: LoadResult; ratio: number }[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const baseline = (await measure(baselineLoad.url, baselineLoad.options)).requestsPerSecond;
    const result = await measure(candidate.url, candidate.options);
    pairs.push({ baseline, result, ratio: result.requestsPerSecond / baseline });
  }
  pairs.sort((a, b) => a.ratio - b.ratio);
  const median = pairs[Math.floor(pairs.length / 2)]!;
  rows.push({ scenario, server, ...median.result, baseline: median.baseline, ratio: median.ratio, ratioRange: [pairs[0]!.ratio, pairs[pairs.length - 1]!.ratio] });
}

/**
 * A row that compares two of our own servers, measured at the same time: both on CPU 0, loaded by
 * two wrk at once on CPU 1, ROUNDS times, the order in which the two start swapped every round. Two
 * versions a few per cent apart cannot be told apart by runs one after the other on this machine,
 * whose speed drifts by ±20 % within a minute; run at the same time, the drift hits both alike
 * (docs/performance.md, "How a code change was judged"). The row is the pair with the median ratio.
 */
async function sameTimeRow(scenario: string, server: string, candidate: Load, baseline: Load): Promise<void> {
  if (!ONLY.test(server)) return;
  const pairs: { baseline: number; result: LoadResult; ratio: number }[] = [];
  const run = (load: Load) => measure(load.url, load.options);
  await Promise.all([candidate, baseline].map((load) => measure(load.url, load.options, SAME_TIME_WARM_UP_SECONDS)));
  for (let round = 0; round < ROUNDS; round += 1) {
    let result: LoadResult;
    let base: LoadResult;
    if (round % 2 === 0) [result, base] = await Promise.all([run(candidate), run(baseline)]);
    else [base, result] = await Promise.all([run(baseline), run(candidate)]);
    pairs.push({ baseline: base.requestsPerSecond, result, ratio: result.requestsPerSecond / base.requestsPerSecond });
  }
  pairs.sort((a, b) => a.ratio - b.ratio);
  const median = pairs[Math.floor(pairs.length / 2)]!;
  rows.push({ scenario, server, ...median.result, baseline: median.baseline, ratio: median.ratio, ratioRange: [pairs[0]!.ratio, pairs[pairs.length - 1]!.ratio] });
}

// 1. What the headers every response carries cost a bare server (the baseline below sends them too).
const minimal = await startBare({ BARE_HEADERS: 'minimal' });
await row('GET /', 'bare node:http, minimal headers', { url: `${minimal.url}/`, options: {} });
await minimal.stop();
await row('GET /', 'bare node:http (baseline)', { url: `${bare.url}/`, options: {} });

// 2. GET / with a valid session, in each configuration; anonymous GET and POST /login on cookie sessions.
const redis = await startBenchRedis();
const sessionFiles = temporaryDirectory('bench-fs-');
const configurations: { name: string; env: Record<string, string>; remember: boolean }[] = [
  { name: 'cookie, volatile', env: {}, remember: false },
  { name: 'cookie, permanent (re-signed each request)', env: {}, remember: true },
  { name: 'cookie, encrypted', env: { SESSION_COOKIE_ENCRYPT: 'true' }, remember: false },
  // The same session on the plain modules alone (src/README.md, "Making it fast"): what the memos buy.
  { name: 'cookie, volatile, SESSION_MEMO=false', env: { SESSION_MEMO: 'false' }, remember: false },
  { name: 'cookie, encrypted, SESSION_MEMO=false', env: { SESSION_COOKIE_ENCRYPT: 'true', SESSION_MEMO: 'false' }, remember: false },
  { name: 'cookie, volatile, WORKERS=2 (not pinned)', env: { WORKERS: '2' }, remember: false },
  { name: 'memory store', env: { SESSION_TYPE: 'memory' }, remember: false },
  { name: 'filesystem store', env: { SESSION_TYPE: 'filesystem', SESSION_FILE_DIR: join(sessionFiles, 's') }, remember: false },
  ...(redis === null ? [] : [{ name: 'redis store', env: { SESSION_TYPE: 'redis', SESSION_REDIS_URL: redis.url }, remember: false }]),
];
for (const configuration of configurations) {
  const server = await startScratchpad(configuration.env);
  const cookie = await sessionCookie(server.url, configuration.remember);
  await row('GET / with a valid session', configuration.name, { url: `${server.url}/`, options: { headers: { cookie } } });
  if (configuration.name === 'cookie, volatile') {
    // The same request to a hand-written node:http + HMAC check (scripts/handwritten-server.ts),
    // padding its page to our page's size: where a careful version without a library stands.
    const handwritten = await start(HANDWRITTEN, { SECRET_KEY: KEY }, printedPort);
    const pageBytes = Buffer.byteLength((await requestOnce(`${server.url}/`, { headers: { cookie } })).body);
    await row('GET / with a valid session', 'hand-written node:http + HMAC (reference)', { url: `${handwritten.url}/${pageBytes}`, options: { headers: { cookie } } });
    // The same page through the library's public API (scripts/library-server.ts: same bytes and
    // headers, no CSRF, no inspector), against the hand-written server, at the same time.
    const library = await start(LIBRARY, { SECRET_KEY: KEY }, printedPort);
    const samePage = { options: { headers: { cookie } } };
    await sameTimeRow('GET / with a valid session', 'library vs hand-written (same time)', { url: `${library.url}/${pageBytes}`, ...samePage }, { url: `${handwritten.url}/${pageBytes}`, ...samePage });
    // The ceiling of the row above: the hand-written server without its session check against
    // itself with it. No library that builds the same page for each request can lead the
    // hand-written server by more than this.
    const unchecked = await start(HANDWRITTEN, { SECRET_KEY: KEY, SKIP_SESSION_CHECK: 'true' }, printedPort);
    await sameTimeRow('GET / with a valid session', 'unchecked vs hand-written (same time, ceiling)', { url: `${unchecked.url}/${pageBytes}`, ...samePage }, { url: `${handwritten.url}/${pageBytes}`, ...samePage });
    await unchecked.stop();
    await library.stop();
    await handwritten.stop();
    // What the access log costs: the default configuration (ACCESS_LOG on, in batches) against
    // ACCESS_LOG=false, both fresh, stdout to a file, at the same time.
    const logging = await startScratchpad({ ACCESS_LOG: 'true' });
    const silent = await startScratchpad({});
    await sameTimeRow('GET / with a valid session', 'default config vs ACCESS_LOG=false (same time)', { url: `${logging.url}/`, ...samePage }, { url: `${silent.url}/`, ...samePage });
    await logging.stop();
    await silent.stop();
    await row('GET / anonymous', configuration.name, { url: `${server.url}/`, options: {} });
    const form = await loginForm(server.url);
    const post = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie }, body: form.body('benchmark', false) };
    await row('POST /login', configuration.name, { url: `${server.url}/login`, options: post });
  }
  await server.stop();
}
// The memory store's target is a share of the cookie row: two rows measured a minute apart differ
// by more than the target's margin on this machine, so the two demos are also measured at the same
// time, each with its own login.
const MEMORY_VS_COOKIE = 'memory store vs cookie, volatile (same time)';
if (ONLY.test(MEMORY_VS_COOKIE)) {
  const memory = await startScratchpad({ SESSION_TYPE: 'memory' });
  const cookie = await startScratchpad({});
  const [memoryCookie, cookieCookie] = [await sessionCookie(memory.url), await sessionCookie(cookie.url)];
  await sameTimeRow('GET / with a valid session', MEMORY_VS_COOKIE, { url: `${memory.url}/`, options: { headers: { cookie: memoryCookie } } }, { url: `${cookie.url}/`, options: { headers: { cookie: cookieCookie } } });
  await memory.stop();
  await cookie.stop();
}
redis?.stop();
removeTemporaryDirectory(sessionFiles);
await bare.stop();

// 3. The table: each ratio is against the bare server measured just before, for the same kind of
//    request, except in the rows marked "same time", whose baseline is the server after "vs".
console.log(`load: ${useWrk ? 'wrk' : 'built-in node:http generator'}, ${CONNECTIONS} keep-alive connections, ${SECONDS} s per run, median of ${ROUNDS} alternating pairs${hasTool('taskset') ? ', server on CPU 0, load on CPU 1' : ''}`);
console.log(`${'scenario'.padEnd(28)}${'server'.padEnd(50)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'errors'.padStart(8)}${'base req/s'.padStart(12)}  ratio  (lowest-highest pair)`);
for (const row of rows) {
  console.log(
    `${row.scenario.padEnd(28)}${row.server.padEnd(50)}${row.requestsPerSecond.toFixed(0).padStart(9)}${row.p50Ms.toFixed(2).padStart(9)}${row.p99Ms.toFixed(2).padStart(9)}${String(row.errors).padStart(8)}${row.baseline.toFixed(0).padStart(12)}  ${row.ratio.toFixed(2)}x  (${row.ratioRange[0].toFixed(2)}-${row.ratioRange[1].toFixed(2)})`,
  );
}
console.log('base req/s: the bare server just before; in a "vs ... (same time)" row, the server after "vs", measured at the same time');
if (redis === null) console.log('redis store: skipped, redis-server is not installed');
if (jsonPath !== undefined) writeFileSync(jsonPath, JSON.stringify({ generator: useWrk ? 'wrk' : 'node', connections: CONNECTIONS, seconds: SECONDS, rows }, null, 2));
