// readCookieParts() on every kind of session cookie, well formed and not: one row per case, what the
// parts must say between the rows. Nothing here uses a key, so a forged cookie reads like a genuine one.
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { test } from 'node:test';
import { cookieKind, decodeBase64url, flaskSeconds, readCookieParts, splitFlaskValue, type CookieKind, type CookiePart } from '../../src/demo/cookie-parts.js';

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64url');
const A43 = 'A'.repeat(43);

const CASES: readonly { name: string; kind: CookieKind; value: string; want: readonly Partial<CookiePart>[] }[] = [
  // Scratchpad's signed cookie: the payload decodes to its JSON, the timestamp to seconds.
  { name: 'a signed cookie', kind: 'signed', value: `${b64('{"a":1}')}.1795608000.${A43}`, want: [{ role: 'payload', bytes: 7, decodedText: '{"a":1}' }, { role: 'timestamp', seconds: 1795608000 }, { role: 'signature', bytes: 32 }] },
  // Decoding needs canonical base64url, as the Signer does: a stray bit is a problem, not a lenient read.
  { name: 'a payload with stray bits', kind: 'signed', value: `QB.1.${A43}`, want: [{ role: 'payload', bytes: null, problem: 'not canonical base64url' }, { role: 'timestamp', seconds: 1 }, { role: 'signature' }] },
  { name: 'a timestamp with a sign', kind: 'signed', value: `${b64('{}')}.-1.${A43}`, want: [{ role: 'payload' }, { role: 'timestamp', seconds: null, problem: 'not a whole number of seconds in decimal' }, { role: 'signature' }] },
  { name: 'a signature outside the alphabet', kind: 'signed', value: `${b64('{}')}.1.a+b`, want: [{ role: 'payload' }, { role: 'timestamp' }, { role: 'signature', problem: 'not canonical base64url' }] },
  // Not three parts: the cookie is one part, and says why.
  { name: 'two parts', kind: 'signed', value: 'a.b', want: [{ role: 'value', problem: '2 dot-separated parts, where this format has 3' }] },
  // A server-side cookie: the payload is the id, 32 random bytes.
  { name: 'a signed id', kind: 'id', value: `${b64(Buffer.alloc(32, 1))}.1.${A43}`, want: [{ role: 'id', bytes: 32 }, { role: 'timestamp' }, { role: 'signature' }] },
  // Encrypted: the version, the timestamp, and nonce | ciphertext | tag.
  { name: 'a sealed cookie', kind: 'sealed', value: `v1.1.${b64(Buffer.alloc(40, 2))}`, want: [{ role: 'version', problem: null }, { role: 'timestamp' }, { role: 'sealed', bytes: 40 }] },
  { name: 'another version', kind: 'sealed', value: `v2.1.${b64(Buffer.alloc(40))}`, want: [{ role: 'version', problem: 'not v1, the only format this server reads' }, { role: 'timestamp' }, { role: 'sealed' }] },
  { name: 'sealed bytes shorter than a nonce and a tag', kind: 'sealed', value: `v1.1.${b64(Buffer.alloc(20))}`, want: [{ role: 'version' }, { role: 'timestamp' }, { role: 'sealed', bytes: 20, problem: '20 bytes, fewer than a nonce and a tag (28)' }] },
  { name: 'sealed text outside base64url', kind: 'sealed', value: 'v1.1.a+b', want: [{ role: 'version' }, { role: 'timestamp' }, { role: 'sealed', problem: 'not canonical base64url' }] },
  // Flask: split at the last two dots; a leading dot means zlib.
  { name: 'a Flask cookie', kind: 'flask', value: `${b64('{"a":1}')}.aSXw8g.${'A'.repeat(27)}`, want: [{ role: 'payload', compressed: false, decodedText: '{"a":1}' }, { role: 'timestamp', bytes: 4, seconds: 0x6925f0f2 }, { role: 'signature', bytes: 20 }] },
  { name: 'a compressed Flask cookie', kind: 'flask', value: `.${deflateSync('{"b":2}').toString('base64url')}.aSXw8g.${'A'.repeat(27)}`, want: [{ role: 'payload', compressed: true, decodedText: '{"b":2}' }, { role: 'timestamp' }, { role: 'signature' }] },
  { name: 'a compressed payload that does not inflate', kind: 'flask', value: `.${b64('not zlib')}.aSXw8g.sig`, want: [{ role: 'payload', compressed: true, decodedText: null, problem: 'does not inflate to at most 65536 bytes' }, { role: 'timestamp' }, { role: 'signature' }] },
  { name: 'a Flask payload outside base64url', kind: 'flask', value: 'a+b.aSXw8g.sig', want: [{ role: 'payload', problem: 'not canonical base64url' }, { role: 'timestamp' }, { role: 'signature' }] },
  { name: 'a Flask timestamp with a leading zero byte', kind: 'flask', value: `${b64('{}')}.AGkl8PI.sig`, want: [{ role: 'payload' }, { role: 'timestamp', seconds: null, problem: 'not a big-endian number of 1 to 8 bytes without a leading zero byte' }, { role: 'signature' }] },
  { name: 'a Flask timestamp outside base64url', kind: 'flask', value: `${b64('{}')}.a+b.sig`, want: [{ role: 'payload' }, { role: 'timestamp', problem: 'not canonical base64url' }, { role: 'signature' }] },
  { name: 'one dot', kind: 'flask', value: 'a.b', want: [{ role: 'value', problem: 'not PAYLOAD.TIMESTAMP.SIGNATURE: Flask cookies have two dots after the payload' }] },
];

