import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CookieTooLargeError,
  InvalidCookieError,
  parseCookieHeader,
  readCookie,
  serializeSetCookie,
  type SetCookie,
} from '../../src/http/cookie.js';

interface ParseCase {
  readonly name: string;
  readonly input: string | undefined;
  readonly want: [string, string][];
}

// RFC 6265 §5.2 trims only WSP (SP and HTAB) from a name or value; JavaScript's trim() also removes
// each of these. Trimming them would read "\u00a0__Host-session", which a browser accepts from any
// page on the host, as the "__Host-session" that only a secure page may set (cookie.ts, trimWsp()).
const notWsp: readonly { name: string; character: string }[] = [
  { name: 'U+00A0 (no-break space: the byte 0xA0 as Node reads it)', character: '\u00a0' },
  { name: 'U+FEFF (byte order mark)', character: '\ufeff' },
  { name: 'VT', character: '\v' },
  { name: 'FF', character: '\f' },
  { name: 'U+2028 (line separator)', character: '\u2028' },
  { name: 'U+3000 (ideographic space)', character: '\u3000' },
];

const notWspCases: readonly ParseCase[] = notWsp.flatMap(({ name, character: c }): ParseCase[] => [
  // Not trimmed, the name is no longer a token, so the pair is skipped like any other bad pair.
  { name: `does not trim a leading ${name} from a name`, input: `${c}session=x; ok=1`, want: [['ok', '1']] },
  { name: `does not trim a trailing ${name} from a name`, input: `session${c}=x; ok=1`, want: [['ok', '1']] },
  { name: `does not trim ${name} around a value`, input: `session=${c}x${c}`, want: [['session', `${c}x${c}`]] },
]);

const parseCases: readonly ParseCase[] = [
  { name: 'returns nothing for a missing header', input: undefined, want: [] },
  { name: 'returns nothing for an empty header', input: '', want: [] },
  { name: 'reads one pair', input: 'session=abc', want: [['session', 'abc']] },
  // RFC 6265 §4.2.1: pairs are separated by "; ".
  { name: 'reads several pairs', input: 'a=1; b=2; c=3', want: [['a', '1'], ['b', '2'], ['c', '3']] },
  // Sloppy clients omit the space or add more; browsers tolerate it, so do we.
  { name: 'tolerates missing and extra whitespace', input: 'a=1;b=2 ;  c = 3 ', want: [['a', '1'], ['b', '2'], ['c', '3']] },
  // RFC 6265 §5.2: WSP = SP / HTAB, both trimmed around names and values.
  { name: 'trims SP and HTAB around names and values', input: '\t a \t=\t 1 \t;\tb\t=\t2', want: [['a', '1'], ['b', '2']] },
  ...notWspCases,
  // The attack itself: the tossed cookie comes first (it was set with the same path, earlier), and
  // must neither be read as the session nor shadow the real one after it.
  {
    name: 'does not read "\\u00a0__Host-session" as "__Host-session"',
    input: '\u00a0__Host-session=mallory; __Host-session=victim',
    want: [['__Host-session', 'victim']],
  },
  // RFC 6265 §5.4 step 2: the most specific cookie comes first, so the first of a name wins.
  { name: 'keeps the first of duplicated names', input: 'session=first; session=second', want: [['session', 'first']] },
  { name: 'skips a pair without "="', input: 'junk; a=1', want: [['a', '1']] },
  { name: 'skips a pair whose name is not a token', input: 'bad name=1; a b=2; ok=3', want: [['ok', '3']] },
  { name: 'skips a pair with an empty name', input: '=x; a=1', want: [['a', '1']] },
  { name: 'keeps an empty value', input: 'a=; b=2', want: [['a', ''], ['b', '2']] },
  { name: 'splits on the first "=" only', input: 'a=b=c', want: [['a', 'b=c']] },
  // cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )
  { name: 'removes the quotes of a quoted value', input: 'a="quoted"', want: [['a', 'quoted']] },
  { name: 'leaves a lone quote in place', input: 'a="', want: [['a', '"']] },
  { name: 'does not percent-decode values', input: 'a=%3B', want: [['a', '%3B']] },
  { name: 'treats "__proto__" as an ordinary name', input: '__proto__=x; constructor=y', want: [['__proto__', 'x'], ['constructor', 'y']] },
];

for (const { name, input, want } of parseCases) {
  test(`parseCookieHeader() ${name}`, () => {
    assert.deepEqual([...parseCookieHeader(input)], want);
  });
}

// readCookie() is the one-cookie shortcut the session layer uses: it must read every header in the
// table exactly as parseCookieHeader() does, for every name there and for names that are not.
for (const { name, input } of parseCases) {
  test(`readCookie() agrees with parseCookieHeader(): ${name}`, () => {
    const parsed = parseCookieHeader(input);
    for (const cookieName of [...parsed.keys(), 'session', '__Host-session', 'missing', 'a', 'ok']) {
      assert.equal(readCookie(input, cookieName), parsed.get(cookieName), `cookie ${cookieName} in ${JSON.stringify(input)}`);
    }
  });
}

