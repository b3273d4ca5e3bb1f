// Real Flask for interop tests: Debian's python3-flask, run with the system /usr/bin/python3.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

export const PYTHON = '/usr/bin/python3';
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

/** `false` when Flask can be imported; otherwise the reason to skip (a failing test when CI is set). */
export function skipUnlessFlask(): string | false {
  if (spawnSync(PYTHON, ['-c', 'import flask'], { stdio: 'ignore' }).status === 0) return false;
  const reason = `${PYTHON} cannot import flask (apt-get install python3-flask)`;
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') test('python3-flask is installed, as CI requires', () => assert.fail(reason));
  else console.log(`# skipping: ${reason}`);
  return reason;
}

export interface FlaskServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts test/fixtures/flask_app.py with `secretKey` on a free port. */
export async function startFlask(secretKey: string): Promise<FlaskServer> {
  const child: ChildProcess = spawn(PYTHON, [`${FIXTURES}flask_app.py`], { env: { SECRET_KEY: secretKey, PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`the Flask app exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** What real Flask makes of each cookie: its tagged JSON data, or the name of the exception it raised. */
export function flaskDecode(secretKey: string, cookies: readonly string[]): ({ ok: true; data: unknown } | { ok: false; error: string })[] {
  const result = spawnSync(PYTHON, [`${FIXTURES}flask_decode.py`], { input: cookies.join('\n') + '\n', env: { SECRET_KEY: secretKey, PATH: process.env['PATH'] ?? '' }, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { ok: true; data: unknown } | { ok: false; error: string });
}
