import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { parseUrlencoded } from '../../src/http/form.js';
import { HttpError } from '../../src/http/http-error.js';
import { MemoizedSigner } from '../../src/fast/memoized-signer.js';
import { CSRF_FIELD, CsrfProtection } from '../../src/session/csrf.js';
import { Signer } from '../../src/signing/signer.js';
import { TestClock } from '../helpers/server.js';

const ORIGIN = 'http://127.0.0.1:5000';
const clock = new TestClock();
const csrf = new CsrfProtection({ secrets: ['key'], sessionCookieName: 'session', path: '/', secure: 'auto', maxAgeSeconds: 3600, now: clock.now });

function request(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

/**
 * 32 bytes are 256 bits; 43 base64 characters carry 258, so the last character's two lowest bits
 * are not used, and four spellings decode to one token. This is another of them.
 */
function sameBytesOtherSpelling(token: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const other = `${token.slice(0, -1)}${alphabet[alphabet.indexOf(token.at(-1)!) ^ 1]}`;
  assert.deepEqual(Buffer.from(other, 'base64url'), Buffer.from(token, 'base64url'), 'the same bytes');
  return other;
}

function issued() {
  const { token, setCookie } = csrf.issue(undefined, false);
  return { token, cookie: setCookie!.split(';')[0]! };
}

test('issue() makes a 256-bit token and a signed, HttpOnly, SameSite=Strict cookie', () => {
  const { token, setCookie } = csrf.issue(undefined, true);
  assert.equal(Buffer.from(token, 'base64url').length, 32);
  assert.match(setCookie!, /^session_csrf=[A-Za-z0-9_-]{43}\.\d+\.[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Strict$/);
  assert.equal(csrf.cookieName, 'session_csrf');
});

test('issue() reuses the token of a valid cookie, so open tabs keep working', () => {
  const { token, cookie } = issued();
  assert.deepEqual(csrf.issue(`other=1; ${cookie}`, false), { token, setCookie: null });
});

test('issue() replaces a cookie that is forged, expired or malformed', () => {
  const forged = new CsrfProtection({ secrets: ['other-key'], sessionCookieName: 'session', path: '/', secure: 'auto', maxAgeSeconds: 3600 }).issue(undefined, false);
  assert.notEqual(csrf.issue(forged.setCookie!.split(';')[0], false).setCookie, null);
  assert.notEqual(csrf.issue('session_csrf=garbage', false).setCookie, null);
  const short = `session_csrf=${new Signer({ secrets: ['key'], salt: 'scratchpad.csrf', now: clock.now }).sign('session_csrf', 'short')}`;
  assert.notEqual(csrf.issue(short, false).setCookie, null, 'a signed value that is not a token');
});

test('check() accepts the field that matches the cookie', () => {
  const { token, cookie } = issued();
  csrf.check(request({ cookie }), parseUrlencoded(Buffer.from(`${CSRF_FIELD}=${token}`)), ORIGIN);
  csrf.check(request({ cookie, origin: ORIGIN, 'sec-fetch-site': 'same-origin' }), parseUrlencoded(Buffer.from(`${CSRF_FIELD}=${token}`)), ORIGIN);
});

const refused: readonly { name: string; headers: (cookie: string) => Record<string, string>; body: (token: string) => string; message: RegExp }[] = [
  { name: 'no CSRF cookie', headers: () => ({}), body: (token) => `${CSRF_FIELD}=${token}`, message: /CSRF cookie is missing or invalid/ },
  { name: 'a forged CSRF cookie', headers: () => ({ cookie: 'session_csrf=AAAA.1.BBBB' }), body: (token) => `${CSRF_FIELD}=${token}`, message: /CSRF cookie is missing/ },
  { name: 'no field', headers: (cookie) => ({ cookie }), body: () => 'username=a', message: /has no csrf_token field/ },
  { name: 'an empty field', headers: (cookie) => ({ cookie }), body: () => `${CSRF_FIELD}=`, message: /has no csrf_token field/ },
  { name: 'a wrong token', headers: (cookie) => ({ cookie }), body: () => `${CSRF_FIELD}=${Buffer.alloc(32, 1).toString('base64url')}`, message: /does not match its cookie/ },
  { name: 'a token of the wrong length', headers: (cookie) => ({ cookie }), body: () => `${CSRF_FIELD}=abc`, message: /does not match/ },
  // Texts that Node's lenient base64url decoder reads as the very same 32 bytes: one spelling only.
  { name: 'the token with junk after it', headers: (cookie) => ({ cookie }), body: (token) => `${CSRF_FIELD}=${encodeURIComponent(`${token}!!`)}`, message: /does not match/ },
  { name: 'the token with padding', headers: (cookie) => ({ cookie }), body: (token) => `${CSRF_FIELD}=${encodeURIComponent(`${token}=`)}`, message: /does not match/ },
  { name: 'the token with a space inside', headers: (cookie) => ({ cookie }), body: (token) => `${CSRF_FIELD}=${token.slice(0, 10)}+${token.slice(10)}`, message: /does not match/ },
  { name: 'the token with the unused bits of its last character set', headers: (cookie) => ({ cookie }), body: (token) => `${CSRF_FIELD}=${sameBytesOtherSpelling(token)}`, message: /does not match/ },
  { name: 'a cross-site post (Sec-Fetch-Site)', headers: (cookie) => ({ cookie, 'sec-fetch-site': 'cross-site' }), body: (token) => `${CSRF_FIELD}=${token}`, message: /cross-site requests that change a session are refused/ },
  { name: 'a same-site post from a sibling subdomain', headers: (cookie) => ({ cookie, 'sec-fetch-site': 'same-site' }), body: (token) => `${CSRF_FIELD}=${token}`, message: /Sec-Fetch-Site: same-site/ },
  { name: 'another Origin', headers: (cookie) => ({ cookie, origin: 'https://evil.example' }), body: (token) => `${CSRF_FIELD}=${token}`, message: /another origin are refused \(Origin: https:\/\/evil\.example\)/ },
  { name: 'Origin: null (a sandboxed or file: page)', headers: (cookie) => ({ cookie, origin: 'null' }), body: (token) => `${CSRF_FIELD}=${token}`, message: /Origin: null/ },
  { name: 'our host on the other scheme', headers: (cookie) => ({ cookie, origin: 'https://127.0.0.1:5000' }), body: (token) => `${CSRF_FIELD}=${token}`, message: /another origin/ },
];

for (const { name, headers, body, message } of refused) {
  test(`check() answers 403 for ${name}`, () => {
    const { token, cookie } = issued();
    assert.throws(
      () => csrf.check(request(headers(cookie)), parseUrlencoded(Buffer.from(body(token))), ORIGIN),
      (error: unknown) => error instanceof HttpError && error.status === 403 && message.test(error.message),
    );
  });
}

test('check() refuses a token from another browser: each token is bound to its own cookie', () => {
  const mine = issued();
  const attackers = issued();
  assert.throws(() => csrf.check(request({ cookie: mine.cookie }), parseUrlencoded(Buffer.from(`${CSRF_FIELD}=${attackers.token}`)), ORIGIN), /does not match/);
});

test('check() refuses an expired CSRF cookie', () => {
  const local = new TestClock();
  const protection = new CsrfProtection({ secrets: ['key'], sessionCookieName: 'session', path: '/', secure: 'auto', maxAgeSeconds: 60, now: local.now });
  const { token, setCookie } = protection.issue(undefined, false);
  local.advanceSeconds(61);
  assert.throws(() => protection.check(request({ cookie: setCookie!.split(';')[0]! }), parseUrlencoded(Buffer.from(`${CSRF_FIELD}=${token}`)), ORIGIN), /CSRF cookie is missing or invalid/);
});

test('CsrfProtection signs its tokens with the signer newSigner builds (the memoized one, in the demo), under its own salt', () => {
  const built: string[] = [];
  const protection = new CsrfProtection({
    secrets: ['key'],
    sessionCookieName: 'session',
    path: '/',
    secure: 'auto',
    maxAgeSeconds: 3600,
    now: clock.now,
    newSigner: (options) => {
      built.push(options.salt ?? '');
      return new MemoizedSigner(options);
    },
  });
  assert.deepEqual(built, ['scratchpad.csrf']);
  const { token, setCookie } = protection.issue(undefined, false);
  const cookie = setCookie!.split(';')[0]!;
  protection.check(request({ cookie }), parseUrlencoded(Buffer.from(`${CSRF_FIELD}=${token}`)), ORIGIN);
  // The same tokens as a plain signer's: a memo changes the speed, never the answer.
  assert.equal(csrf.issue(cookie, false).setCookie, null, 'a plain CsrfProtection with the same key accepts the cookie');
});
