// The memoized signer must answer exactly as the plain Signer, refusals included, with its memo on
// and off: every value below is asked of all three, twice, after the memo has seen its genuine twin.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoizedSigner } from '../../src/fast/memoized-signer.js';
import { BadSignature, MalformedSignature, SignatureExpired, Signer } from '../../src/signing/signer.js';
import { TestClock } from '../helpers/server.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const DAY = 86400;

/** The plain Signer, and the memoized one with its memo on and off, on one clock and one key list. */
function signers(clock: TestClock, secrets = ['key']): Record<'plain' | 'memo on' | 'memo off', Signer> {
  return {
    plain: new Signer({ secrets, now: clock.now }),
    'memo on': new MemoizedSigner({ secrets, now: clock.now }),
    'memo off': new MemoizedSigner({ secrets, now: clock.now, memoEntries: 0 }),
  };
}

/** What verify() does with a value: its payload, date and key, or the class and message of its error. */
function outcome(signer: Signer, name: string, value: string, maxAge = DAY): string {
  try {
    const { payload, signedAt, keyIndex } = signer.verify(name, value, maxAge);
    return `ok ${payload.toString('base64')} ${signedAt.getTime()} ${keyIndex}`;
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

/** Asks every signer twice (a miss, then what may be a hit); all answers must be the plain one. */
function agreed(all: Record<string, Signer>, name: string, value: string, maxAge = DAY): string {
  const expected = outcome(all['plain']!, name, value, maxAge);
  for (const [label, signer] of Object.entries(all)) {
    for (const round of [1, 2]) assert.equal(outcome(signer, name, value, maxAge), expected, `${label}, round ${round}: ${value.slice(0, 80)}`);
  }
  return expected;
}

test('MemoizedSigner signs exactly as the plain Signer, with the memo on and off', () => {
  const all = signers(new TestClock(NOW));
  for (const payload of ['a', 'a', 'b', '', Buffer.from([0, 255])]) {
    const expected = all.plain.sign('session', payload);
    for (const [label, signer] of Object.entries(all)) assert.equal(signer.sign('session', payload), expected, label);
  }
});

test('MemoizedSigner answers every variant of a remembered value exactly as the plain Signer', () => {
  const all = signers(new TestClock(NOW));
  const good = all['memo on'].sign('session', 'hello');
  const [payload, timestamp, signature] = good.split('.') as [string, string, string];
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const variants = [
    good,
    `${good}.`,
    `${good}.${signature}`,
    `x.${good}`,
    `${payload}.${timestamp}`,
    `${payload}.${timestamp}.`,
    `${payload}.${timestamp}.${signature} `,
    `${payload}.${Number(timestamp) + 1}.${signature}`,
    `${payload}A.${timestamp}.${signature}`,
    `${payload}.0${timestamp}.${signature}`,
    `${payload}.${timestamp}.${signature}=`,
    // The last character of 32 bytes in base64url carries unused bits: a second spelling.
    `${payload}.${timestamp}.${signature.slice(0, -1)}${alphabet[alphabet.indexOf(signature.at(-1)!) ^ 1]}`,
    `${payload}.${timestamp}.${signature.slice(0, -1)}\u0141`,
    signature,
    '',
    'no dots at all',
    `${good}${'A'.repeat(5000)}`,
  ];
  for (let index = 0; index < signature.length; index += 1) {
    for (const other of ['A', '_']) {
      if (signature[index] !== other) variants.push(`${payload}.${timestamp}.${signature.slice(0, index)}${other}${signature.slice(index + 1)}`);
    }
  }
  let accepted = 0;
  for (const variant of variants) if (agreed(all, 'session', variant).startsWith('ok')) accepted += 1;
  assert.equal(accepted, 1, 'only the value itself verifies');
  assert.match(agreed(all, 'other', good), /^BadSignature/, 'the same value for another cookie name');
});

test('MemoizedSigner refuses a remembered value once it is too old, or dated ahead of the clock, as the plain Signer does', () => {
  const clock = new TestClock(NOW);
  const all = signers(clock);
  const good = all['memo on'].sign('session', 'hello');
  assert.match(agreed(all, 'session', good), /^ok/);
  clock.advanceSeconds(DAY);
  assert.match(agreed(all, 'session', good), /^ok/, 'still valid at exactly the maximum age');
  clock.advanceSeconds(1);
  assert.match(agreed(all, 'session', good), /^SignatureExpired: signature expired 1 s ago/);
  clock.milliseconds = NOW - 120_000;
  assert.match(agreed(all, 'session', good), /^SignatureFromTheFuture/);
  clock.milliseconds = NOW;
  assert.match(agreed(all, 'session', good, 0), /^ok/, 'a maximum age of 0 allows this second only');
});

test('MemoizedSigner reports an old key on every request, signs only with the current key, and refuses a retired key', () => {
  const clock = new TestClock(NOW);
  const signedWithOld = new Signer({ secrets: ['old-key'], now: clock.now }).sign('session', 'hello');
  const rotated = signers(clock, ['new-key', 'old-key']);
  assert.match(agreed(rotated, 'session', signedWithOld), / 1$/, 'key index 1, every time');
  // Same payload, same second: the remembered old-key signature must not be reused for signing.
  const resigned = rotated['memo on'].sign('session', 'hello');
  assert.notEqual(resigned, signedWithOld);
  assert.equal(resigned, rotated.plain.sign('session', 'hello'));
  assert.match(agreed(signers(clock, ['new-key']), 'session', resigned), / 0$/);
  assert.match(agreed(signers(clock, ['new-key']), 'session', signedWithOld), /^BadSignature/, 'the old key retired');
});

test('MemoizedSigner still refuses a changed signature or a second spelling of a remembered value', () => {
  const signer = new MemoizedSigner({ secrets: ['key'], now: () => NOW });
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

test('MemoizedSigner: a remembered value with anything added, cut or moved is checked in full and refused', () => {
  // The memo is consulted by splitting a value at its last dot only; these values share a prefix
  // or a suffix with a remembered one, and each must still get the full check's verdict.
  const signer = new MemoizedSigner({ secrets: ['key'], now: () => NOW });
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

test('MemoizedSigner still refuses a remembered value once it is too old', () => {
  let now = NOW;
  const signer = new MemoizedSigner({ secrets: ['key'], now: () => now });
  const signed = signer.sign('session', 'hello');
  assert.equal(signer.verify('session', signed, DAY).payload.toString(), 'hello');
  now += (DAY + 1) * 1000;
  assert.throws(() => signer.verify('session', signed, DAY), SignatureExpired);
});

test('MemoizedSigner never remembers a value that failed to verify', () => {
  // A memo of one entry: if the forged value were remembered, it would evict the genuine one, and
  // it would verify the second time. Neither may happen.
  const signer = new MemoizedSigner({ secrets: ['key'], now: () => NOW, memoEntries: 1 });
  const genuine = signer.sign('session', 'hello');
  const forged = genuine.replace(/\.[^.]+$/, `.${'A'.repeat(43)}`);
  for (let attempt = 0; attempt < 3; attempt += 1) assert.throws(() => signer.verify('session', forged, DAY), BadSignature);
  assert.equal(signer.verify('session', genuine, DAY).payload.toString(), 'hello');
});

test('MemoizedSigner hands out copies: changing a returned payload does not change the next verification', () => {
  const signer = new MemoizedSigner({ secrets: ['key'], now: () => NOW });
  const signed = signer.sign('session', 'hello');
  signer.verify('session', signed, DAY).payload.fill(0);
  assert.equal(signer.verify('session', signed, DAY).payload.toString(), 'hello');
});

test('MemoizedSigner signs a value too long for any cookie without remembering it, and refuses it as the plain Signer does', () => {
  const all = signers(new TestClock(NOW));
  const huge = all['memo on'].sign('session', 'x'.repeat(4000));
  assert.equal(huge, all.plain.sign('session', 'x'.repeat(4000)));
  assert.match(agreed(all, 'session', huge), /^MalformedSignature: signed value is \d+ characters/);
});

test('MemoizedSigner is a Signer: it goes wherever one goes, and protect()/unprotect() use the memo too', () => {
  const signer = new MemoizedSigner({ secrets: ['key'], now: () => NOW });
  assert.ok(signer instanceof Signer);
  assert.equal(signer.protection, 'signed');
  const value = signer.protect('session', 'x');
  for (const round of [1, 2]) assert.equal(signer.unprotect('session', value, DAY).payload.toString(), 'x', `round ${round}`);
  assert.throws(() => new MemoizedSigner({ secrets: ['key'], memoEntries: -1 }), RangeError);
  assert.throws(() => new MemoizedSigner({ secrets: [] }), /at least one secret key/);
});
