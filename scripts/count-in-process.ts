/**
 * Instructions per request of the demo's own work, counted by callgrind in process: the
 * application called directly with a request object, no sockets, no HTTP parser, no kernel.
 *
 *   npm run build && npm run build:test && node .build/scripts/count-in-process.js [NAME=VAR=VALUE,VAR=VALUE ...]
 *
 * Without arguments it compares the demo on the memory store with the demo on cookie sessions (the
 * memory store's target in docs/performance.md, the fifth round). Each argument is a candidate, as
 * in count-instructions.ts: a name, then the configuration it adds, such as `plain=SESSION_MEMO=false`.
 *
 * Why, next to count-instructions.ts: a count of the whole server varies by up to 8 % from run to
 * run (its garbage collection and its compiling fall differently around the sockets' work), which
 * hides a change of a few per cent in the session layer. Called in a loop, the application alone
 * counts the same within about 1 % from run to run (up to 900 instructions of 73,000, seen here).
 *
 * How: for each candidate, this script runs itself under `valgrind --tool=callgrind` (node
 * `--single-threaded`), twice: the run logs in once through a real server on a loopback port (the
 * cookie must come from the demo itself), then calls the application COUNT_FEW (20,000) times in
 * one run and COUNT_MANY (80,000) in the other, each time with a new request for GET / carrying the
 * cookie. The difference of the two totals over the difference of the calls is one request's work.
 * Each request object is made fresh (a stream, as node:http gives), the same for every candidate:
 * the ratios are what to compare, not the counts with another loop's.
 *
 * Needs valgrind (Debian's valgrind package); two candidates take about four minutes.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createDemoFromConfig } from '../src/demo/app.js';
import { createHttpServer, loadConfig } from '../src/index.js';
import type { IncomingMessage } from 'node:http';
import { candidatesFrom, printPerRequest, type CountCandidate } from './counting.js';
import { hasTool, removeTemporaryDirectory, sessionCookie, temporaryDirectory } from './load.js';

const FEW = Number(process.env['COUNT_FEW'] ?? 20_000);
const MANY = Number(process.env['COUNT_MANY'] ?? 80_000);
const KEY = 'benchmark-secret-key-of-at-least-32-bytes';
/** Set in the runs under valgrind: how many requests to send, and the candidate's configuration. */
const CHILD_REQUESTS = process.env['COUNT_IN_PROCESS_REQUESTS'];

/** The run under valgrind: log in, then `requests` calls of the application. */
async function childRun(requests: number): Promise<void> {
  const env = { SECRET_KEY: KEY, ACCESS_LOG: 'false', NODE_ENV: 'development', ...JSON.parse(process.env['COUNT_IN_PROCESS_ENV'] ?? '{}') };
  const config = loadConfig(env, temporaryDirectory('count-in-process-'));
  const demo = await createDemoFromConfig(config, {});
  const server = createHttpServer(demo.application, { accessLog: null, errorLog: (message) => console.error(message), limits: config.limits.server, tls: null });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cookie = await sessionCookie(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await new Promise((resolve) => server.close(resolve));
  const request = (): IncomingMessage =>
    Object.assign(Readable.from([]), {
      method: 'GET',
      url: '/',
      httpVersion: '1.1',
      headers: { host: '127.0.0.1', cookie, accept: '*/*' },
      rawHeaders: ['host', '127.0.0.1', 'cookie', cookie, 'accept', '*/*'],
      socket: { remoteAddress: '127.0.0.1', encrypted: false },
    }) as unknown as IncomingMessage;
  for (let sent = 0; sent < requests; sent += 1) {
    const reply = await demo.application(request());
    if (reply.status !== 200) throw new Error(`GET / answered ${reply.status}`);
  }
  await demo.close();
}

/** The instructions of one run under callgrind that calls the application `requests` times. */
async function countRun(env: Record<string, string>, requests: number): Promise<number> {
  const directory = temporaryDirectory('count-in-process-');
  const out = `${directory}/callgrind.out`;
  const script = fileURLToPath(import.meta.url);
  const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, '--smc-check=all-non-file', process.execPath, '--single-threaded', script], {
    env: { PATH: process.env['PATH'] ?? '', COUNT_IN_PROCESS_REQUESTS: String(requests), COUNT_IN_PROCESS_ENV: JSON.stringify(env) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the run under valgrind failed (${code}): ${errors.slice(-2000)}`);
  const summary = /^summary: (\d+)$/m.exec(readFileSync(out, 'utf8'));
  if (summary === null) throw new Error(`callgrind wrote no summary to ${out}`);
  removeTemporaryDirectory(directory);
  return Number(summary[1]);
}

if (CHILD_REQUESTS !== undefined) {
  await childRun(Number(CHILD_REQUESTS));
} else {
  if (!hasTool('valgrind')) {
    console.error('count-in-process: valgrind is not installed (apt-get install valgrind)');
    process.exit(1);
  }
  const defaults: CountCandidate[] = [
    { name: 'memory store', env: { SESSION_TYPE: 'memory' } },
    { name: 'cookie', env: {} },
  ];
  // The two runs of a candidate at once: one per core, each counted on its own.
  await printPerRequest(candidatesFrom(process.argv.slice(2), defaults), FEW, MANY, (candidate) => Promise.all([countRun(candidate.env, FEW), countRun(candidate.env, MANY)]));
}
