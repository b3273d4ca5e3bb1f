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
 * again: a new table per request, for the garbage collector to copy and promote. Measured
 * (docs/performance.md, "The sixth round", same-time A/Bs): the demo on the memory store against
 * the demo on cookie sessions went from 0.89× to 0.93× (0.93–0.97). That row has one session;
 * with thousands a move costs less (40–270 ns in a loop, against 7–60 ns for the lookup alone)
 * and no table shrinks, so a real server gains less, though still one `Map` write per request for
 * each session used again within the minute. memcached moves ("bumps") its items at most once a
 * minute for the same reason.
 *
 * The rule it must keep: no record in use is demoted or evicted before one that is not. The store
 * notes every use (a field written, no `Map` operation), and when protected is full it looks at its
 * oldest place first: a record used since it took that place is not demoted but takes its place
 * anew at the recent end (memcached's segmented LRU does the same at the tail), and the first record
 * not used since is the one that goes. So a user clicking every few seconds keeps a protected
 * session exactly as with a move per use, however many sessions a flood brings to a second use.
 * What the interval does blur is the order among records left in place: one used 50 s ago may go
 * before one used 70 s ago, as their places say, never one in use before one idle. Promotion from
 * probation is unchanged (a record there moves on every use), and expiry is exact: it never
 * depends on the order.
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
