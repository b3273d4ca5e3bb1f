// @ts-check
/**
 * The smallest SessionStore that passes the contract (map-store.test.js): records in a plain Map.
 *
 * Its limits, said plainly: the sessions live in this one process, so a restart loses them and a
 * second process has its own; and nothing bounds the Map, so every new session costs memory until
 * it is met again after expiring (nothing sweeps). Fine for tests and a first try. For a server,
 * MemorySessionStore is bounded, and RedisSessionStore is shared between processes.
 *
 * @typedef {import('scratchpad').SessionStore} SessionStore
 * @typedef {import('scratchpad').SessionRecord} SessionRecord
 * @typedef {{ text: string, version: number, expiresAt: number }} Entry
 */

/** @implements {SessionStore} */
export class MapSessionStore {
  name = 'map';
  /** @type {Map<string, Entry>} */
  #entries = new Map();
  #now;

  /** @param {{ now(): number }} [clock] milliseconds since the epoch; the contract tests move it */
  constructor(clock = { now: Date.now }) {
    this.#now = () => clock.now();
  }

  /** @param {string} id @returns {Entry | null} the entry, unless it is missing or expired */
  #live(id) {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.expiresAt > this.#now()) return entry ?? null;
    this.#entries.delete(id);
    return null;
  }

  /** @param {string} id @returns {Promise<SessionRecord | null>} */
  async get(id) {
    const entry = this.#live(id);
    // Kept as JSON text, so every get() hands out a fresh copy.
    return entry === null ? null : JSON.parse(entry.text);
  }

  /**
   * Optional, and here a line: the entry knows when it expires. With it, a request that only
   * reads its session costs one call; without it, the server also calls touch() every time.
   * @param {string} id @returns {Promise<{ record: SessionRecord, expiresAtMs: number } | null>}
   */
  async getWithExpiry(id) {
    const entry = this.#live(id);
    return entry === null ? null : { record: JSON.parse(entry.text), expiresAtMs: entry.expiresAt };
  }

  /** @param {string} id @param {SessionRecord} record @param {number} ttlSeconds @param {number | null} expectedVersion */
  async set(id, record, ttlSeconds, expectedVersion) {
    // No await between the check and the write: in one process, that makes them one atomic step.
    if ((this.#live(id)?.version ?? null) !== expectedVersion) return false;
    this.#entries.set(id, { text: JSON.stringify(record), version: record.version, expiresAt: this.#now() + ttlSeconds * 1000 });
    return true;
  }

  /** @param {string} id */
  async destroy(id) {
    this.#entries.delete(id);
  }

  /** @param {string} id @param {number} ttlSeconds */
  async touch(id, ttlSeconds) {
    const entry = this.#live(id);
    if (entry !== null) entry.expiresAt = this.#now() + ttlSeconds * 1000;
  }

  async close() {
    this.#entries.clear();
  }
}
