/**
 * Instructions per request, counted by valgrind's callgrind: what a configuration of the demo costs
 * once compiled, with none of the machine's noise.
 *
 *   npm run build && npm run build:test && node .build/scripts/count-instructions.js [NAME=VAR=VALUE,VAR=VALUE ...]
 *
 * Without arguments it compares the default configuration (access log on, stdout to a file) with
 * ACCESS_LOG=false: the access log's cost (docs/performance.md). Each argument is a candidate:
 * a name, then the environment it adds to the demo's, such as `redis=SESSION_TYPE=redis`.
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
import { mkdtempSync, openSync, closeSync, readFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasTool, sessionCookie } from './load.js';

const FEW = Number(process.env['COUNT_FEW'] ?? 4_000);
const MANY = Number(process.env['COUNT_MANY'] ?? 16_000);
const SERVER = fileURLToPath(new URL('../../dist/server.js', import.meta.url));
const KEY = 'benchmark-secret-key-of-at-least-32-bytes';

interface Candidate {
  readonly name: string;
  readonly env: Record<string, string>;
}

function candidatesFrom(args: readonly string[]): Candidate[] {
  if (args.length === 0) return [{ name: 'default (access log on)', env: { ACCESS_LOG: 'true' } }, { name: 'ACCESS_LOG=false', env: { ACCESS_LOG: 'false' } }];
  return args.map((arg) => {
    const [name, ...rest] = arg.split('=');
    const assignments = rest.join('=').split(',').filter((part) => part !== '');
    return { name: name!, env: Object.fromEntries(assignments.map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)])) };
  });
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

/** The instructions the server ran while serving `requests` requests after a login, start-up included. */
async function countRun(candidate: Candidate, requests: number): Promise<number> {
  const directory = mkdtempSync(join(tmpdir(), 'count-instructions-'));
  const out = join(directory, 'callgrind.out');
  const stdout = join(directory, 'stdout');
  const fd = openSync(stdout, 'w');
  const port = String(20_000 + Math.floor(Math.random() * 20_000));
  const env = { PATH: process.env['PATH'] ?? '', PORT: port, SECRET_KEY: KEY, ...candidate.env };
  const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, '--smc-check=all-non-file', process.execPath, '--single-threaded', SERVER], { env, stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let waited = 0; !readFileSync(stdout, 'utf8').includes('listening on'); waited += 200) {
    if (child.exitCode !== null || waited > 300_000) throw new Error(`the server under valgrind did not start: ${errors.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const url = `http://127.0.0.1:${port}`;
  await send(`${url}/`, await sessionCookie(url), requests);
  child.kill('SIGTERM');
  await exited;
  const summary = /^summary: (\d+)$/m.exec(readFileSync(out, 'utf8'));
  if (summary === null) throw new Error(`callgrind wrote no summary to ${out}`);
  return Number(summary[1]);
}

if (!hasTool('valgrind')) {
  console.error('count-instructions: valgrind is not installed (apt-get install valgrind)');
  process.exit(1);
}
const results: { name: string; perRequest: number }[] = [];
for (const candidate of candidatesFrom(process.argv.slice(2))) {
  const few = await countRun(candidate, FEW);
  const many = await countRun(candidate, MANY);
  const perRequest = (many - few) / (MANY - FEW);
  results.push({ name: candidate.name, perRequest });
  console.log(`${candidate.name}: ${Math.round(perRequest).toLocaleString('en')} instructions per request (${few.toLocaleString('en')} for ${FEW}, ${many.toLocaleString('en')} for ${MANY})`);
}
const base = results.at(-1)!;
for (const { name, perRequest } of results.slice(0, -1)) {
  console.log(`${name} / ${base.name}: ${(perRequest / base.perRequest).toFixed(3)}× the instructions per request`);
}