test('readCookie() finds a cookie after others, and the first of a repeated name', () => {
  assert.equal(readCookie('theme=dark; session=abc.1.sig; session_csrf=t', 'session'), 'abc.1.sig');
  assert.equal(readCookie('theme=dark; session=abc.1.sig; session_csrf=t', 'session_csrf'), 't');
  assert.equal(readCookie('session_csrf=t; session=s', 'session'), 's');
  assert.equal(readCookie('session=1; session=2', 'session'), '1');
});

test('readCookie() reads past thousands of pairs without "=" (the header-size limit allows 8,000)', () => {
  assert.equal(readCookie(`${'a;'.repeat(8000)}session=x`, 'session'), 'x');
  assert.equal(readCookie(`${'a;'.repeat(8000)}`, 'session'), undefined);
});

const base: SetCookie = { name: 'session', value: 'abc' };

const serializeCases: readonly { name: string; input: SetCookie; want: string }[] = [
  { name: 'writes a bare pair (a volatile cookie)', input: base, want: 'session=abc' },
  { name: 'writes an empty value', input: { ...base, value: '' }, want: 'session=' },
  { name: 'writes a quoted value as given', input: { ...base, value: '"abc"' }, want: 'session="abc"' },
  { name: 'writes Max-Age (a permanent cookie)', input: { ...base, maxAge: 2678400 }, want: 'session=abc; Max-Age=2678400' },
  // RFC 6265 §5.2.2: Max-Age=0 expires the cookie at once; it is how cookies are deleted.
  { name: 'writes Max-Age=0', input: { ...base, maxAge: 0 }, want: 'session=abc; Max-Age=0' },
  // sane-cookie-date = rfc1123-date
  { name: 'writes Expires as an RFC 1123 date', input: { ...base, expires: new Date(0) }, want: 'session=abc; Expires=Thu, 01 Jan 1970 00:00:00 GMT' },
  // The last second's text is kept (cookie.ts): these run in order, each a different second.
  { name: 'writes Expires in whole seconds, dropping milliseconds', input: { ...base, expires: new Date(1_999) }, want: 'session=abc; Expires=Thu, 01 Jan 1970 00:00:01 GMT' },
  { name: 'writes the next second after the one before', input: { ...base, expires: new Date(2_000) }, want: 'session=abc; Expires=Thu, 01 Jan 1970 00:00:02 GMT' },
  { name: 'writes an Expires before 1970', input: { ...base, expires: new Date(-1) }, want: 'session=abc; Expires=Wed, 31 Dec 1969 23:59:59 GMT' },
  { name: 'writes Domain', input: { ...base, domain: 'example.com' }, want: 'session=abc; Domain=example.com' },
  { name: 'writes a Domain with a leading dot', input: { ...base, domain: '.example.com' }, want: 'session=abc; Domain=.example.com' },
  { name: 'writes Path', input: { ...base, path: '/app' }, want: 'session=abc; Path=/app' },
  { name: 'writes the flags', input: { ...base, secure: true, httpOnly: true }, want: 'session=abc; Secure; HttpOnly' },
  { name: 'omits false flags', input: { ...base, secure: false, httpOnly: false, partitioned: false }, want: 'session=abc' },
  { name: 'writes SameSite=Lax', input: { ...base, sameSite: 'Lax' }, want: 'session=abc; SameSite=Lax' },
  { name: 'writes SameSite=Strict', input: { ...base, sameSite: 'Strict' }, want: 'session=abc; SameSite=Strict' },
  { name: 'writes SameSite=None with Secure', input: { ...base, sameSite: 'None', secure: true }, want: 'session=abc; Secure; SameSite=None' },
  { name: 'writes Partitioned with Secure', input: { ...base, secure: true, partitioned: true }, want: 'session=abc; Secure; Partitioned' },
  {
    name: 'writes every attribute in a fixed order',
    input: { ...base, maxAge: 60, expires: new Date(60_000), domain: 'a.example', path: '/', secure: true, httpOnly: true, sameSite: 'Lax' },
    want: 'session=abc; Max-Age=60; Expires=Thu, 01 Jan 1970 00:01:00 GMT; Domain=a.example; Path=/; Secure; HttpOnly; SameSite=Lax',
  },
  // RFC 6265bis: name + value up to 4096 bytes is kept by browsers.
  { name: 'accepts a name and value of exactly 4096 bytes', input: { name: 'n', value: 'v'.repeat(4095) }, want: `n=${'v'.repeat(4095)}` },
];

for (const { name, input, want } of serializeCases) {
  test(`serializeSetCookie() ${name}`, () => {
    assert.equal(serializeSetCookie(input), want);
  });
}

