import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { MalformedSessionPayload } from '../../src/session/cookie-session.js';
import { FlaskCookieCodec, pythonJson } from '../../src/session/flask-codec.js';
import type { JsonValue } from '../../src/session/session.js';
import { BadSignature, MalformedSignature, SignatureExpired, SignatureFromTheFuture } from '../../src/signing/signer.js';

// Made by real Flask: /usr/bin/python3 scripts/flask-vectors.py > test/fixtures/flask-vectors.json
interface Vectors {
  time: number;
  secret: string;
  oldSecret: string;
  vectors: { name: string; cookie: string; permanent: boolean; data: Record<string, JsonValue>; signedWith: 'current' | 'old' }[];
}
const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('../../../test/fixtures/flask-vectors.json', import.meta.url)), 'utf8')) as Vectors;
const at = (seconds: number) => () => seconds * 1000;
const codec = (secrets = [fixture.secret, fixture.oldSecret], seconds = fixture.time) => new FlaskCookieCodec({ secrets, now: at(seconds) });
const DAY = 86400;

for (const vector of fixture.vectors.filter((item) => !item.name.includes('beyond 2^53'))) {
  test(`FlaskCookieCodec.decode() reads Flask's cookie: ${vector.name}`, () => {
    const decoded = codec().decode('session', vector.cookie, 31 * DAY);
    assert.deepEqual(decoded.data, vector.data);
    assert.equal(decoded.permanent, vector.permanent);
    assert.equal(decoded.created, null);
    assert.equal(decoded.signedAt.getTime(), fixture.time * 1000);
    assert.equal(decoded.keyIndex, vector.signedWith === 'old' ? 1 : 0);
  });

  if (vector.signedWith === 'current') {
    test(`FlaskCookieCodec.encode() writes what Flask wrote: ${vector.name}`, () => {
      const encoded = codec().encode('session', { permanent: vector.permanent, created: null, data: vector.data });
      if (vector.cookie.startsWith('.')) {
        // zlib may choose other bytes for the same data: compare what it decodes to.
        assert.deepEqual(codec().decode('session', encoded, DAY).data, codec().decode('session', vector.cookie, DAY).data);
      } else {
        assert.equal(encoded, vector.cookie, 'byte for byte');
      }
    });
  }
}

test('FlaskCookieCodec.decode() refuses an integer beyond 2^53 instead of rounding it', () => {
  const vector = fixture.vectors.find((item) => item.name.includes('beyond 2^53'))!;
  assert.throws(() => codec().decode('session', vector.cookie, DAY), (error: unknown) => error instanceof MalformedSessionPayload && /2\^53/.test(error.message));
});

test('FlaskCookieCodec.decode() applies PERMANENT_SESSION_LIFETIME to every cookie and refuses the future, as Flask does', () => {
  const cookie = fixture.vectors[0]!.cookie;
  assert.equal(codec(undefined, fixture.time + 31 * DAY).decode('session', cookie, 31 * DAY).data['username'], 'alice');
  assert.throws(() => codec(undefined, fixture.time + 31 * DAY + 1).decode('session', cookie, 31 * DAY), SignatureExpired);
  // Flask tolerates no clock skew at all: one second ahead is refused.
  assert.throws(() => codec(undefined, fixture.time - 1).decode('session', cookie, 31 * DAY), SignatureFromTheFuture);
});

test('FlaskCookieCodec.decode() refuses a cookie signed with a key it does not hold, or changed', () => {
  const cookie = fixture.vectors[0]!.cookie;
  assert.throws(() => codec(['another-key']).decode('session', cookie, DAY), BadSignature);
  const [payload, timestamp, signature] = cookie.split('.') as [string, string, string];
  const forged = Buffer.from('{"username":"admin"}').toString('base64url');
  assert.throws(() => codec().decode('session', `${forged}.${timestamp}.${signature}`, DAY), BadSignature);
  assert.throws(() => codec().decode('session', `${payload}.${timestamp}.${signature.slice(0, -2)}AA`, DAY), BadSignature);
  assert.throws(() => codec().decode('session', `${payload}.${timestamp}.${signature}A`, DAY), /signature is 21 bytes/);
});

