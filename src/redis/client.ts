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
 * - when Redis is back, the next attempt succeeds and everything works again, with no restart.
 * A command that gets no reply within `commandTimeoutMs` closes the connection: once one reply is
 * missing, the order that matches replies to commands can no longer be trusted.
 *
 * Spec: RESP2 (resp.ts); AUTH and SELECT (https://redis.io/docs/latest/commands/auth/, /select/).
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

/** Redis cannot be reached, or the connection broke before the reply came. Try again later. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/** Redis answered with an error reply: the command itself was wrong. A bug, or a misconfigured server. */
export class RedisReplyError extends Error {
  override name = 'RedisReplyError';
}

interface Waiting {
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
      this.#waiting.get(socket)!.push({ resolve, reject, timer });
      socket.write(encodeCommand(args));
    });
  }

  /** One connection attempt at a time; between failed attempts, fail fast until the backoff ends. */
  #connect(): Promise<Socket> {
    if (this.#closed) return Promise.reject(new RedisUnavailableError('the client was closed'));
    if (this.#connecting !== null) return this.#connecting;
    const wait = this.#nextAttemptAt - Date.now();
    if (wait > 0) return Promise.reject(new RedisUnavailableError(`cannot reach Redis at ${this.address}; next attempt in ${wait} ms`));
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
      socket.on('error', () => {}); // 'close' follows every error and does the cleaning up.
      socket.on('close', () => this.#lost(socket));
      // The handshake rides the same pipeline: AUTH, then SELECT, before any other command.
      const { username, password, db } = this.#options;
      if (password !== undefined) await this.#handshake(socket, username === undefined ? ['AUTH', password] : ['AUTH', username, password]);
      if (db !== 0) await this.#handshake(socket, ['SELECT', db]);
    } catch (error) {
      socket.destroy();
      this.#nextAttemptAt = Date.now() + this.#backoffMs;
      this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
      throw error instanceof RedisUnavailableError ? error : new RedisUnavailableError(String(error));
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
      // A refused AUTH is not a broken network, but retrying later is still the right answer.
      throw new RedisUnavailableError(`${String(args[0])} failed: ${(error as Error).message}`);
    }
  }

  #receive(socket: Socket, decoder: RespDecoder, chunk: Buffer): void {
    let values: RespValue[];
    try {
      values = decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof RespProtocolError)) throw error;
      socket.destroy(error);
      return;
    }
    const queue = this.#waiting.get(socket)!;
    for (const value of values) {
      const waiting = queue.shift();
      if (waiting === undefined) {
        socket.destroy(new RespProtocolError('a reply arrived that no command was waiting for'));
        return;
      }
      clearTimeout(waiting.timer);
      if (value instanceof RespError) waiting.reject(new RedisReplyError(value.message));
      else waiting.resolve(value);
    }
  }

  /** The connection is gone: every command still waiting fails now, and the next one reconnects. */
  #lost(socket: Socket): void {
    if (this.#socket === socket) {
      this.#socket = null;
      if (!this.#closed) this.#options.log?.(`redis: lost the connection to ${this.address}; reconnecting on demand`);
    }
    const waiting = this.#waiting.get(socket) ?? [];
    this.#waiting.set(socket, []);
    for (const { reject, timer } of waiting) {
      clearTimeout(timer);
      reject(new RedisUnavailableError(`connection to ${this.address} lost before the reply`));
    }
  }
}
