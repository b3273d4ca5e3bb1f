/**
 * Serving: a `node:http` server that turns each request into one `Reply`, writes it, and logs it.
 *
 * What: `createHttpServer()` wraps an application function `(request) => Promise<Reply>` in a
 * server with limits on header size and time, an access log, a last-resort 500, and HEAD handled
 * once for every route; `closeGracefully()` stops it without cutting off a request in flight.
 *
 * Why: these are the parts of a server that every application needs and none should repeat.
 * Each limit answers a cheap attack: headers too big for memory (431), a client that sends one
 * byte a minute to hold a connection open forever ("slowloris": 408 after the timeouts below),
 * one client opening every connection the server allows (a limit per client address, below).
 *
 * Nothing a client sends may end the process. An exception in request handling that nobody
 * catches becomes an unhandled rejection, and Node ends the process on one: every request in
 * flight is lost, and an attacker who finds one such input can stop the server at will. So each
 * request's whole handling is caught here, whatever the application did: a reply that Node refuses
 * to write (a header value with a character it cannot send) becomes a 500 and a log line, and so
 * does any other failure, and the next request is served as if nothing happened.
 *
 * Log lines are text for a person and a terminal. Anything from a request that goes into one (the
 * path, a rejected cookie's reason) has its control characters written out as escapes, so a
 * request cannot start a fake log line, or send escape sequences to the terminal of whoever reads it.
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
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { clientKey } from './client-address.js';
import { requestPath } from './router.js';
import type { Reply } from './reply.js';

/** An application: one request in, one reply out. It may throw only for bugs. */
export type Application = (request: IncomingMessage) => Promise<Reply>;

export interface ServeOptions extends Omit<ListenerOptions, 'closeConnection'> {
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
  /** Open connections at once from one client address (an IPv6 /64); 0: no such limit. */
  readonly maxConnectionsPerClient: number;
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
  /**
   * A browser opens at most 6 connections to a host (HTTP/1.1), so 100 serves a dozen or more
   * browsers behind one shared address (an office's NAT), while a single client can hold no more
   * than a tenth of MAX_CONNECTIONS: it takes ten addresses to crowd everybody else out.
   */
  maxConnectionsPerClient: 100,
});

export function createHttpServer(application: Application, options: ServeOptions): Server {
  const limits = { ...SERVER_LIMITS, ...options.limits };
  const serverOptions = {
    maxHeaderSize: limits.maxHeaderSize,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
  };
  // A server that has stopped listening is shutting down: each reply then asks the client not to reuse its connection.
  const handler = requestListener(application, { ...options, closeConnection: () => !server.listening });
  // An https.Server is an http.Server that speaks TLS first; everything below applies to both.
  // A TLS client gets as long to finish its handshake as any client gets to send its headers: Node's
  // own default is 120 s, in which an idle socket holds one of MAX_CONNECTIONS for nothing.
  const tlsOptions = { ...serverOptions, ...options.tls, handshakeTimeout: limits.headersTimeoutMs };
  const server: Server = options.tls ? createTlsServer(tlsOptions, handler) : createServer(serverOptions, handler);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  if (limits.maxConnectionsPerClient > 0) limitConnectionsPerClient(server, limits.maxConnectionsPerClient);
  return server;
}

/**
 * Closes a new connection at once when its client address already has `limit` open. Counted on
 * the TCP connection, before TLS or HTTP: a client that only opens sockets and sends nothing is
 * exactly the one to stop. Behind a proxy every connection comes from the proxy, so there this
 * limit must be off (config.ts turns it off by default with TRUST_PROXY).
 */
function limitConnectionsPerClient(server: Server, limit: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const key = clientKey(socket.remoteAddress ?? 'unknown');
    const count = (open.get(key) ?? 0) + 1;
    if (count > limit) {
      socket.destroy();
      return;
    }
    open.set(key, count);
    socket.once('close', () => {
      const left = open.get(key)! - 1;
      if (left === 0) open.delete(key);
      else open.set(key, left);
    });
  });
}

const INTERNAL_ERROR: Reply = Object.freeze({ status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Internal Server Error\n' });

/** What `requestListener()` needs: the two logs, and whether to close each connection after its reply. */
export interface ListenerOptions {
  /** Receives one line per request (`formatAccessLine()`), or `null`: no lines (`accessEntries` may still take entries). */
  readonly accessLog: ((line: string) => void) | null;
  /**
   * Receives each request's entry instead, for a log that makes the lines itself, later and many
   * at a time (../fast/buffered-log.ts). When set, `accessLog` is not called.
   */
  readonly accessEntries?: ((entry: AccessEntry) => void) | undefined;
  /** Receives unexpected errors (bugs), with stack. */
  readonly errorLog: (message: string) => void;
  /** Asked once per reply: `true` adds `Connection: close` (the server is shutting down). */
  readonly closeConnection?: () => boolean;
}

/**
 * The `(request, response)` function that `node:http` calls for every request: runs the
 * application, writes its reply, logs it, and catches every failure (see the header). It is what
 * `createHttpServer()` serves, and what session/sessions.ts's `listener()` hands to an app's own
 * `http.createServer()`: both serve a request the same way.
 */
export function requestListener(application: Application, options: ListenerOptions): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    handleRequest(application, options, request, response).catch((error: unknown) => lastResort(options, request, response, error));
  };
}

