/**
 * A small Redis client on `node:net` or `node:tls`: one connection, pipelined commands, reconnection with backoff.
 *
 * What: `RedisClient.command(['GET', key])` sends a command and resolves with the reply.
 * Commands are written as soon as they are issued, without waiting for earlier replies
 * (pipelining); Redis answers in order, so replies are matched to commands first-in first-out.
 *
 * Why: a session store must answer in about a millisecond, and must not take the server down with
 * it. So: one long-lived connection (no connect per request); pipelining (many requests in flight
 * on it); and clear behaviour when Redis goes away:
 * - every command waiting for a reply fails at once with `RedisUnavailableError`;
 * - new commands try to reconnect, but after a failed attempt the client waits before the next one
 *   (100 ms, doubling up to 2 s), failing fast in between, so a dead Redis costs each request
 *   microseconds, not a connect timeout;
 * - every one of those errors says why (ECONNREFUSED, a connect timeout, WRONGPASS…): a fail-fast
 *   error quotes the last attempt's failure, or a wrong password would hide behind "try later";
 * - when Redis is back, the next attempt succeeds and everything works again, with no restart.
 *
 * TLS (`tls` set, `rediss://` in a URL): a managed Redis, and any Redis across a network you do not
 * own, must be reached over TLS, or the password in AUTH and every session crosses the wire
 * readable by anyone on the path. The certificate is always verified, and so is the host name
 * (never `rejectUnauthorized: false`: that would hand the password to whoever answers first).
 * The CA is Node's default store, which includes NODE_EXTRA_CA_CERTS, unless one is given. The
 * connect timeout covers the handshake. A TLS failure (an unknown CA, another host's certificate,
 * a port that does not speak TLS) is `RedisUnavailableError` naming TLS and Node's reason, like
 * any other failed connect; a client configured for TLS never falls back to plaintext.
 *
 * Once one reply is missing or unreadable, the order that matches replies to commands can no longer
 * be trusted, so the connection is closed, as if Redis had gone away, when a command gets no reply
 * within `commandTimeoutMs`, or when the bytes are not RESP or answer no command. Nothing thrown
 * while reading may escape the socket's 'data' handler: there it would end the process.
 *
 * An error reply is not always a bug in the command. NOAUTH, LOADING, OOM, READONLY and their kind
 * say that Redis will not serve anyone right now, whatever the command: they are
 * `RedisUnavailableError` too (a 503 upstream), with Redis's own words as the reason. Only the
 * rest (ERR wrong number of arguments, WRONGTYPE…) are `RedisReplyError`.
 *
 * Spec: RESP2 (resp.ts); AUTH and SELECT (https://redis.io/docs/latest/commands/auth/, /select/);
 * error replies and their codes (https://redis.io/docs/latest/develop/reference/errors/); Redis
 * over TLS (https://redis.io/docs/latest/operate/oss_and_stack/management/security/encryption/);
 * `tls.connect` and its certificate and host name checks (https://nodejs.org/api/tls.html#tlsconnectoptions-callback,
 * RFC 9525); SNI carries host names only, never an IP address (RFC 6066 §3); NODE_EXTRA_CA_CERTS
 * (https://nodejs.org/api/cli.html#node_extra_ca_certsfile).
 *
 * Not here: URLs (redis-url.ts), client certificates, Sentinel, Cluster, pub/sub, RESP3.
 *
 * Read next: ../session/stores/redis.ts, the session store built on this client.
 */
import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { encodeCommand, RespDecoder, RespError, RespProtocolError, type RespValue } from './resp.js';

export interface RedisClientOptions {
  readonly host: string;
  readonly port: number;
  /** Database number for SELECT; 0 is Redis's default. */
  readonly db?: number;
  readonly username?: string;
  readonly password?: string;
  readonly connectTimeoutMs?: number;
  readonly commandTimeoutMs?: number;
  /** Absent or null: plaintext. An object, even `{}`: TLS, with the certificate and host name verified. */
  readonly tls?: RedisTlsOptions | null;
  /** Receives one line when the connection is lost or comes back. */
  readonly log?: (message: string) => void;
  /**
   * How a command's bytes reach the socket, in the order the commands were issued. Absent:
   * `socket.write(bytes)`, one write per command, at once. (The last chapter's
   * ../fast/batched-redis-writes.ts sends all the commands of one turn of the event loop together.)
   */
  readonly write?: (socket: Socket, bytes: Buffer) => void;
}

