// The lazy touch must skip only the restarts of idle time that change little, within the bound its
// header states (an idle session ends between 0.9 and 1.0 of its idle lifetime after its last
// request, never later), and change no other answer the session layer gives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canTellExpiry, LazyTouchStore, touchDue } from '../../src/fast/lazy-touch-store.js';
import { ServerSessionInterface } from '../../src/session/server-session.js';
import type { Session, SessionCookieSettings } from '../../src/session/session.js';
import { MemorySessionStore } from '../../src/session/stores/memory.js';
import { Signer } from '../../src/signing/signer.js';
import { TestClock } from '../helpers/server.js';
import { CountingStore, IDLE, login, page, readOnly, SETTINGS, setCookieOf, setup, withoutExpiry } from '../helpers/server-sessions.js';

test('touchDue(): due past a tenth since the last restart, when the record outlives a whole time to live, and without an expiry', () => {
  const now = 1_000_000_000;
  const cases: readonly [string, number, boolean][] = [
    ['restarted just now', now + 60_000, false],
    ['restarted exactly a tenth ago', now + 54_000, false],
    ['restarted a tenth and a millisecond ago', now + 53_999, true],
    ['ends after a whole time to live from now (it was shortened)', now + 60_001, true],
    ['no expiry at all', Number.POSITIVE_INFINITY, true],
    ['already expired', now - 1, true],
  ];
  for (const [what, expiresAtMs, due] of cases) assert.equal(touchDue(expiresAtMs, 60, now), due, what);
});

test('LazyTouchStore forgets what it read when the record is written, removed or gone, and then touches for real', async () => {
  const clock = new TestClock();
  const counting = new CountingStore(new MemorySessionStore({ maxEntries: 10, now: clock.now, sweepIntervalMs: 0 }));
  const lazy = new LazyTouchStore(counting, { now: clock.now });
  const id = 'a'.repeat(43);
  const record = { data: { username: 'alice' }, permanent: false, version: 1, createdAt: 1 };
  assert.equal(await lazy.set(id, record, 60, null), true);
  await lazy.touch(id, 60);
  assert.equal(counting.calls.touch, 1, 'nothing read yet: a real touch');
  assert.deepEqual(await lazy.get(id), record);
  await lazy.touch(id, 60);
  assert.equal(counting.calls.touch, 1, 'read a moment after a restart: skipped');
  await lazy.set(id, { ...record, version: 2 }, 60, 1);
  await lazy.touch(id, 60);
  assert.equal(counting.calls.touch, 2, 'written since: a real touch');
  await lazy.get(id);
  await lazy.destroy(id);
  await lazy.touch(id, 60);
  assert.equal(counting.calls.touch, 3, 'removed since: a real touch (which finds nothing)');
  assert.equal(await lazy.get(id), null);
  await lazy.touch(id, 60);
  assert.equal(counting.calls.touch, 4, 'read as missing: a real touch');
  assert.equal(lazy.name, 'counting');
  await lazy.close();
});

test('LazyTouchStore remembers what either read said, and forgets it on a read that finds nothing', async () => {
  const clock = new TestClock();
  const inner = new MemorySessionStore({ maxEntries: 10, now: clock.now, sweepIntervalMs: 0 });
  const counting = new CountingStore(inner);
  const lazy = new LazyTouchStore(counting, { now: clock.now });
  const id = 'c'.repeat(43);
  const record = { data: {}, permanent: false, version: 1, createdAt: 1 };
  await lazy.set(id, record, 60, null);
  assert.equal((await lazy.getWithExpiry(id))?.expiresAtMs, clock.now() + 60_000);
  await lazy.touch(id, 60);
  assert.equal(counting.calls.touch, 0, 'getWithExpiry() is a read too: the touch after it is skipped');
  clock.advanceSeconds(7);
  await lazy.touch(id, 60);
  assert.equal(counting.calls.touch, 1, 'more than a tenth since the write: a real touch');
  // (A real touch also forgets what was read; with no read between, the next touch is real either
  // way, since the expiry read before it was already due.)
  await lazy.touch(id, 60);
  assert.equal(counting.calls.touch, 2, 'no read since the real touch: real again');
  await lazy.get(id);
  // The record goes behind the lazy store's back (another process, an expiry): the read that finds
  // nothing must forget, or a touch would be skipped on the strength of a record that is gone.
  await inner.destroy(id);
  assert.equal(await lazy.get(id), null);
  await lazy.touch(id, 60);
  assert.equal(counting.calls.touch, 3, 'the last read found nothing: a real touch');
});

