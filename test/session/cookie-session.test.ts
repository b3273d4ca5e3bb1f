import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCookieHeader } from '../../src/http/cookie.js';
import { htmlReply, type Reply } from '../../src/http/reply.js';
import { CookieSessionInterface } from '../../src/session/cookie-session.js';
import { SessionTooLargeError, type LoadedSession, type SessionCookieSettings } from '../../src/session/session.js';
import { Signer } from '../../src/signing/signer.js';
import { TestClock } from '../helpers/server.js';

const LIFETIME = 31 * 86400;
const SETTINGS: SessionCookieSettings = {
  name: 'session',
  path: '/',
  httpOnly: true,
  secure: false,
  sameSite: 'Lax', partitioned: false,
  lifetimeSeconds: LIFETIME,
  refreshEachRequest: true,
  absoluteLifetimeSeconds: 90 * 86400,
};

function sessions(clock: TestClock, settings: Partial<SessionCookieSettings> = {}, secrets = ['current-key']) {
  const signer = new Signer({ secrets, now: clock.now });
  return new CookieSessionInterface({ ...SETTINGS, ...settings }, signer, clock.now);
}

const page = htmlReply(200, '<p>page</p>');

async function commit(sessionInterface: CookieSessionInterface, loaded: LoadedSession, reply: Reply = page): Promise<Reply> {
  return sessionInterface.commit(loaded, reply);
}

function setCookie(reply: Reply): string | undefined {
  const value = reply.headers['set-cookie'];
  assert.ok(value === undefined || value.length === 1, 'at most one Set-Cookie');
  return value?.[0];
}

/** Logs in on a fresh session and returns the `session=…` pair a browser would send back. */
async function cookieFor(sessionInterface: CookieSessionInterface, data: Record<string, string>, permanent = false): Promise<string> {
  const loaded = await sessionInterface.open(undefined);
  for (const [key, value] of Object.entries(data)) loaded.session.set(key, value);
  loaded.session.permanent = permanent;
  return setCookie(await commit(sessionInterface, loaded))!.split(';')[0]!;
}

test('open() without a cookie gives a new empty session and says no cookie came', async () => {
  const loaded = await sessions(new TestClock()).open('other=1');
  assert.equal(loaded.session.isNew, true);
  assert.equal(loaded.session.size, 0);
  assert.deepEqual(loaded.incoming, { present: false, bytes: 0, rejection: null, signedAt: null, keyIndex: null });
});

test('commit() of an untouched empty session adds no header at all', async () => {
  const sessionInterface = sessions(new TestClock());
  const reply = await commit(sessionInterface, await sessionInterface.open(undefined));
  assert.deepEqual(reply, page);
});

test('commit() of a session that was only read adds Vary: Cookie and no-store, but no Set-Cookie', async () => {
  const sessionInterface = sessions(new TestClock());
  const loaded = await sessionInterface.open(undefined);
  loaded.session.get('username');
  const reply = await commit(sessionInterface, loaded);
  assert.equal(reply.headers['vary'], 'Cookie');
  assert.equal(reply.headers['cache-control'], 'no-store');
  assert.equal(setCookie(reply), undefined);
});

