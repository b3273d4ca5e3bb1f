import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sealer } from '../../src/signing/sealer.js';
import { BadSignature, MalformedSignature, SignatureError, SignatureExpired, SignatureFromTheFuture, Signer } from '../../src/signing/signer.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const DAY = 86400;
const sealerAt = (milliseconds: number, secrets = ['current-key']) => new Sealer({ secrets, now: () => milliseconds });

test('Sealer.seal() produces v1.TIMESTAMP.SEALED, and the payload cannot be read from it', () => {
  const sealed = sealerAt(NOW).seal('session', '{"username":"alice"}');
  const [version, timestamp, blob] = sealed.split('.');
  assert.equal(version, 'v1');
  assert.equal(timestamp, String(NOW / 1000));
  assert.equal(Buffer.from(blob!, 'base64url').length, 12 + 20 + 16, 'nonce + ciphertext of the same length + tag');
  assert.doesNotMatch(Buffer.from(blob!, 'base64url').toString('latin1'), /alice/);
  assert.match(sealed, /^[A-Za-z0-9_.-]+$/);
});

test('Sealer.open() returns the payload, the date and the key index', () => {
  const sealer = sealerAt(NOW);
  const opened = sealer.open('session', sealer.seal('session', 'secret data'), DAY);
  assert.equal(opened.payload.toString(), 'secret data');
  assert.equal(opened.signedAt.getTime(), NOW);
  assert.equal(opened.keyIndex, 0);
  assert.equal(sealer.open('n', sealer.seal('n', ''), DAY).payload.length, 0);
});

test('Sealer uses a fresh nonce for every value, so equal payloads never seal alike', () => {
  const sealer = sealerAt(NOW);
  const values = new Set(Array.from({ length: 1000 }, () => sealer.seal('session', 'same')));
  assert.equal(values.size, 1000);
});

function flipByte(sealed: string, index: number): string {
  const [version, timestamp, blob] = sealed.split('.') as [string, string, string];
  const bytes = Buffer.from(blob, 'base64url');
  bytes[index] = bytes[index]! ^ 0x01;
  return `${version}.${timestamp}.${bytes.toString('base64url')}`;
}

test('Sealer.open() refuses any single flipped bit: nonce, ciphertext or tag', () => {
  const sealer = sealerAt(NOW);
  const sealed = sealer.seal('session', 'payload of some length');
  const length = Buffer.from(sealed.split('.')[2]!, 'base64url').length;
  for (let index = 0; index < length; index += 1) {
    assert.throws(() => sealer.open('session', flipByte(sealed, index), DAY), BadSignature, `byte ${index}`);
  }
});

test('Sealer.open() refuses a changed timestamp, which is authenticated data', () => {
  const sealer = sealerAt(NOW);
  const [version, timestamp, blob] = sealer.seal('session', 'x').split('.');
  assert.throws(() => sealer.open('session', `${version}.${Number(timestamp) - 1}.${blob}`, DAY), BadSignature);
});

test('Sealer.open() refuses a value sealed for another cookie name', () => {
  const sealer = sealerAt(NOW);
  assert.throws(() => sealer.open('remember', sealer.seal('session', 'x'), DAY), BadSignature);
});

test('Sealer.open() refuses a value sealed with another secret', () => {
  assert.throws(() => sealerAt(NOW).open('session', sealerAt(NOW, ['attacker']).seal('session', 'x'), DAY), /opens with none of the 1 configured key/);
});

test('Sealer key rotation: the first key seals, every key opens, and keyIndex says which', () => {
  const old = sealerAt(NOW, ['old-key']).seal('session', 'x');
  assert.equal(sealerAt(NOW, ['new-key', 'old-key']).open('session', old, DAY).keyIndex, 1);
  const fresh = sealerAt(NOW, ['new-key', 'old-key']).seal('session', 'x');
  assert.equal(sealerAt(NOW, ['new-key']).open('session', fresh, DAY).keyIndex, 0);
});

test('Sealer.open() enforces the maximum age and refuses future dates', () => {
  const sealed = sealerAt(NOW).seal('session', 'x');
  assert.equal(sealerAt(NOW + DAY * 1000).open('session', sealed, DAY).payload.toString(), 'x');
  assert.throws(() => sealerAt(NOW + (DAY + 1) * 1000).open('session', sealed, DAY), SignatureExpired);
  assert.throws(() => sealerAt(NOW).open('session', sealerAt(NOW + 120_000).seal('session', 'x'), DAY), SignatureFromTheFuture);
});

// No downgrade: with encryption on, a merely signed value is refused, and the other way round,
// even when both were made from the same secret.
test('Sealer.open() refuses a signed value made with the same secret (no downgrade to signing)', () => {
  const signed = new Signer({ secrets: ['current-key'], now: () => NOW }).sign('session', 'x');
  assert.throws(() => sealerAt(NOW).open('session', signed, DAY), MalformedSignature);
});

test('Signer.verify() refuses a sealed value made with the same secret', () => {
  const sealed = sealerAt(NOW).seal('session', 'x');
  assert.throws(() => new Signer({ secrets: ['current-key'], now: () => NOW }).verify('session', sealed, DAY), SignatureError);
});

const malformed: readonly { name: string; value: (good: string) => string; message: RegExp }[] = [
  { name: 'an unknown format version', value: (good) => good.replace(/^v1\./, 'v2.'), message: /format "v2"; this server reads v1 only/ },
  { name: 'no version', value: (good) => good.replace(/^v1\./, '.'), message: /format ""/ },
  { name: 'two parts', value: (good) => good.split('.').slice(1).join('.'), message: /2 dot-separated parts/ },
  { name: 'a padded payload', value: (good) => `${good}=`, message: /not canonical base64url/ },
  { name: 'a payload shorter than nonce and tag', value: (good) => `${good.split('.').slice(0, 2).join('.')}.${Buffer.alloc(20).toString('base64url')}`, message: /20 bytes; nonce and tag alone take 28/ },
  { name: 'an oversized value', value: (good) => good + 'A'.repeat(5000), message: /nothing signed here exceeds 4096/ },
  { name: 'a timestamp with a leading zero', value: (good) => good.replace(/^v1\./, 'v1.0'), message: /timestamp/ },
];

for (const { name, value, message } of malformed) {
  test(`Sealer.open() refuses ${name}`, () => {
    const good = sealerAt(NOW).seal('session', 'x');
    assert.throws(() => sealerAt(NOW).open('session', value(good), DAY), (error: unknown) => error instanceof MalformedSignature && message.test(error.message));
  });
}

test('Sealer refuses to be built without keys, or with an empty key', () => {
  assert.throws(() => new Sealer({ secrets: [] }), /at least one secret key/);
  assert.throws(() => new Sealer({ secrets: [''] }), /must not be empty/);
});

test('Sealer implements ValueProtector', () => {
  const sealer = new Sealer({ secrets: ['k'] });
  assert.equal(sealer.protection, 'encrypted');
  assert.equal(sealer.unprotect('n', sealer.protect('n', 'x'), 60).payload.toString(), 'x');
});
