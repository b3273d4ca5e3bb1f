/**
 * The entry point (`node dist/server.js`, `npm start`): configuration → application → listen,
 * and a graceful stop on Ctrl-C or SIGTERM.
 *
 * What: reads the environment (config.ts), opens the session backend (session/backend.ts),
 * builds the demo (demo/app.ts), serves it
 * (http/serve.ts), prints the URL, and exits 0 once in-flight requests have finished.
 *
 * Why: starting and stopping are where servers lose requests. A deploy sends SIGTERM; a server
 * that exits at once cuts off whoever was mid-login. Here it stops accepting, finishes what it has,
 * closes idle keep-alive connections, and only then exits.
 * A bad setting stops the server before it listens, with the message from ConfigError and exit code 2.
 *
 * Spec: none.
 *
 * Not here: clustering, TLS.
 *
 * Read next: ../README.md for configuration; src/README.md for the reading order.
 */
import { ConfigError, closeGracefully, createHttpServer, loadConfig, type Config } from './index.js';
import { createDemoFromConfig, type ConfiguredDemo } from './demo/app.js';

/** How long in-flight requests get to finish after a stop signal, before connections are cut. */
const SHUTDOWN_GRACE_MS = 10_000;

async function start(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`scratchpad: configuration error: ${error.message}`);
    process.exit(2);
  }
  for (const warning of config.warnings) console.warn(`scratchpad: warning: ${warning}`);

  let demo: ConfiguredDemo;
  try {
    demo = await createDemoFromConfig(config, { log: (message) => console.log(`scratchpad: ${message}`) });
  } catch (error) {
    // Such as a SESSION_FILE_DIR that cannot be created.
    console.error(`scratchpad: cannot open the ${config.store.type} session store: ${(error as Error).message}`);
    process.exit(1);
  }
  const server = createHttpServer(demo.application, {
    accessLog: config.accessLog ? (line) => console.log(line) : null,
    errorLog: (message) => console.error(`scratchpad: internal error: ${message}`),
    limits: config.limits.server,
    tls: config.tls,
  });
  server.on('error', (error: NodeJS.ErrnoException) => {
    // Typically EADDRINUSE or EACCES: name the setting to change, then stop.
    console.error(`scratchpad: cannot listen on ${config.host}:${config.port}: ${error.message} (set HOST or PORT)`);
    process.exit(1);
  });
  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    console.log(`Scratchpad listening on ${config.tls === null ? 'http' : 'https'}://${host}:${port}/ (Ctrl-C to stop)`);
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`scratchpad: ${signal} received, finishing requests in flight`);
    void closeGracefully(server, SHUTDOWN_GRACE_MS).then(async (finished) => {
      await demo.close();
      if (!finished) console.error(`scratchpad: requests still open after ${SHUTDOWN_GRACE_MS} ms were cut off`);
      process.exit(finished ? 0 : 1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await start();