test('LazyTouchStore remembers at most its capacity of ids', async () => {
  const clock = new TestClock();
  const counting = new CountingStore(new MemorySessionStore({ maxEntries: 10, now: clock.now, sweepIntervalMs: 0 }));
  const lazy = new LazyTouchStore(counting, { now: clock.now, memoEntries: 1 });
  const [first, second] = ['a'.repeat(43), 'b'.repeat(43)];
  const record = { data: {}, permanent: false, version: 1, createdAt: 1 };
  await lazy.set(first, record, 60, null);
  await lazy.set(second, record, 60, null);
  await lazy.get(first);
  await lazy.get(second);
  await lazy.touch(second, 60);
  await lazy.touch(first, 60);
  assert.equal(counting.calls.touch, 1, 'the first id was forgotten for the second: touched for real');
});

test('canTellExpiry(): only a store with getWithExpiry() is worth wrapping', () => {
  const counting = new CountingStore(new MemorySessionStore({ maxEntries: 1, sweepIntervalMs: 0 }));
  assert.equal(canTellExpiry(counting), true);
  assert.equal(canTellExpiry(withoutExpiry(counting)), false);
});

test('the lazy touch restarts the idle time only once more than a tenth of it has passed since the last restart', async () => {
  const { sessions, store, clock } = setup({ lazy: true });
  const { cookie } = await login(sessions);
  const steps: readonly { advance: number; touched: number }[] = [
    { advance: 1, touched: 0 },
    { advance: IDLE / 10 - 1, touched: 0 }, // exactly a tenth since the login's write: not more
    { advance: 1, touched: 1 }, // a tenth and a second: restarted
    { advance: 1, touched: 0 }, // counted from that restart now
    { advance: IDLE / 10, touched: 1 },
  ];
  for (const [index, { advance, touched }] of steps.entries()) {
    clock.advanceSeconds(advance);
    const request = await readOnly(sessions, store, cookie);
    assert.deepEqual(request, { username: 'alice', touched, operations: 1 + touched }, `request ${index + 1}`);
  }
});

test('without the lazy touch, the plain module restarts the idle time on every request', async () => {
  for (const options of [{ lazy: false }, { lazy: false, noExpiry: true }]) {
    const { sessions, store, clock } = setup(options);
    const { cookie } = await login(sessions);
    for (let index = 0; index < 3; index += 1) {
      clock.advanceSeconds(1);
      assert.deepEqual(await readOnly(sessions, store, cookie), { username: 'alice', touched: 1, operations: 2 }, JSON.stringify(options));
    }
    assert.equal(store.calls.getWithExpiry, 0, 'a plain get(): nothing asks for an expiry it would not use');
  }
});

test('the lazy touch shortens at once a record that would outlive a whole time to live from now', async () => {
  const clock = new TestClock();
  const memory = new MemorySessionStore({ maxEntries: 10, now: clock.now, sweepIntervalMs: 0 });
  // Written under a longer SESSION_IDLE_LIFETIME (ten hours), read after it was set back to one.
  const longer = new ServerSessionInterface({ settings: SETTINGS, idleLifetimeSeconds: IDLE * 10, store: memory, signer: new Signer({ secrets: ['current-key'], now: clock.now }), now: clock.now });
  const { cookie, id } = await login(longer);
  const { sessions, store } = setup({ store: memory, clock, lazy: true });
  assert.equal((await readOnly(sessions, store, cookie)).touched, 1);
  clock.advanceSeconds(IDLE + 1);
  assert.equal(await memory.get(id), null, 'it ended one idle lifetime after that request, not ten');
});