export interface RedisTlsOptions {
  /**
   * The CA certificates (PEM) to trust, instead of Node's default store. Absent: the default
   * store, which is Mozilla's CAs plus the file in NODE_EXTRA_CA_CERTS, if that was set when
   * Node started; given: these alone, NODE_EXTRA_CA_CERTS included out.
   */
  readonly ca?: Buffer | string;
  /**
   * The name sent in SNI and checked against the certificate. Absent: the host, or, when the host
   * is an IP address, no SNI and the address checked against the certificate's IP entries.
   */
  readonly servername?: string;
}

/**
 * Redis cannot be reached, the connection broke before the reply came, or Redis refuses to serve
 * (a wrong password, still loading, out of memory…). The message says which. Try again later.
 */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/** Redis answered with an error reply about the command itself (ERR syntax error, WRONGTYPE…): a bug. */
export class RedisReplyError extends Error {
  override name = 'RedisReplyError';
}

/**
 * Error reply codes (an error reply's first word) that mean "Redis will not serve anyone right now",
 * whatever the command. Retrying later may work, changing the code will not: an outage, not a bug.
 */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  // Credentials and permissions: this client's configuration does not match the server's.
  // DENIED: a Redis in protected mode (no password set) refuses every client not on its loopback.
  'NOAUTH', 'WRONGPASS', 'NOPERM', 'DENIED',
  // The server's state: still loading its data, out of memory (maxmemory), unable to save to disk,
  // or busy running a long script.
  'LOADING', 'OOM', 'MISCONF', 'BUSY',
  // Replication: connected to a replica (after a failover, say), a replica cut off from its
  // primary, or a primary without the replicas it needs to accept writes.
  'READONLY', 'MASTERDOWN', 'NOREPLICAS',
  // Cluster: this client follows no redirects (see Not here), so MOVED and ASK mean it was pointed
  // at a cluster node.
  'MOVED', 'ASK', 'CLUSTERDOWN', 'TRYAGAIN',
]);

/**
 * The refusals Redis sends under the generic ERR code: too many connections (maxclients), and a
 * command this server does not offer. We send only commands every Redis has (GET, PTTL, SET, DEL, EXPIRE,
 * EVAL, EVALSHA, AUTH, SELECT, PING), so "unknown command" means one was renamed or disabled in its
 * configuration (scripting turned off, say): a setting to change there, not a bug here.
 */
const REFUSALS_UNDER_ERR: readonly string[] = ['ERR max number of clients reached', 'ERR unknown command'];

/** The error an error reply becomes: RedisUnavailableError if Redis refuses to serve at all, else RedisReplyError. */
function replyError(command: string, reply: RespError): Error {
  // The code is the whole first word: BUSYKEY (RESTORE onto an existing key) is not BUSY.
  const code = reply.message.split(' ', 1)[0]!;
  if (UNAVAILABLE_CODES.has(code) || REFUSALS_UNDER_ERR.some((refusal) => reply.message.startsWith(refusal))) {
    // Only the command's name: its arguments may be a session id or session data.
    return new RedisUnavailableError(`Redis refused ${command}: ${reply.message}`);
  }
  return new RedisReplyError(reply.message);
}

interface Waiting {
  /** The command's name, for messages. */
  readonly command: string;
  readonly resolve: (value: RespValue) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2_000;

export class RedisClient {
  readonly #options: Required<Omit<RedisClientOptions, 'username' | 'password' | 'log' | 'tls' | 'write'>> & RedisClientOptions;
  #socket: Socket | null = null;
  #connecting: Promise<Socket> | null = null;
  /** Per connection, the commands sent and not yet answered, oldest first. */
  readonly #waiting = new WeakMap<Socket, Waiting[]>();
  /** The connections that have delivered at least one reply. */
  readonly #answered = new WeakSet<Socket>();
  #backoffMs = FIRST_BACKOFF_MS;
  #nextAttemptAt = 0;
  /**
   * Why the last connection attempt failed. Commands fail fast only after a failed attempt, so
   * this is always set when a fail-fast error quotes it; the next failed attempt replaces it.
   */
  #lastFailure = '';
  #closed = false;

  constructor(options: RedisClientOptions) {
    this.#options = { db: 0, connectTimeoutMs: 1_000, commandTimeoutMs: 2_000, ...options };
  }

  /** Where this client connects, for messages: `host:port`, or `rediss://host:port` over TLS. */
  get address(): string {
    const { host, port, tls } = this.#options;
    const address = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
    return tls === undefined || tls === null ? address : `rediss://${address}`;
  }

