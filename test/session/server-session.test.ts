import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../src/http/http-error.js';
import { RateLimiter } from '../../src/http/rate-limit.js';
import type { Reply } from '../../src/http/reply.js';
import { ServerSessionInterface, TooManyNewSessionsError } from '../../src/session/server-session.js';
import { Session, type LoadedSession } from '../../src/session/session.js';
import { encodeRecord, SessionStoreUnavailableError, type SessionRecord, type SessionStore } from '../../src/session/store.js';
import { MemorySessionStore } from '../../src/session/stores/memory.js';
import { Signer } from '../../src/signing/signer.js';
import { TestClock } from '../helpers/server.js';
import { IDLE, LIFETIME, login, page, pairOf, SETTINGS, setCookieOf, setup } from '../helpers/server-sessions.js';

test('a new session gets a 256-bit random id in a signed cookie that carries no data', async () => {
  const { sessions, memory } = setup();
  const loaded = await sessions.open(undefined);
  loaded.session.set('username', 'alice');
  const reply = await sessions.commit(loaded, page);
  const header = setCookieOf(reply)!;
  assert.match(header, /^session=[A-Za-z0-9_-]{43}\.\d+\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/, 'volatile: no Max-Age');
  assert.doesNotMatch(header, /alice|dXNlcm5hbWU/, 'neither the data nor its base64 is in the cookie');
  const { id } = pairOf(reply);
  assert.equal(Buffer.from(id, 'base64url').length, 32);
  assert.deepEqual(await memory.get(id), { data: { username: 'alice' }, permanent: false, version: 1, createdAt: Date.UTC(2026, 10, 25, 12) / 1000 });
});

test('open() loads the record named by a valid cookie', async () => {
  const { sessions } = setup();
  const { cookie } = await login(sessions, { username: 'alice', theme: 'dark' }, true);
  const loaded = await sessions.open(cookie);
  assert.equal(loaded.session.isNew, false);
  assert.equal(loaded.session.permanent, true);
  assert.deepEqual(loaded.session.toObject(), { username: 'alice', theme: 'dark' });
  assert.equal(loaded.incoming.rejection, null);
  assert.equal(loaded.incoming.keyIndex, 0);
});

test('open() gives the record it read as loaded.record, and null where it read none', async () => {
  const { sessions, store, signer } = setup();
  const { cookie } = await login(sessions, { username: 'alice' }, true);
  const before = store.operations;
  const loaded = await sessions.open(cookie);
  assert.equal(store.operations, before + 1, 'one read');
  assert.deepEqual(loaded.record, { data: { username: 'alice' }, permanent: true, version: 1, createdAt: Date.UTC(2026, 10, 25, 12) / 1000 });
  assert.equal((await sessions.open(undefined)).record, null, 'no cookie');
  assert.equal((await sessions.open('session=forged')).record, null, 'a refused cookie');
  assert.equal((await sessions.open(`session=${signer.sign('session', Buffer.alloc(32, 7))}`)).record, null, 'an id the store does not know');
});

test('an unchanged session is not written, only read and touched; a volatile one gets no new cookie', async () => {
  const { sessions, store } = setup();
  const { cookie } = await login(sessions);
  const before = { ...store.calls };
  const loaded = await sessions.open(cookie);
  loaded.session.get('username');
  const reply = await sessions.commit(loaded, page);
  assert.equal(setCookieOf(reply), null);
  assert.equal(store.calls.set, before.set, 'no write');
  assert.equal(store.calls.get, before.get + 1, 'one read');
  assert.equal(store.calls.touch, before.touch + 1, 'its idle time restarted (rule 2)');
  assert.equal(store.calls.getWithExpiry, 0, 'the plain module asks for no expiry it would not use');
  assert.equal(reply.headers['vary'], 'Cookie');
});

