import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MAC_MEMO_ENTRIES, MacMemo } from '../../src/fast/mac-memo.js';

const SIGNATURE = 'gQE_bSjxv8xAqQdWCMJVlDB_2H8giXl1uIW1eXRlwow';

test('MacMemo.match() returns the entry only for exactly the remembered signature', () => {
  const memo = new MacMemo(4);
  memo.remember('session=payload.1', SIGNATURE, Buffer.from('data'), 0);
  assert.equal(memo.match('session=payload.1', SIGNATURE)?.payload.toString(), 'data');
  const cases: readonly [string, string][] = [
    ['another message', 'session=payload.2'],
    ['one character changed', 'A' + SIGNATURE.slice(1)],
    ['one character short', SIGNATURE.slice(0, -1)],
    ['one character more', SIGNATURE + 'A'],
    // latin1 would read U+0141 as 0x41 ("A"); the comparison must not.
    ['a non-ASCII look-alike that latin1 would equate', SIGNATURE.replace('A', '\u0141')],
    ['empty', ''],
  ];
  for (const [name, variant] of cases) {
    const [message, signature] = variant.startsWith('session=') ? [variant, SIGNATURE] : ['session=payload.1', variant];
    assert.equal(memo.match(message, signature), undefined, name);
  }
});

test('MacMemo keeps at most its capacity, dropping the oldest entry first', () => {
  const memo = new MacMemo(3);
  for (const index of [1, 2, 3, 4]) memo.remember(`m${index}`, SIGNATURE, Buffer.alloc(0), 0);
  assert.equal(memo.size, 3);
  assert.equal(memo.match('m1', SIGNATURE), undefined);
  assert.notEqual(memo.match('m4', SIGNATURE), undefined);
  // Remembering a message again replaces it without evicting anyone.
  memo.remember('m4', SIGNATURE, Buffer.alloc(0), 0);
  assert.equal(memo.size, 3);
  assert.notEqual(memo.match('m2', SIGNATURE), undefined);
});

test('MacMemo.signatureFor() reuses only signatures of the current key', () => {
  const memo = new MacMemo();
  memo.remember('current', SIGNATURE, Buffer.alloc(0), 0);
  memo.remember('fallback', SIGNATURE, Buffer.alloc(0), 1);
  assert.equal(memo.signatureFor('current'), SIGNATURE);
  assert.equal(memo.signatureFor('fallback'), undefined);
  assert.equal(memo.signatureFor('unknown'), undefined);
});

test('MacMemo holds DEFAULT_MAC_MEMO_ENTRIES values unless told otherwise', () => {
  const memo = new MacMemo();
  for (let index = 0; index <= DEFAULT_MAC_MEMO_ENTRIES; index += 1) memo.remember(`m${index}`, SIGNATURE, Buffer.alloc(0), 0);
  assert.equal(memo.size, DEFAULT_MAC_MEMO_ENTRIES);
});

test('MacMemo hands out the payload it was given as a copy: changing the original changes nothing', () => {
  const memo = new MacMemo();
  const payload = Buffer.from('data');
  memo.remember('m', SIGNATURE, payload, 0);
  payload.fill(0);
  assert.equal(memo.match('m', SIGNATURE)?.payload.toString(), 'data');
});

test('MacMemo refuses a capacity that is not a whole number of at least 1', () => {
  for (const capacity of [0, -1, 1.5, Number.NaN]) assert.throws(() => new MacMemo(capacity), RangeError);
});
