// Runs the built server.js as a child process, the way a user starts it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../../src/server.js', import.meta.url));

export interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  readonly exit: Promise<number | null>;
}

export function runServer(env: Record<string, string>, cwd = mkdtempSync(join(tmpdir(), 'scratchpad-start-'))): Child {
  // PATH and the coverage variable are passed on; nothing else leaks in from the test's environment.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => name === 'PATH' || name === 'NODE_V8_COVERAGE'));
  const child = spawn(process.execPath, [SERVER], { cwd, env: { ...inherited, ...env } });
  const result: Child = {
    process: child,
    stdout: '',
    stderr: '',
    exit: once(child, 'exit').then(([code]) => code as number | null),
  };
  child.stdout.on('data', (chunk: Buffer) => (result.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (result.stderr += chunk.toString()));
  return result;
}

/** Waits for the startup line and returns the URL it prints. */
export async function urlOf(child: Child): Promise<string> {
  for (let waited = 0; waited < 10_000; waited += 20) {
    const match = /Scratchpad listening on (http:\/\/\S+)\//.exec(child.stdout);
    if (match !== null) return match[1]!;
    if (child.process.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no startup line; stdout: ${child.stdout}; stderr: ${child.stderr}`);
}

/** Stops the child with SIGTERM and returns its exit code. */
export async function stopServer(child: Child): Promise<number | null> {
  child.process.kill('SIGTERM');
  return child.exit;
}
