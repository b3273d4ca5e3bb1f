/**
 * Memory store: server-side sessions in a `Map` inside this process.
 *
 * What: a `SessionStore` that keeps each record as JSON text in a `Map`, with a time to live per
 * record and a maximum number of records, past which the least valuable one is evicted.
 *
 * Why: the simplest server-side store there is, and the fastest; right for one process in
 * development or a single small server. Its limits are the lesson: the sessions are lost when the
 * process restarts, and a second process (or a second server) has sessions of its own, so a user
 * load-balanced between them would be logged in on one and not the other. server.ts says so at start.
 *
 * Bounded memory, and who pays for it: every visitor who gets a session costs an entry, so a flood
 * of new sessions (a crawler, an attack) must not grow the map without limit. A plain LRU cache
 * ("evict the least recently used") bounds it, but makes the flood's victims the real users: ten
 * thousand sessions created in a few seconds and never used again are each "more recently used"
 * than a user who last clicked a minute ago, so the user is the one evicted. This store is a
 * *segmented* LRU (SLRU), as CPU caches and databases use against exactly this pattern:
 * - a new record enters the *probation* segment;
 * - the second time it is used (read, written or touched: its browser came back) it moves to the
 *   *protected* segment;
 * - eviction takes the least recently used record of probation first, and touches protected
 *   records only when probation is empty;
 * - protected holds at most 80 % of `maxEntries`; past that its least recently used record moves
 *   back to probation (newest end), so a new session always has room to prove itself.
 * A flood of sessions that are created and never used again only ever evicts itself. A flood that
 * also uses each session a second time can still push real users out: that takes many requests
 * per session, and is what the limit on new sessions per client address is for (server-session.ts).
 *
 * Both segments are JavaScript `Map`s, which iterate in insertion order: re-inserting an entry on
 * each use keeps the least recently used one first, so "evict the oldest" is "delete the first key".
 * (The last chapter's ../../fast/coarse-recency.ts, given as the `recency` option, re-inserts a
 * protected record at most once a minute; a record used since it took its place is then given a new
 * place when a demotion reaches it, so no record in use is demoted before one that is not.)
 * Expired entries are dropped when they are met and by a sweep every minute.
 *
 * Records are stored as JSON text, not objects: a request can never change another request's view
 * of a session by mutating what `get()` returned, and the text's length is the data's size. (By
 * default ../backend.ts gives it the last chapter's memo of decoded records,
 * ../../fast/memoized-record-codec.ts, which hands out the record of a text it parsed before again
 * instead of parsing it once more: only a record whose values are all strings, numbers, booleans
 * or null, and frozen, so the rule above still holds.)
 *
 * Spec: the SessionStore contract (../store.ts).
 *
 * Not here: persistence (filesystem.ts), sharing between processes (redis.ts, filesystem.ts).
 *
 * Read next: filesystem.ts.
 */
import { PLAIN_RECORD_CODEC, type RecordCodec, type SessionRecord, type SessionStore } from '../store.js';

export interface MemoryStoreOptions {
  /** SESSION_MEMORY_MAX: the most records kept; the least recently used goes first. */
  readonly maxEntries: number;
  /** Milliseconds since the epoch; tests freeze it. */
  readonly now?: () => number;
  /** How often expired records are swept out; 0 turns the sweep off (tests call `sweep()`). */
  readonly sweepIntervalMs?: number;
  /** Records to text and back: JSON (PLAIN_RECORD_CODEC in ../store.ts) unless set. */
  readonly records?: RecordCodec;
  /** When a protected record used again moves to the most recently used end: EXACT_RECENCY (every time) unless set. */
  readonly recency?: RecencyPolicy;
}

/**
 * When a record of the protected segment that is used again moves to its most recently used end.
 * The plain answer is "every time" (EXACT_RECENCY): exact LRU order. The last chapter's
 * ../../fast/coarse-recency.ts moves it only once it has stayed put for a minute.
 */
export interface RecencyPolicy {
  /** `movedAtMs`: when the record took its place (last moved, or first written); `nowMs`: the store's clock now. */
  mustMove(movedAtMs: number, nowMs: number): boolean;
}

export const EXACT_RECENCY: RecencyPolicy = Object.freeze({ mustMove: () => true });

interface Entry {
  readonly text: string;
  readonly version: number;
  expiresAt: number;
  /** When it took its place: moved to the most recently used end of its segment, or first written. */
  movedAt: number;
  /** When it was last read or written; later than `movedAt` when the recency policy left it in place (or a write replaced it there). */
  usedAt: number;
}

/** The share of `maxEntries` that sessions used more than once may fill (the protected segment). */
const PROTECTED_SHARE = 0.8;

export class MemorySessionStore implements SessionStore {
  readonly name = 'memory';
  /** Records used once (just created), least recently used first. */
  readonly #probation = new Map<string, Entry>();
  /** Records used at least twice, least recently used first. */
  readonly #protected = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxProtected: number;
  readonly #now: () => number;
  readonly #records: RecordCodec;
  readonly #recency: RecencyPolicy;
  readonly #sweeper: NodeJS.Timeout | null;
  /** How many live records were evicted to stay within `maxEntries`. */
  evictions = 0;
  /** How many times a record took a new place at the recent end of protected: the work the recency policy may save. */
  moves = 0;