test('a volatile session expires in the store after SESSION_IDLE_LIFETIME without requests', async () => {
  const { sessions, clock } = setup();
  const { cookie } = await login(sessions);
  clock.advanceSeconds(IDLE - 10);
  await sessions.commit(await sessions.open(cookie), page); // a request: touched
  clock.advanceSeconds(IDLE - 10);
  assert.equal((await sessions.open(cookie)).session.get('username'), 'alice', 'alive: idle less than the limit');
  clock.advanceSeconds(IDLE + 1);
  const loaded = await sessions.open(cookie);
  assert.equal(loaded.session.size, 0);
  assert.match(loaded.incoming.rejection ?? '', /UnknownSession/);
});

test('a permanent session lives PERMANENT_SESSION_LIFETIME in the store and its cookie slides on each request', async () => {
  const { sessions, clock, store } = setup();
  const { cookie, id } = await login(sessions, { username: 'alice' }, true);
  clock.advanceSeconds(LIFETIME / 10);
  const reply = await sessions.commit(await sessions.open(cookie), page);
  const refreshed = pairOf(reply);
  assert.equal(refreshed.id, id, 'same id, re-signed');
  assert.match(setCookieOf(reply)!, new RegExp(`Max-Age=${LIFETIME}; Expires=${new Date(clock.milliseconds + LIFETIME * 1000).toUTCString()}`));
  clock.advanceSeconds(LIFETIME - 60);
  assert.equal((await store.inner.get(id))?.data['username'], 'alice');
});

test('regenerate() (login) issues a new id, keeps the data, and destroys the old record', async () => {
  const { sessions, memory } = setup();
  const first = await login(sessions, { cart: 'apple' });
  const loaded = await sessions.open(first.cookie);
  loaded.session.set('username', 'alice');
  loaded.session.regenerate();
  const second = pairOf(await sessions.commit(loaded, page));
  assert.notEqual(second.id, first.id);
  assert.deepEqual((await memory.get(second.id))?.data, { cart: 'apple', username: 'alice' });
  assert.equal(await memory.get(first.id), null);
  const replay = await sessions.open(first.cookie);
  assert.equal(replay.session.size, 0, 'the pre-login id is worthless');
});

test('logout destroys the record, deletes the cookie, and a replayed cookie finds nothing', async () => {
  const { sessions, memory } = setup();
  const { cookie, id } = await login(sessions);
  const loaded = await sessions.open(cookie);
  loaded.session.delete('username');
  const reply = await sessions.commit(loaded, page);
  assert.equal(setCookieOf(reply), 'session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax');
  assert.equal(await memory.get(id), null);
  const replay = await sessions.open(cookie);
  assert.equal(replay.session.size, 0);
  assert.match(replay.incoming.rejection ?? '', /UnknownSession: the store has no live session with this id/);
});

test('an unknown id is never adopted: the new session gets a fresh id', async () => {
  const { sessions, signer } = setup();
  const madeUp = Buffer.alloc(32, 7);
  const cookie = `session=${signer.sign('session', madeUp)}`;
  const loaded = await sessions.open(cookie);
  assert.equal(loaded.session.isNew, true);
  loaded.session.set('username', 'victim');
  const { id } = pairOf(await sessions.commit(loaded, page));
  assert.notEqual(id, madeUp.toString('base64url'));
});

test('a forged or malformed cookie costs no store lookup', async () => {
  const { sessions, store } = setup();
  for (const cookie of ['session=garbage', `session=${new Signer({ secrets: ['other'] }).sign('session', Buffer.alloc(32))}`]) {
    const loaded = await sessions.open(cookie);
    assert.equal(loaded.session.size, 0);
    assert.match(loaded.incoming.rejection ?? '', /MalformedSignature|BadSignature/);
  }
  assert.equal(store.calls.get, 0);
});

test('a signed payload that is not a 32-byte id is refused', async () => {
  const { sessions, signer } = setup();
  const loaded = await sessions.open(`session=${signer.sign('session', 'short')}`);
  assert.match(loaded.incoming.rejection ?? '', /MalformedSessionId: session id is 5 bytes, not 32/);
});

