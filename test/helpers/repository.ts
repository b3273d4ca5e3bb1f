// What tests that run the package as a user does share: where the repository is, a free port, and
// a child program started until it prints its `listening on` line.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of scratchpad's package.json, found by walking up from this compiled file (in .build/
 * or a .build-* folder of the repository): where `import 'scratchpad'` resolves to itself.
 */
export function repositoryRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'scratchpad') return directory;
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`no package.json of scratchpad above ${fileURLToPath(import.meta.url)}`);
    directory = parent;
  }
}

/** A port nothing listens on right now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ListeningProgram {
  /** `http://127.0.0.1:<port>`, from the line the program prints. */
  readonly url: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs `node <file>` in `cwd` with exactly `env` (nothing of the test's environment, as a user's
 * shell would give it) and waits for its `listening on http://127.0.0.1:<port>` line.
 */
export async function startListening(file: string, cwd: string, env: Record<string, string>): Promise<ListeningProgram> {
  const child = spawn(process.execPath, [file], { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exit;
  };
  for (let waited = 0; waited < 10_000; waited += 20) {
    const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout);
    if (match !== null) return { url: match[1]!, stdout: () => stdout, stderr: () => stderr, stop };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await stop();
  throw new Error(`${file} printed no "listening on" line; stdout: ${stdout}; stderr: ${stderr}`);
}