const malformed: readonly { name: string; value: string }[] = [
  { name: 'a single part', value: 'eyJ1c2VybmFtZSI6ImFsaWNlIn0' },
  { name: 'two parts', value: 'eyJ1c2VybmFtZSI6ImFsaWNlIn0.aSWaQA' },
  // itsdangerous would pad and accept this; one cookie, one spelling.
  { name: 'padding', value: `${fixture.vectors[0]!.cookie}=` },
  { name: 'a timestamp with a leading zero byte', value: `eyJ1c2VybmFtZSI6ImFsaWNlIn0.${Buffer.from([0, 1, 2, 3]).toString('base64url')}.${'A'.repeat(27)}` },
  { name: 'an oversized value', value: 'A'.repeat(5000) },
];

for (const { name, value } of malformed) {
  test(`FlaskCookieCodec.decode() refuses ${name}`, () => {
    assert.throws(() => codec().decode('session', value, DAY), MalformedSignature);
  });
}

/** Signs `payload` exactly as Flask would, to test what happens once the signature has passed. */
function flaskSigned(payload: string): string {
  const key = createHmac('sha1', fixture.secret).update('cookie-session').digest();
  const timestamp = fixture.vectors[0]!.cookie.split('.')[1]!;
  return `${payload}.${timestamp}.${createHmac('sha1', key).update(`${payload}.${timestamp}`).digest('base64url')}`;
}

const badPayloads: readonly { name: string; payload: string; message: RegExp }[] = [
  { name: 'not JSON', payload: Buffer.from('not json').toString('base64url'), message: /not UTF-8 JSON/ },
  { name: 'a JSON array', payload: Buffer.from('[1]').toString('base64url'), message: /not a JSON object/ },
  { name: 'a tuple tag without a list', payload: Buffer.from('{"x":{" t":1}}').toString('base64url'), message: /" t"/ },
  { name: 'a bytes tag with bad base64', payload: Buffer.from('{"x":{" b":"!!"}}').toString('base64url'), message: /" b"/ },
  { name: 'a UUID tag that is not hex', payload: Buffer.from('{"x":{" u":"nope"}}').toString('base64url'), message: /" u"/ },
  { name: 'a date tag that is not an HTTP date', payload: Buffer.from('{"x":{" d":"yesterday"}}').toString('base64url'), message: /" d"/ },
  { name: 'a di wrapper around a non-tag key', payload: Buffer.from('{"x":{" di":{"a__":1}}}').toString('base64url'), message: /" di"/ },
  { name: 'a zlib bomb', payload: `.${deflateSync(Buffer.alloc(200_000, 0x20)).toString('base64url')}`, message: /inflate to at most 65536 bytes/ },
  { name: 'a compressed payload that is not zlib', payload: `.${Buffer.from('nonsense').toString('base64url')}`, message: /does not inflate/ },
];

for (const { name, payload, message } of badPayloads) {
  test(`FlaskCookieCodec.decode() refuses a validly signed payload with ${name}`, () => {
    assert.throws(() => codec().decode('session', flaskSigned(payload), DAY), (error: unknown) => error instanceof MalformedSessionPayload && message.test(error.message));
  });
}

const pythonJsonCases: readonly { name: string; value: JsonValue; want: string }[] = [
  { name: 'sorts keys by code point, not UTF-16 unit', value: { '\uffff': 1, '\u{1F600}': 2, a: 3 }, want: '{"a":3,"\\uffff":1,"\\ud83d\\ude00":2}' },
  { name: 'escapes non-ASCII and DEL', value: 'é\u007f', want: '"\\u00e9\\u007f"' },
  { name: 'keeps short escapes', value: '\n\t"\\', want: '"\\n\\t\\"\\\\"' },
  { name: 'writes floats as Python repr', value: [1.5, 1e-5, 1.5e16, 0.0001, 123.25], want: '[1.5,1e-05,1.5e+16,0.0001,123.25]' },
  { name: 'writes exponents as Python does, and whole numbers beyond 2^53 as floats', value: [2.5e-7, 1.25e20, 2 ** 53, 2 ** 53 - 1], want: '[2.5e-07,1.25e+20,9007199254740992.0,9007199254740991]' },
  { name: 'compact, nested', value: { b: [null, true, false], a: {} }, want: '{"a":{},"b":[null,true,false]}' },
];

for (const { name, value, want } of pythonJsonCases) {
  test(`pythonJson() ${name}`, () => {
    assert.equal(pythonJson(value), want);
  });
}

test('FlaskCookieCodec refuses to be built without a key', () => {
  assert.throws(() => new FlaskCookieCodec({ secrets: [] }), /at least one secret key/);
});
