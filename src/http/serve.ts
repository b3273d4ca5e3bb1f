/**
 * Serving: a `node:http` server that turns each request into one `Reply`, writes it, and logs it.
 *
 * What: `createHttpServer()` wraps an application function `(request) => Promise<Reply>` in a
 * server with limits on header size and time, an access log, a last-resort 500, and HEAD handled
 * once for every route; `closeGracefully()` stops it without cutting off a request in flight.
 *
 * Why: these are the parts of a server that every application needs and none should repeat.
 * Each limit answers a cheap attack: headers too big for memory (431), a client that sends one
 * byte a minute to hold a connection open forever ("slowloris": 408 after the timeouts below).
 *
 * Spec: RFC 9110 §9.3.2 (HEAD), §15.6.1 (500); RFC 6585 §5 (431); RFC 9112 §9.6 (Connection: close);
 * RFC 8446 (TLS 1.3, when TLS_CERT_FILE and TLS_KEY_FILE are set).
 *
 * Not here: routing (router.ts), HTTP/2, certificate management (bring PEM files).
 *
 * Read next: ../config.ts, then ../server.ts, which start this server for the demo.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { performance } from 'node:perf_hooks';
import { requestPath } from './router.js';
import type { Reply } from './reply.js';

/** An application: one request in, one reply out. It may throw only for bugs. */
export type Application = (request: IncomingMessage) => Promise<Reply>;

export interface ServeOptions {
  /** Receives one line per request, or `null` to log nothing. */
  readonly accessLog: ((line: string) => void) | null;
  /** Receives unexpected errors (bugs), with stack. */
  readonly errorLog: (message: string) => void;
  /** Overrides for SERVER_LIMITS; tests shorten the timeouts instead of waiting 30 s. */
  readonly limits?: Partial<ServerLimits>;
  /** A PEM certificate and key: serve HTTPS (node:https) instead of HTTP. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer } | null;
}

/** Limits, in the units Node uses. Each is a line of defence described in the header. */
export interface ServerLimits {
  readonly maxHeaderSize: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly timeoutCheckIntervalMs: number;
  /** Open connections at once; Node closes any connection beyond it as soon as it is accepted. */
  readonly maxConnections: number;
}

export const SERVER_LIMITS: ServerLimits = Object.freeze({
  /** Request line plus headers, in bytes. Node answers 431 past it. */
  maxHeaderSize: 16 * 1024,
  /** Time to receive the complete headers. */
  headersTimeoutMs: 10_000,
  /** Time to receive the complete request, body included. Node answers 408 past it. */
  requestTimeoutMs: 30_000,
  /** How long an idle keep-alive connection is kept open for the next request. */
  keepAliveTimeoutMs: 5_000,
  /** How often Node looks for connections past the two timeouts above (its default is 30 s). */
  timeoutCheckIntervalMs: 1_000,
  maxConnections: 1_000,
});

export function createHttpServer(application: Application, options: ServeOptions): Server {
  const limits = { ...SERVER_LIMITS, ...options.limits };
  const serverOptions = {
    maxHeaderSize: limits.maxHeaderSize,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
  };
  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    void handleRequest(server, application, options, request, response);
  };
  // An https.Server is an http.Server that speaks TLS first; everything below applies to both.
  const server: Server = options.tls ? createTlsServer({ ...serverOptions, ...options.tls }, handler) : createServer(serverOptions, handler);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  return server;
}

async function handleRequest(
  server: Server,
  application: Application,
  options: ServeOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const started = performance.now();
  let reply: Reply;
  try {
    reply = await application(request);
  } catch (error) {
    // Only bugs reach this point: expected failures are HttpErrors that the application turns
    // into pages. The details go to the log, never to the client.
    options.errorLog(`${request.method} ${request.url}: ${error instanceof Error ? error.stack : String(error)}`);
    reply = { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Internal Server Error\n' };
  }
  // A server that has stopped listening is shutting down: ask the client not to reuse this connection.
  writeReply(response, reply, request.method === 'HEAD', !server.listening);
  if (options.accessLog !== null) {
    const milliseconds = (performance.now() - started).toFixed(1);
    const note = reply.logNote === undefined ? '' : ` ${reply.logNote}`;
    options.accessLog(`${request.method} ${requestPath(request.url)} ${reply.status} ${milliseconds}ms${note}`);
  }
}

/**
 * Writes a reply once. `Content-Length` is always set from the body, so a HEAD answer
 * announces the same length as the GET it stands for, while sending no body.
 */
export function writeReply(response: ServerResponse, reply: Reply, omitBody: boolean, closeConnection: boolean): void {
  // The client may have gone (the body reader gave up on a cut-off upload): nobody to answer.
  if (response.destroyed || response.headersSent) return;
  // One object handed to writeHead(), rather than a setHeader() call per header: Node then builds
  // the header block in one pass instead of keeping a second copy of every header.
  const headers: Record<string, string | number | readonly string[]> = {};
  for (const name in reply.headers) headers[name] = reply.headers[name]!;
  if (closeConnection) headers['connection'] = 'close';
  headers['content-length'] = Buffer.byteLength(reply.body);
  response.writeHead(reply.status, headers as Record<string, string | number | string[]>);
  response.end(omitBody ? undefined : reply.body);
}

/**
 * Stops accepting connections, lets requests in flight finish, and closes idle keep-alive
 * connections. Resolves `true` when everything finished, or `false` if `graceMs` ran out and the
 * remaining connections had to be cut.
 */
export function closeGracefully(server: Server, graceMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => {
      server.closeAllConnections();
      resolve(false);
    }, graceMs);
    deadline.unref();
    server.close(() => {
      clearTimeout(deadline);
      resolve(true);
    });
    server.closeIdleConnections();
  });
}
