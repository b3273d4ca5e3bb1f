import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemorySessionStore } from '../../../src/session/stores/memory.js';
import { runSessionStoreContract } from '../../contract/session-store.js';
import { TestClock } from '../../helpers/server.js';

runSessionStoreContract('MemorySessionStore', async (clock) => ({
  store: new MemorySessionStore({ maxEntries: 1000, now: clock.now, sweepIntervalMs: 0 }),
  pass: async (seconds) => clock.advanceSeconds(seconds),
}));

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