const invalidCases: readonly { name: string; input: SetCookie; field: string }[] = [
  // cookie-name = token: separators would let the name smuggle a value or an attribute.
  { name: 'an empty name', input: { ...base, name: '' }, field: 'name' },
  { name: 'a name with "="', input: { ...base, name: 'a=b' }, field: 'name' },
  { name: 'a name with a space', input: { ...base, name: 'a b' }, field: 'name' },
  { name: 'a name with ";"', input: { ...base, name: 'a;b' }, field: 'name' },
  // cookie-octet excludes CTLs, whitespace, DQUOTE, comma, semicolon and backslash.
  { name: 'a value with ";" (attribute injection)', input: { ...base, value: 'x; Domain=evil.example' }, field: 'value' },
  { name: 'a value with CR LF (header injection)', input: { ...base, value: 'x\r\nSet-Cookie: admin=1' }, field: 'value' },
  { name: 'a value with a space', input: { ...base, value: 'a b' }, field: 'value' },
  { name: 'a value with a comma', input: { ...base, value: 'a,b' }, field: 'value' },
  { name: 'a value with a backslash', input: { ...base, value: 'a\\b' }, field: 'value' },
  { name: 'a value with an inner quote', input: { ...base, value: 'a"b' }, field: 'value' },
  { name: 'a value with non-ASCII text', input: { ...base, value: 'é' }, field: 'value' },
  { name: 'a negative Max-Age', input: { ...base, maxAge: -1 }, field: 'maxAge' },
  { name: 'a fractional Max-Age', input: { ...base, maxAge: 1.5 }, field: 'maxAge' },
  { name: 'an invalid Expires date', input: { ...base, expires: new Date('nope') }, field: 'expires' },
  { name: 'a Domain with ";"', input: { ...base, domain: 'example.com; Secure' }, field: 'domain' },
  { name: 'a Domain with a trailing hyphen label', input: { ...base, domain: 'a-.example' }, field: 'domain' },
  { name: 'a Path not starting with "/"', input: { ...base, path: 'app' }, field: 'path' },
  { name: 'a Path with ";"', input: { ...base, path: '/a;b' }, field: 'path' },
  { name: 'a Path with a newline', input: { ...base, path: '/a\nb' }, field: 'path' },
  { name: 'an unknown SameSite', input: { ...base, sameSite: 'lax' as never }, field: 'sameSite' },
  // Browsers reject SameSite=None and Partitioned cookies that are not Secure.
  { name: 'SameSite=None without Secure', input: { ...base, sameSite: 'None' }, field: 'sameSite' },
  { name: 'Partitioned without Secure', input: { ...base, partitioned: true }, field: 'partitioned' },
];

for (const { name, input, field } of invalidCases) {
  test(`serializeSetCookie() refuses ${name}`, () => {
    assert.throws(
      () => serializeSetCookie(input),
      (error: unknown) => error instanceof InvalidCookieError && error.field === field && error.message.includes(field),
    );
  });
}

test('serializeSetCookie() refuses a name and value over 4096 bytes with CookieTooLargeError', () => {
  assert.throws(
    () => serializeSetCookie({ name: 'n', value: 'v'.repeat(4096) }),
    (error: unknown) =>
      error instanceof CookieTooLargeError && error.bytes === 4097 && error.limit === 4096 && /4097 bytes/.test(error.message),
  );
});

test('serializeSetCookie() refuses an attribute value over 1024 bytes', () => {
  assert.equal(serializeSetCookie({ ...base, path: `/${'p'.repeat(1023)}` }).length, 'session=abc; Path=/'.length + 1023);
  assert.throws(
    () => serializeSetCookie({ ...base, path: `/${'p'.repeat(1024)}` }),
    (error: unknown) => error instanceof CookieTooLargeError && error.field === 'path' && error.bytes === 1025,
  );
});

test('serializeSetCookie() output parses back to the same pair', () => {
  const header = serializeSetCookie({ ...base, value: 'x.1.y', maxAge: 5, path: '/' });
  assert.deepEqual([...parseCookieHeader(header.split(';')[0])], [['session', 'x.1.y']]);
});

const prefixCases: readonly { name: string; input: SetCookie; ok: boolean }[] = [
  { name: '__Secure- with Secure', input: { name: '__Secure-id', value: 'x', secure: true }, ok: true },
  { name: '__Secure- without Secure', input: { name: '__Secure-id', value: 'x' }, ok: false },
  { name: '__Host- with Secure and Path=/', input: { name: '__Host-id', value: 'x', secure: true, path: '/' }, ok: true },
  { name: '__Host- without Path', input: { name: '__Host-id', value: 'x', secure: true }, ok: false },
  { name: '__Host- with Path=/app', input: { name: '__Host-id', value: 'x', secure: true, path: '/app' }, ok: false },
  { name: '__Host- with a Domain', input: { name: '__Host-id', value: 'x', secure: true, path: '/', domain: 'example.com' }, ok: false },
  { name: '__Host- without Secure', input: { name: '__Host-id', value: 'x', path: '/' }, ok: false },
  { name: 'a lower-case __host- prefix (browsers compare case-insensitively)', input: { name: '__host-id', value: 'x', path: '/' }, ok: false },
];

for (const { name, input, ok } of prefixCases) {
  test(`serializeSetCookie() ${ok ? 'accepts' : 'refuses'} ${name}`, () => {
    if (ok) assert.match(serializeSetCookie(input), new RegExp(`^${input.name}=x`));
    else assert.throws(() => serializeSetCookie(input), (error: unknown) => error instanceof InvalidCookieError && error.field === 'prefix');
  });
}