  constructor(options: MemoryStoreOptions) {
    if (!Number.isSafeInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new TypeError(`MemorySessionStore maxEntries must be a whole number >= 1, got ${options.maxEntries}`);
    }
    this.#maxEntries = options.maxEntries;
    this.#maxProtected = Math.floor(options.maxEntries * PROTECTED_SHARE);
    this.#now = options.now ?? Date.now;
    this.#records = options.records ?? PLAIN_RECORD_CODEC;
    this.#recency = options.recency ?? EXACT_RECENCY;
    const interval = options.sweepIntervalMs ?? 60_000;
    this.#sweeper = interval > 0 ? setInterval(() => this.sweep(), interval).unref() : null;
  }

  /** Records currently held, expired ones not yet swept included. */
  get size(): number {
    return this.#probation.size + this.#protected.size;
  }

  async get(id: string): Promise<SessionRecord | null> {
    const entry = this.#use(id);
    return entry === null ? null : this.#records.decode(entry.text);
  }

  /** The entry's own expiry is the answer: nothing to ask beyond what `get()` looks at. */
  async getWithExpiry(id: string): Promise<{ record: SessionRecord; expiresAtMs: number } | null> {
    const entry = this.#use(id);
    if (entry === null) return null;
    const record = this.#records.decode(entry.text);
    return record === null ? null : { record, expiresAtMs: entry.expiresAt };
  }

  async set(id: string, record: SessionRecord, ttlSeconds: number, expectedVersion: number | null): Promise<boolean> {
    // No `await` between the check and the write: in one JavaScript thread that makes it atomic.
    const current = this.#use(id);
    if ((current?.version ?? null) !== expectedVersion) return false;
    const now = this.#now();
    // Replaced in place, it keeps the time of its place: the recency policy's bound holds for it too.
    const entry: Entry = { text: this.#records.encode(record), version: record.version, expiresAt: now + ttlSeconds * 1000, movedAt: current?.movedAt ?? now, usedAt: now };
    // An existing record is replaced where #use() left it; a new one starts on probation.
    if (this.#protected.has(id)) this.#protected.set(id, entry);
    else this.#probation.set(id, entry);
    this.#evictOverflow();
    return true;
  }

  async destroy(id: string): Promise<void> {
    this.#probation.delete(id);
    this.#protected.delete(id);
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    const entry = this.#use(id);
    if (entry !== null) entry.expiresAt = this.#now() + ttlSeconds * 1000;
  }

  /** Removes every expired record; returns how many. */
  sweep(): number {
    const now = this.#now();
    let removed = 0;
    for (const segment of [this.#probation, this.#protected]) {
      for (const [id, entry] of segment) {
        if (entry.expiresAt <= now) {
          segment.delete(id);
          removed += 1;
        }
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#probation.clear();
    this.#protected.clear();
  }

  /**
   * The entry if it exists and has not expired, now at the most recently used end of protected
   * (or left where it is, if the recency policy says so): being asked for again is what earns a
   * record its place there.
   */
  #use(id: string): Entry | null {
    const onProbation = this.#probation.get(id);
    const entry = onProbation ?? this.#protected.get(id);
    if (entry === undefined) return null;
    const now = this.#now();
    if (entry.expiresAt <= now) {
      this.#probation.delete(id);
      this.#protected.delete(id);
      return null;
    }
    entry.usedAt = now;
    // Already protected: the recency policy may leave it where it is (the plain one never does).
    if (onProbation === undefined && !this.#recency.mustMove(entry.movedAt, now)) return entry;
    this.#probation.delete(id);
    this.#protected.delete(id);
    entry.movedAt = now;
    this.#protected.set(id, entry);
    this.moves += 1;
    if (this.#protected.size > this.#maxProtected) this.#demoteOldest();
    return entry;
  }

  /**
   * Protected is full: its least recently used record gets one more chance, on probation. A record
   * at the old end that was used since it took its place (the recency policy left it there) is not
   * that record: it takes its place anew at the recent end, and the next one is looked at. With the
   * plain policy every use moves the record, so the first one is always the one.
   */
  #demoteOldest(): void {
    for (;;) {
      const [oldest, entry] = this.#protected.entries().next().value!;
      this.#protected.delete(oldest);
      if (entry.usedAt > entry.movedAt) {
        entry.movedAt = entry.usedAt;
        this.#protected.set(oldest, entry);
        this.moves += 1;
        continue;
      }
      this.#probation.set(oldest, entry);
      return;
    }
  }

  /** Evicts least recently used records, probation first, until at most `maxEntries` remain. */
  #evictOverflow(): void {
    while (this.size > this.#maxEntries) {
      const segment = this.#probation.size > 0 ? this.#probation : this.#protected;
      segment.delete(segment.keys().next().value!);
      this.evictions += 1;
    }
  }
}
