/**
 * The SessionStore contract as a test suite that any store can run, imported from `scratchpad/testing`.
 *
 * What: `testSessionStore(name, makeStore, options?)` registers eleven `node:test` tests, one per rule
 * of the contract written in ../session/store.ts (the eleventh, for the optional `getWithExpiry()`,
 * is skipped for a store without it). When a test fails, its message says what the store
 * did and which rule that breaks.
 *
 * Why: ../session/server-session.ts trusts its store, and each of its promises rests on one rule.
 * A logout is final only if `destroy()` is. Two parallel requests both keep their changes only if
 * `set()` is an atomic compare-and-set. An idle session ends only if an expired record is never
 * returned. One request cannot change another's session only if records are copies (or frozen). An idle session
 * that is restarted only now and then (the lazy touch, ../fast/lazy-touch-store.ts) still ends in time only if
 * `getWithExpiry()` never says a record expires later than it does. A store that
 * breaks a rule does not crash. It loses a write, or keeps a user logged in, and nothing shows it.
 * So a store for another database must pass the same suite as Scratchpad's memory, filesystem and
 * Redis stores (the shared-suite idea of Hono's `runTest({ newRouter })`). Put it in a file that
 * `node --test` runs:
 *
 *   import { testSessionStore } from 'scratchpad/testing';
 *   import { MyStore } from './my-store.js';
 *   testSessionStore('MyStore', (clock) => new MyStore({ now: clock.now }));
 *   testSessionStore('MyStore on a server', () => MyStore.connect(url), { realTime: true });
 *
 * Time: the expiry rules are checked by letting time pass. `makeStore` is given a clock that
 * stands still until the suite moves it forward, so the suite takes no time to run. A store
 * that cannot use that clock, because its records expire by a clock it does not own (Redis
 * expires keys by the server's clock), says `{ realTime: true }`. The suite then sleeps instead,
 * for about seven seconds in all.
 *
 * Spec: the contract in ../session/store.ts, whose header lists the rules. The test runner:
 * https://nodejs.org/docs/latest-v20.x/api/test.html
 *
 * Not here: what ../session/server-session.ts builds on top of the contract (new ids at login,
 * merging after a lost compare-and-set); its own tests check that. Also not here is the rule that
 * a store which cannot answer throws `SessionStoreUnavailableError`: no generic test can take a
 * database down, so stop yours and check that rule yourself. This module is not exported from
 * ../index.ts, because it imports `node:test`, which belongs in test processes only. It is an
 * entry point of its own instead ("./testing" in package.json "exports").
 *
 * Read next: ../session/server-session.ts, the sessions built on this contract; then the stores
 * that pass it, from ../session/stores/memory.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionRecord, SessionStore } from '../session/store.js';

/** The time the suite gives a store, for the store to use as its only time source. */
export interface StoreClock {
  /**
   * Milliseconds since the epoch, like `Date.now()`. It is bound to the clock, so it can be
   * passed on as it is: `new MyStore({ now: clock.now })`.
   */
  readonly now: () => number;
}

export interface StoreContractOptions {
  /**
   * Whether the store's records expire by a clock the suite cannot move.
   * - `false` (the default): the store reads the time from the clock given to `makeStore`, and
   *   the suite moves that clock forward instantly.
   * - `true`: records expire by real time (Redis expires keys by the server's clock). The clock
   *   given to `makeStore` then reads the real time, and the suite sleeps to let time pass.
   */
  readonly realTime?: boolean;
}

/**
 * Makes the store for one test: a store or a promise of one. The suite closes it at the end of
 * the test. Each test uses fresh random ids, so stores can share one database.
 */
export type MakeStore = (clock: StoreClock) => SessionStore | Promise<SessionStore>;

/** What a test gets: the store, the time it reads, and the means to let time pass for it. */
interface Subject {
  readonly store: SessionStore;
  readonly now: () => number;
  readonly pass: (seconds: number) => Promise<void>;
}

/**
 * A clock that stands still until `advance()` is called, so an expiry test takes no time. It
 * starts at the real time, so a store that compares it with dates from elsewhere (a file's
 * modification time) still sees dates that make sense.
 */
class FrozenClock implements StoreClock {
  #milliseconds = Date.now();
  readonly now = (): number => this.#milliseconds;
  advance(seconds: number): void {
    this.#milliseconds += seconds * 1000;
  }
}

const REAL_CLOCK: StoreClock = { now: () => Date.now() };
const sleep = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

/** 32 random bytes in base64url: an id of the shape server-session.ts makes, never used before. */
const newId = (): string => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');

const record = (version: number, data: SessionRecord['data'] = { username: 'alice' }, permanent = false): SessionRecord => ({
  data,
  permanent,
  version,
  createdAt: 1764000000,
});