test('two concurrent requests that change different keys both keep their change (no lost update)', async () => {
  const { sessions, memory } = setup();
  const { cookie, id } = await login(sessions);
  const [first, second] = await Promise.all([sessions.open(cookie), sessions.open(cookie)]);
  first!.session.set('cart', ['apple']);
  second!.session.set('theme', 'dark');
  await Promise.all([sessions.commit(first!, page), sessions.commit(second!, page)]);
  const record = await memory.get(id);
  assert.deepEqual(record?.data, { username: 'alice', cart: ['apple'], theme: 'dark' });
  assert.equal(record?.version, 3);
});

test('a concurrent removal and a concurrent addition both survive the merge', async () => {
  const { sessions, memory } = setup();
  const { cookie, id } = await login(sessions, { username: 'alice', flash: 'Welcome!' });
  const [reader, writer] = await Promise.all([sessions.open(cookie), sessions.open(cookie)]);
  reader!.session.delete('flash');
  writer!.session.set('__proto__', 'still a key');
  await sessions.commit(writer!, page);
  await sessions.commit(reader!, page);
  const data = (await memory.get(id))!.data;
  assert.deepEqual(Object.keys(data).sort(), ['__proto__', 'username']);
});

test('when two requests change the same key, the later write wins for that key', async () => {
  const { sessions, memory } = setup();
  const { cookie, id } = await login(sessions);
  const [first, second] = await Promise.all([sessions.open(cookie), sessions.open(cookie)]);
  first!.session.set('theme', 'light');
  second!.session.set('theme', 'dark');
  await sessions.commit(first!, page);
  await sessions.commit(second!, page);
  assert.equal((await memory.get(id))!.data['theme'], 'dark');
});

test('a merge keeps the newer permanent flag unless this request changed it', async () => {
  const { sessions, memory } = setup();
  const { cookie, id } = await login(sessions);
  const [flagger, other] = await Promise.all([sessions.open(cookie), sessions.open(cookie)]);
  flagger!.session.permanent = true;
  other!.session.set('theme', 'dark');
  const flagReply = await sessions.commit(flagger!, page);
  assert.match(setCookieOf(flagReply)!, /Max-Age=/, 'the cookie is re-sent when the flag changes');
  await sessions.commit(other!, page);
  assert.equal((await memory.get(id))!.permanent, true);
});

test('a change to a session that another request ended does not resurrect it', async () => {
  const { sessions, memory } = setup();
  const { cookie, id } = await login(sessions);
  const [logout, late] = await Promise.all([sessions.open(cookie), sessions.open(cookie)]);
  logout!.session.clear();
  late!.session.set('cart', ['apple']);
  await sessions.commit(logout!, page);
  const reply = await sessions.commit(late!, page);
  assert.equal(await memory.get(id), null);
  // The logout's reply deletes the cookie; this one, arriving later, has nothing more to say.
  assert.equal(setCookieOf(reply), null);
});

test('a request that changed the session while a parallel login moved it to a new id sends no cookie, so it cannot delete the login’s', async () => {
  const { sessions, memory } = setup();
  const { cookie, id } = await login(sessions, { username: 'guest' });
  // Two requests of one browser with the same cookie: a login (which regenerates the id) and a
  // slower one that changes the cart.
  const [relogin, slow] = await Promise.all([sessions.open(cookie), sessions.open(cookie)]);
  relogin!.session.set('username', 'alice');
  relogin!.session.regenerate();
  slow!.session.set('cart', ['apple']);
  const loginReply = await sessions.commit(relogin!, page);
  const newCookie = pairOf(loginReply);
  assert.notEqual(newCookie.id, id, 'the login moved the session to a new id');
  const slowReply = await sessions.commit(slow!, page);
  // Whatever order the two replies reach the browser in, the login's cookie survives.
  assert.equal(slowReply.headers['set-cookie'], undefined, 'no Set-Cookie at all, and in particular no deletion');
  assert.equal(await memory.get(id), null, 'the old record stays gone');
  const after = await sessions.open(newCookie.cookie);
  assert.equal(after.session.get('username'), 'alice');
});