test('lazy refresh: an idle session still ends within its idle lifetime, at most a tenth of it early, never late', async () => {
  // The last restart can be up to a tenth before the last request, and the time to live runs from
  // the restart: the session ends between 0.9 and 1.0 idle lifetimes after the last request.
  for (const sinceRestart of [0, IDLE / 20, IDLE / 10]) {
    const { sessions, store, clock } = setup({ lazy: true });
    const { cookie } = await login(sessions);
    clock.advanceSeconds(sinceRestart);
    assert.equal((await readOnly(sessions, store, cookie)).touched, 0, 'the last request restarted nothing');
    clock.advanceSeconds(IDLE - sinceRestart - 1);
    assert.equal((await sessions.open(cookie)).session.get('username'), 'alice', `alive ${IDLE - sinceRestart - 1} s after its last request`);
    clock.advanceSeconds(1);
    const ended = await sessions.open(cookie);
    assert.match(ended.incoming.rejection ?? '', /UnknownSession/, `ended ${IDLE - sinceRestart} s after its last request (${sinceRestart} s early)`);
  }
});

test('lazy refresh keeps every check: tampering, key rotation, signature age, the absolute lifetime and logout answer as with a restart on every request', async () => {
  /** One browser's story; each step says what the server answered. */
  async function story(lazyRefresh: boolean): Promise<string[]> {
    const clock = new TestClock();
    const memory = new MemorySessionStore({ maxEntries: 100, now: clock.now, sweepIntervalMs: 0 });
    const make = (secrets: string[], settings: Partial<SessionCookieSettings> = {}) =>
      setup({ store: memory, clock, secrets, lazy: lazyRefresh, settings: { lifetimeSeconds: 10 * IDLE, absoluteLifetimeSeconds: 20 * IDLE, ...settings } }).sessions;
    const old = make(['old-key']);
    const rotated = make(['new-key', 'old-key']);
    const answers: string[] = [];
    const request = async (sessions: ServerSessionInterface, cookie: string, change?: (session: Session) => void) => {
      const loaded = await sessions.open(cookie);
      const username = String(loaded.session.get('username'));
      change?.(loaded.session);
      const sent = setCookieOf(await sessions.commit(loaded, page));
      const cookieSent = sent === null ? 'no cookie' : sent.startsWith('session=;') ? 'cookie deleted' : 'new cookie';
      answers.push(`${username} ${loaded.incoming.rejection?.replace(/:.*/, '') ?? 'accepted'} key ${loaded.incoming.keyIndex} ${cookieSent}`);
      return sent === null ? cookie : sent.split(';')[0]!;
    };
    let { cookie } = await login(old, { username: 'alice' });
    const [name, value] = cookie.split('=') as [string, string];
    const tampered = `${name}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    await request(old, tampered);
    clock.advanceSeconds(IDLE / 2);
    cookie = await request(rotated, cookie); // verified by the old key: re-signed with the new one
    clock.advanceSeconds(IDLE / 2);
    cookie = await request(rotated, cookie);
    for (let day = 0; day < 9; day += 1) {
      clock.advanceSeconds(IDLE * 0.95);
      cookie = await request(rotated, cookie);
    }
    clock.advanceSeconds(IDLE);
    await request(rotated, cookie); // the volatile cookie's signature is older than PERMANENT_SESSION_LIFETIME
    ({ cookie } = await login(rotated, { username: 'bob' }, true));
    for (let step = 0; step < 21; step += 1) {
      clock.advanceSeconds(IDLE);
      cookie = await request(rotated, cookie); // permanent: re-sent each time, until the absolute lifetime
    }
    ({ cookie } = await login(rotated, { username: 'carol' }));
    const loggedIn = cookie;
    await request(rotated, cookie, (session) => session.clear());
    await request(rotated, loggedIn); // replayed after logout
    return answers;
  }
  const lazy = await story(true);
  assert.deepEqual(lazy.slice(0, 3), ['undefined BadSignature key null no cookie', 'alice accepted key 1 new cookie', 'alice accepted key 0 no cookie']);
  assert.match(lazy[12]!, /SignatureExpired/);
  assert.match(lazy.at(-3)!, /SessionTooOld/);
  assert.equal(lazy[13], 'bob accepted key 0 new cookie', 'a permanent cookie slides');
  assert.deepEqual(lazy.slice(-2), ['carol accepted key 0 cookie deleted', 'undefined UnknownSession key null no cookie']);
  assert.deepEqual(await story(false), lazy);
});