for (const { name, kind, value, want } of CASES) {
  test(`readCookieParts() reads ${name}`, () => {
    const parts = readCookieParts(value, kind);
    assert.equal(parts.length, want.length);
    want.forEach((expected, index) => {
      for (const [field, wanted] of Object.entries(expected)) assert.deepEqual(parts[index]![field as keyof CookiePart], wanted, `part ${index} ${field}`);
    });
    // The parts are the value, cut at its dots: nothing is lost or added.
    assert.equal(parts.map((part) => part.text).join('.'), value);
  });
}

test('readCookieParts() cuts a sealed value into a 12-byte nonce, the ciphertext and a 16-byte tag', () => {
  const blob = Buffer.concat([Buffer.alloc(12, 1), Buffer.alloc(5, 2), Buffer.alloc(16, 3)]);
  const [, , sealed] = readCookieParts(`v1.1.${b64(blob)}`, 'sealed');
  assert.deepEqual(sealed!.pieces, [
    { name: 'nonce', text: b64(Buffer.alloc(12, 1)), bytes: 12 },
    { name: 'ciphertext', text: b64(Buffer.alloc(5, 2)), bytes: 5 },
    { name: 'tag', text: b64(Buffer.alloc(16, 3)), bytes: 16 },
  ]);
});

test('the shared decoders: canonical base64url only, Flask\'s split and timestamp', () => {
  assert.deepEqual(decodeBase64url('AQ'), Buffer.from([1]));
  assert.equal(decodeBase64url('AR'), null, 'stray low bits');
  assert.equal(decodeBase64url('AQ=='), null, 'padding');
  assert.deepEqual(splitFlaskValue('.abc.ts.sig'), { payload: '.abc', timestamp: 'ts', signature: 'sig' });
  assert.equal(splitFlaskValue('nodots'), null);
  assert.equal(splitFlaskValue('.ts.sig'), null, 'a payload is needed before the two dots');
  assert.equal(flaskSeconds(Buffer.from([1, 0])), 256);
  assert.equal(flaskSeconds(Buffer.alloc(0)), null);
  assert.equal(flaskSeconds(Buffer.alloc(9, 1)), null);
});

test('cookieKind() names the cookie a server writes from where it keeps sessions and how', () => {
  const storage = { type: 'cookie', cookieHolds: 'data', protection: 'signed', storedBytes: null, storedRecord: null, cookieExpiry: null } as const;
  assert.equal(cookieKind('native', storage), 'signed');
  assert.equal(cookieKind('flask', storage), 'flask');
  assert.equal(cookieKind('native', { ...storage, protection: 'encrypted' }), 'sealed');
  assert.equal(cookieKind('native', { ...storage, type: 'redis', cookieHolds: 'id' }), 'id');
});
