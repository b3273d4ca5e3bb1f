import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../src/http/http-error.js';
import { DEFAULT_JSON_LIMITS, nestingDepth, readJsonBody } from '../../src/http/json-body.js';
import { fakeRequest } from '../helpers/fake-request.js';

const JSON_TYPE = 'application/json';

async function refusal(reading: Promise<unknown>): Promise<HttpError> {
  try {
    await reading;
  } catch (error) {
    assert.ok(error instanceof HttpError, `an HttpError, not ${String(error)}`);
    return error;
  }
  assert.fail('the body was accepted');
}

const accepted: readonly { name: string; contentType: string; body: string; value: unknown }[] = [
  { name: 'an object', contentType: JSON_TYPE, body: '{"sku":"tea","quantity":2}', value: { sku: 'tea', quantity: 2 } },
  { name: 'a charset parameter and upper case', contentType: 'Application/JSON; charset=utf-8', body: '[1,2]', value: [1, 2] },
  { name: 'a scalar', contentType: JSON_TYPE, body: ' "x" ', value: 'x' },
  { name: 'UTF-8 text', contentType: JSON_TYPE, body: '{"name":"Zoë 🍪"}', value: { name: 'Zoë 🍪' } },
  { name: 'brackets inside strings, which are not nesting', contentType: JSON_TYPE, body: JSON.stringify({ text: '[[[[[[[[[[' .repeat(10) + '\\"' }), value: { text: '[[[[[[[[[['.repeat(10) + '\\"' } },
];
for (const { name, contentType, body, value } of accepted) {
  test(`readJsonBody() accepts ${name}`, async () => {
    assert.deepEqual(await readJsonBody(fakeRequest({ 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) }, [body])), value);
  });
}

test('readJsonBody() keeps "__proto__" as a plain key', async () => {
  const value = (await readJsonBody(fakeRequest({ 'content-type': JSON_TYPE }, ['{"__proto__":{"admin":true}}']))) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.deepEqual(Object.keys(value), ['__proto__']);
  assert.equal(({} as Record<string, unknown>)['admin'], undefined);
});

const refused: readonly { name: string; headers: Record<string, string>; chunks: (string | Buffer)[]; status: number; message: RegExp }[] = [
  { name: 'a form', headers: { 'content-type': 'application/x-www-form-urlencoded' }, chunks: ['a=1'], status: 415, message: /send JSON as application\/json/ },
  { name: 'text/plain, which another site may send', headers: { 'content-type': 'text/plain' }, chunks: ['{}'], status: 415, message: /not "text\/plain"/ },
  { name: 'no content type', headers: {}, chunks: ['{}'], status: 415, message: /^send JSON with Content-Type: application\/json; this request has no Content-Type$/ },
  { name: 'a compressed body', headers: { 'content-type': JSON_TYPE, 'content-encoding': 'gzip' }, chunks: ['{}'], status: 415, message: /without a content encoding/ },
  { name: 'broken JSON', headers: { 'content-type': JSON_TYPE }, chunks: ['{"a":'], status: 400, message: /not valid JSON/ },
  { name: 'an empty body', headers: { 'content-type': JSON_TYPE }, chunks: [], status: 400, message: /not valid JSON/ },
  { name: 'bytes that are not UTF-8', headers: { 'content-type': JSON_TYPE }, chunks: [Buffer.from([0x22, 0xff, 0x22])], status: 400, message: /not valid UTF-8/ },
  { name: 'nesting past the limit', headers: { 'content-type': JSON_TYPE }, chunks: ['['.repeat(33) + ']'.repeat(33)], status: 400, message: /nested 33 deep; at most 32/ },
  { name: 'a declared length over the limit', headers: { 'content-type': JSON_TYPE, 'content-length': String(DEFAULT_JSON_LIMITS.maxBodyBytes + 1) }, chunks: [], status: 413, message: /JSON body is larger than 65536 bytes/ },
  { name: 'a chunked body over the limit', headers: { 'content-type': JSON_TYPE, 'transfer-encoding': 'chunked' }, chunks: ['"' + 'x'.repeat(40_000), 'x'.repeat(40_000) + '"'], status: 413, message: /JSON body is larger/ },
];
for (const { name, headers, chunks, status, message } of refused) {
  test(`readJsonBody() answers ${status} for ${name}`, async () => {
    const error = await refusal(readJsonBody(fakeRequest(headers, chunks)));
    assert.equal(error.status, status);
    assert.match(error.message, message);
  });
}

test('readJsonBody() refuses 100,000-deep nesting with a 400 (JSON.stringify of it would overflow the stack)', async () => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  const error = await refusal(readJsonBody(fakeRequest({ 'content-type': JSON_TYPE }, [deep]), { maxBodyBytes: 1 << 20, maxDepth: 32 }));
  assert.equal(error.status, 400);
});

test('nestingDepth() counts arrays and objects, and skips strings with escaped quotes', () => {
  assert.equal(nestingDepth('1'), 0);
  assert.equal(nestingDepth('[]'), 1);
  assert.equal(nestingDepth('{"a":[{"b":[]}]}'), 4);
  assert.equal(nestingDepth('["[[[", "\\"[[[", {}]'), 2);
  assert.equal(nestingDepth('[[],[],[[]]]'), 3);
});
