import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemorySessionStore } from '../../../src/session/stores/memory.js';
import { testSessionStore } from '../../../src/testing/store-contract.js';
import { TestClock } from '../../helpers/server.js';

testSessionStore('MemorySessionStore', (clock) => new MemorySessionStore({ maxEntries: 1000, now: clock.now, sweepIntervalMs: 0 }));

const record = (version = 1) => ({ data: { a: 1 }, permanent: false, version, createdAt: 1764000000 });

test('MemorySessionStore evicts the least recently used record past maxEntries', async () => {
  const store = new MemorySessionStore({ maxEntries: 3, sweepIntervalMs: 0 });
  for (const id of ['a', 'b', 'c']) await store.set(id, record(), 60, null);
  await store.get('a'); // a is now the most recently used; b the least
  await store.set('d', record(), 60, null);
  assert.equal(await store.get('b'), null);
  assert.notEqual(await store.get('a'), null);
  assert.notEqual(await store.get('c'), null);
  assert.notEqual(await store.get('d'), null);
  assert.equal(store.size, 3);
  assert.equal(store.evictions, 1);
  await store.close();
});

test('MemorySessionStore stays bounded under a flood of new sessions', async () => {
  const store = new MemorySessionStore({ maxEntries: 100, sweepIntervalMs: 0 });
  for (let index = 0; index < 10_000; index += 1) await store.set(`flood-${index}`, record(), 60, null);
  assert.equal(store.size, 100);
  assert.equal(store.evictions, 9_900);
  assert.notEqual(await store.get('flood-9999'), null, 'the newest survive');
  await store.close();
});

test('MemorySessionStore.sweep() removes expired records that were never read again', async () => {
  const clock = new TestClock();
  const store = new MemorySessionStore({ maxEntries: 10, now: clock.now, sweepIntervalMs: 0 });
  await store.set('short', record(), 10, null);
  await store.set('long', record(), 100, null);
  clock.advanceSeconds(11);
  assert.equal(store.sweep(), 1);
  assert.equal(store.size, 1);
  await store.close();
});

test('MemorySessionStore sweeps on a timer when asked to', async () => {
  const clock = new TestClock();
  const store = new MemorySessionStore({ maxEntries: 10, now: clock.now, sweepIntervalMs: 10 });
  await store.set('short', record(), 1, null);
  clock.advanceSeconds(2);
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.equal(store.size, 0);
  await store.close();
});

test('MemorySessionStore refuses a maxEntries that is not a positive whole number', () => {
  for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new MemorySessionStore({ maxEntries }), /maxEntries must be a whole number >= 1/);
  }
});

test('MemorySessionStore: a flood of new sessions that never come back evicts only itself (SLRU probation)', async () => {
  const store = new MemorySessionStore({ maxEntries: 300, sweepIntervalMs: 0 });
  // 200 users who logged in and came back at least once: protected.
  for (let user = 0; user < 200; user += 1) {
    await store.set(`user-${user}`, record(), 60, null);
    await store.get(`user-${user}`);
  }
  // 1,500 new sessions, as fast as one client can make them, none of them used again.
  for (let index = 0; index < 1_500; index += 1) await store.set(`flood-${index}`, record(), 60, null);
  assert.equal(store.size, 300);
  for (let user = 0; user < 200; user += 1) assert.notEqual(await store.get(`user-${user}`), null, `user-${user} was kept`);
  assert.equal(store.evictions, 1_400, 'every eviction was a flood session');
  // A new user still gets in, and is kept once they come back.
  await store.set('newcomer', record(), 60, null);
  await store.touch('newcomer', 60);
  for (let index = 1_500; index < 3_000; index += 1) await store.set(`flood-${index}`, record(), 60, null);
  assert.notEqual(await store.get('newcomer'), null);
  await store.close();
});

test('MemorySessionStore: protected holds at most 80 %; its least recently used goes back to probation, not out', async () => {
  const store = new MemorySessionStore({ maxEntries: 10, sweepIntervalMs: 0 });
  for (let user = 0; user < 10; user += 1) {
    await store.set(`user-${user}`, record(), 60, null);
    await store.get(`user-${user}`);
  }
  assert.equal(store.size, 10, 'nothing was evicted to make the demotions');
  // user-0 and user-1, used longest ago, were moved back to probation: the first to go.
  await store.set('new', record(), 60, null);
  assert.equal(await store.get('user-0'), null);
  assert.notEqual(await store.get('user-1'), null, 'user-1 came back in time, and is protected again');
  assert.equal(store.evictions, 1);
  await store.close();
});

test('MemorySessionStore with maxEntries 1 keeps the newest record', async () => {
  const store = new MemorySessionStore({ maxEntries: 1, sweepIntervalMs: 0 });
  await store.set('a', record(), 60, null);
  assert.equal(await store.set('a', record(2), 60, 1), true, 'a write to a used record stays one record');
  assert.equal(store.size, 1);
  await store.set('b', record(), 60, null);
  assert.equal(await store.get('a'), null);
  assert.equal((await store.get('b'))?.version, 1);
  assert.equal(store.size, 1);
  await store.close();
});

test('MemorySessionStore.getWithExpiry() is a use, as get() is: a session read that way is kept from a flood', async () => {
  const store = new MemorySessionStore({ maxEntries: 10, sweepIntervalMs: 0 });
  await store.set('user', record(), 60, null);
  assert.notEqual(await store.getWithExpiry('user'), null);
  for (let index = 0; index < 100; index += 1) await store.set(`flood-${index}`, record(), 60, null);
  assert.deepEqual((await store.getWithExpiry('user'))?.record, record(), 'promoted to the protected segment by its second use');
  await store.close();
});