async function handleRequest(application: Application, options: ListenerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const started = performance.now();
  let reply: Reply;
  try {
    reply = await application(request);
  } catch (error) {
    // Only bugs reach this point: expected failures are HttpErrors that the application turns
    // into pages. The details go to the log, never to the client.
    logError(options, request, error);
    reply = INTERNAL_ERROR;
  }
  const write = { omitBody: request.method === 'HEAD', closeConnection: options.closeConnection?.() ?? false };
  try {
    writeReply(response, reply, write);
  } catch (error) {
    // Node refused the reply (ERR_INVALID_CHAR: a header value it cannot send). Nothing has gone
    // out yet, but the headers it took before the bad one are set: clear them, so that no
    // Set-Cookie of the refused reply rides on the 500.
    logError(options, request, error);
    for (const name of response.getHeaderNames()) response.removeHeader(name);
    // And the reason phrase the refused writeHead() set ("See Other"), or the 500 would carry it.
    response.statusMessage = '';
    reply = INTERNAL_ERROR;
    writeReply(response, reply, write);
  }
  // No log, no clock read and no entry.
  if (options.accessLog === null && options.accessEntries === undefined) return;
  const entry: AccessEntry = { method: request.method, target: request.url, status: reply.status, milliseconds: performance.now() - started, note: reply.logNote };
  if (options.accessEntries !== undefined) options.accessEntries(entry);
  else if (options.accessLog !== null) options.accessLog(formatAccessLine(entry));
}

/** One request as the access log records it: what was asked, what was answered, how long it took. */
export interface AccessEntry {
  /** As the client sent them: `request.method` and `request.url` (the query is left out of the line). */
  readonly method: string | undefined;
  readonly target: string | undefined;
  readonly status: number;
  /** From the request's arrival at the application until its reply was handed to Node. */
  readonly milliseconds: number;
  /** Why a reply is what it is, when the application says (`Reply.logNote`): a rejected cookie, say. */
  readonly note: string | undefined;
}

/**
 * The access log's line for one request: `GET /path 200 1.4ms`, then the note if there is one.
 * The query string is left out: it may carry what should not sit in a log file (a token, an
 * address). Escaped as the header says, as the path and the note come from outside.
 */
export function formatAccessLine(entry: AccessEntry): string {
  const note = entry.note === undefined ? '' : ` ${entry.note}`;
  return escapeForLog(`${entry.method} ${requestPath(entry.target)} ${entry.status} ${oneDecimal(entry.milliseconds)}ms${note}`);
}

/**
 * Milliseconds with one decimal, as `toFixed(1)` writes them, in plain arithmetic: `toFixed()`
 * calls into the engine's C++ runtime on every request. With `escapeForLog()`'s test below, the
 * server with its access log on served 4 % more requests (docs/performance.md). A time exactly
 * between two tenths may round up where `toFixed()` rounds down: the same format, a tenth of a
 * millisecond apart.
 */
function oneDecimal(milliseconds: number): string {
  const tenths = Math.round(milliseconds * 10);
  return `${Math.trunc(tenths / 10)}.${tenths % 10}`;
}

/**
 * The net under everything: a failure while failing (the error log itself threw, say). Logged if
 * possible, answered with a 500 if nothing was sent yet, the connection closed otherwise.
 */
function lastResort(options: ListenerOptions, request: IncomingMessage, response: ServerResponse, error: unknown): void {
  try {
    logError(options, request, error);
  } catch {
    // Nowhere left to say it.
  }
  try {
    if (!response.headersSent && !response.destroyed) {
      for (const name of response.getHeaderNames()) response.removeHeader(name);
      response.statusMessage = '';
      writeReply(response, INTERNAL_ERROR, { omitBody: request.method === 'HEAD', closeConnection: true });
    } else {
      response.destroy();
    }
  } catch {
    response.destroy();
  }
}

/** One error, for the error log: the request and the message escaped, the stack's frames as they are. */
function logError(options: ListenerOptions, request: IncomingMessage, error: unknown): void {
  const what = escapeForLog(`${request.method} ${request.url}`);
  if (!(error instanceof Error)) return options.errorLog(`${what}: ${escapeForLog(String(error))}`);
  // The message may quote what the client sent; the frames are ours, one per line.
  const stack = error.stack ?? '';
  const frames = stack.indexOf('\n    at ');
  options.errorLog(`${what}: ${escapeForLog(`${error.name}: ${error.message}`)}${frames === -1 ? '' : stack.slice(frames)}`);
}

/** A character that escapeForLog() writes out. */
const UNSAFE_IN_LOG = /[\\\x00-\x1f\x7f-\x9f\u2028\u2029]/;

/**
 * `text` with every character that could break a log line or drive a terminal written as an
 * escape: C0 controls (line breaks included), DEL, the C1 controls (U+0085 is a line break to
 * some readers, U+009B starts a terminal escape sequence), and U+2028/U+2029 (line and paragraph
 * separators). The backslash is doubled, so that `\x0a` in a log line always means the escape and
 * never something a client typed.
 */
export function escapeForLog(text: string): string {
  // Nearly every line has nothing to escape: a test() that finds nothing stays in the engine's fast
  // path, where a replace() with a function goes through its runtime (see oneDecimal() above).
  if (!UNSAFE_IN_LOG.test(text)) return text;
  return text.replace(new RegExp(UNSAFE_IN_LOG, 'g'), (character) => {
    if (character === '\\') return '\\\\';
    const code = character.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}

/** How `writeReply()` sends a reply. */
export interface WriteOptions {
  /** Send the headers only: the answer to a HEAD request (RFC 9110 §9.3.2). Default `false`. */
  readonly omitBody?: boolean;
  /** Add `Connection: close`, so the client does not reuse the connection. Default `false`. */
  readonly closeConnection?: boolean;
}

/**
 * Writes a reply once. `Content-Length` is always set from the body, so a HEAD answer
 * announces the same length as the GET it stands for, while sending no body.
 */
export function writeReply(response: ServerResponse, reply: Reply, options: WriteOptions = {}): void {
  const { omitBody = false, closeConnection = false } = options;
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
