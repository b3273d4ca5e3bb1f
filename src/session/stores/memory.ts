/**
 * Memory store: server-side sessions in a `Map` inside this process.
 *
 * What: a `SessionStore` that keeps each record as JSON text in a `Map`, with a time to live per
 * record and a maximum number of records, past which the least recently used one is evicted.
 *
 * Why: the simplest server-side store there is, and the fastest; right for one process in
 * development or a single small server. Its limits are the lesson: the sessions are lost when the
 * process restarts, and a second process (or a second server) has sessions of its own, so a user
 * load-balanced between them would be logged in on one and not the other. server.ts says so at start.
 *
 * Bounded memory: every anonymous visitor who gets a session costs an entry, so a flood of new
 * sessions (a crawler, an attack) must not grow the map without limit. A JavaScript `Map` iterates
 * in insertion order; re-inserting an entry on each use keeps the least recently used one first, so
 * eviction is "delete the first key": an LRU cache in a few lines. Expired entries are dropped when
 * they are met and by a sweep every minute.
 *
 * Records are stored as JSON text, not objects: a request can never change another request's view
 * of a session by mutating what `get()` returned, and the text's length is the data's size.
 *
 * Spec: the SessionStore contract (../store.ts).
 *
 * Not here: persistence (filesystem.ts), sharing between processes (redis.ts, filesystem.ts).
 *
 * Read next: filesystem.ts.
 */
import { decodeRecord, encodeRecord, type SessionRecord, type SessionStore } from '../store.js';

export interface MemoryStoreOptions {
  /** SESSION_MEMORY_MAX: the most records kept; the least recently used goes first. */
  readonly maxEntries: number;
  /** Milliseconds since the epoch; tests freeze it. */
  readonly now?: () => number;
  /** How often expired records are swept out; 0 turns the sweep off (tests call `sweep()`). */
  readonly sweepIntervalMs?: number;
}

interface Entry {
  readonly text: string;
  readonly version: number;
  expiresAt: number;
}

export class MemorySessionStore implements SessionStore {
  readonly name = 'memory';
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout | null;
  /** How many live records were evicted to stay within `maxEntries`. */
  evictions = 0;

  constructor(options: MemoryStoreOptions) {
    if (!Number.isSafeInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new TypeError(`MemorySessionStore maxEntries must be a whole number >= 1, got ${options.maxEntries}`);
    }
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
    const interval = options.sweepIntervalMs ?? 60_000;
    this.#sweeper = interval > 0 ? setInterval(() => this.sweep(), interval).unref() : null;
  }

  /** Records currently held, expired ones not yet swept included. */
  get size(): number {
    return this.#entries.size;
  }

  async get(id: string): Promise<SessionRecord | null> {
    const entry = this.#live(id);
    return entry === null ? null : decodeRecord(entry.text);
  }

  async set(id: string, record: SessionRecord, ttlSeconds: number, expectedVersion: number | null): Promise<boolean> {
    // No `await` between the check and the write: in one JavaScript thread that makes it atomic.
    const current = this.#live(id);
    if ((current?.version ?? null) !== expectedVersion) return false;
    this.#entries.delete(id);
    this.#entries.set(id, { text: encodeRecord(record), version: record.version, expiresAt: this.#now() + ttlSeconds * 1000 });
    this.#evictOverflow();
    return true;
  }

  async destroy(id: string): Promise<void> {
    this.#entries.delete(id);
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    const entry = this.#live(id);
    if (entry !== null) entry.expiresAt = this.#now() + ttlSeconds * 1000;
  }

  /** Removes every expired record; returns how many. */
  sweep(): number {
    const now = this.#now();
    let removed = 0;
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(id);
        removed += 1;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#entries.clear();
  }

  /** The entry if it exists and has not expired, moved to the most-recently-used end. */
  #live(id: string): Entry | null {
    const entry = this.#entries.get(id);
    if (entry === undefined) return null;
    this.#entries.delete(id);
    if (entry.expiresAt <= this.#now()) return null;
    this.#entries.set(id, entry);
    return entry;
  }

  #evictOverflow(): void {
    for (const id of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(id);
      this.evictions += 1;
    }
  }
}
