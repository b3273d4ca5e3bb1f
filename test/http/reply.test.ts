import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateHeaderValue } from 'node:http';
import { SeededRandom } from '../helpers/random.js';
import { htmlReply, localRedirectTarget, redirectReply, withHeader, withHeaders } from '../../src/http/reply.js';

test('htmlReply() sets a UTF-8 HTML content type and lower-cases extra header names', () => {
  const reply = htmlReply(201, '<p>hi</p>', { 'X-Extra': '1' });
  assert.deepEqual(reply, { status: 201, headers: { 'content-type': 'text/html; charset=utf-8', 'x-extra': '1' }, body: '<p>hi</p>' });
});

test('redirectReply() defaults to 303 See Other', () => {
  assert.deepEqual(redirectReply('/'), { status: 303, headers: { location: '/' }, body: '' });
  assert.equal(redirectReply('/x', 307).status, 307);
});

test('withHeader() returns a copy and leaves the original unchanged', () => {
  const original = htmlReply(200, '');
  const changed = withHeader(original, 'X-Test', 'yes');
  assert.equal(changed.headers['x-test'], 'yes');
  assert.equal(original.headers['x-test'], undefined);
});

test('withHeader() keeps every Set-Cookie as its own header', () => {
  let reply = withHeader(htmlReply(200, ''), 'Set-Cookie', 'a=1');
  reply = withHeader(reply, 'set-cookie', 'b=2');
  assert.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2']);
});

test('withHeader() appends to list headers without repeating a value', () => {
  let reply = withHeader(htmlReply(200, '', { vary: 'Accept-Encoding' }), 'Vary', 'Cookie');
  reply = withHeader(reply, 'Vary', 'cookie');
  assert.equal(reply.headers['vary'], 'Accept-Encoding, Cookie');
  const cached = withHeader(htmlReply(200, '', { 'cache-control': 'no-store' }), 'Cache-Control', 'no-store');
  assert.equal(cached.headers['cache-control'], 'no-store');
});

test('withHeader() replaces a single-valued header', () => {
  const reply = withHeader(redirectReply('/a'), 'Location', '/b');
  assert.equal(reply.headers['location'], '/b');
});

const redirectCases: readonly { next: string | null | undefined; want: string }[] = [
  { next: '/account', want: '/account' },
  { next: '/a?b=c#d', want: '/a?b=c#d' },
  { next: null, want: '/' },
  { next: undefined, want: '/' },
  { next: '', want: '/' },
  { next: 'account', want: '/' },
  { next: 'https://evil.example/', want: '/' },
  // Network-path references: browsers go to another host.
  { next: '//evil.example/', want: '/' },
  { next: '/\\evil.example/', want: '/' },
  { next: '/\t/evil.example/', want: '/' },
  { next: '/ /x', want: '/' },
  { next: 'javascript:alert(1)', want: '/' },
  // Beyond ASCII: percent-encoded as UTF-8, so the value can be a header (Node throws on > U+00FF).
  { next: '/\u0100', want: '/%C4%80' },
  { next: '/\uff0e/evil.com', want: '/%EF%BC%8E/evil.com' },
  { next: '/\u2028/evil.com', want: '/%E2%80%A8/evil.com' },
  { next: '/caf\u00e9?q=\u00e9t\u00e9#\u00e0', want: '/caf%C3%A9?q=%C3%A9t%C3%A9#%C3%A0' },
  { next: '/\u0085\u009b', want: '/%C2%85%C2%9B' },
  { next: '/\u{1f36a}', want: '/%F0%9F%8D%AA' },
  { next: '/already%20encoded', want: '/already%20encoded' },
  // A lone surrogate has no UTF-8 bytes.
  { next: '/\ud800', want: '/' },
  { next: '/a\udc00b', want: '/' },
];

for (const { next, want } of redirectCases) {
  test(`localRedirectTarget(${JSON.stringify(next)}) is ${want}`, () => {
    assert.equal(localRedirectTarget(next), want);
  });
}

test('localRedirectTarget() returns a local, printable-ASCII path for any string from the whole Unicode range (property)', () => {
  const random = new SeededRandom(Number(process.env['FUZZ_SEED'] ?? 20261202));
  // Code units, not code points, so lone surrogates come up as often as anything else.
  const unit = (): string => {
    const kind = random.integer(6);
    if (kind === 0) return random.pick(['/', '\\', '.', '%', '?', '#', ' ', '\t', '\n', ':', '@']);
    if (kind === 1) return String.fromCharCode(random.integer(0x80));
    if (kind === 2) return String.fromCharCode(0x80 + random.integer(0x80));
    if (kind === 3) return String.fromCharCode(0xd800 + random.integer(0x800));
    if (kind === 4) return String.fromCodePoint(random.integer(0x110000));
    return String.fromCharCode(random.integer(0x10000));
  };
  for (let iteration = 0; iteration < 20_000; iteration += 1) {
    let next = random.integer(3) === 0 ? '' : '/';
    const length = random.integer(12);
    for (let index = 0; index < length; index += 1) next += unit();
    const target = localRedirectTarget(next, '/fallback');
    const context = `next=${JSON.stringify(next)} gave ${JSON.stringify(target)} (seed ${random.seed})`;
    assert.match(target, /^\/(?!\/)[\x21-\x7e]*$/, context);
    assert.doesNotThrow(() => validateHeaderValue('location', target), context);
    assert.ok(!target.includes('\\'), context);
    assert.equal(new URL(target, 'http://own.example').host, 'own.example', context);
    // A local ASCII path comes back as it was: only what a header cannot hold is encoded.
    if (/^\/(?!\/)[\x21-\x5b\x5d-\x7e]*$/.test(next)) assert.equal(target, next, context);
  }
});

test('withHeaders() keeps status, body and log note, and leaves the original unchanged', () => {
  const original = { ...htmlReply(404, '<p>x</p>'), logNote: 'session cookie rejected: BadSignature' };
  const reply = withHeaders(original, { 'X-Test': 'yes' });
  assert.equal(reply.status, 404);
  assert.equal(reply.body, '<p>x</p>');
  assert.equal(reply.logNote, 'session cookie rejected: BadSignature');
  assert.equal(original.headers['x-test'], undefined);
  assert.equal('logNote' in withHeaders(htmlReply(200, ''), { 'X-Test': 'yes' }), false, 'no logNote key unless there is one');
});

test('withHeaders() adds several headers in one copy, combining them as withHeader() does', () => {
  const original = htmlReply(200, '', { vary: 'Accept-Encoding', 'set-cookie': ['a=1'] });
  const reply = withHeaders(original, { Vary: 'Cookie', 'Set-Cookie': 'b=2', 'X-Frame-Options': 'DENY' });
  assert.equal(reply.headers['vary'], 'Accept-Encoding, Cookie');
  assert.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2']);
  assert.equal(reply.headers['x-frame-options'], 'DENY');
  assert.equal(original.headers['x-frame-options'], undefined, 'the original is unchanged');
});
