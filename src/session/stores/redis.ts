/**
 * Redis store: server-side sessions in Redis, shared by every server process that connects to it.
 *
 * What: a `SessionStore` keeping each record as a JSON string under `scratchpad:session:<id>`,
 * with Redis's own expiry (`SET … EX`, `EXPIRE`) as the time to live.
 *
 * Why: this is how sessions scale past one machine. Any number of server instances, behind any
 * load balancer, see the same sessions; a restart of one loses nothing. Redis also does the expiry
 * work: an expired key is never returned and is deleted by Redis itself.
 *
 * `getWithExpiry()` sends `GET` and `PTTL` (the milliseconds the key has left) together, without
 * waiting for the first reply: the client pipelines them, so they cost one round trip, like `GET`
 * alone. They are two commands, so another client's command can run between them; that is
 * harmless, because each answer is true at its moment: a record rewritten in between is paired
 * with the expiry of the one now stored, which is the real one (and the older version it carries
 * still lets compare-and-set catch the write), and one deleted in between is reported as gone.
 *
 * Compare-and-set runs as a small Lua script, because Redis runs a script atomically: no other
 * command can slip in between reading the stored version and writing the new record. The script is
 * sent once by its SHA-1 (`EVALSHA`); if Redis does not know it yet (`NOSCRIPT`, after a restart),
 * it is sent in full (`EVAL`) and cached by Redis from then on.
 *
 * When Redis is down, or up but refusing to serve (a missing or wrong password, still loading, out
 * of memory, a read-only replica: the client's `RedisUnavailableError`), every method throws
 * `SessionStoreUnavailableError`: the request gets a 503 that says so and quotes Redis's reason
 * (NOAUTH, ECONNREFUSED…), the server stays up, and the client reconnects by itself
 * (../../redis/client.ts). Any other error reply (`RedisReplyError`) is a bug here, and stays a 500.
 *
 * Spec: the SessionStore contract (../store.ts); Redis commands GET, PTTL, SET (EX), DEL, EXPIRE, EVAL,
 * EVALSHA (https://redis.io/docs/latest/commands/), and scripting atomicity (https://redis.io/docs/latest/develop/interact/programmability/eval-intro/).
 *
 * Not here: the protocol and the connection (../../redis/).
 *
 * Read next: ../backend.ts, which picks a store from SESSION_TYPE.
 */
import { createHash } from 'node:crypto';
import { RedisClient, RedisReplyError, RedisUnavailableError } from '../../redis/client.js';
import { decodeRecord, encodeRecord, isSessionId, SessionStoreUnavailableError, type SessionRecord, type SessionStore } from '../store.js';

const KEY_PREFIX = 'scratchpad:session:';

/**
 * KEYS[1] the session key; ARGV[1] the expected version ("" for none); ARGV[2] the new record;
 * ARGV[3] its time to live in seconds. Returns 1 if written, 0 if the stored version differed.
 */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
local version = ''
if current then version = tostring(cjson.decode(current)['version']) end
if version ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
`;
const COMPARE_AND_SET_SHA1 = createHash('sha1').update(COMPARE_AND_SET).digest('hex');

export class RedisSessionStore implements SessionStore {
  readonly name = 'redis';
  readonly #client: RedisClient;

  constructor(client: RedisClient) {
    this.#client = client;
  }

  async get(id: string): Promise<SessionRecord | null> {
    if (!isSessionId(id)) return null;
    const text = await this.#command(['GET', KEY_PREFIX + id]);
    if (text === null) return null;
    if (typeof text !== 'string') throw this.#strangeReply('GET', text);
    return decodeRecord(text);
  }

  async getWithExpiry(id: string): Promise<{ record: SessionRecord; expiresAtMs: number } | null> {
    if (!isSessionId(id)) return null;
    const key = KEY_PREFIX + id;
    // Read before asking: Redis counts `left` from a later moment, so this sum is never too late.
    const askedAt = Date.now();
    const [text, left] = await Promise.all([this.#command(['GET', key]), this.#command(['PTTL', key])]);
    if (text === null) return null;
    if (typeof text !== 'string') throw this.#strangeReply('GET', text);
    if (typeof left !== 'number') throw this.#strangeReply('PTTL', left);
    // -2: deleted since the GET (a logout in between). -1: a key without expiry, which only someone
    // writing it by hand can make; reported as such, so that the next touch gives it one (the lazy
    // touch never skips a record without expiry).
    if (left === -2) return null;
    const record = decodeRecord(text);
    return record === null ? null : { record, expiresAtMs: left === -1 ? Number.POSITIVE_INFINITY : askedAt + left };
  }

  async set(id: string, record: SessionRecord, ttlSeconds: number, expectedVersion: number | null): Promise<boolean> {
    if (!isSessionId(id)) throw new TypeError(`not a session id: ${JSON.stringify(id)}`);
    const args = [1, KEY_PREFIX + id, expectedVersion === null ? '' : String(expectedVersion), encodeRecord(record), ttlSeconds];
    let written;
    try {
      written = await this.#command(['EVALSHA', COMPARE_AND_SET_SHA1, ...args]);
    } catch (error) {
      if (!(error instanceof RedisReplyError && error.message.startsWith('NOSCRIPT'))) throw error;
      written = await this.#command(['EVAL', COMPARE_AND_SET, ...args]);
    }
    if (written !== 0 && written !== 1) throw this.#strangeReply('EVALSHA', written);
    return written === 1;
  }

  async destroy(id: string): Promise<void> {
    if (isSessionId(id)) await this.#command(['DEL', KEY_PREFIX + id]);
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    // EXPIRE on a missing (or expired) key does nothing, as the contract asks.
    if (isSessionId(id)) await this.#command(['EXPIRE', KEY_PREFIX + id, ttlSeconds]);
  }

  async close(): Promise<void> {
    await this.#client.close();
  }

  /** Sends one command; an unavailable Redis becomes the contract's SessionStoreUnavailableError (a 503). */
  /**
   * A reply of a kind the command never gives (an integer for GET, a string for the script): the
   * other end is not the Redis we think, or is broken. Not a bug of ours, and not to be trusted:
   * a 503, as for any Redis that cannot serve.
   */
  #strangeReply(command: string, reply: unknown): SessionStoreUnavailableError {
    const kind = Array.isArray(reply) ? 'an array' : typeof reply === 'number' ? `the integer ${reply}` : `a ${typeof reply}`;
    return new SessionStoreUnavailableError(`redis at ${this.#client.address}`, `${command} answered with ${kind}, which it never does`);
  }

  async #command(args: readonly (string | number)[]) {
    try {
      return await this.#client.command(args);
    } catch (error) {
      if (error instanceof RedisUnavailableError) throw new SessionStoreUnavailableError(`redis at ${this.#client.address}`, error.message);
      throw error;
    }
  }
}
