/**
 * A small Redis client on `node:net`: one connection, pipelined commands, reconnection with backoff.
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
 * error replies and their codes (https://redis.io/docs/latest/develop/reference/errors/).
 *
 * Not here: TLS, Sentinel, Cluster, pub/sub, RESP3.
 *
 * Read next: ../session/stores/redis.ts, the session store built on this client.
 */
import { connect, type Socket } from 'node:net';
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
  /** Receives one line when the connection is lost or comes back. */
  readonly log?: (message: string) => void;
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
 * command this server does not offer. We send only commands every Redis has (GET, SET, DEL, EXPIRE,
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
  readonly #options: Required<Omit<RedisClientOptions, 'username' | 'password' | 'log'>> & RedisClientOptions;
  #socket: Socket | null = null;
  #connecting: Promise<Socket> | null = null;
  /** Per connection, the commands sent and not yet answered, oldest first. */
  readonly #waiting = new WeakMap<Socket, Waiting[]>();
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

  /** Where this client connects, for messages. */
  get address(): string {
    return `${this.#options.host}:${this.#options.port}`;
  }

  /** Sends one command. Rejects with RedisUnavailableError or RedisReplyError. */
  async command(args: readonly (string | number)[]): Promise<RespValue> {
    const socket = this.#socket ?? (await this.#connect());
    return this.#send(socket, args);
  }

  /** Closes the connection; later commands fail. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#socket?.end();
    this.#socket = null;
  }

  #send(socket: Socket, args: readonly (string | number)[]): Promise<RespValue> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy(new RedisUnavailableError(`no reply within ${this.#options.commandTimeoutMs} ms`));
      }, this.#options.commandTimeoutMs);
      this.#waiting.get(socket)!.push({ command: String(args[0]), resolve, reject, timer });
      socket.write(encodeCommand(args));
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
    const socket = connect({ host: this.#options.host, port: this.#options.port, noDelay: true });
    const decoder = new RespDecoder();
    this.#waiting.set(socket, []);
    socket.on('data', (chunk: Buffer) => this.#receive(socket, decoder, chunk));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new RedisUnavailableError(`connect timed out after ${this.#options.connectTimeoutMs} ms`)), this.#options.connectTimeoutMs);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.once('error', (error) => {
          clearTimeout(timer);
          reject(new RedisUnavailableError(error.message));
        });
      });
      // 'close' follows every 'error' and does the cleaning up; the error only says why.
      let reason = 'Redis closed the connection';
      socket.on('error', (error) => {
        reason = error.message;
      });
      socket.on('close', () => this.#lost(socket, reason));
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
