import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import {
  BadSignature,
  formatSeconds,
  MalformedSignature,
  SignatureError,
  SignatureExpired,
  SignatureFromTheFuture,
  Signer,
} from '../../src/signing/signer.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const DAY = 86400;

function signerAt(milliseconds: number, secrets: string[] = ['current-key']): Signer {
  return new Signer({ secrets, now: () => milliseconds });
}

test('Signer.sign() produces PAYLOAD.TIMESTAMP.SIGNATURE in cookie-safe characters', () => {
  const signed = signerAt(NOW).sign('session', '{"a":1}');
  const [payload, timestamp, signature] = signed.split('.');
  assert.equal(Buffer.from(payload!, 'base64url').toString(), '{"a":1}');
  assert.equal(timestamp, String(NOW / 1000));
  assert.equal(Buffer.from(signature!, 'base64url').length, 32);
  assert.match(signed, /^[A-Za-z0-9_.-]+$/);
});

test('Signer.sign() is HMAC-SHA256 over "name=payload.timestamp" with a key derived from secret and salt', () => {
  const signed = new Signer({ secrets: ['k'], salt: 's', now: () => NOW }).sign('n', 'p');
  const [payload, timestamp, signature] = signed.split('.');
  const key = createHmac('sha256', 'k').update('s').digest();
  const expected = createHmac('sha256', key).update(`n=${payload}.${timestamp}`).digest('base64url');
  assert.equal(signature, expected);
});

test('Signer.verify() returns the payload, the signing date and the key index', () => {
  const signer = signerAt(NOW);
  const verified = signer.verify('session', signer.sign('session', 'hello'), DAY);
  assert.equal(verified.payload.toString(), 'hello');
  assert.equal(verified.signedAt.getTime(), NOW);
  assert.equal(verified.keyIndex, 0);
});

test('Signer.verify() accepts an empty payload', () => {
  const signer = signerAt(NOW);
  assert.equal(signer.verify('n', signer.sign('n', ''), DAY).payload.length, 0);
});

/** Changes one character of one part, keeping it well-formed base64url/decimal. */
function tamper(signed: string, part: 0 | 1 | 2): string {
  const parts = signed.split('.');
  const text = parts[part]!;
  const flip = (c: string) => (part === 1 ? String((Number(c) + 1) % 10) : c === 'A' ? 'B' : 'A');
  parts[part] = flip(text[0]!) + text.slice(1);
  return parts.join('.');
}

const tamperCases: readonly { name: string; part: 0 | 1 | 2 }[] = [
  { name: 'a changed payload', part: 0 },
  // Moving the date would extend a session's life: it is signed like the payload.
  { name: 'a changed timestamp', part: 1 },
  { name: 'a changed signature', part: 2 },
];

for (const { name, part } of tamperCases) {
  test(`Signer.verify() refuses ${name} with BadSignature`, () => {
    const signer = signerAt(NOW);
    const signed = signer.sign('session', 'some payload of decent length');
    assert.throws(() => signer.verify('session', tamper(signed, part), DAY), (error: unknown) => {
      // A tampered timestamp may also become non-canonical ("0…") or future-dated first;
      // what matters is that it never verifies.
      return error instanceof SignatureError && !(error instanceof SignatureExpired);
    });
  });
}

test('Signer.verify() refuses a value signed for another cookie name', () => {
  const signer = signerAt(NOW);
  assert.throws(() => signer.verify('remember', signer.sign('session', 'x'), DAY), BadSignature);
});

test('Signer.verify() refuses a value signed with another secret', () => {
  const signed = signerAt(NOW, ['attacker-key']).sign('session', 'x');
  assert.throws(() => signerAt(NOW).verify('session', signed, DAY), (error: unknown) => error instanceof BadSignature && /1 configured key/.test(error.message));
});

test('Signer.verify() refuses a value signed with the same secret and another salt', () => {
  const signed = new Signer({ secrets: ['k'], salt: 'csrf', now: () => NOW }).sign('n', 'x');
  assert.throws(() => new Signer({ secrets: ['k'], salt: 'session', now: () => NOW }).verify('n', signed, DAY), BadSignature);
});

test('Signer key rotation: the first key signs, every key verifies, and keyIndex says which', () => {
  const old = signerAt(NOW, ['old-key']).sign('session', 'x');
  const rotated = signerAt(NOW, ['new-key', 'older-key', 'old-key']);
  assert.equal(rotated.verify('session', old, DAY).keyIndex, 2);
  const fresh = rotated.sign('session', 'x');
  assert.equal(signerAt(NOW, ['new-key']).verify('session', fresh, DAY).keyIndex, 0);
  assert.throws(() => signerAt(NOW, ['old-key']).verify('session', fresh, DAY), BadSignature);
});

