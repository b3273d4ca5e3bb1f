// What the tests of server-side sessions share: a store that counts its calls, a session
// interface on it (plain, or with the lazy touch of src/fast/), and a login.
import { parseCookieHeader } from '../../src/http/cookie.js';
import { htmlReply, type Reply } from '../../src/http/reply.js';
import { LazyTouchStore } from '../../src/fast/lazy-touch-store.js';
import { ServerSessionInterface } from '../../src/session/server-session.js';
import type { SessionCookieSettings } from '../../src/session/session.js';
import type { SessionRecord, SessionStore } from '../../src/session/store.js';
import { MemorySessionStore } from '../../src/session/stores/memory.js';
import { Signer } from '../../src/signing/signer.js';
import { TestClock } from './server.js';

export const LIFETIME = 31 * 86400;
export const IDLE = 3600;
export const SETTINGS: SessionCookieSettings = { name: 'session', path: '/', httpOnly: true, secure: false, sameSite: 'Lax', partitioned: false, lifetimeSeconds: LIFETIME, refreshEachRequest: true,
   absoluteLifetimeSeconds: 90 * 86400,
 };

/** Wraps a store and counts the calls, to check what is (and is not) written. */
export class CountingStore implements SessionStore {
  readonly name = 'counting';
  readonly calls = { get: 0, getWithExpiry: 0, set: 0, destroy: 0, touch: 0 };
  constructor(readonly inner: SessionStore) {}
  get(id: string) {
    this.calls.get += 1;
    return this.inner.get(id);
  }
  getWithExpiry(id: string) {
    this.calls.getWithExpiry += 1;
    return this.inner.getWithExpiry!(id);
  }
  /** Every call: what a request costs the store. */
  get operations(): number {
    return Object.values(this.calls).reduce((sum, count) => sum + count, 0);
  }
  set(id: string, record: SessionRecord, ttl: number, expected: number | null) {
    this.calls.set += 1;
    return this.inner.set(id, record, ttl, expected);
  }
  destroy(id: string) {
    this.calls.destroy += 1;
    return this.inner.destroy(id);
  }
  touch(id: string, ttl: number) {
    this.calls.touch += 1;
    return this.inner.touch(id, ttl);
  }
  close() {
    return this.inner.close();
  }
}

/** The counting store, less getWithExpiry(): a store that keeps only the required methods. */
export function withoutExpiry(store: CountingStore): SessionStore {
  return { name: store.name, get: (id) => store.get(id), set: (...args) => store.set(...args), destroy: (id) => store.destroy(id), touch: (...args) => store.touch(...args), close: () => store.close() };
}

/**
 * A ServerSessionInterface on a counting store (over a memory store unless `store` says), with
 * `lazy`: the counting store inside the lazy touch, as backend.ts builds it by default; without:
 * the plain module alone, touching on every request.
 */
export function setup(options: { settings?: Partial<SessionCookieSettings>; secrets?: string[]; store?: SessionStore; clock?: TestClock; lazy?: boolean; noExpiry?: boolean } = {}) {
  const clock = options.clock ?? new TestClock();
  const memory = new MemorySessionStore({ maxEntries: 100, now: clock.now, sweepIntervalMs: 0 });
  const inner = options.store ?? memory;
  const store = new CountingStore(inner);
  const signer = new Signer({ secrets: options.secrets ?? ['current-key'], now: clock.now });
  const sessions = new ServerSessionInterface({
    settings: { ...SETTINGS, ...options.settings },
    idleLifetimeSeconds: IDLE,
    store: options.lazy === true ? new LazyTouchStore(store, { now: clock.now }) : options.noExpiry === true || inner.getWithExpiry === undefined ? withoutExpiry(store) : store,
    signer,
    now: clock.now,
  });
  return { clock, memory, store, signer, sessions };
}

export const page = htmlReply(200, '');

export function setCookieOf(reply: Reply): string | null {
  const value = reply.headers['set-cookie'];
  return value === undefined ? null : (value as string[])[0]!;
}

/** The `session=…` pair and the id inside it. */
export function pairOf(reply: Reply): { cookie: string; id: string } {
  const header = setCookieOf(reply)!;
  const cookie = header.split(';')[0]!;
  return { cookie, id: parseCookieHeader(cookie).get('session')!.split('.')[0]! };
}

export async function login(sessions: ServerSessionInterface, data: Record<string, string> = { username: 'alice' }, permanent = false) {
  const loaded = await sessions.open(undefined);
  for (const [key, value] of Object.entries(data)) loaded.session.set(key, value);
  loaded.session.permanent = permanent;
  loaded.session.regenerate();
  return pairOf(await sessions.commit(loaded, page));
}

/** Sends one request that only reads the session; returns the store operations it cost, by kind. */
export async function readOnly(sessions: ServerSessionInterface, store: CountingStore, cookie: string): Promise<{ username: unknown; touched: number; operations: number }> {
  const [operations, touches] = [store.operations, store.calls.touch];
  const loaded = await sessions.open(cookie);
  const username = loaded.session.get('username');
  await sessions.commit(loaded, page);
  return { username, touched: store.calls.touch - touches, operations: store.operations - operations };
}