test('new sessions are limited per client: past the limit a 429 with Retry-After, nothing stored, other clients unaffected', async () => {
  const clock = new TestClock();
  const memory = new MemorySessionStore({ maxEntries: 1000, now: clock.now, sweepIntervalMs: 0 });
  const signer = new Signer({ secrets: ['current-key'], now: clock.now });
  const newSessionLimit = new RateLimiter({ perMinute: 3, now: clock.now });
  const sessions = new ServerSessionInterface({ settings: SETTINGS, idleLifetimeSeconds: IDLE, store: memory, signer, now: clock.now, newSessionLimit });
  const create = async (client: string | null): Promise<Reply> => {
    const loaded = await sessions.open(undefined, false, client);
    loaded.session.set('username', 'flood');
    return sessions.commit(loaded, page);
  };
  for (let index = 0; index < 3; index += 1) assert.ok(setCookieOf(await create('203.0.113.7')) !== null);
  await assert.rejects(create('203.0.113.7'), (error: unknown) => {
    assert.ok(error instanceof TooManyNewSessionsError);
    assert.equal(error.status, 429);
    assert.equal(error.headers['Retry-After'], '20');
    assert.match(error.message, /too many new sessions from your address \(at most 3 a minute\); try again in 20 s/);
    return true;
  });
  assert.equal(memory.size, 3, 'the refused session was not stored');
  assert.ok(setCookieOf(await create('198.51.100.1')) !== null, 'another client still gets a session');
  // Using or changing an existing session creates no record, so it is not counted.
  const { cookie } = pairOf(await create('192.0.2.1'));
  for (let index = 0; index < 5; index += 1) {
    const loaded = await sessions.open(cookie, false, '192.0.2.1');
    assert.equal(loaded.incoming.rejection, null);
    loaded.session.set('visits', index);
    await sessions.commit(loaded, page);
  }
  clock.advanceSeconds(20);
  assert.ok(setCookieOf(await create('203.0.113.7')) !== null, 'a token came back after 20 s');
  assert.ok(setCookieOf(await create(null)) !== null, 'without a client key there is nothing to count under');
});

test('regenerating counts as a new session: parallel logins on one cookie cannot create records past the limit', async () => {
  const clock = new TestClock();
  const memory = new MemorySessionStore({ maxEntries: 1000, now: clock.now, sweepIntervalMs: 0 });
  const signer = new Signer({ secrets: ['current-key'], now: clock.now });
  const newSessionLimit = new RateLimiter({ perMinute: 5, now: clock.now });
  const sessions = new ServerSessionInterface({ settings: SETTINGS, idleLifetimeSeconds: IDLE, store: memory, signer, now: clock.now, newSessionLimit });
  const first = await sessions.open(undefined, false, '203.0.113.7');
  first.session.set('username', 'mallory');
  const { cookie } = pairOf(await sessions.commit(first, page));
  // Twenty logins sent at once with the same cookie: each opened the same record before any committed.
  const opened = await Promise.all(Array.from({ length: 20 }, () => sessions.open(cookie, false, '203.0.113.7')));
  const outcomes = await Promise.all(
    opened.map(async (loaded) => {
      loaded.session.set('username', 'mallory');
      loaded.session.regenerate();
      return sessions.commit(loaded, page).then(
        () => 'written',
        (error: unknown) => (error instanceof TooManyNewSessionsError ? 'refused' : 'other'),
      );
    }),
  );
  assert.equal(outcomes.filter((outcome) => outcome === 'written').length, 4, 'one token went to the first session, four are left');
  assert.equal(outcomes.filter((outcome) => outcome === 'refused').length, 16);
  assert.ok(memory.size <= 5, `${memory.size} records`);
});

test('a logout that races a login sends no deletion: the login moved the session, and its cookie must survive', async () => {
  const { sessions, memory } = setup();
  const { cookie, id } = await login(sessions, { username: 'guest' });
  const [relogin, logout] = await Promise.all([sessions.open(cookie), sessions.open(cookie)]);
  relogin!.session.set('username', 'alice');
  relogin!.session.regenerate();
  logout!.session.clear();
  const newCookie = pairOf(await sessions.commit(relogin!, page));
  const logoutReply = await sessions.commit(logout!, page);
  assert.equal(logoutReply.headers['set-cookie'], undefined, 'no deletion of a cookie this request did not bring');
  assert.equal(await memory.get(id), null);
  assert.equal((await sessions.open(newCookie.cookie)).session.get('username'), 'alice');
});

