import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FORM_LIMITS, FormFields, parseUrlencoded, readFormBody, type FormLimits } from '../../src/http/form.js';
import { HttpError } from '../../src/http/http-error.js';
import { fakeRequest } from '../helpers/fake-request.js';

function fields(form: FormFields): [string, string[]][] {
  return form.names().map((name) => [name, [...form.getAll(name)]]);
}

// https://url.spec.whatwg.org/#urlencoded-parsing, one row per step that can go wrong.
const parseCases: readonly { name: string; input: string; want: [string, string[]][] }[] = [
  { name: 'returns no fields for an empty body', input: '', want: [] },
  { name: 'reads name=value pairs', input: 'username=alice&remember=on', want: [['username', ['alice']], ['remember', ['on']]] },
  // Step 3.1: empty sequences are skipped.
  { name: 'skips empty sequences', input: '&&a=1&&', want: [['a', ['1']]] },
  // Step 3.3: no "=" means an empty value.
  { name: 'reads a name without "=" as an empty value', input: 'remember', want: [['remember', ['']]] },
  // Step 3.2: name is what precedes the first "=", which may be nothing.
  { name: 'reads "=value" as an empty name', input: '=x', want: [['', ['x']]] },
  { name: 'splits on the first "=" only', input: 'a=b=c', want: [['a', ['b=c']]] },
  // Step 3.4: "+" is a space, but "%2B" is a plus.
  { name: 'reads "+" as a space', input: 'name=al+ice', want: [['name', ['al ice']]] },
  { name: 'reads "%2B" as a plus', input: 'name=a%2Bb', want: [['name', ['a+b']]] },
  // Step 3.5: percent-decoding yields bytes, which are then UTF-8 decoded.
  { name: 'percent-decodes UTF-8 bytes', input: 'name=Zo%C3%AB', want: [['name', ['Zoë']]] },
  { name: 'percent-decodes lower-case hex', input: 'name=%c3%a9', want: [['name', ['é']]] },
  { name: 'percent-decodes a 4-byte character', input: 'c=%F0%9F%8D%AA', want: [['c', ['🍪']]] },
  { name: 'accepts raw UTF-8 bytes', input: 'name=Zoë', want: [['name', ['Zoë']]] },
  { name: 'decodes "%26" and "%3D" without splitting on them', input: 'a=%26%3D', want: [['a', ['&=']]] },
  // Plain ASCII (no "%", no "+") is read as it is, control characters included, as the decoder would.
  { name: 'reads plain ASCII as it is, control characters included', input: 'a=x\x7fy\x00z&b=', want: [['a', ['x\x7fy\x00z']], ['b', ['']]] },
  { name: 'keeps every value of a repeated name', input: 'a=1&b=2&a=3', want: [['a', ['1', '3']], ['b', ['2']]] },
  // Field names become Map keys, never object properties.
  { name: 'treats "__proto__" and "constructor" as ordinary names', input: '__proto__=x&constructor=y', want: [['__proto__', ['x']], ['constructor', ['y']]] },
];

for (const { name, input, want } of parseCases) {
  test(`parseUrlencoded() ${name}`, () => {
    assert.deepEqual(fields(parseUrlencoded(Buffer.from(input))), want);
  });
}

const small: FormLimits = { maxBodyBytes: 100, maxFields: 3, maxNameBytes: 4, maxValueBytes: 6 };

const refusedCases: readonly { name: string; input: string | Buffer; status: number; message: RegExp }[] = [
  // Departures from the spec, which would decode these leniently: no browser sends them.
  { name: 'a "%" without two hex digits', input: 'a=%zz', status: 400, message: /"%" that is not followed by two hex digits/ },
  { name: 'a "%" at the end', input: 'a=%4', status: 400, message: /two hex digits/ },
  { name: 'bytes that are not UTF-8', input: 'a=%FF', status: 400, message: /not valid UTF-8/ },
  { name: 'raw bytes that are not UTF-8', input: Buffer.from([0x61, 0x3d, 0xc3]), status: 400, message: /not valid UTF-8/ },
  // Our limits.
  { name: 'more fields than allowed', input: 'a=1&b=2&c=3&d=4', status: 413, message: /more than 3 fields/ },
  { name: 'a name longer than allowed', input: 'abcde=1', status: 413, message: /form field name is 5 bytes; the limit is 4/ },
  { name: 'a value longer than allowed', input: 'a=1234567', status: 413, message: /value of "a" is 7 bytes; the limit is 6/ },
  // The limit counts decoded bytes: three escapes are three bytes, not nine.
  { name: 'a value whose decoded bytes exceed the limit', input: 'a=%C3%A9%C3%A9%C3%A9%C3%A9', status: 413, message: /8 bytes/ },
];

