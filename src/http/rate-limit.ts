/**
 * Rate limit: at most N of something per minute for each client, as a token bucket.
 *
 * What: `RateLimiter.take(key)` spends one token of `key`'s bucket and returns 0, or, when the
 * bucket is empty, returns how many seconds until the next token (the `Retry-After` to send).
 *
 * Why: some things a request can do cost the server something that stays after the request: a new
 * server-side session is a record in a store until it expires (a day, by default). A client that
 * can do that as often as it likes fills the store (memory until older sessions are evicted, disk or
 * Redis until they are full). A limit per client keeps that in proportion to the number of clients,
 * not the number of requests one client can send.
 *
 * The token bucket, in three sentences: each key has a bucket holding up to `perMinute` tokens, and
 * starts full. Every action takes a token; an empty bucket means "no". Tokens flow back at
 * `perMinute` per minute, continuously, so a client may do a burst of `perMinute` at once and then
 * keeps that rate forever, but never more. A bucket is two numbers; refilling is computed from the
 * time passed when the bucket is next used, so nothing runs between requests.
 *
 * Bounded memory: a flood from many addresses must not grow the map without limit either. At
 * `maxKeys` buckets the one used longest ago is dropped; that client then starts afresh with a full
 * bucket, which is what it would have after a minute of silence anyway.
 *
 * Spec: none; the token bucket is the classic shaper of network traffic (RFC 2697 describes one).
 *
 * Not here: who the client is (client-address.ts), and what is limited (session/server-session.ts
 * limits new sessions).
 *
 * Read next: security-headers.ts.
 */

export interface RateLimitOptions {
  /** How many actions a client may take in a burst, and per minute after it. */
  readonly perMinute: number;
  /** The most clients remembered at once; the least recently seen is forgotten first. */
  readonly maxKeys?: number;
  /** Milliseconds since the epoch; tests move it. */
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, in milliseconds. */
  updatedAt: number;
}

export const DEFAULT_RATE_LIMIT_KEYS = 100_000;

export class RateLimiter {
  readonly perMinute: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: RateLimitOptions) {
    if (!Number.isSafeInteger(options.perMinute) || options.perMinute < 1) {
      throw new RangeError(`RateLimiter perMinute must be a whole number >= 1, got ${options.perMinute}`);
    }
    this.perMinute = options.perMinute;
    this.#maxKeys = options.maxKeys ?? DEFAULT_RATE_LIMIT_KEYS;
    this.#now = options.now ?? Date.now;
  }

  /** Takes a token for `key`: 0 if there was one, else the whole seconds until there will be. */
  take(key: string): number {
    const now = this.#now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.perMinute, updatedAt: now };
    // A clock stepped backwards (the system time was corrected) refills nothing, rather than
    // draining the bucket by the size of the step.
    const refilled = (Math.max(0, now - bucket.updatedAt) / 60_000) * this.perMinute;
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + refilled);
    bucket.updatedAt = now;
    // Re-inserted on every use, so the first key in the map is always the one used longest ago.
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    // In whole milliseconds first, so that floating-point dust (3.0000000001 s) is not a second more;
    // and at least 1, because 0 means "allowed": a token due in 300 ms is still not there now.
    const waitMs = Math.round(((1 - bucket.tokens) * 60_000) / this.perMinute);
    return Math.max(1, Math.ceil(waitMs / 1000));
  }

  /** Clients currently remembered. */
  get size(): number {
    return this.#buckets.size;
  }
}