test('endless write conflicts end in a 503 instead of a loop', async () => {
  const clock = new TestClock();
  const memory = new MemorySessionStore({ maxEntries: 10, now: clock.now, sweepIntervalMs: 0 });
  // A store where someone else always wrote just before us.
  const contended: SessionStore = {
    name: 'contended',
    get: (id) => memory.get(id),
    set: async (id, record, ttl, expected) => {
      if (expected === null) return memory.set(id, record, ttl, expected);
      const current = (await memory.get(id))!;
      await memory.set(id, { ...current, version: current.version + 1 }, ttl, current.version);
      return false;
    },
    destroy: (id) => memory.destroy(id),
    touch: (id, ttl) => memory.touch(id, ttl),
    close: () => memory.close(),
  };
  const { sessions } = setup({ store: contended });
  const { cookie } = await login(sessions);
  const loaded = await sessions.open(cookie);
  loaded.session.set('x', 1);
  await assert.rejects(sessions.commit(loaded, page), (error: unknown) => error instanceof HttpError && error.status === 503);
});

test('a cookie verified by a fallback key is re-sent signed with the current key, same id', async () => {
  const clock = new TestClock();
  const memory = new MemorySessionStore({ maxEntries: 10, now: clock.now, sweepIntervalMs: 0 });
  const old = setup({ secrets: ['old-key'], store: memory });
  const { cookie, id } = await login(old.sessions);
  const rotated = setup({ secrets: ['new-key', 'old-key'], store: memory });
  const loaded: LoadedSession = await rotated.sessions.open(cookie);
  assert.equal(loaded.incoming.keyIndex, 1);
  const fresh = pairOf(await rotated.sessions.commit(loaded, page));
  assert.equal(fresh.id, id);
  const current = setup({ secrets: ['new-key'], store: memory });
  assert.equal((await current.sessions.open(fresh.cookie)).session.get('username'), 'alice');
});

test('without SESSION_REFRESH_EACH_REQUEST an unchanged permanent session is neither touched nor re-sent', async () => {
  const { sessions, store } = setup({ settings: { refreshEachRequest: false } });
  const { cookie } = await login(sessions, { username: 'alice' }, true);
  const before = { ...store.calls };
  const reply = await sessions.commit(await sessions.open(cookie), page);
  assert.equal(setCookieOf(reply), null);
  assert.equal(store.calls.touch, before.touch);
});

test('a session emptied before it was ever stored just deletes the cookie', async () => {
  const { sessions, store } = setup();
  const loaded = await sessions.open(undefined);
  loaded.session.set('a', 1);
  loaded.session.delete('a');
  assert.match(setCookieOf(await sessions.commit(loaded, page))!, /^session=; Max-Age=0/);
  assert.equal(store.calls.set + store.calls.destroy, 0);
  const untouched = await sessions.open(undefined);
  assert.equal(setCookieOf(await sessions.commit(untouched, page)), null);
});

test('inspect() says the cookie holds an id and how large the stored data is', async () => {
  const { sessions } = setup();
  const { cookie } = await login(sessions, { username: 'alice' }, true);
  const loaded = await sessions.open(cookie);
  const inspection = sessions.inspect(loaded);
  assert.equal(inspection.type, 'counting');
  assert.equal(inspection.cookieHolds, 'id');
  assert.equal(inspection.storedRecord, encodeRecord(loaded.record!), 'the record this request read, as the store keeps it');
  assert.equal(inspection.storedBytes, Buffer.byteLength(inspection.storedRecord!));
  assert.match(inspection.storedRecord!, /^\{"version":1,"createdAt":\d+,"permanent":true,"data":\{"username":"alice"\}\}$/);
  assert.ok(inspection.cookieExpiry instanceof Date);
});