for (const { name, input, status, message } of refusedCases) {
  test(`parseUrlencoded() answers ${status} for ${name}`, () => {
    assert.throws(
      () => parseUrlencoded(Buffer.from(input), small),
      (error: unknown) => error instanceof HttpError && error.status === status && message.test(error.message),
    );
  });
}

test('parseUrlencoded() counts decoded bytes, so six escaped bytes fit a limit of six', () => {
  assert.equal(parseUrlencoded(Buffer.from('a=%C3%A9%C3%A9%C3%A9'), small).get('a'), 'ééé');
});

test('FormFields.get() returns null for a missing field and getAll() an empty list', () => {
  const form = parseUrlencoded(Buffer.from('a=1'));
  assert.equal(form.get('b'), null);
  assert.deepEqual(form.getAll('b'), []);
  assert.equal(form.has('a'), true);
  assert.equal(form.has('b'), false);
});

test('FormFields.getAll() returns a copy that cannot change the form', () => {
  const form = parseUrlencoded(Buffer.from('a=1'));
  (form.getAll('a') as string[]).push('2');
  assert.deepEqual(form.getAll('a'), ['1']);
});

test('DEFAULT_FORM_LIMITS are frozen', () => {
  assert.equal(Object.isFrozen(DEFAULT_FORM_LIMITS), true);
});

const FORM = 'application/x-www-form-urlencoded';

test('readFormBody() reads a body that arrives in several chunks', async () => {
  const form = await readFormBody(fakeRequest({ 'content-type': FORM, 'content-length': '22' }, ['username=al', 'ice&remember=on']));
  assert.equal(form.get('username'), 'alice');
  assert.equal(form.get('remember'), 'on');
});

const contentTypeCases: readonly { name: string; type: string | undefined; ok: boolean }[] = [
  { name: 'the form type', type: FORM, ok: true },
  // RFC 9110 §8.3.1: type and subtype are case-insensitive; parameters may follow.
  { name: 'the form type in capitals', type: 'Application/X-WWW-Form-Urlencoded', ok: true },
  { name: 'the form type with charset=UTF-8', type: `${FORM}; charset=UTF-8`, ok: true },
  { name: 'the form type with a quoted charset', type: `${FORM};charset="utf-8"`, ok: true },
  { name: 'the form type with another charset', type: `${FORM}; charset=iso-8859-1`, ok: false },
  { name: 'JSON', type: 'application/json', ok: false },
  { name: 'multipart', type: 'multipart/form-data; boundary=x', ok: false },
  { name: 'no content type', type: undefined, ok: false },
];

for (const { name, type, ok } of contentTypeCases) {
  test(`readFormBody() ${ok ? 'accepts' : 'answers 415 for'} ${name}`, async () => {
    const headers: Record<string, string> = { 'content-length': '3' };
    if (type !== undefined) headers['content-type'] = type;
    const reading = readFormBody(fakeRequest(headers, ['a=1']));
    if (ok) assert.equal((await reading).get('a'), '1');
    else await assert.rejects(reading, (error: unknown) => error instanceof HttpError && error.status === 415);
  });
}

test('readFormBody() answers 415 for a compressed body', async () => {
  const reading = readFormBody(fakeRequest({ 'content-type': FORM, 'content-length': '3', 'content-encoding': 'gzip' }, ['a=1']));
  await assert.rejects(reading, (error: unknown) => error instanceof HttpError && error.status === 415 && /gzip/.test(error.message));
});

test('readFormBody() treats a request without a body as an empty form, whatever its type', async () => {
  const form = await readFormBody(fakeRequest({}, []));
  assert.deepEqual(form.names(), []);
});

test('readFormBody() refuses a declared length over the limit before reading', async () => {
  const reading = readFormBody(fakeRequest({ 'content-type': FORM, 'content-length': '101' }, []), small);
  await assert.rejects(reading, (error: unknown) => error instanceof HttpError && error.status === 413 && error.headers['Connection'] === 'close');
});

test('readFormBody() stops at the limit when the body is longer than declared (chunked)', async () => {
  const reading = readFormBody(fakeRequest({ 'content-type': FORM, 'transfer-encoding': 'chunked' }, ['a=' + 'x'.repeat(60), 'x'.repeat(60)]), small);
  await assert.rejects(reading, (error: unknown) => error instanceof HttpError && error.status === 413);
});

test('readFormBody() answers 400 when the client goes away mid-body', async () => {
  const reading = readFormBody(fakeRequest({ 'content-type': FORM, 'content-length': '50' }, ['a=1'], false));
  await assert.rejects(reading, (error: unknown) => error instanceof HttpError && error.status === 400 && /cut off/.test(error.message));
});