  /** Sends one command. Rejects with RedisUnavailableError or RedisReplyError. */
  async command(args: readonly (string | number)[]): Promise<RespValue> {
    const socket = this.#socket ?? (await this.#connect());
    return this.#send(socket, args);
  }

  /** Closes the connection; later commands fail. */
  async close(): Promise<void> {
    this.#closed = true;
    // destroy(), not end(): end() waits for Redis to close its side, and a Redis that has stopped
    // answering (frozen, or cut off by the network) never does, which kept the process from exiting.
    this.#socket?.destroy();
    this.#socket = null;
  }

  #send(socket: Socket, args: readonly (string | number)[]): Promise<RespValue> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy(new RedisUnavailableError(`no reply within ${this.#options.commandTimeoutMs} ms`));
      }, this.#options.commandTimeoutMs);
      this.#waiting.get(socket)!.push({ command: String(args[0]), resolve, reject, timer });
      const bytes = encodeCommand(args);
      if (this.#options.write === undefined) socket.write(bytes);
      else this.#options.write(socket, bytes);
    });
  }

  /** One connection attempt at a time; between failed attempts, fail fast until the backoff ends. */
  #connect(): Promise<Socket> {
    if (this.#closed) return Promise.reject(new RedisUnavailableError('the client was closed'));
    if (this.#connecting !== null) return this.#connecting;
    const wait = this.#nextAttemptAt - Date.now();
    if (wait > 0) {
      return Promise.reject(new RedisUnavailableError(`cannot reach Redis at ${this.address} (last failure: ${this.#lastFailure}); next attempt in ${wait} ms`));
    }
    this.#connecting = this.#open().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #open(): Promise<Socket> {
    // The one place the transport is chosen, from the options alone: a failed TLS handshake is a
    // failed connect like any other, never a reason to try plaintext.
    const tls = this.#options.tls ?? null;
    const socket = tls === null ? connect({ host: this.#options.host, port: this.#options.port, noDelay: true }) : this.#openTls(tls);
    const decoder = new RespDecoder();
    this.#waiting.set(socket, []);
    socket.on('data', (chunk: Buffer) => this.#receive(socket, decoder, chunk));
    try {
      await new Promise<void>((resolve, reject) => {
        // Over TLS, 'connect' is only TCP: the connection is ready at 'secureConnect', after the
        // handshake and the certificate checks, and the timeout runs until then.
        let tcpConnected = false;
        const timer = setTimeout(() => {
          reject(
            new RedisUnavailableError(
              tcpConnected
                ? `TLS: no handshake within ${this.#options.connectTimeoutMs} ms (does this port speak TLS? A plaintext Redis does not answer a TLS hello)`
                : `connect timed out after ${this.#options.connectTimeoutMs} ms`,
            ),
          );
        }, this.#options.connectTimeoutMs);
        socket.once(tls === null ? 'connect' : 'secureConnect', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.once('connect', () => {
          tcpConnected = true;
        });
        socket.once('error', (error) => {
          clearTimeout(timer);
          reject(new RedisUnavailableError(tls !== null && tcpConnected ? tlsFailure(error) : error.message));
        });
      });
      // 'close' follows every 'error' and does the cleaning up; the error only says why. Errors
      // this client raises itself (timeouts, protocol errors) are RedisUnavailableError; any
      // other came from the network or the server.
      let reason: string | null = null;
      socket.on('error', (error) => {
        reason = error instanceof RedisUnavailableError ? error.message : this.#droppedBefore(socket, error.message);
      });
      socket.on('close', () => this.#lost(socket, reason ?? this.#droppedBefore(socket, 'Redis closed the connection')));
      // The handshake rides the same pipeline: AUTH, then SELECT, before any other command.
      const { username, password, db } = this.#options;
      if (password !== undefined) await this.#handshake(socket, username === undefined ? ['AUTH', password] : ['AUTH', username, password]);
      if (db !== 0) await this.#handshake(socket, ['SELECT', db]);
    } catch (error) {
      socket.destroy();
      const failure = error instanceof RedisUnavailableError ? error : new RedisUnavailableError(String(error));
      this.#lastFailure = failure.message;
      this.#nextAttemptAt = Date.now() + this.#backoffMs;
      this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
      throw failure;
    }
    if (this.#closed) {
      socket.destroy();
      throw new RedisUnavailableError('the client was closed');
    }
    if (this.#backoffMs !== FIRST_BACKOFF_MS) this.#options.log?.(`redis: connected to ${this.address} again`);
    this.#backoffMs = FIRST_BACKOFF_MS;
    this.#socket = socket;
    return socket;
  }

  /**
   * Starts a TLS connection. The certificate must chain to a trusted CA and name the host: both
   * checks are Node's defaults, and `rejectUnauthorized` is set anyway, because
   * NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment would otherwise turn them off.
   */
  #openTls(tls: RedisTlsOptions): Socket {
    const { host, port } = this.#options;
    // RFC 6066 §3: SNI names hosts, never IP addresses. Without a servername, Node checks an IP
    // host against the certificate's IP entries.
    const servername = tls.servername ?? (isIP(host) === 0 ? host : undefined);
    const socket = connectTls({
      host,
      port,
      rejectUnauthorized: true,
      ...(servername === undefined ? {} : { servername }),
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    });
    return socket.setNoDelay(true);
  }

  /**
   * Why a connection ended from the other side. A TLS port reached with redis:// resets the
   * connection without a word, which looks like any other reset; one that never answered anything
   * says so, and what to try.
   */
  #droppedBefore(socket: Socket, why: string): string {
    if ((this.#options.tls ?? null) !== null || this.#answered.has(socket) || this.#closed) return why;
    return `${why}; nothing was ever answered on this connection: if that port expects TLS, use rediss://`;
  }

  async #handshake(socket: Socket, args: readonly (string | number)[]): Promise<void> {
    try {
      await this.#send(socket, args);
    } catch (error) {
      // Any refusal here is configuration, not a bug in a command: a SELECT of a database the
      // server does not have is as much "try again once fixed" as a wrong password (already a
      // RedisUnavailableError, like a connection lost mid-handshake).
      if (error instanceof RedisReplyError) throw new RedisUnavailableError(`Redis refused ${String(args[0])}: ${error.message}`);
      throw error;
    }
  }

  /**
   * Runs inside the socket's 'data' event, where an exception would be uncaught and end the
   * process. So nothing escapes: whatever goes wrong (bytes that are not RESP, a reply no command
   * is waiting for, or anything unforeseen) closes this connection instead, exactly as an outage
   * would: 'close' fails every command waiting on it, with this reason, and the next command
   * reconnects.
   */
  #receive(socket: Socket, decoder: RespDecoder, chunk: Buffer): void {
    try {
      for (const value of decoder.push(chunk)) this.#answer(socket, value);
    } catch (error) {
      socket.destroy(new RedisUnavailableError(`protocol error: ${String(error)}`));
    }
  }

  /** Settles the oldest command waiting on this connection with one reply. */
  #answer(socket: Socket, value: RespValue): void {
    const waiting = this.#waiting.get(socket)!.shift();
    if (waiting === undefined) throw new RespProtocolError('a reply arrived that no command was waiting for');
    this.#answered.add(socket);
    clearTimeout(waiting.timer);
    if (value instanceof RespError) waiting.reject(replyError(waiting.command, value));
    else waiting.resolve(value);
  }

  /** The connection is gone: every command still waiting fails now, and the next one reconnects. */
  #lost(socket: Socket, reason: string): void {
    if (this.#socket === socket) {
      this.#socket = null;
      if (!this.#closed) this.#options.log?.(`redis: lost the connection to ${this.address} (${reason}); reconnecting on demand`);
    }
    const waiting = this.#waiting.get(socket) ?? [];
    this.#waiting.set(socket, []);
    for (const { reject, timer } of waiting) {
      clearTimeout(timer);
      reject(new RedisUnavailableError(`connection to ${this.address} lost before the reply (${reason})`));
    }
  }
}

/**
 * A failed TLS handshake, in a few words: "TLS: " and Node's reason, then its code, which is what
 * to search for. OpenSSL's own errors (a port that does not speak TLS) carry the short reason apart
 * from their long message.
 */
function tlsFailure(error: Error): string {
  const { code, reason } = error as Error & { code?: unknown; reason?: unknown };
  const text = typeof reason === 'string' && 'library' in error ? reason : error.message;
  const failure = typeof code === 'string' && !text.includes(code) ? `TLS: ${text} (${code})` : `TLS: ${text}`;
  return typeof code === 'string' && UNTRUSTED_CERTIFICATE_CODES.has(code) ? `${failure}; ${TRUST_HINT}` : failure;
}

/** Node's codes for "no CA we trust signed this certificate": the usual case of a private CA. */
const UNTRUSTED_CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);
const TRUST_HINT = "if Redis's certificate comes from a private CA, trust that CA: SESSION_REDIS_CA_FILE (createSessions' redisCaFile) or NODE_EXTRA_CA_CERTS";