test('a store that is down makes open() throw SessionStoreUnavailableError', async () => {
  const down: SessionStore = {
    name: 'down',
    get: () => Promise.reject(new SessionStoreUnavailableError('down', 'connection refused')),
    set: () => Promise.reject(new SessionStoreUnavailableError('down', 'connection refused')),
    destroy: async () => {},
    touch: async () => {},
    close: async () => {},
  };
  const working = setup();
  const { cookie } = await login(working.sessions);
  const { sessions } = setup({ store: down });
  await assert.rejects(sessions.open(cookie), (error: unknown) => error instanceof SessionStoreUnavailableError && error.status === 503);
  assert.equal((await sessions.open(undefined)).session.size, 0, 'no cookie: no store needed');
});

test('a fresh id colliding with an existing record is reported as a bug', async () => {
  const refusing: SessionStore = { name: 'refusing', get: async () => null, set: async () => false, destroy: async () => {}, touch: async () => {}, close: async () => {} };
  const { sessions } = setup({ store: refusing });
  const loaded = await sessions.open(undefined);
  loaded.session.set('a', 1);
  await assert.rejects(sessions.commit(loaded, page), /already had a record for a fresh random id/);
});

test('SESSION_ABSOLUTE_LIFETIME ends a server-side session from login, and removes its record', async () => {
  const { sessions, clock, memory } = setup();
  let { cookie, id } = await login(sessions, { username: 'alice' }, true);
  for (let day = 1; day <= 90; day += 1) {
    clock.advanceSeconds(86400);
    const reply = await sessions.commit(await sessions.open(cookie), page);
    ({ cookie, id } = pairOf(reply));
  }
  clock.advanceSeconds(86400);
  const loaded = await sessions.open(cookie);
  assert.equal(loaded.session.size, 0);
  assert.match(loaded.incoming.rejection ?? '', /SessionTooOld: this session began 91 d ago/);
  assert.equal(await memory.get(id), null);
});

test('a merge keeps the record\'s creation time', async () => {
  const { sessions, memory, clock } = setup();
  const { cookie, id } = await login(sessions);
  const created = (await memory.get(id))!.createdAt;
  clock.advanceSeconds(100);
  const [first, second] = await Promise.all([sessions.open(cookie), sessions.open(cookie)]);
  first!.session.set('a', 1);
  second!.session.set('b', 2);
  await Promise.all([sessions.commit(first!, page), sessions.commit(second!, page)]);
  assert.equal((await memory.get(id))!.createdAt, created);
});

test('what open() learned about a session is kept where only the interface that opened it can act on it', async () => {
  const first = setup();
  const second = setup();
  const { cookie, id } = await login(first.sessions, { username: 'alice' }, false);
  const loaded = await first.sessions.open(cookie);
  assert.deepEqual(Object.keys(loaded.session), Object.keys(new Session()), 'no id or version among its properties');
  assert.ok(!JSON.stringify(loaded).includes(id), 'the id is nowhere in what open() returned');
  loaded.session.set('theme', 'dark');
  // Another interface (another store) given this session treats it as one it never read: a new id
  // in its own store, and the first store's record untouched.
  const reply = await second.sessions.commit(loaded, page);
  const moved = pairOf(reply);
  assert.notEqual(moved.id, id);
  assert.deepEqual((await second.memory.get(moved.id))?.data, { username: 'alice', theme: 'dark' });
  assert.deepEqual((await first.memory.get(id))?.data, { username: 'alice' });
  assert.equal((await first.memory.get(id))?.version, 1);
  // A session no interface opened (made by the application) is a new one too.
  const made = new Session([['username', 'bob']]);
  const bob = pairOf(await first.sessions.commit({ session: made, incoming: loaded.incoming, secureRequest: false }, page));
  assert.notEqual(bob.id, id);
  assert.deepEqual((await first.memory.get(bob.id))?.data, { username: 'bob' });
  assert.deepEqual((await first.memory.get(id))?.data, { username: 'alice' });
});
