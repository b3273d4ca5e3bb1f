// Stores that keep the whole SessionStore contract except the optional getWithExpiry(), which each
// gets wrong in one way, so that test/testing/store-contract.test.ts can show the contract catching
// them. Run one by name:
//   node --test-reporter=tap flawed-expiry-stores.js expiry-in-seconds
// Without a name it registers no tests: `node --test` runs every file under test/, this one too.
import type { SessionRecord, SessionStore } from '../../src/session/store.js';
import { testSessionStore, type StoreClock } from '../../src/testing/store-contract.js';

export const EXPIRY_FLAWS = [
  /** Reports the expiry in seconds since the epoch, as a database column might hold it. */
  'expiry-in-seconds',
  /** Reports the expiry the record was written with, not the one touch() restarted. */
  'expiry-not-restarted',
  /** Reports a whole time to live from now, as if every read restarted it (none does). */
  'expiry-from-now',
  /** getWithExpiry() returns a record whose time to live has ended (get() does not). */
  'expiry-returns-expired',
] as const;
export type ExpiryFlaw = (typeof EXPIRY_FLAWS)[number];

interface Entry {
  readonly text: string;
  readonly version: number;
  expiresAt: number;
  /** When the time to live set by the last write ends: what 'expiry-not-restarted' reports. */
  readonly writtenExpiresAt: number;
  readonly ttlSeconds: number;
}

/** A correct Map store but for its getWithExpiry(). */
class FlawedExpiryStore implements SessionStore {
  readonly name = 'flawed-expiry';
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly clock: StoreClock,
    readonly flaw: ExpiryFlaw,
  ) {}

  #live(id: string): Entry | null {
    const entry = this.#entries.get(id);
    return entry !== undefined && entry.expiresAt > this.clock.now() ? entry : null;
  }

  async get(id: string): Promise<SessionRecord | null> {
    const entry = this.#live(id);
    return entry === null ? null : (JSON.parse(entry.text) as SessionRecord);
  }

  async getWithExpiry(id: string): Promise<{ record: SessionRecord; expiresAtMs: number } | null> {
    const entry = this.flaw === 'expiry-returns-expired' ? (this.#entries.get(id) ?? null) : this.#live(id);
    if (entry === null) return null;
    return { record: JSON.parse(entry.text) as SessionRecord, expiresAtMs: this.#reported(entry) };
  }

  #reported(entry: Entry): number {
    switch (this.flaw) {
      case 'expiry-in-seconds':
        return entry.expiresAt / 1000;
      case 'expiry-not-restarted':
        return entry.writtenExpiresAt;
      case 'expiry-from-now':
        return this.clock.now() + entry.ttlSeconds * 1000;
      default:
        return entry.expiresAt;
    }
  }

  async set(id: string, record: SessionRecord, ttlSeconds: number, expectedVersion: number | null): Promise<boolean> {
    if ((this.#live(id)?.version ?? null) !== expectedVersion) return false;
    const expiresAt = this.clock.now() + ttlSeconds * 1000;
    this.#entries.set(id, { text: JSON.stringify(record), version: record.version, expiresAt, writtenExpiresAt: expiresAt, ttlSeconds });
    return true;
  }

  async destroy(id: string): Promise<void> {
    this.#entries.delete(id);
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    const entry = this.#live(id);
    if (entry !== null) entry.expiresAt = this.clock.now() + ttlSeconds * 1000;
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }
}

const flaw = process.argv[2];
if (flaw !== undefined) {
  if (!EXPIRY_FLAWS.includes(flaw as ExpiryFlaw)) throw new Error(`unknown flaw ${JSON.stringify(flaw)}; choose one of ${EXPIRY_FLAWS.join(', ')}`);
  testSessionStore(`FlawedExpiryStore(${flaw})`, (clock) => new FlawedExpiryStore(clock, flaw as ExpiryFlaw));
}
