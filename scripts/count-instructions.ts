/**
 * Instructions per request, counted by valgrind's callgrind: what a configuration of the demo costs
 * once compiled, with none of the machine's noise.
 *
 *   npm run build && npm run build:test && node .build/scripts/count-instructions.js [NAME=VAR=VALUE,VAR=VALUE ...]
 *
 * Without arguments it compares the default configuration (access log on, stdout to a file) with
 * ACCESS_LOG=false: the access log's cost (docs/performance.md). Each argument is a candidate:
 * a name, then the environment it adds to the demo's, such as `redis=SESSION_TYPE=redis`.
 * `--library` compares scripts/library-server.ts, the bare server and the hand-written server
 * without its session check with scripts/handwritten-server.ts instead (the "library vs
 * hand-written" row of npm run bench and its ceiling), with a session cookie from the demo.
 *
 * Why counting: two versions a few per cent apart cannot be told apart by timing on a shared
 * machine (docs/performance.md, "How a code change was judged"), and a short timed run also pays
 * for the JIT compiling the code it measures. callgrind counts the instructions the process runs,
 * the same count for the same program and inputs whatever else the machine does.
 *
 * How: each candidate's server runs under `valgrind --tool=callgrind` (node `--single-threaded`, so
 * that V8 compiles on the thread that is counted), pinned to nothing; a client logs in, then sends
 * GET / with the session, four at a time on kept-alive connections, COUNT_FEW (4,000) requests in one
 * run and COUNT_MANY (16,000) in another. The difference of the two totals divided by the difference
 * of the requests is the cost of one request after the first thousands: start-up, and most of the
 * compiling, cancel out. Counted: user-space instructions of the server's process; not counted:
 * the kernel's work (system calls) and time spent waiting.
 *
 * Needs valgrind (Debian's valgrind package). A run under callgrind is about fifty times slower:
 * the default comparison takes three to four minutes.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { candidatesFrom, printPerRequest, type CountCandidate } from './counting.js';
import { hasTool, removeTemporaryDirectory, requestOnce, sessionCookie, temporaryDirectory } from './load.js';

const FEW = Number(process.env['COUNT_FEW'] ?? 4_000);
const MANY = Number(process.env['COUNT_MANY'] ?? 16_000);
const SERVER = fileURLToPath(new URL('../../dist/server.js', import.meta.url));
const KEY = 'benchmark-secret-key-of-at-least-32-bytes';

interface Candidate extends CountCandidate {
  /** The script to run; default the demo. The others listen on a port of their own and print it first. */
  readonly script?: string;
  /** The path to GET; default `/`. */
  readonly path?: string;
}

/** GET / with the cookie, `count` times, four at a time on kept-alive connections. */
async function send(url: string, cookie: string, count: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  let sent = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      get(url, { agent, headers: { cookie } }, (response) => {
        if (response.statusCode !== 200) reject(new Error(`GET / answered ${response.statusCode}`));
        response.resume();
        response.on('end', resolve);
      }).on('error', reject);
    });
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (sent < count) {
        sent += 1;
        await one();
      }
    }),
  );
  agent.destroy();
}

/** The server's address once it is up: the demo says "listening on", the scripts print their port. */
function listeningAt(stdout: string, demoPort: string | null): string | null {
  if (demoPort !== null) return stdout.includes('listening on') ? `http://127.0.0.1:${demoPort}` : null;
  const firstLine = /^(\d+)\n/.exec(stdout);
  return firstLine === null ? null : `http://127.0.0.1:${firstLine[1]}`;
}

/** The instructions the server ran while serving `requests` requests after a login, start-up included. */
async function countRun(candidate: Candidate, requests: number, cookie: string | null): Promise<number> {
  const directory = temporaryDirectory('count-instructions-');
  const out = join(directory, 'callgrind.out');
  const stdout = join(directory, 'stdout');
  const fd = openSync(stdout, 'w');
  const port = String(20_000 + Math.floor(Math.random() * 20_000));
  const env = { PATH: process.env['PATH'] ?? '', PORT: port, SECRET_KEY: KEY, ...candidate.env };
  const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, '--smc-check=all-non-file', process.execPath, '--single-threaded', candidate.script ?? SERVER], { env, stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let url: string | null = null;
  for (let waited = 0; url === null; waited += 200) {
    if (child.exitCode !== null || waited > 300_000) throw new Error(`the server under valgrind did not start: ${errors.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    url = listeningAt(readFileSync(stdout, 'utf8'), candidate.script === undefined ? port : null);
  }
  await send(`${url}${candidate.path ?? '/'}`, cookie ?? (await sessionCookie(url)), requests);
  child.kill('SIGTERM');
  await exited;
  const summary = /^summary: (\d+)$/m.exec(readFileSync(out, 'utf8'));
  if (summary === null) throw new Error(`callgrind wrote no summary to ${out}`);
  removeTemporaryDirectory(directory);
  return Number(summary[1]);
}

if (!hasTool('valgrind')) {
  console.error('count-instructions: valgrind is not installed (apt-get install valgrind)');
  process.exit(1);
}
/**
 * `--library`: the two servers of the "library vs hand-written" row, GET /<page bytes> with a
 * session cookie that the demo, started with the same key (and not counted), hands out.
 */
async function libraryCandidates(): Promise<{ candidates: Candidate[]; cookie: string }> {
  const demo = spawn(process.execPath, [SERVER], { env: { PATH: process.env['PATH'] ?? '', PORT: '0', SECRET_KEY: KEY, ACCESS_LOG: 'false' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    demo.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const address = /listening on (http:\/\/\S+)/.exec(seen);
      if (address !== null) resolve(address[1]!.replace('localhost', '127.0.0.1').replace(/\/$/, ''));
    });
    demo.once('exit', () => reject(new Error(`the demo stopped before it listened: ${seen}`)));
  });
  const cookie = await sessionCookie(url);
  const pageBytes = Buffer.byteLength((await requestOnce(`${url}/`, { headers: { cookie } })).body);
  demo.kill('SIGTERM');
  const script = (name: string) => fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  const path = `/${pageBytes}`;
  return {
    cookie,
    candidates: [
      { name: 'library', env: {}, script: script('library-server'), path },
      { name: 'bare node:http (no session work)', env: {}, script: script('bare-server'), path },
      { name: 'hand-written, no session check (SKIP_SESSION_CHECK=true)', env: { SKIP_SESSION_CHECK: 'true' }, script: script('handwritten-server'), path },
      { name: 'hand-written', env: {}, script: script('handwritten-server'), path },
    ],
  };
}

const library = process.argv.includes('--library') ? await libraryCandidates() : null;
const defaults = [
  { name: 'default (access log on)', env: { ACCESS_LOG: 'true' } },
  { name: 'ACCESS_LOG=false', env: { ACCESS_LOG: 'false' } },
];
await printPerRequest(library?.candidates ?? candidatesFrom(process.argv.slice(2), defaults), FEW, MANY, async (candidate) => [
  await countRun(candidate, FEW, library?.cookie ?? null),
  await countRun(candidate, MANY, library?.cookie ?? null),
]);
