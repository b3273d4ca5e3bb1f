/**
 * The entry point (`node dist/server.js`, `npm start`): configuration → application → listen,
 * and a graceful stop on Ctrl-C or SIGTERM.
 *
 * What: reads the environment (config.ts), builds the demo (demo/app.ts) on sessions made by
 * `createSessions()` (session/sessions.ts), as any application makes them, serves it
 * (http/serve.ts), prints the URL, and exits 0 once in-flight requests have finished and the access
 * log (written in batches: fast/buffered-log.ts) is out.
 *
 * Why: starting and stopping are where servers lose requests. A deploy sends SIGTERM; a server
 * that exits at once cuts off whoever was mid-login. Here it stops accepting, finishes what it has,
 * closes idle keep-alive connections, and only then exits.
 * A bad setting stops the server before it listens, with the message from ConfigError and exit code 2.
 *
 * Spec: none.
 *
 * With WORKERS > 1 it runs on node:cluster: this process supervises, and as many workers serve one
 * port (cookie, filesystem and Redis sessions work across them; a memory store cannot, and is refused).
 *
 * Not here: TLS itself (http/serve.ts), sessions (session/).
 *
 * Read next: ../README.md for configuration; src/README.md for the reading order.
 */
import cluster from 'node:cluster';
import { ConfigError, closeGracefully, createHttpServer, escapeForLog, loadConfig, UnsafeSessionDirectoryError, type Config } from './index.js';
import { createDemoFromConfig, type ConfiguredDemo } from './demo/app.js';
import { BufferedLog } from './fast/buffered-log.js';

/** How long in-flight requests get to finish after a stop signal, before connections are cut. */
const SHUTDOWN_GRACE_MS = 10_000;
/** How long a stop waits for stdout to take the last access-log lines (a reader that reads takes them at once). */
const LOG_DRAIN_MS = 5_000;

async function start(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`scratchpad: configuration error: ${error.message}`);
    process.exit(2);
  }
  // With WORKERS > 1 this process only supervises; the workers (this same file, forked) serve.
  if (config.workers > 1 && cluster.isPrimary) return supervise(config);
  if (cluster.isPrimary) for (const warning of config.warnings) console.warn(`scratchpad: warning: ${warning}`);
  await serve(config);
}

