/**
 * Bounded map: a `Map` that holds at most a fixed number of entries, dropping the oldest first.
 *
 * What: `BoundedMap` has the `get`/`set`/`size` of a `Map` and a capacity; `set()` of a new key
 * into a full map first deletes the key that was added longest ago.
 *
 * Why: every memo of this chapter (the MAC memo, decoded cookie sessions, decoded store records,
 * the demo's kept index pages) is filled from requests, so without a bound a client could grow it until the process runs
 * out of memory. Dropping the oldest entry is enough for all of them: a browser sends the same
 * cookie again within seconds, so what is still useful is what was added last. One mechanism, so
 * the bound is written and tested once.
 *
 * The rule it keeps for every memo built on it: memory stays flat whatever a client sends. Each
 * memo states its capacity and its worst-case bytes per entry, so its worst case is a product.
 *
 * Spec: none; ECMAScript's `Map` keeps insertion order (ECMA-262 §24.1), which is what makes "the
 * first key" the oldest.
 *
 * Not here: least-recently-*used* order and expiry, which the memory session store needs
 * (../session/stores/memory.ts): reading an entry here does not make it younger.
 *
 * Read next: ../demo/kept-pages.ts, the simplest memo built on this; then mac-memo.ts.
 */

export class BoundedMap<Key, Value> {
  readonly #entries = new Map<Key, Value>();
  readonly capacity: number;

  /** `what` names the map in the error a wrong capacity throws. */
  constructor(capacity: number, what = 'BoundedMap') {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`${what} capacity must be a whole number ≥ 1, not ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: Key): Value | undefined {
    return this.#entries.get(key);
  }

  /** Adds or replaces; a new key in a full map first drops the oldest entry. */
  set(key: Key, value: Value): void {
    if (!this.#entries.has(key) && this.#entries.size >= this.capacity) {
      // A Map iterates in insertion order, so its first key is the oldest.
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(key, value);
  }

  /** Forgets `key`, if it is there. */
  delete(key: Key): void {
    this.#entries.delete(key);
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.clear();
  }
}
