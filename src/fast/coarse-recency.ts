/**
 * Coarse recency: a session used again moves to the most recently used end of the memory store
 * only if it has not moved for a minute, instead of on every use.
 *
 * What: `CoarseRecency` is the memory store's `RecencyPolicy` (../session/stores/memory.ts): a
 * record of the protected segment that is used again is moved only when its last move is at least
 * `intervalMs` old (DEFAULT_MOVE_INTERVAL_MS, a minute), or when the clock went back. Everything
 * else the store does is unchanged: a record on probation still moves to protected on its second
 * use, every use still checks the expiry first, and a write or a touch still sets the expiry.
 * ../session/backend.ts gives it to the memory store; `memo: false` (SESSION_MEMO=false) leaves
 * EXACT_RECENCY, a move on every use.
 *
 * Why: a move is a `delete` and a `set` on the protected segment's `Map`, on every request. With
 * few records (one, in the bench) the delete also shrinks the map's table and the set grows it
 * again: a new table per request, which the garbage collector then moves and promotes. Measured
 * (docs/performance.md, "The sixth round"): the demo on the memory store against the demo on
 * cookie sessions, same time, went from 0.89× (0.886× and 0.898× in two A/Bs) to 0.925× (0.91–0.94),
 * and to 0.94× (0.91–0.95) in the bench's row; the two trees against each other, both on the
 * memory store: 1.00× and 1.04× in the two orders. That row has one session; with
 * thousands of records a move costs less (a loop of moves alone: 40–80 ns with ten or a thousand
 * records, 270 ns with 100,000, against 7–60 ns for the lookup alone), so a real server gains
 * less than the row shows, but still one `Map` write less per request for each session active
 * within the minute. memcached does the same with its items ("bumped" at most once a minute).
 *
 * The rule it must keep: eviction may differ from exact LRU only by the interval. A record's place
 * in the protected segment is never older than its last use by more than `intervalMs` (a record
 * replaced in place keeps its place's time, so a write does not extend the bound); so at worst a
 * record used within the last minute is evicted before one used up to a minute before it, and only
 * when the store is full. For sessions that live for days, evicted only under a flood, that order
 * is the same decision. Expiry is exact: it never depends on the order.
 *
 * Spec: none; memcached's ITEM_UPDATE_INTERVAL is the same rule.
 *
 * Not here: the other stores (Redis and files keep no order of their own).
 *
 * Read next: lazy-touch-store.ts, which saves a store write where this saves a map write.
 */
import type { RecencyPolicy } from '../session/stores/memory.js';

/** A minute: within it, the order of two uses decides nothing that matters for a session. */
export const DEFAULT_MOVE_INTERVAL_MS = 60_000;

export class CoarseRecency implements RecencyPolicy {
  readonly #intervalMs: number;

  constructor(intervalMs = DEFAULT_MOVE_INTERVAL_MS) {
    if (!(intervalMs >= 0) || !Number.isFinite(intervalMs)) throw new TypeError(`CoarseRecency intervalMs must be a finite number >= 0, got ${intervalMs}`);
    this.#intervalMs = intervalMs;
  }

  mustMove(movedAtMs: number, nowMs: number): boolean {
    // A clock that went back says nothing about how long ago the move was: move.
    return nowMs - movedAtMs >= this.#intervalMs || nowMs < movedAtMs;
  }
}
