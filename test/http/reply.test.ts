import assert from 'node:assert/strict';
import { test } from 'node:test';
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
];

for (const { next, want } of redirectCases) {
  test(`localRedirectTarget(${JSON.stringify(next)}) is ${want}`, () => {
    assert.equal(localRedirectTarget(next), want);
  });
}

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
