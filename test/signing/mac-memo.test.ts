import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MacMemo } from '../../src/signing/mac-memo.js';
import { BadSignature, MalformedSignature, SignatureExpired, Signer } from '../../src/signing/signer.js';

const SIGNATURE = 'gQE_bSjxv8xAqQdWCMJVlDB_2H8giXl1uIW1eXRlwow';
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const DAY = 86400;

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

test('MacMemo refuses a capacity that is not a whole number of at least 1', () => {
  for (const capacity of [0, -1, 1.5, Number.NaN]) assert.throws(() => new MacMemo(capacity), RangeError);
});

test('MacMemo hands out copies: changing a returned payload does not change the next verification', () => {
  const signer = new Signer({ secrets: ['key'], now: () => NOW });
  const signed = signer.sign('session', 'hello');
  signer.verify('session', signed, DAY).payload.fill(0);
  assert.equal(signer.verify('session', signed, DAY).payload.toString(), 'hello');
});

test('Signer with a memo still refuses a remembered value once it is too old', () => {
  let now = NOW;
  const signer = new Signer({ secrets: ['key'], now: () => now });
  const signed = signer.sign('session', 'hello');
  assert.equal(signer.verify('session', signed, DAY).payload.toString(), 'hello');
  now += (DAY + 1) * 1000;
  assert.throws(() => signer.verify('session', signed, DAY), SignatureExpired);
});

test('Signer with a memo still refuses a changed signature or a second spelling of a remembered value', () => {
  const signer = new Signer({ secrets: ['key'], now: () => NOW });
  const signed = signer.sign('session', 'hello');
  signer.verify('session', signed, DAY);
  const [payload, timestamp, signature] = signed.split('.') as [string, string, string];
  // The last base64url character of 32 bytes carries 2 unused bits: a sibling decodes to the same MAC.
  const last = signature.at(-1)!;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
  assert.throws(() => signer.verify('session', `${payload}.${timestamp}.${signature.slice(0, -1)}${sibling}`, DAY), MalformedSignature);
  assert.throws(() => signer.verify('session', `${payload}.${timestamp}.${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`, DAY), BadSignature);
  assert.equal(signer.verify('session', signed, DAY).keyIndex, 0);
});

test('Signer with a memo: a remembered value with anything added, cut or moved is checked in full and refused', () => {
  // The memo is consulted by splitting a value at its last dot only; these values share a prefix
  // or a suffix with a remembered one, and each must still get the full check's verdict.
  const signer = new Signer({ secrets: ['key'], now: () => NOW });
  const signed = signer.sign('session', 'hello');
  signer.verify('session', signed, DAY);
  const [payload, timestamp, signature] = signed.split('.') as [string, string, string];
  const near: [string, typeof MalformedSignature | typeof BadSignature][] = [
    [`${signed}.`, MalformedSignature],
    [`${signed}.${signature}`, MalformedSignature],
    [`x.${signed}`, MalformedSignature],
    [`${payload}.${timestamp}`, MalformedSignature],
    [`${payload}.${timestamp}.`, MalformedSignature],
    [`${payload}.${timestamp}.${signature} `, MalformedSignature],
    [`${payload}.${Number(timestamp) + 1}.${signature}`, BadSignature],
    [`${payload}A.${timestamp}.${signature}`, BadSignature],
    [signature, MalformedSignature],
  ];
  for (const [value, error] of near) assert.throws(() => signer.verify('session', value, DAY), error, value);
  // The same value for another cookie name: remembered for "session" only.
  assert.throws(() => signer.verify('other', signed, DAY), BadSignature);
  assert.equal(signer.verify('session', signed, DAY).payload.toString(), 'hello');
});

test('Signer with a memo reports a fallback key on every request, and never signs with it', () => {
  const old = new Signer({ secrets: ['old-key'], now: () => NOW });
  const rotated = new Signer({ secrets: ['new-key', 'old-key'], now: () => NOW });
  const signedWithOld = old.sign('session', 'hello');
  assert.equal(rotated.verify('session', signedWithOld, DAY).keyIndex, 1);
  assert.equal(rotated.verify('session', signedWithOld, DAY).keyIndex, 1);
  // Same message, same second: the remembered old-key signature must not be reused for signing.
  const resigned = rotated.sign('session', 'hello');
  assert.notEqual(resigned, signedWithOld);
  assert.equal(new Signer({ secrets: ['new-key'], now: () => NOW }).verify('session', resigned, DAY).keyIndex, 0);
});

test('Signer gives the same values with the memo on and off', () => {
  const withMemo = new Signer({ secrets: ['key'], now: () => NOW });
  const without = new Signer({ secrets: ['key'], now: () => NOW, memoEntries: 0 });
  for (const payload of ['a', 'a', 'b', '']) {
    assert.equal(withMemo.sign('session', payload), without.sign('session', payload));
    assert.equal(without.verify('session', withMemo.sign('session', payload), DAY).payload.toString(), payload);
  }
});

test('Signer never remembers a value that failed to verify', () => {
  // A memo of one entry: if the forged value were remembered, it would evict the genuine one, and
  // it would verify the second time. Neither may happen.
  const signer = new Signer({ secrets: ['key'], now: () => NOW, memoEntries: 1 });
  const genuine = signer.sign('session', 'hello');
  const forged = genuine.replace(/\.[^.]+$/, `.${'A'.repeat(43)}`);
  for (let attempt = 0; attempt < 3; attempt += 1) assert.throws(() => signer.verify('session', forged, DAY), BadSignature);
  assert.equal(signer.verify('session', genuine, DAY).payload.toString(), 'hello');
});