test('a volatile session cookie has no Max-Age and no Expires, and the secure defaults', async () => {
  const clock = new TestClock();
  const sessionInterface = sessions(clock);
  const loaded = await sessionInterface.open(undefined);
  loaded.session.set('username', 'alice');
  const header = setCookie(await commit(sessionInterface, loaded))!;
  assert.match(header, /^session=[A-Za-z0-9_-]+\.\d+\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
  assert.doesNotMatch(header, /Max-Age|Expires/);
  assert.equal(sessionInterface.inspect(loaded).cookieExpiry, null);
});

test('a permanent session cookie has Max-Age = lifetime and the matching Expires', async () => {
  const clock = new TestClock();
  const sessionInterface = sessions(clock);
  const loaded = await sessionInterface.open(undefined);
  loaded.session.set('username', 'alice');
  loaded.session.permanent = true;
  const header = setCookie(await commit(sessionInterface, loaded))!;
  const expires = new Date(clock.milliseconds + LIFETIME * 1000);
  assert.match(header, new RegExp(`; Max-Age=${LIFETIME}; Expires=${expires.toUTCString()}; Path=/; HttpOnly; SameSite=Lax$`));
  assert.equal(sessionInterface.inspect(loaded).cookieExpiry?.getTime(), expires.getTime());
});

test('a permanent cookie expires on a whole second: Expires, and the expiry the inspector shows, agree', async () => {
  const clock = new TestClock(Date.UTC(2026, 10, 25, 12, 0, 0) + 750);
  const sessionInterface = sessions(clock);
  const loaded = await sessionInterface.open(undefined);
  loaded.session.set('username', 'alice');
  loaded.session.permanent = true;
  const header = setCookie(await commit(sessionInterface, loaded))!;
  const expiry = sessionInterface.inspect(loaded).cookieExpiry!;
  assert.equal(expiry.getTime(), Date.UTC(2026, 10, 25, 12, 0, 0) + LIFETIME * 1000);
  assert.match(header, new RegExp(`; Expires=${expiry.toUTCString()};`));
  // The same second gives the same expiry, so the page that shows it is the same page.
  clock.milliseconds += 200;
  assert.equal(sessionInterface.inspect(loaded).cookieExpiry!.getTime(), expiry.getTime());
});

test('the cookie round-trips: data, permanent flag, signing date and key', async () => {
  const clock = new TestClock();
  const sessionInterface = sessions(clock);
  const cookie = await cookieFor(sessionInterface, { username: 'Zoë <3', __proto__: 'x' } as Record<string, string>, true);
  clock.advanceSeconds(10);
  const loaded = await sessionInterface.open(`other=1; ${cookie}`);
  assert.equal(loaded.session.isNew, false);
  assert.equal(loaded.session.permanent, true);
  assert.equal(loaded.session.get('username'), 'Zoë <3');
  assert.equal(loaded.incoming.present, true);
  assert.equal(loaded.incoming.bytes, cookie.length - 1, 'name plus value, without the "="');
  assert.equal(loaded.incoming.rejection, null);
  assert.equal(loaded.incoming.signedAt?.getTime(), clock.milliseconds - 10_000);
  assert.equal(loaded.incoming.keyIndex, 0);
});

test('the same cookie opened twice gives two sessions: a change to one is not in the other', async () => {
  // Each request gets its own session, also where decoded data is kept per cookie value
  // (MemoizedCookieCodec: test/fast/memoized-cookie-codec.test.ts runs this story there too).
  const clock = new TestClock();
  const sessionInterface = sessions(clock);
  const cookie = await cookieFor(sessionInterface, { username: 'alice' });
  const first = await sessionInterface.open(cookie);
  first.session.set('username', 'mallory');
  first.session.set('extra', 1);
  const second = await sessionInterface.open(cookie);
  assert.equal(second.session.get('username'), 'alice');
  assert.equal(second.session.has('extra'), false);
  assert.equal(second.session.modified, false);
});

test('nested session data is decoded afresh for each request: a change in place does not carry over', async () => {
  const clock = new TestClock();
  const sessionInterface = sessions(clock);
  const loaded = await sessionInterface.open(undefined);
  loaded.session.set('cart', { items: ['apple'] });
  const cookie = setCookie(await commit(sessionInterface, loaded))!.split(';')[0]!;
  for (let request = 0; request < 3; request += 1) {
    const opened = await sessionInterface.open(cookie);
    const cart = opened.session.get('cart') as { items: string[] };
    assert.deepEqual(cart.items, ['apple'], `request ${request}`);
    cart.items.push('changed in place');
  }
});

test('a cookie opened before is refused once it is too old, like any other', async () => {
  const clock = new TestClock();
  const sessionInterface = sessions(clock);
  const cookie = await cookieFor(sessionInterface, { username: 'alice' });
  assert.equal((await sessionInterface.open(cookie)).session.get('username'), 'alice');
  clock.advanceSeconds(LIFETIME + 1);
  const expired = await sessionInterface.open(cookie);
  assert.equal(expired.session.size, 0);
  assert.match(expired.incoming.rejection ?? '', /SignatureExpired/);
});

test('the payload is readable JSON: signed, not encrypted', async () => {
  const cookie = await cookieFor(sessions(new TestClock()), { username: 'alice' });
  const payload = cookie.slice('session='.length).split('.')[0]!;
  assert.deepEqual(JSON.parse(Buffer.from(payload, 'base64url').toString()), { permanent: false, created: Date.UTC(2026, 10, 25, 12) / 1000, data: { username: 'alice' } });
});

test('an unchanged volatile session is not re-sent', async () => {
  const clock = new TestClock();
  const sessionInterface = sessions(clock);
  const loaded = await sessionInterface.open(await cookieFor(sessionInterface, { username: 'alice' }));
  loaded.session.get('username');
  assert.equal(setCookie(await commit(sessionInterface, loaded)), undefined);
});

test('an unchanged permanent session is re-sent on every request, sliding its expiry (SESSION_REFRESH_EACH_REQUEST)', async () => {
  const clock = new TestClock();
  const sessionInterface = sessions(clock);
  const cookie = await cookieFor(sessionInterface, { username: 'alice' }, true);
  clock.advanceSeconds(3600);
  const loaded = await sessionInterface.open(cookie);
  const header = setCookie(await commit(sessionInterface, loaded))!;
  assert.match(header, new RegExp(`Expires=${new Date(clock.milliseconds + LIFETIME * 1000).toUTCString()}`));
  assert.notEqual(header.split(';')[0], cookie, 're-signed with a new timestamp');
});

test('without SESSION_REFRESH_EACH_REQUEST an unchanged permanent session is not re-sent', async () => {
  const clock = new TestClock();
  const sessionInterface = sessions(clock, { refreshEachRequest: false });
  const cookie = await cookieFor(sessionInterface, { username: 'alice' }, true);
  clock.advanceSeconds(3600);
  const loaded = await sessionInterface.open(cookie);
  assert.equal(setCookie(await commit(sessionInterface, loaded)), undefined);
  // The browser keeps the expiry of the last cookie it got, which was signed an hour ago.
  assert.equal(sessionInterface.inspect(loaded).cookieExpiry?.getTime(), clock.milliseconds - 3600_000 + LIFETIME * 1000);
});

test('a session that becomes empty deletes its cookie, even a permanent one', async () => {
  const sessionInterface = sessions(new TestClock());
  const loaded = await sessionInterface.open(await cookieFor(sessionInterface, { username: 'alice' }, true));
  loaded.session.delete('username');
  const header = setCookie(await commit(sessionInterface, loaded))!;
  assert.equal(header, 'session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax');
});

test('the deletion uses the same Domain and Path as the cookie, or the browser would keep it', async () => {
  const sessionInterface = sessions(new TestClock(), { domain: 'example.com', path: '/app', secure: true, sameSite: 'Strict', httpOnly: false });
  const loaded = await sessionInterface.open(await cookieFor(sessionInterface, { a: '1' }));
  loaded.session.clear();
  assert.equal(
    setCookie(await commit(sessionInterface, loaded)),
    'session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/app; Secure; SameSite=Strict',
  );
});

/** Each row is a cookie value that must be refused, and the words the rejection must contain. */
const rejectedCases: readonly { name: string; value: (good: string) => string; reason: RegExp }[] = [
  { name: 'a tampered payload', value: (good) => `${Buffer.from('{"permanent":false,"data":{"username":"admin"}}').toString('base64url')}.${good.split('.').slice(1).join('.')}`, reason: /BadSignature/ },
  { name: 'garbage', value: () => 'not-a-session', reason: /MalformedSignature: .*1 dot-separated/ },
  { name: 'an empty value', value: () => '', reason: /MalformedSignature/ },
  { name: 'a value with a bad alphabet', value: (good) => good.replace('.', '!.'), reason: /not canonical base64url/ },
];

for (const { name, value, reason } of rejectedCases) {
  test(`open() treats ${name} as no session and says why`, async () => {
    const sessionInterface = sessions(new TestClock());
    const good = (await cookieFor(sessionInterface, { username: 'alice' })).slice('session='.length);
    const loaded = await sessionInterface.open(`session=${value(good)}`);
    assert.equal(loaded.session.size, 0);
    assert.equal(loaded.session.isNew, true);
    assert.equal(loaded.incoming.present, true);
    assert.match(loaded.incoming.rejection ?? '', reason);
  });
}

test('open() refuses a cookie signed with a key that is not configured', async () => {
  const clock = new TestClock();
  const foreign = await cookieFor(sessions(clock, {}, ['someone-elses-key']), { username: 'admin' });
  const loaded = await sessions(clock).open(foreign);
  assert.equal(loaded.session.size, 0);
  assert.match(loaded.incoming.rejection ?? '', /BadSignature: signature matches none of the 1 configured key/);
});

test('open() refuses a correctly signed payload that is not a session', async () => {
  const clock = new TestClock();
  const signer = new Signer({ secrets: ['current-key'], now: clock.now });
  for (const payload of ['not json', '[1]', '{"permanent":"yes","data":{}}', '{"permanent":true,"data":[]}', 'null']) {
    const loaded = await sessions(clock).open(`session=${signer.sign('session', payload)}`);
    assert.equal(loaded.session.size, 0);
    assert.match(loaded.incoming.rejection ?? '', /MalformedSessionPayload/, payload);
  }
});

for (const permanent of [false, true]) {
  test(`open() refuses a ${permanent ? 'permanent' : 'volatile'} cookie older than the lifetime, saying by how much`, async () => {
    const clock = new TestClock();
    const sessionInterface = sessions(clock);
    const cookie = await cookieFor(sessionInterface, { username: 'alice' }, permanent);
    clock.advanceSeconds(LIFETIME);
    assert.equal((await sessionInterface.open(cookie)).session.get('username'), 'alice', 'still valid at exactly the lifetime');
    clock.advanceSeconds(2 * 86400);
    const loaded = await sessionInterface.open(cookie);
    assert.equal(loaded.session.size, 0);
    assert.match(loaded.incoming.rejection ?? '', /SignatureExpired: signature expired 2 d ago/);
  });
}

test('a rejected cookie is not deleted and not replaced unless the session changes', async () => {
  const sessionInterface = sessions(new TestClock());
  const loaded = await sessionInterface.open('session=garbage');
  loaded.session.get('username');
  assert.equal(setCookie(await commit(sessionInterface, loaded)), undefined);
});

test('a cookie verified by a fallback key is re-signed with the current key', async () => {
  const clock = new TestClock();
  const old = await cookieFor(sessions(clock, {}, ['old-key']), { username: 'alice' });
  const rotated = sessions(clock, {}, ['new-key', 'old-key']);
  const loaded = await rotated.open(old);
  assert.equal(loaded.incoming.keyIndex, 1);
  const fresh = setCookie(await commit(rotated, loaded))!.split(';')[0]!;
  assert.equal((await sessions(clock, {}, ['new-key']).open(fresh)).session.get('username'), 'alice');
});

test('commit() refuses a session too large for a cookie and adds no Set-Cookie', async () => {
  const sessionInterface = sessions(new TestClock());
  const loaded = await sessionInterface.open(undefined);
  loaded.session.set('username', 'x'.repeat(3000));
  await assert.rejects(commit(sessionInterface, loaded), (error: unknown) => {
    assert.ok(error instanceof SessionTooLargeError);
    assert.ok(error.bytes > 4096);
    assert.equal(error.limit, 4096);
    return true;
  });
});

test('commit() accepts the largest session that fits in 4096 bytes', async () => {
  const sessionInterface = sessions(new TestClock());
  // Find the longest username that fits, then check one more character does not.
  let fits = 0;
  for (let length = 2800; length < 3100; length += 1) {
    const loaded = await sessionInterface.open(undefined);
    loaded.session.set('username', 'x'.repeat(length));
    let header: string;
    try {
      header = setCookie(await commit(sessionInterface, loaded))!;
    } catch (error) {
      assert.ok(error instanceof SessionTooLargeError);
      break;
    }
    assert.ok(header.split(';')[0]!.length - 1 <= 4096, 'name plus value within the limit');
    fits = length;
  }
  assert.ok(fits > 2800 && fits < 3000, `the limit lies between, found ${fits}`);
});

test('commit() keeps headers of the reply and adds its own after them', async () => {
  const sessionInterface = sessions(new TestClock());
  const loaded = await sessionInterface.open(undefined);
  loaded.session.set('a', '1');
  const reply = await commit(sessionInterface, loaded, htmlReply(200, '', { vary: 'Accept-Encoding', 'set-cookie': ['other=1'] }));
  assert.equal(reply.headers['vary'], 'Accept-Encoding, Cookie');
  const cookies = reply.headers['set-cookie'] as string[];
  assert.equal(cookies.length, 2);
  assert.equal(cookies[0], 'other=1');
  assert.ok(parseCookieHeader(cookies[1]!.split(';')[0]).has('session'));
});

test('SESSION_ABSOLUTE_LIFETIME ends a session however often it is refreshed', async () => {
  const clock = new TestClock();
  const sessionInterface = sessions(clock);
  let cookie = await cookieFor(sessionInterface, { username: 'alice' }, true);
  // A daily visit keeps sliding the permanent cookie forward...
  for (let day = 1; day <= 90; day += 1) {
    clock.advanceSeconds(86400);
    const loaded = await sessionInterface.open(cookie);
    assert.equal(loaded.session.get('username'), 'alice', `day ${day}`);
    cookie = setCookie(await commit(sessionInterface, loaded))!.split(';')[0]!;
  }
  // ...but not past 90 days from login.
  clock.advanceSeconds(86400);
  const loaded = await sessionInterface.open(cookie);
  assert.equal(loaded.session.size, 0);
  assert.match(loaded.incoming.rejection ?? '', /SessionTooOld: this session began 91 d ago, and SESSION_ABSOLUTE_LIFETIME allows 90 d; log in again/);
});

test('regenerate() (a new login) restarts the absolute lifetime', async () => {
  const clock = new TestClock();
  const sessionInterface = sessions(clock, { lifetimeSeconds: 200 * 86400 });
  const cookie = await cookieFor(sessionInterface, { username: 'alice' }, true);
  clock.advanceSeconds(80 * 86400);
  const loaded = await sessionInterface.open(cookie);
  assert.equal(loaded.session.createdAt, clock.milliseconds / 1000 - 80 * 86400);
  loaded.session.regenerate();
  const fresh = setCookie(await commit(sessionInterface, loaded))!.split(';')[0]!;
  clock.advanceSeconds(20 * 86400);
  assert.equal((await sessionInterface.open(fresh)).session.get('username'), 'alice');
});