test('Signer.verify() accepts a value exactly maxAge old and refuses one a second older', () => {
  const signed = signerAt(NOW).sign('session', 'x');
  assert.equal(signerAt(NOW + DAY * 1000).verify('session', signed, DAY).payload.toString(), 'x');
  assert.throws(
    () => signerAt(NOW + (DAY + 1) * 1000).verify('session', signed, DAY),
    (error: unknown) =>
      error instanceof SignatureExpired &&
      error.ageSeconds === DAY + 1 &&
      error.maxAgeSeconds === DAY &&
      error.signedAt.getTime() === NOW &&
      /expired 1 s ago/.test(error.message),
  );
});

test('Signer.verify() says by how much a value expired', () => {
  const signed = signerAt(NOW).sign('session', 'x');
  assert.throws(() => signerAt(NOW + (3 * DAY + 4 * 3600) * 1000).verify('session', signed, 0), /expired 3 d 4 h ago/);
});

test('Signer.verify() tolerates a clock skew of 60 s and refuses a date further in the future', () => {
  const signed = signerAt(NOW + 60_000).sign('session', 'x');
  assert.equal(signerAt(NOW).verify('session', signed, DAY).payload.toString(), 'x');
  const later = signerAt(NOW + 61_000).sign('session', 'x');
  assert.throws(() => signerAt(NOW).verify('session', later, DAY), SignatureFromTheFuture);
});

const valid = signerAt(NOW).sign('session', 'payload');
const [p, t, s] = valid.split('.') as [string, string, string];

const malformedCases: readonly { name: string; input: string; message: RegExp }[] = [
  { name: 'an empty string', input: '', message: /1 dot-separated parts/ },
  { name: 'two parts', input: `${p}.${s}`, message: /2 dot-separated parts/ },
  { name: 'four parts', input: `${p}.${t}.${s}.x`, message: /4 dot-separated parts/ },
  { name: 'a value longer than any cookie', input: `${'A'.repeat(4097)}.${t}.${s}`, message: /nothing signed here exceeds 4096/ },
  { name: 'a timestamp with a leading zero', input: `${p}.0${t}.${s}`, message: /timestamp/ },
  { name: 'a negative timestamp', input: `${p}.-${t}.${s}`, message: /timestamp/ },
  { name: 'a timestamp with a fraction', input: `${p}.${t}.5.${s}`, message: /4 dot-separated/ },
  { name: 'standard base64 characters in the payload', input: `${p}+/.${t}.${s}`, message: /payload that is not canonical/ },
  { name: 'padding in the signature', input: `${p}.${t}.${s}=`, message: /signature that is not canonical/ },
  // Node would decode these, ignoring the unused low bits: one value must have one spelling.
  { name: 'a non-canonical last character', input: `${p}.${t}.${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`, message: /./ },
  { name: 'a truncated signature', input: `${p}.${t}.${s.slice(0, 20)}`, message: /signature is 15 bytes|not canonical/ },
  { name: 'a signature of the wrong length', input: `${p}.${t}.${Buffer.alloc(20).toString('base64url')}`, message: /20 bytes/ },
];

for (const { name, input, message } of malformedCases) {
  test(`Signer.verify() refuses ${name}`, () => {
    assert.throws(() => signerAt(NOW).verify('session', input, DAY), (error: unknown) => error instanceof SignatureError && message.test(error.message));
  });
}

test('Signer.verify() reports a non-canonical last character as malformed or bad, never valid', () => {
  // The last base64url character of a 32-byte signature carries 4 unused bits.
  const last = s.at(-1)!;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const sibling = alphabet[(alphabet.indexOf(last) ^ 1)]!;
  assert.throws(() => signerAt(NOW).verify('session', `${p}.${t}.${s.slice(0, -1)}${sibling}`, DAY), MalformedSignature);
});

test('Signer refuses to be built without keys, or with an empty key', () => {
  assert.throws(() => new Signer({ secrets: [] }), /at least one secret key/);
  assert.throws(() => new Signer({ secrets: ['ok', ''] }), /must not be empty/);
});

test('Signer uses the real clock by default', () => {
  const signer = new Signer({ secrets: ['k'] });
  const { signedAt } = signer.verify('n', signer.sign('n', 'x'), 10);
  assert.ok(Math.abs(signedAt.getTime() - Date.now()) < 2000);
});

const formatCases: readonly [number, string][] = [
  [0, '0 s'],
  [-5, '0 s'],
  [17, '17 s'],
  [90, '1 min 30 s'],
  [3600, '1 h'],
  [2678400, '31 d'],
  [3 * DAY + 4 * 3600 + 5, '3 d 4 h'],
];

for (const [seconds, want] of formatCases) {
  test(`formatSeconds(${seconds}) is "${want}"`, () => {
    assert.equal(formatSeconds(seconds), want);
  });
}

test('Signer.verify() refuses a genuine value dated past any Date with SignatureFromTheFuture, not a RangeError', () => {
  // Only a holder of the key can sign such a time; the refusal must still be a refusal.
  const farFuture = new Signer({ secrets: ['key'], now: () => 999_999_999_999_999 * 1000 }).sign('session', 'x');
  assert.throws(() => new Signer({ secrets: ['key'] }).verify('session', farFuture, 60), (error: unknown) => error instanceof SignatureFromTheFuture && /beyond any date/.test(error.message));
});
