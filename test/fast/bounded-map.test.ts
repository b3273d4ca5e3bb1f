// The size bound every memo shares: what it keeps, what it drops, and what it refuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedMap } from '../../src/fast/bounded-map.js';

test('BoundedMap keeps at most its capacity, dropping the entry added longest ago', () => {
  const map = new BoundedMap<string, number>(2);
  map.set('a', 1);
  map.set('b', 2);
  map.set('c', 3);
  assert.equal(map.size, 2);
  assert.equal(map.get('a'), undefined);
  assert.equal(map.get('b'), 2);
  assert.equal(map.get('c'), 3);
});

test('BoundedMap replaces an existing key in place, without dropping another', () => {
  const map = new BoundedMap<string, number>(2);
  map.set('a', 1);
  map.set('b', 2);
  map.set('a', 10);
  assert.equal(map.size, 2);
  assert.deepEqual([map.get('a'), map.get('b')], [10, 2]);
});

test('BoundedMap: reading an entry does not make it younger (oldest added goes first)', () => {
  const map = new BoundedMap<number, string>(2);
  map.set(1, 'one');
  map.set(2, 'two');
  assert.equal(map.get(1), 'one');
  map.set(3, 'three');
  assert.equal(map.get(1), undefined);
  assert.equal(map.get(2), 'two');
});

test('BoundedMap stays at its capacity however many keys a client sends', () => {
  const map = new BoundedMap<string, number>(100);
  for (let index = 0; index < 100_000; index += 1) map.set(`key ${index}`, index);
  assert.equal(map.size, 100);
  assert.equal(map.get('key 99999'), 99999);
  assert.equal(map.get('key 99899'), undefined);
});

test('BoundedMap refuses a capacity that is not a whole number of at least 1, naming the map', () => {
  for (const capacity of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => new BoundedMap(capacity, 'TestMemo'), { name: 'RangeError', message: new RegExp(`^TestMemo capacity must be a whole number ≥ 1, not ${capacity}$`) });
  }
});
