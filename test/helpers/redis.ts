// Starts a real redis-server on a free loopback port in a temporary directory, for tests; with
// `tls`, it listens for TLS only (its plaintext port is off), with that certificate.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './repository.js';

export interface RedisServer {
  /** The port it listens on: the TLS port when started with `tls`. */
  readonly port: number;
  /** redis://127.0.0.1:port/0, or rediss:// with `tls`. */
  readonly url: string;
  /** Kills the server (SIGKILL: a crash, not a shutdown). */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisStartOptions {
  readonly password?: string;
  /**
   * A certificate and its key (PEM files, as makeCertificate() makes): listen for TLS only. The
   * certificate is also the CA redis would check client certificates against, but it asks for none.
   */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export async function startRedis(options: RedisStartOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const directory = mkdtempSync(join(tmpdir(), 'scratchpad-redis-'));
  let child: ChildProcess | null = null;
  const listen =
    options.tls === undefined
      ? ['--port', String(port)]
      : ['--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.cert, '--tls-key-file', options.tls.key, '--tls-ca-cert-file', options.tls.cert, '--tls-auth-clients', 'no'];
  const args = [...listen, '--bind', '127.0.0.1', '--dir', directory, '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
  if (options.password !== undefined) args.push('--requirepass', options.password);

  async function launch(): Promise<void> {
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      };
      started.stdout!.on('data', onData);
      started.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
      setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000).unref();
    });
  }

  async function kill(): Promise<void> {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  }

  await launch();
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  const scheme = options.tls === undefined ? 'redis' : 'rediss';
  return { port, url: `${scheme}://${auth}127.0.0.1:${port}/0`, kill, restart: launch, stop: kill };
}