/** A value as the author will recognise it in a message: records are JSON, so JSON shows them exactly. */
function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/** Checks that a JavaScript caller's `makeStore` gave a store, which TypeScript cannot check for it. */
function assertIsStore(value: unknown): asserts value is SessionStore {
  const methods = ['get', 'set', 'destroy', 'touch', 'close'];
  const missing = methods.filter((method) => typeof (value as Record<string, unknown> | null)?.[method] !== 'function');
  assert.deepEqual(missing, [], `makeStore returned ${typeof value === 'object' && value !== null ? 'an object' : show(value)} without the methods ${missing.join(', ')}: it must return a SessionStore, or a promise of one`);
}

/** Creates the record a test starts from; every test depends on this much working. */
async function create(store: SessionStore, id: string, written: SessionRecord, ttlSeconds = 60): Promise<void> {
  const created = await store.set(id, written, ttlSeconds, null);
  assert.equal(created, true, `set() with expectedVersion null for an id never stored returned ${show(created)}: where there is no record, set() must write it and return true`);
}

/**
 * Registers the contract's tests for the store that `makeStore` makes, each named `${name}: rule`.
 * Call it at the top level of a test file, or inside a `describe()`.
 */
export function testSessionStore(name: string, makeStore: MakeStore, options: StoreContractOptions = {}): void {
  const realTime = options.realTime === true;
  // Said after every failed expiry check: a store that ignores the suite's clock is the likely cause.
  const clockHint = realTime
    ? ''
    : ` (the suite moved the clock it gave makeStore; if your store's records expire by a clock of its own, as Redis keys do, pass { realTime: true })`;

  async function withStore(body: (subject: Subject) => Promise<void>): Promise<void> {
    const clock = realTime ? null : new FrozenClock();
    const store: unknown = await makeStore(clock ?? REAL_CLOCK);
    assertIsStore(store);
    const pass = clock === null ? sleep : async (seconds: number) => clock.advance(seconds);
    try {
      await body({ store, now: (clock ?? REAL_CLOCK).now, pass });
    } catch (failure) {
      // The failure is what the author needs to see, not an error from close() that it may have caused.
      await store.close().catch(() => {});
      throw failure;
    }
    await assert.doesNotReject(() => store.close(), 'close() must release the store without throwing');
  }

  test(`${name}: get() returns null for an id that was never stored`, () =>
    withStore(async ({ store }) => {
      const got = await store.get(newId());
      assert.equal(got, null, `get() of an id never stored returned ${show(got)}: when there is no record, it must return null`);
    }));

  test(`${name}: set() with expectedVersion null creates a record, and get() returns it as it was written`, () =>
    withStore(async ({ store }) => {
      const id = newId();
      // Parsed, not written as a literal: in a literal, __proto__ would set the prototype.
      const data = JSON.parse('{"username":"Zoë 🍪","cart":[1,{"n":2}],"none":null,"__proto__":"plain key"}') as SessionRecord['data'];
      const written = record(1, data, true);
      await create(store, id, written);
      const stored = await store.get(id);
      assert.deepEqual(stored, written, `get() returned ${show(stored)} for the record set() was given as ${show(written)}: data (any JSON), permanent, version and createdAt must come back exactly as written`);
      const keys = Object.keys(stored!.data);
      assert.deepEqual(keys, Object.keys(data), `get() returned the data's keys in the order ${show(keys)}: they must keep the order they were written in (JSON.stringify and JSON.parse do)`);
    }));

  test(`${name}: set() is compare-and-set: it writes only over the version it expects, and otherwise writes nothing and returns false`, () =>
    withStore(async ({ store }) => {
      const id = newId();
      await create(store, id, record(1));
      const overLive = await store.set(id, record(1, { username: 'mallory' }), 60, null);
      assert.equal(overLive, false, 'set() with expectedVersion null succeeded over a live record (version 1): null means "only if there is no record", so it must write nothing and return false');
      const afterNull = await store.get(id);
      assert.deepEqual(afterNull, record(1), `set() with expectedVersion null returned false but changed the record to ${show(afterNull)}: a set() that returns false must write nothing`);

      const current = await store.set(id, record(2, { username: 'bob' }), 60, 1);
      assert.equal(current, true, `set() with expectedVersion 1 over version 1 returned ${show(current)}: when the stored version equals expectedVersion, set() must write and return true`);

      const stale = await store.set(id, record(2, { username: 'eve' }), 60, 1);
      assert.equal(stale, false, 'set() with expectedVersion 1 wrote over version 2: compare-and-set must write only when the stored version equals expectedVersion, and otherwise write nothing and return false');
      const afterStale = await store.get(id);
      assert.deepEqual(afterStale, record(2, { username: 'bob' }), `set() with a stale expectedVersion returned false but left ${show(afterStale)}: a set() that returns false must write nothing`);

      const absentId = newId();
      const overNothing = await store.set(absentId, record(2), 60, 1);
      assert.equal(overNothing, false, 'set() with expectedVersion 1 succeeded where there is no record: a version can only match a live record, so it must write nothing and return false');
      const afterAbsent = await store.get(absentId);
      assert.equal(afterAbsent, null, `set() with expectedVersion 1 where there is no record returned false but created ${show(afterAbsent)}: a set() that returns false must write nothing`);
    }));

  test(`${name}: set() is atomic: of 20 concurrent writes over the same version, exactly one wins`, () =>
    withStore(async ({ store }) => {
      const id = newId();
      await create(store, id, record(1));
      const results = await Promise.all(Array.from({ length: 20 }, (_, writer) => store.set(id, record(2, { writer }), 60, 1)));
      const winners = results.flatMap((won, writer) => (won ? [writer] : []));
      assert.equal(winners.length, 1, `${winners.length} of 20 concurrent set() calls with expectedVersion 1 returned true: the version check and the write must be one atomic step (also across processes sharing the store), so exactly one wins and the others return false`);
      const stored = await store.get(id);
      assert.deepEqual(stored, record(2, { writer: winners[0]! }), `set() returned true for writer ${winners[0]} of 20, but get() returned ${show(stored)}: the stored record must be the one whose set() returned true`);
    }));

  test(`${name}: destroy() removes the record, and removing a missing one is not an error`, () =>
    withStore(async ({ store }) => {
      const id = newId();
      await create(store, id, record(1));
      await store.destroy(id);
      const afterDestroy = await store.get(id);
      assert.equal(afterDestroy, null, `get() returned ${show(afterDestroy)} after destroy(): destroy() must remove the record, or a logged-out session can be used again`);
      await assert.doesNotReject(() => store.destroy(id), 'destroy() of a record already destroyed must not throw: removing a missing record is not an error');
      await assert.doesNotReject(() => store.destroy(newId()), 'destroy() of an id never stored must not throw: removing a missing record is not an error');
      const again = await store.set(id, record(1), 60, null);
      assert.equal(again, true, `set() with expectedVersion null for a destroyed id returned ${show(again)}: a destroyed record counts as absent, so a new one may be created under its id`);
    }));

  test(`${name}: get() never returns an expired record, and set() treats it as absent`, () =>
    withStore(async ({ store, pass }) => {
      const id = newId();
      await create(store, id, record(1), 1);
      const fresh = await store.get(id);
      assert.notEqual(fresh, null, 'get() returned null right after set() with a time to live of 1 s: a record must live ttlSeconds from its write');
      await pass(1.2);
      const expired = await store.get(id);
      assert.equal(expired, null, `get() returned the record 1.2 s after a write with a time to live of 1 s: an expired record must never be returned, whether or not it has been cleaned up yet${clockHint}`);
      const overExpired = await store.set(id, record(2), 60, 1);
      assert.equal(overExpired, false, 'set() with expectedVersion 1 succeeded over a record whose time to live had ended: an expired record counts as absent, so no version can match it');
      const recreated = await store.set(id, record(1), 60, null);
      assert.equal(recreated, true, `set() with expectedVersion null returned ${show(recreated)} where the only record had expired: an expired record counts as absent, so a new one may be created`);
    }));

  test(`${name}: touch() restarts the time to live without changing the record, and cannot revive an expired one`, () =>
    withStore(async ({ store, pass }) => {
      const id = newId();
      await create(store, id, record(3), 2);
      await pass(1.2);
      await store.touch(id, 2);
      await pass(1.2);
      const touched = await store.get(id);
      assert.deepEqual(
        touched,
        record(3),
        touched === null
          ? `get() returned null 2.4 s after a write with a time to live of 2 s that was touched at 1.2 s: touch(id, 2) must restart the time to live from the moment of the touch${clockHint}`
          : `get() returned ${show(touched)} after touch(): touch() must leave the record as it was (${show(record(3))})`,
      );
      await pass(2.2);
      const idle = await store.get(id);
      assert.equal(idle, null, `get() returned the record 2.2 s after touch(id, 2): a touched record must still expire when its new time to live ends${clockHint}`);
      await store.touch(id, 60);
      const revived = await store.get(id);
      assert.equal(revived, null, `touch() of an expired record brought it back as ${show(revived)}: an expired record counts as absent, and touching a missing record does nothing`);
    }));

  test(`${name}: touch() of a missing record does nothing`, () =>
    withStore(async ({ store }) => {
      const id = newId();
      await assert.doesNotReject(() => store.touch(id, 60), 'touch() of an id never stored must not throw: touching a missing record does nothing');
      const got = await store.get(id);
      assert.equal(got, null, `touch() of an id never stored created ${show(got)}: touching a missing record must do nothing`);
    }));

  test(`${name}: getWithExpiry(), which is optional, returns what get() returns and when its time to live ends, never later`, (context) =>
    withStore(async ({ store, now, pass }) => {
      if (store.getWithExpiry === undefined) {
        context.skip('no getWithExpiry(): it is optional, and without it the time to live is restarted on every request (no lazy touch)');
        return;
      }
      const getWithExpiry = store.getWithExpiry.bind(store);
      // Between these two readings of the clock the store started the time to live: the reported
      // expiry must not be later than the second plus the time to live (1 ms for rounding), nor
      // earlier than the first by more than a store keeping whole seconds would round.
      const checkExpiry = (reported: unknown, from: number, to: number, ttlSeconds: number, when: string) => {
        const ends = to + ttlSeconds * 1000;
        if (typeof reported === 'number' && reported <= ends + 1 && reported >= from + ttlSeconds * 1000 - 1000) return;
        const seconds = typeof reported === 'number' && Math.abs(reported * 1000 - ends) < 2000;
        const off = typeof reported !== 'number' || seconds ? '' : ` (${Math.round(Math.abs(reported - ends))} ms ${reported > ends ? 'after' : 'before'} it ends)`;
        const hint = seconds ? '; this looks like seconds, and must be milliseconds since the epoch, like Date.now()' : '';
        assert.fail(
          `getWithExpiry() ${when} reported expiresAtMs ${show(reported)} for a time to live of ${ttlSeconds} s${off}: it must be the moment the store ` +
            `stops returning the record, never later (the lazy touch would not restart a session about to end), and at most a second earlier${hint}`,
        );
      };

      const missing = await getWithExpiry(newId());
      assert.equal(missing, null, `getWithExpiry() of an id never stored returned ${show(missing)}: where get() returns null, getWithExpiry() must return null`);
      const wrong = await getWithExpiry('../../etc/passwd');
      assert.equal(wrong, null, `getWithExpiry("../../etc/passwd") returned ${show(wrong)}: an id that is not a session id must find nothing`);

      const id = newId();
      const written = record(4, { username: 'alice', cart: [1, 2] });
      const writtenFrom = now();
      await create(store, id, written, 60);
      const writtenTo = now();
      const read = await getWithExpiry(id);
      assert.deepEqual(read?.record, written, `getWithExpiry() returned the record ${show(read?.record)} for the record set() was given as ${show(written)}: its record must be exactly what get() returns`);
      checkExpiry(read?.expiresAtMs, writtenFrom, writtenTo, 60, 'right after set()');

      const shortId = newId();
      await create(store, shortId, record(1), 1);
      await pass(1.2);
      checkExpiry((await getWithExpiry(id))?.expiresAtMs, writtenFrom, writtenTo, 60, '1.2 s after set(), with no touch() since,');
      const touchedFrom = now();
      await store.touch(id, 60);
      const touchedTo = now();
      checkExpiry((await getWithExpiry(id))?.expiresAtMs, touchedFrom, touchedTo, 60, 'right after touch(id, 60)');
      const expired = await getWithExpiry(shortId);
      assert.equal(expired, null, `getWithExpiry() returned ${show(expired)} 1.2 s after a write with a time to live of 1 s: an expired record must never be returned${clockHint}`);
    }));

  test(`${name}: records are copies: changing what set() was given or what get() returned never changes the stored record`, () =>
    withStore(async ({ store }) => {
      const id = newId();
      const data = { list: [1] };
      await create(store, id, record(1, data));
      data.list.push(2);
      const first = await store.get(id);
      assert.deepEqual(first?.data, { list: [1] }, `changing the data after set() changed the stored data to ${show(first?.data)}: set() must store a copy, not keep the caller's object`);
      (first!.data['list'] as number[]).push(3);
      const second = await store.get(id);
      assert.deepEqual(second?.data, { list: [1] }, `changing the data get() returned changed the stored data to ${show(second?.data)}: get() must return a copy, so that one request cannot change another's session`);
    }));

  test(`${name}: an id that is not a session id finds nothing, and destroy() or touch() of it does not throw`, () =>
    withStore(async ({ store }) => {
      for (const id of ['', '../../etc/passwd', 'a/b', '..', 'x'.repeat(43) + '\0']) {
        const got = await store.get(id);
        assert.equal(got, null, `get(${show(id)}) returned ${show(got)}: an id that is not a session id must find nothing (check isSessionId() before an id reaches a file name or a key)`);
        await assert.doesNotReject(() => store.destroy(id), `destroy(${show(id)}) must not throw: there is no such record, and removing a missing record is not an error`);
        await assert.doesNotReject(() => store.touch(id, 60), `touch(${show(id)}, 60) must not throw: there is no such record, and touching a missing record does nothing`);
      }
    }));
}
