// The memoized sealer must answer exactly as the plain Sealer, refusals included, with its memo on
// and off: every value below is asked of all three, twice, after the memo has seen its genuine twin.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoizedSealer } from '../../src/fast/memoized-sealer.js';
import { Sealer } from '../../src/signing/sealer.js';
import { BadSignature, SignatureExpired } from '../../src/signing/signer.js';
import { TestClock } from '../helpers/server.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const DAY = 86400;

/** The plain Sealer, and the memoized one with its memo on and off, on one clock and one key list. */
function sealers(clock: TestClock, secrets = ['current-key']): Record<'plain' | 'memo on' | 'memo off', Sealer> {
  return {
    plain: new Sealer({ secrets, now: clock.now }),
    'memo on': new MemoizedSealer({ secrets, now: clock.now }),
    'memo off': new MemoizedSealer({ secrets, now: clock.now, memoEntries: 0 }),
  };
}

/** What open() does with a value: its payload, date and key, or the class and message of its error. */
function outcome(sealer: Sealer, name: string, value: string, maxAge = DAY): string {
  try {
    const { payload, signedAt, keyIndex } = sealer.open(name, value, maxAge);
    return `ok ${payload.toString('base64')} ${signedAt.getTime()} ${keyIndex}`;
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

/** Asks every sealer twice (a miss, then what may be a hit); all answers must be the plain one. */
function agreed(all: Record<string, Sealer>, name: string, value: string, maxAge = DAY): string {
  const expected = outcome(all['plain']!, name, value, maxAge);
  for (const [label, sealer] of Object.entries(all)) {
    for (const round of [1, 2]) assert.equal(outcome(sealer, name, value, maxAge), expected, `${label}, round ${round}: ${value.slice(0, 80)}`);
  }
  return expected;
}

function flipByte(sealed: string, index: number): string {
  const [version, timestamp, blob] = sealed.split('.') as [string, string, string];
  const bytes = Buffer.from(blob, 'base64url');
  bytes[index] = bytes[index]! ^ 0x01;
  return `${version}.${timestamp}.${bytes.toString('base64url')}`;
}

for (const rememberedBy of ['seal', 'open'] as const) {
  test(`MemoizedSealer answers every variant of a value it remembered by ${rememberedBy}() exactly as the plain Sealer`, () => {
    const all = sealers(new TestClock(NOW));
    const good = (rememberedBy === 'seal' ? all['memo on'] : all.plain).seal('session', 'payload of some length');
    const variants: string[] = [good, `${good}A`, good.slice(0, -1), good.replace(/^v1\./, 'v2.'), good.replace(/^v1\.(\d+)/, (_, t: string) => `v1.${Number(t) + 1}`), `${good}=`];
    variants.push(good.slice(-22), good.slice(-23), `${good}${'A'.repeat(5000)}`, '', `x${good}`);
    const blobLength = Buffer.from(good.split('.')[2]!, 'base64url').length;
    for (let index = 0; index < blobLength; index += 1) variants.push(flipByte(good, index));
    // Every character that carries the tag, changed to each of three others (some of these only
    // change the padding bits of the last character: a second spelling, refused as malformed).
    for (let index = good.length - 22; index < good.length; index += 1) {
      for (const other of ['A', 'B', '_']) {
        if (good[index] !== other) variants.push(good.slice(0, index) + other + good.slice(index + 1));
      }
    }
    let accepted = 0;
    for (const variant of variants) if (agreed(all, 'session', variant).startsWith('ok')) accepted += 1;
    assert.equal(accepted, 1, 'only the value itself opens');
    assert.match(agreed(all, 'other', good), /^BadSignature/, 'another cookie name');
  });
}

test('MemoizedSealer refuses a remembered value once it is too old, or dated ahead of the clock, as the plain Sealer does', () => {
  const clock = new TestClock(NOW);
  const all = sealers(clock);
  const sealed = all['memo on'].seal('session', 'x');
  assert.match(agreed(all, 'session', sealed, 60), /^ok/);
  clock.advanceSeconds(60);
  assert.match(agreed(all, 'session', sealed, 60), /^ok/, 'still valid at exactly the maximum age');
  clock.advanceSeconds(1);
  assert.match(agreed(all, 'session', sealed, 60), /^SignatureExpired: signature expired 1 s ago/);
  clock.milliseconds = NOW - 120_000;
  assert.match(agreed(all, 'session', sealed, 60), /^SignatureFromTheFuture/);
});

test('MemoizedSealer reports an old key on every request, and refuses a retired key, as the plain Sealer does', () => {
  const clock = new TestClock(NOW);
  const sealedWithOld = new Sealer({ secrets: ['old-key'], now: clock.now }).seal('session', 'data');
  assert.match(agreed(sealers(clock, ['new-key', 'old-key']), 'session', sealedWithOld), / 1$/, 'key index 1, every time');
  assert.match(agreed(sealers(clock, ['new-key']), 'session', sealedWithOld), /^BadSignature/, 'the old key retired');
  const rotated = new MemoizedSealer({ secrets: ['new-key', 'old-key'], now: clock.now });
  assert.equal(new Sealer({ secrets: ['new-key'], now: clock.now }).open('session', rotated.seal('session', 'x'), DAY).keyIndex, 0, 'seals with the current key');
});

test('MemoizedSealer still refuses a remembered value once it is too old', () => {
  let now = NOW;
  const sealer = new MemoizedSealer({ secrets: ['current-key'], now: () => now });
  const sealed = sealer.seal('session', 'x');
  assert.equal(sealer.open('session', sealed, 60).payload.toString(), 'x');
  now += 61_000;
  assert.throws(() => sealer.open('session', sealed, 60), SignatureExpired);
});

test('MemoizedSealer reports an old key on every request, and hands out copies of the payload', () => {
  const old = new Sealer({ secrets: ['old-key'], now: () => NOW }).seal('session', 'data');
  const rotated = new MemoizedSealer({ secrets: ['new-key', 'old-key'], now: () => NOW });
  for (let round = 0; round < 3; round += 1) {
    const opened = rotated.open('session', old, DAY);
    assert.equal(opened.keyIndex, 1, `round ${round}`);
    assert.equal(opened.payload.toString(), 'data', `round ${round}`);
    opened.payload.fill(0);
  }
});

test('MemoizedSealer never remembers a value that failed to open', () => {
  // A memo of one entry: a remembered forgery would evict the genuine value and open the next time.
  const sealer = new MemoizedSealer({ secrets: ['current-key'], now: () => NOW, memoEntries: 1 });
  const genuine = sealer.seal('session', 'x');
  const forged = flipByte(genuine, 20); // a byte of the tag
  for (let round = 0; round < 3; round += 1) assert.throws(() => sealer.open('session', forged, DAY), BadSignature);
  assert.equal(sealer.open('session', genuine, DAY).payload.toString(), 'x');
});

test('MemoizedSealer seals a value too long for any cookie without remembering it, and refuses it as the plain Sealer does', () => {
  const all = sealers(new TestClock(NOW));
  const huge = all['memo on'].seal('session', 'x'.repeat(4000));
  assert.match(agreed(all, 'session', huge), /^MalformedSignature: sealed value is \d+ characters/);
});

test('MemoizedSealer is a Sealer: protect()/unprotect() use the memo too', () => {
  const sealer = new MemoizedSealer({ secrets: ['k'], now: () => NOW });
  assert.ok(sealer instanceof Sealer);
  assert.equal(sealer.protection, 'encrypted');
  const value = sealer.protect('n', 'x');
  for (const round of [1, 2]) assert.equal(sealer.unprotect('n', value, 60).payload.toString(), 'x', `round ${round}`);
  assert.throws(() => new MemoizedSealer({ secrets: ['k'], memoEntries: 1.5 }), RangeError);
});
