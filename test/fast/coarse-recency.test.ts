// Coarse recency: the memory store's protected records move to the recent end at most once per
// interval. What it may change (the order of uses within the interval) and what it may not
// (promotion from probation, expiry, the bound on how stale a record's place is).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoarseRecency } from '../../src/fast/coarse-recency.js';
import { EXACT_RECENCY, MemorySessionStore, type RecencyPolicy } from '../../src/session/stores/memory.js';
import { testSessionStore } from '../../src/testing/store-contract.js';
import { TestClock } from '../helpers/server.js';

// The whole store contract still holds with it.
testSessionStore('MemorySessionStore with CoarseRecency', (clock) => new MemorySessionStore({ maxEntries: 1000, now: clock.now, sweepIntervalMs: 0, recency: new CoarseRecency() }));

const record = (version = 1) => ({ data: { a: 1 }, permanent: false, version, createdAt: 1764000000 });

/** A store of `maxEntries` 10 (protected holds 8) with users 0-7 protected, in that order, on `clock`; CoarseRecency unless told. */
async function protectedUsers(clock: TestClock, recency: RecencyPolicy = new CoarseRecency()): Promise<MemorySessionStore> {
  const store = new MemorySessionStore({ maxEntries: 10, now: clock.now, sweepIntervalMs: 0, recency });
  for (let user = 0; user < 8; user += 1) {
    await store.set(`user-${user}`, record(), 3600, null);
    await store.get(`user-${user}`); // the second use: into protected
  }
  return store;
}

/** Fills the store past its bound with sessions never used again, and says which users survived. */
async function survivorsOfAFlood(store: MemorySessionStore): Promise<string[]> {
  // Two more users get protected: the two least recently placed users go back to probation.
  for (const user of ['late-a', 'late-b']) {
    await store.set(user, record(), 3600, null);
    await store.get(user);
  }
  for (let index = 0; index < 20; index += 1) await store.set(`flood-${index}`, record(), 3600, null);
  const survivors: string[] = [];
  for (let user = 0; user < 8; user += 1) if ((await store.getWithExpiry(`user-${user}`)) !== null) survivors.push(`user-${user}`);
  return survivors;
}

test('CoarseRecency leaves a protected record used again within the interval where it is', async () => {
  const clock = new TestClock();
  const store = await protectedUsers(clock);
  const moves = store.moves;
  clock.advanceSeconds(30);
  await store.get('user-0');
  await store.touch('user-0', 3600);
  assert.equal(store.moves, moves, 'within the minute: no map write');
  // It was used, though: when a demotion reaches its old place, it takes a new one instead of going.
  assert.deepEqual(await survivorsOfAFlood(store), ['user-0', 'user-3', 'user-4', 'user-5', 'user-6', 'user-7']);
  await store.close();
});

test('CoarseRecency with an interval of 0 is exact LRU, the plain store', async () => {
  const clock = new TestClock();
  const coarse = await protectedUsers(clock, new CoarseRecency(0));
  const exact = await protectedUsers(clock, EXACT_RECENCY);
  for (const store of [coarse, exact]) await store.get('user-0');
  assert.equal(coarse.moves, exact.moves);
  assert.deepEqual(await survivorsOfAFlood(coarse), await survivorsOfAFlood(exact));
  await coarse.close();
  await exact.close();
});

test('CoarseRecency: a record moved at 60 s and used again at 90 s stays where that move put it', async () => {
  const clock = new TestClock();
  const store = await protectedUsers(clock);
  clock.advanceSeconds(60);
  const moves = store.moves;
  await store.get('user-0');
  assert.equal(store.moves, moves + 1, 'a minute after its first place: moved');
  clock.advanceSeconds(30);
  await store.get('user-0');
  assert.equal(store.moves, moves + 1, '30 s after that move: left in place');
  clock.advanceSeconds(30);
  await store.get('user-0');
  assert.equal(store.moves, moves + 2, 'a minute after that move: moved again');
  await store.close();
});

test('CoarseRecency never lets a record in use be demoted before one that is not: a user clicking every few seconds outlasts a flood', async () => {
  const clock = new TestClock();
  const store = new MemorySessionStore({ maxEntries: 5, now: clock.now, sweepIntervalMs: 0, recency: new CoarseRecency() });
  await store.set('victim', record(), 3600, null);
  await store.get('victim'); // protected, placed at 0 s
  // Four sessions brought to a second use over the next 12 s, while the victim clicks every 2 s:
  // with a move on every use, the victim would always be the most recent; left in place, its place
  // is the oldest in protected (which holds 4).
  for (let attacker = 0; attacker < 4; attacker += 1) {
    clock.advanceSeconds(2);
    await store.get('victim');
    await store.set(`attacker-${attacker}`, record(), 3600, null);
    await store.get(`attacker-${attacker}`);
  }
  for (let index = 0; index < 20; index += 1) await store.set(`flood-${index}`, record(), 3600, null);
  assert.notEqual(await store.get('victim'), null, 'the victim, in use, was not demoted and then evicted');
  assert.equal(await store.get('attacker-0'), null, 'the attacker session used longest ago went instead');
  await store.close();
});

test('CoarseRecency: a write in place keeps the time of its place, so writing cannot put off the next move', async () => {
  const clock = new TestClock();
  const store = await protectedUsers(clock);
  const moves = store.moves;
  clock.advanceSeconds(40);
  assert.equal(await store.set('user-0', record(2), 3600, 1), true, 'replaced where it is');
  assert.equal(store.moves, moves, 'a use within the minute: not moved');
  clock.advanceSeconds(30);
  // 70 s since user-0 took its place, 30 s since it was written: the place is older than the interval, so it moves.
  await store.get('user-0');
  assert.equal(store.moves, moves + 1);
  await store.close();
});

test('CoarseRecency never delays a promotion from probation, nor an expiry', async () => {
  const clock = new TestClock();
  const store = new MemorySessionStore({ maxEntries: 10, now: clock.now, sweepIntervalMs: 0, recency: new CoarseRecency() });
  await store.set('user', record(), 10, null);
  await store.get('user'); // second use within the minute: promoted all the same
  for (let index = 0; index < 100; index += 1) await store.set(`flood-${index}`, record(), 10, null);
  assert.notEqual(await store.get('user'), null, 'protected from the flood');
  clock.advanceSeconds(11);
  assert.equal(await store.get('user'), null, 'expired on time, moved or not');
  await store.close();
});

test('CoarseRecency.mustMove(): after the interval, or when the clock went back', () => {
  const recency = new CoarseRecency(1_000);
  const cases: readonly [movedAt: number, now: number, want: boolean][] = [
    [10_000, 10_000, false],
    [10_000, 10_999, false],
    [10_000, 11_000, true],
    [10_000, 9_999, true],
  ];
  for (const [movedAt, now, want] of cases) assert.equal(recency.mustMove(movedAt, now), want, `moved at ${movedAt}, now ${now}`);
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => new CoarseRecency(bad), /intervalMs must be a finite number >= 0/);
});
