/**
 * A small keep-alive HTTP load generator on node:http, for benchmarks that must run anywhere.
 *
 * `runLoad()` keeps `connections` requests in flight against one URL for `seconds`, and reports
 * requests per second and latency percentiles. It is slower than wrk, so absolute numbers are low;
 * the benchmarks only compare servers measured by the same generator in the same run (ratios).
 * `runWrk()` does the same with Debian's wrk, pinned to a CPU of its own, when it is installed.
 * `sessionCookie()` logs in through the demo's form first, so that the load carries a real session.
 * `temporaryDirectory()` gives the benchmarks their scratch folders (wrk scripts, server output,
 * session files): a benchmark makes hundreds in a run, and each goes when it is done with, or at exit
 * whatever ended the run, so that runs do not fill the temporary folder.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Agent, request } from 'node:http';

/** Temporary folders this run made and has not removed yet: whatever ends the run, they go at exit. */
const temporaryDirectories = new Set<string>();
process.on('exit', () => {
  for (const directory of temporaryDirectories) removeTemporaryDirectory(directory);
});

/** A new folder under the system's temporary folder, removed at the latest when the process exits. */
export function temporaryDirectory(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  temporaryDirectories.add(directory);
  return directory;
}

/** Removes a folder temporaryDirectory() made. A folder that will not go is left: not worth failing a measurement for. */
export function removeTemporaryDirectory(directory: string): void {
  temporaryDirectories.delete(directory);
  try {
    rmSync(directory, { recursive: true, force: true });
  } catch {
    // Left in the temporary folder, which the system cleans.
  }
}

export interface LoadResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

export interface LoadOptions {
  readonly connections: number;
  readonly seconds: number;
  readonly headers?: Record<string, string>;
  readonly method?: string;
  readonly body?: string;
}

/** Counts a 200, or for a POST the 303 a login answers, as a success. */
function succeeded(method: string, status: number | undefined): boolean {
  return method === 'POST' ? status === 303 : status === 200;
}

export async function runLoad(url: string, options: LoadOptions): Promise<LoadResult> {
  const method = options.method ?? 'GET';
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const target = new URL(url);
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + options.seconds * 1000;

  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const outgoing = request({ host: target.hostname, port: target.port, path: target.pathname, agent, method, headers: options.headers ?? {} }, (response) => {
        response.resume();
        response.on('end', () => {
          if (succeeded(method, response.statusCode)) latencies.push(performance.now() - started);
          else errors += 1;
          resolve();
        });
      });
      outgoing.on('error', () => {
        errors += 1;
        resolve();
      });
      outgoing.end(options.body);
    });

  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < deadline) await once();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? Number.NaN;
  return { requests: latencies.length, requestsPerSecond: latencies.length / elapsed, p50Ms: percentile(50), p99Ms: percentile(99), errors };
}

/** Whether a command is on PATH. */
export function hasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/**
 * The same measurement with wrk (one thread, pinned to CPU 1 when taskset exists), waited for
 * without blocking the benchmark's own event loop.
 */
export function runWrk(url: string, options: LoadOptions): Promise<LoadResult> {
  const script = join(temporaryDirectory('bench-wrk-'), 'request.lua');
  const headers = Object.entries(options.headers ?? {}).map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  writeFileSync(script, [`wrk.method = ${JSON.stringify(options.method ?? 'GET')}`, ...(options.body === undefined ? [] : [`wrk.body = ${JSON.stringify(options.body)}`]), ...headers].join('\n'));
  const command = ['wrk', '-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', '-s', script, url];
  const pinned = hasTool('taskset') ? ['taskset', '-c', '1', ...command] : command;
  return new Promise((resolve, reject) => {
    const child = spawn(pinned[0]!, pinned.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (output += chunk));
    child.once('error', reject);
    child.once('close', () => {
      removeTemporaryDirectory(dirname(script));
      resolve(wrkResult(output));
    });
  });
}

function wrkResult(output: string): LoadResult {
  const number = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? Number.NaN);
  const latency = (percent: string) => {
    const match = new RegExp(`${percent}%\\s+([\\d.]+)(us|ms|s)`).exec(output);
    if (match === null) return Number.NaN;
    return Number(match[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[match[2]!]!;
  };
  const requests = number(/(\d+) requests in/);
  const non2xx = number(/Non-2xx or 3xx responses: (\d+)/);
  return { requests, requestsPerSecond: number(/Requests\/sec:\s+([\d.]+)/), p50Ms: latency('50'), p99Ms: latency('99'), errors: Number.isNaN(non2xx) ? 0 : non2xx };
}

/** A throwaway redis-server on a random loopback port for a benchmark, or null without one. */
export async function startBenchRedis(): Promise<{ url: string; stop: () => void } | null> {
  if (!hasTool('redis-server')) return null;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const directory = temporaryDirectory('bench-redis-');
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory], { stdio: ['ignore', 'pipe', 'ignore'] });
  const stop = () => {
    child.kill('SIGKILL');
    removeTemporaryDirectory(directory);
  };
  process.on('exit', stop);
  await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('Ready to accept') && resolve()));
  return { url: `redis://127.0.0.1:${port}/0`, stop };
}

/** One request on a fresh connection (no keep-alive to race with the server's idle timeout). */
export function requestOnce(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ body: string; cookies: string[] }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ body, cookies: response.headers['set-cookie'] ?? [] }));
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** The CSRF cookie and token a login post needs, fetched once like a browser's form. */
export async function loginForm(url: string): Promise<{ cookie: string; body: (username: string, remember: boolean) => string }> {
  const response = await requestOnce(`${url}/login`);
  const token = /name="csrf_token" value="([^"]+)"/.exec(response.body)![1]!;
  const cookie = response.cookies[0]!.split(';')[0]!;
  return { cookie, body: (username, remember) => `username=${username}&csrf_token=${token}${remember ? '&remember=on' : ''}` };
}

/** Logs in through the form, as a browser does; returns the Cookie header a browser would then send. */
export async function sessionCookie(url: string, remember = false): Promise<string> {
  const form = await loginForm(url);
  const response = await requestOnce(`${url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
    body: form.body('benchmark', remember),
  });
  // Both cookies, as a browser would send them: without the CSRF cookie, every page with a form
  // would mint and sign a new CSRF token, which no real client causes.
  return `${response.cookies.find((line) => line.startsWith('session='))!.split(';')[0]!}; ${form.cookie}`;
}
