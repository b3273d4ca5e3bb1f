/**
 * Lazy touch: restart a session's idle time only once a tenth of it has passed, so that most
 * requests cost the store one read.
 *
 * What: `LazyTouchStore` wraps any SessionStore that has the optional `getWithExpiry()`
 * (../session/store.ts). Its `get()` is that one read, and it remembers, per session id, when the
 * store said the record expires. Its `touch(id, ttl)` then writes nothing when that expiry shows
 * the time to live was restarted less than a tenth of `ttl` ago, and is the store's own `touch`
 * otherwise. Everything else is the wrapped store's. ../session/backend.ts puts it around every
 * store that can tell an expiry; `lazyRefresh: false` (SESSION_LAZY_REFRESH=false) leaves it out,
 * and the session is touched on every request, as ../session/server-session.ts's rule 2 says.
 * (Three names, one thing: "lazy refresh" is the switch's name, "touch" the store's word for
 * restarting a record's time to live, and "lazy touch" this module.)
 *
 * Not a store to hand to anything else: its `touch()` may do nothing, on purpose, so it breaks
 * the contract's "touch restarts the time to live" (the shared suite fails it there). It is right
 * only under server-session.ts, which touches a session only after reading it in the same request.
 *
 * Why: a restart is a write (Redis `EXPIRE`, a file's mtime), and one on every request doubled what
 * a request that only reads its session costs the store: two round trips to Redis instead of one.
 *
 * The rules it must keep:
 * - The bound, and which way it errs: the last restart is at most a tenth of the time to live T
 *   before the last request, and T counts from the restart, so an idle session ends between 0.9 T
 *   and T after its last request. It may end up to T/10 early; it never lives a moment past T idle.
 * - A time to live that was shortened (SESSION_IDLE_LIFETIME set lower, or permanent turned off) is
 *   brought down at once: a record that would outlive a whole `ttl` from now is always touched.
 * - A skipped touch writes nothing, so every other check is exactly as without it: the signature
 *   and its age, key rotation, SESSION_ABSOLUTE_LIFETIME, versions and merges, logout (the test
 *   runs one browser's story both ways and compares the answers).
 * - What it remembers is the latest read of this process: every request reads its session before
 *   it may touch it, so the expiry consulted is never older than this request's own read. A write
 *   (`set`, `destroy`) or a real touch forgets it; a touch with nothing remembered is a real one.
 * Bounded: at most DEFAULT_LAZY_TOUCH_ENTRIES ids (bounded-map.ts), about 150 bytes each.
 *
 * Measured (scripts/bench-store-trips.ts, GET / with a session, the rule against a touch on every
 * request, at the same time on a shared 2-core machine, ranges over 8 rounds), when the rule was
 * still written into server-session.ts; moving it here changed no store call (the tests that count
 * them assert the same counts): store operations per request 2 → 1 for each store, and for Redis two
 * round trips → one; requests per second of server CPU under load: memory 1.03× (0.96–1.11), files
 * 1.30× (1.14–1.40), Redis 1.15× (1.07–1.23). Later, `get()` calling the wrapped store itself, one
 * `await` less per request, took GET / on the memory store from 83,100 to 82,500 instructions per
 * request, counted in process (../../docs/performance.md, the fifth round).
 *
 * Spec: none beyond the SessionStore contract (../session/store.ts).
 *
 * Not here: when a session is touched at all (../session/server-session.ts, rule 2).
 *
 * Read next: stat-checked-file-store.ts, which makes the one read that is left cheap for files.
 */
import { BoundedMap } from './bounded-map.js';
import type { SessionRecord, SessionStore } from '../session/store.js';

/** Ids whose last read expiry is remembered: the sessions of the last few seconds of a busy server. */
export const DEFAULT_LAZY_TOUCH_ENTRIES = 10_000;

/** A touch is due once more than this share of the time to live has passed since the last one. */
export const REFRESH_AFTER_SHARE = 0.1;

/** A store that can say when a record expires: the only kind worth wrapping. */
export type StoreWithExpiry = SessionStore & Required<Pick<SessionStore, 'getWithExpiry'>>;

export interface LazyTouchStoreOptions {
  /** The store's clock, the one it was given. Default `Date.now`. */
  readonly now?: () => number;
  /** DEFAULT_LAZY_TOUCH_ENTRIES unless set. */
  readonly memoEntries?: number;
}

export class LazyTouchStore implements SessionStore {
  readonly name: string;
  readonly #store: StoreWithExpiry;
  readonly #now: () => number;
  /** Per id, when the latest read said its record expires (milliseconds since the epoch). */
  readonly #expiresAtMs: BoundedMap<string, number>;

  constructor(store: StoreWithExpiry, options: LazyTouchStoreOptions = {}) {
    this.name = store.name;
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.#expiresAtMs = new BoundedMap(options.memoEntries ?? DEFAULT_LAZY_TOUCH_ENTRIES, 'LazyTouchStore');
  }

  // Not written as `(await this.getWithExpiry(id))?.record`: calling the wrapped store directly
  // spares every request one async function and its `await` (about 600 instructions).
  async get(id: string): Promise<SessionRecord | null> {
    return this.#remember(id, await this.#store.getWithExpiry(id))?.record ?? null;
  }

  async getWithExpiry(id: string): Promise<{ readonly record: SessionRecord; readonly expiresAtMs: number } | null> {
    return this.#remember(id, await this.#store.getWithExpiry(id));
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    const expiresAtMs = this.#expiresAtMs.get(id);
    if (expiresAtMs !== undefined && !touchDue(expiresAtMs, ttlSeconds, this.#now())) return;
    this.#expiresAtMs.delete(id);
    await this.#store.touch(id, ttlSeconds);
  }

  set(id: string, record: SessionRecord, ttlSeconds: number, expectedVersion: number | null): Promise<boolean> {
    this.#expiresAtMs.delete(id);
    return this.#store.set(id, record, ttlSeconds, expectedVersion);
  }

  destroy(id: string): Promise<void> {
    this.#expiresAtMs.delete(id);
    return this.#store.destroy(id);
  }

  close(): Promise<void> {
    this.#expiresAtMs.clear();
    return this.#store.close();
  }

  /** Keeps what a read said of `id`'s expiry, and hands the read on. */
  #remember<Found extends { readonly expiresAtMs: number }>(id: string, found: Found | null): Found | null {
    if (found === null) this.#expiresAtMs.delete(id);
    // Most reads find what the last one found: a lookup costs less than a write of the same value.
    else if (this.#expiresAtMs.get(id) !== found.expiresAtMs) this.#expiresAtMs.set(id, found.expiresAtMs);
    return found;
  }
}

/** Whether `store` can be wrapped: it has the optional `getWithExpiry()`. */
export function canTellExpiry(store: SessionStore): store is StoreWithExpiry {
  return typeof store.getWithExpiry === 'function';
}

/**
 * Whether a time to live of `ttlSeconds` that the store said ends at `expiresAtMs` must be
 * restarted now: yes once more than a tenth of it has passed since it was last restarted, and yes
 * when it ends later than a whole `ttlSeconds` from now (only a restart brings a lifetime that was
 * shortened down to size). A record without expiry (`Infinity`) is always touched.
 */
export function touchDue(expiresAtMs: number, ttlSeconds: number, nowMs: number): boolean {
  const ttlMs = ttlSeconds * 1000;
  const sinceRestartMs = nowMs - (expiresAtMs - ttlMs);
  return !(sinceRestartMs >= 0 && sinceRestartMs <= ttlMs * REFRESH_AFTER_SHARE);
}