async function serve(config: Config): Promise<void> {
  // In a cluster, only the first worker speaks for all of them at start.
  const speaks = cluster.isPrimary || cluster.worker?.id === 1;
  let demo: ConfiguredDemo;
  try {
    // Store events can quote what a Redis sent (a protocol error): escaped like anything from outside.
    demo = await createDemoFromConfig(config, { log: (message) => (speaks ? console.log(`scratchpad: ${escapeForLog(message)}`) : undefined) });
  } catch (error) {
    // A SESSION_FILE_DIR other users can write to is a setting to change, so it is reported and
    // exits (2) like a ConfigError.
    if (error instanceof UnsafeSessionDirectoryError) {
      const setting = new ConfigError('SESSION_FILE_DIR', 'a directory owned by this user and writable by no one else (chmod 700)', error.directory);
      console.error(`scratchpad: configuration error: ${setting.message}: ${error.problem}; ${error.fix}`);
      process.exit(2);
    }
    // Such as a SESSION_FILE_DIR that cannot be created: a fault of the machine, not of a setting.
    console.error(`scratchpad: cannot open the ${config.store.type} session store: ${(error as Error).message}`);
    process.exit(1);
  }
  // The access log, its lines made and written in batches (fast/buffered-log.ts) unless
  // ACCESS_LOG_BUFFER=false, which gives the plain log: a line made and written per request. Each
  // worker of a cluster has its own. Whatever ends the process, process.exit() included, the lines
  // still waiting are written first.
  const buffered = config.accessLog && config.accessLogBuffer ? new BufferedLog(process.stdout) : null;
  if (buffered !== null) process.on('exit', () => buffered.flushBeforeExit());
  // A reader of stdout that goes away (a pipe into a process that ended) makes the next write fail
  // with EPIPE, and an 'error' event nobody listens to ends the process. The buffered log listens
  // and says so once; without it, this does the same, so that no log can take the server down.
  let stdoutFailed = false;
  if (buffered === null) {
    process.stdout.on('error', (error: Error) => {
      if (!stdoutFailed) console.error(`scratchpad: cannot write to stdout any more (${error.message}); further lines are lost`);
      stdoutFailed = true;
    });
  }
  const server = createHttpServer(demo.application, {
    accessLog: config.accessLog && buffered === null ? (line) => console.log(line) : null,
    accessEntries: buffered === null ? undefined : (entry) => buffered.record(entry),
    errorLog: (message) => console.error(`scratchpad: internal error: ${message}`),
    limits: config.limits.server,
    tls: config.tls,
  });
  server.on('error', (error: NodeJS.ErrnoException) => {
    // Typically EADDRINUSE or EACCES: name the setting to change, then stop.
    console.error(`scratchpad: cannot listen on ${config.host}:${config.port}: ${error.message} (set HOST or PORT)`);
    process.exit(1);
  });
  // Workers of a cluster that all listen on one port share it: the primary accepts connections and
  // hands them out in turn, so even PORT=0 gives every worker the same (random) port.
  server.listen(config.port, config.host, () => {
    // In a cluster, the primary announces the address once every worker listens (supervise()).
    if (!cluster.isPrimary) return;
    const address = server.address();
    announce(config, typeof address === 'object' && address !== null ? address.port : config.port);
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    // The lines of requests already answered go before the stop message, as they came before it.
    buffered?.flush();
    if (speaks) console.log(`scratchpad: ${signal} received, finishing requests in flight`);
    void closeGracefully(server, SHUTDOWN_GRACE_MS).then(async (finished) => {
      await demo.close();
      if (!finished) console.error(`scratchpad: requests still open after ${SHUTDOWN_GRACE_MS} ms were cut off`);
      // Every line out before the exit: to a pipe, the last batches may still be on their way.
      if (buffered !== null && !(await buffered.close(LOG_DRAIN_MS))) console.error(`scratchpad: access log: stdout had not taken every line after ${LOG_DRAIN_MS} ms; what it has not taken may be lost`);
      process.exit(finished ? 0 : 1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Node ends the process on a promise rejection that nobody handles. Every request's handling is
  // caught in http/serve.ts, so reaching this is a bug elsewhere; it is logged, and the server keeps
  // serving: one stray rejection must not cut off every request in flight.
  process.on('unhandledRejection', (reason) => {
    console.error(`scratchpad: internal error: unhandled rejection: ${escapeForLog(reason instanceof Error ? (reason.stack ?? String(reason)) : String(reason))}`);
  });
}

/** The start-up line, which scripts (and the tests) wait for. */
function announce(config: Config, port: number): void {
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const workers = config.workers > 1 ? ` with ${config.workers} workers` : '';
  console.log(`Scratchpad listening on ${config.tls === null ? 'http' : 'https'}://${host}:${port}/${workers} (Ctrl-C to stop)`);
}

/**
 * The primary of a cluster: forks WORKERS workers, passes a stop signal on to them, and exits once
 * they all have (0 if every one finished its requests). A worker that dies later is replaced; one
 * that fails before the cluster is up (a port in use, say) takes the cluster down with its code.
 */
function supervise(config: Config): void {
  for (const warning of config.warnings) console.warn(`scratchpad: warning: ${warning}`);
  let stopping = false;
  let listening = 0;
  let exitCode = 0;
  cluster.on('listening', (_worker, address) => {
    listening += 1;
    // The start-up line means "ready": only once the whole cluster can take requests.
    if (listening === config.workers) announce(config, address.port);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (code !== 0 && code !== null) exitCode = code;
    if (!stopping && listening >= config.workers) {
      console.error(`scratchpad: worker ${worker.id} died (${signal ?? `code ${code}`}); starting another`);
      cluster.fork();
      return;
    }
    if (!stopping) stop('a worker failure', code ?? 1);
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode);
  });
  const stop = (reason: string, code = 0): void => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    if (reason !== 'a worker failure') console.log(`scratchpad: ${reason} received, stopping ${config.workers} workers`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  for (let index = 0; index < config.workers; index += 1) cluster.fork();
}

await start();
