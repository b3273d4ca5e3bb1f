/**
 * Server-side sessions: the cookie carries a signed session id; the data lives in a SessionStore.
 *
 * What: `ServerSessionInterface`, a `SessionInterface` like cookie-session.ts, so the application
 * cannot tell the two apart. `open()` verifies the id in the cookie and loads the record; `commit()`
 * writes the record back (only if it changed), rotates the id at login, destroys it at logout.
 *
 * Why: a signed cookie cannot be revoked, cannot hold more than 4096 bytes, and shows its data to
 * whoever holds it. Keeping the data on the server fixes all three, at the price of a store lookup
 * per request. The cookie value is `ID.TIMESTAMP.SIGNATURE` (../signing/signer.ts), where ID is 32
 * random bytes in base64url. The signature is not what makes the id unguessable (256 random bits
 * do that); it lets the server refuse forged or expired ids without asking the store at all.
 *
 * The rules, in the order `#save` applies them:
 * 1. An empty session that was changed (logout) is *destroyed* in the store and its cookie deleted:
 *    replaying the old cookie afterwards finds nothing. Ending a session wins over any concurrent change.
 *    (If the record was already gone, no cookie is sent: see rule 4 for why.)
 * 2. An unchanged session is not written; its time to live is restarted (`touch`), since a server
 *    cannot see a browser close and must expire idle sessions itself: volatile ones after
 *    SESSION_IDLE_LIFETIME, permanent ones after PERMANENT_SESSION_LIFETIME. (A restart on every
 *    request is one store write more than a read needs; the last chapter's
 *    ../fast/lazy-touch-store.ts skips the ones that change little, and says what that costs.)
 * 3. A session with no id yet, or one that asked for `regenerate()` (the demo does at login), gets a
 *    *new* id; the data moves with it and the old record is destroyed. This defeats session
 *    fixation, and it means an id the client made up is never adopted: an unknown id is a new session.
 *    A new record stays in the store until it expires, whether its browser ever comes back or not,
 *    so records under fresh ids are rate-limited per client address (LIMIT_NEW_SESSIONS,
 *    ../http/rate-limit.ts): past the limit the request gets a 429 and nothing is stored.
 * 4. A changed session is written with compare-and-set on its version. If another request wrote
 *    first, the newer record is read and *only the keys this request changed* (and `permanent`, if it
 *    changed) are applied to it, then the write is tried again. Two requests that change different
 *    keys both keep their change; two that change the same key: the later write wins for that key.
 *    If the record vanished meanwhile, nothing is resurrected, and no cookie is sent: the record
 *    went because the session ended (a logout) or moved to a new id (a login in a parallel request),
 *    and in the second case the browser already holds the new cookie, which a deletion sent by this
 *    slower reply would destroy. A reply only ever deletes the cookie its own request brought.
 *
 * Spec: the SessionStore contract (store.ts). Session fixation: OWASP Session Management Cheat Sheet,
 * "Renew the Session ID After Any Privilege Level Change".
 *
 * Not here: any particular database (stores/).
 *
 * Read next: stores/memory.ts, the simplest store.
 */
import { readCookie, serializeSetCookie } from '../http/cookie.js';
import { HttpError } from '../http/http-error.js';
import type { RateLimiter } from '../http/rate-limit.js';
import type { Reply } from '../http/reply.js';
import { SignatureError, type Signer } from '../signing/signer.js';
import {
  absoluteLifetimeExceeded,
  NO_COOKIE,
  Session,
  type JsonValue,
  type LoadedSession,
  type SessionCookieSettings,
  type SessionInspection,
  type SessionInspector,
  type SessionInterface,
} from './session.js';
import { cookieExpiry, deletionCookie, sessionCookie, withSessionHeaders } from './session-cookie.js';
import { newSessionId, PLAIN_RECORD_CODEC, type RecordCodec, type SessionRecord, type SessionStore } from './store.js';

export interface ServerSessionOptions {
  readonly settings: SessionCookieSettings;
  /** SESSION_IDLE_LIFETIME: how long a volatile session lives in the store after its last request. */
  readonly idleLifetimeSeconds: number;
  readonly store: SessionStore;
  readonly signer: Signer;
  readonly now?: () => number;
  /** New sessions per client (the key `open()` is given); `null` or absent: no limit. */
  readonly newSessionLimit?: RateLimiter | null;
  /**
   * How `inspect()` writes the record out as the store keeps it: the store's own codec (the memo
   * gives back the text a kept record came from, without encoding it again), or JSON (PLAIN_RECORD_CODEC).
   */
  readonly records?: RecordCodec;
}

/** A client created new sessions faster than LIMIT_NEW_SESSIONS allows. A 429: wait and retry. */
export class TooManyNewSessionsError extends HttpError {
  override name = 'TooManyNewSessionsError';
  constructor(perMinute: number, retryAfterSeconds: number) {
    super(
      429,
      `too many new sessions from your address (at most ${perMinute} a minute); try again in ${retryAfterSeconds} s`,
      { 'Retry-After': String(retryAfterSeconds) },
    );
  }
}

/** Which record a session was read from, at which version. */
interface StoredState {
  readonly id: string;
  readonly version: number;
  readonly createdAt: number;
}

/** What `open()` learned that `commit()` needs: the record the session came from, and who sent the request. */
interface OpenedState {
  /** The interface that opened the session: no other one may act on what it learned. */
  readonly by: ServerSessionInterface;
  /** `null` for a session that has no record yet. */
  readonly stored: StoredState | null;
  /** The key its new records are counted under (LIMIT_NEW_SESSIONS); `null`: not counted. */
  readonly client: string | null;
}

/**
 * A session as `open()` made it: a Session that also carries what `open()` learned, so that
 * `commit()` finds it on the session itself, with no side table to keep in step (and no entry per
 * request for the garbage collector to sweep, as a WeakMap keyed by the session had).
 *
 * The field is private (`#opened`): only code inside this class body can read it, which is why
 * `openedBy()` is a static method of the class rather than code in the interface. So the id and
 * version are not among the session's properties, and no application changes them by accident.
 * (Code that goes looking can reach the class through `session.constructor`, as it can reach the
 * store through `sessions.store`: this keeps the bookkeeping out of the application's way; it is
 * not a security boundary, and the id is in the signed cookie anyway.) `#opened in session` (ES2022) is true
 * only for objects this class constructed; reading `#opened` on any other object would throw.
 * One private field serves every interface, so the state names the interface that opened the
 * session (`by`): another one, with another store, treats the session as one it never read.
 */
class OpenedSession extends Session {
  readonly #opened: OpenedState;

  constructor(opened: OpenedState, data: Iterable<readonly [string, JsonValue]> = [], options: { permanent?: boolean; isNew?: boolean; createdAt?: number | null } = {}) {
    super(data, options);
    this.#opened = opened;
  }

  /** What `opener.open()` learned about `session`; `null` for a session it did not open. */
  static openedBy(opener: ServerSessionInterface, session: Session): OpenedState | null {
    return #opened in session && session.#opened.by === opener ? session.#opened : null;
  }
}

/** Attempts at compare-and-set before giving up; each failure means another request just wrote. */
const MAX_WRITE_ATTEMPTS = 20;
const ID_BYTES = 32;

export class ServerSessionInterface implements SessionInterface, SessionInspector {
  readonly #settings: SessionCookieSettings;
  readonly #idleLifetimeSeconds: number;
  readonly #store: SessionStore;
  readonly #signer: Signer;
  readonly #now: () => number;
  readonly #newSessionLimit: RateLimiter | null;
  readonly #records: RecordCodec;
  /** Per session id, the tail of the queue of commits in progress in this process. */
  readonly #commits = new Map<string, Promise<unknown>>();

  constructor(options: ServerSessionOptions) {
    this.#settings = options.settings;
    this.#idleLifetimeSeconds = options.idleLifetimeSeconds;
    this.#store = options.store;
    this.#signer = options.signer;
    this.#now = options.now ?? Date.now;
    this.#newSessionLimit = options.newSessionLimit ?? null;
    this.#records = options.records ?? PLAIN_RECORD_CODEC;
  }

  /** `client`: who sent the request (../http/client-address.ts `clientKey()`), for LIMIT_NEW_SESSIONS. */
  async open(cookieHeader: string | undefined, secureRequest = false, client: string | null = null): Promise<LoadedSession> {
    const name = this.#settings.name;
    const fresh = (): Session => new OpenedSession({ by: this, stored: null, client });
    const value = readCookie(cookieHeader, name);
    if (value === undefined) return { session: fresh(), incoming: NO_COOKIE, secureRequest, record: null };
    const bytes = name.length + value.length;
    const rejected = (rejection: string): LoadedSession => ({
      session: fresh(),
      incoming: { present: true, bytes, rejection, signedAt: null, keyIndex: null },
      secureRequest,
      record: null,
    });
    // 1. Verify the signature before touching the store: forged ids cost no database lookup.
    let verified;
    try {
      verified = this.#signer.verify(name, value, this.#settings.lifetimeSeconds);
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
      return rejected(`${error.name}: ${error.message}`);
    }
    if (verified.payload.length !== ID_BYTES) return rejected(`MalformedSessionId: session id is ${verified.payload.length} bytes, not ${ID_BYTES}`);
    const id = verified.payload.toString('base64url');
    // 2. Look the id up. A store that is down throws SessionStoreUnavailableError (a 503).
    const record = await this.#store.get(id);
    if (record === null) {
      return rejected('UnknownSession: the store has no live session with this id (logged out or expired); a new session gets a new id');
    }
    const tooOld = absoluteLifetimeExceeded(record.createdAt, this.#settings, this.#now());
    if (tooOld !== null) {
      await this.#store.destroy(id);
      return rejected(tooOld);
    }
    const stored = { id, version: record.version, createdAt: record.createdAt };
    const session = new OpenedSession({ by: this, stored, client }, Object.entries(record.data), { permanent: record.permanent, isNew: false, createdAt: record.createdAt });
    return { session, incoming: { present: true, bytes, rejection: null, signedAt: verified.signedAt, keyIndex: verified.keyIndex }, secureRequest, record };
  }

  async commit(loaded: LoadedSession, reply: Reply): Promise<Reply> {
    const accessed = loaded.session.accessed;
    const stored = OpenedSession.openedBy(this, loaded.session)?.stored ?? null;
    const save = () => this.#save(loaded);
    // Only changes wait in line: an unchanged session (rule 2) writes at most a restart of its time
    // to live, which no other commit's write can conflict with.
    const queued = stored !== null && loaded.session.modified;
    return withSessionHeaders(reply, accessed, await (queued ? this.#oneAtATime(stored.id, save) : save()));
  }

  /**
   * Runs the commits of one session one after another within this process. Compare-and-set alone
   * would be correct, but thirty requests of one page racing each other would retry in rounds;
   * queueing them here leaves CAS to catch only the writers in *other* processes.
   */
  async #oneAtATime<T>(id: string, action: () => Promise<T>): Promise<T> {
    const previous = this.#commits.get(id) ?? Promise.resolve();
    const run = previous.then(action, action);
    const tail = run.catch(() => {});
    this.#commits.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.#commits.get(id) === tail) this.#commits.delete(id);
    }
  }

  /**
   * The record this request read, written out as the store keeps it, and its size in bytes; both
   * `null` when it read none (no session yet, or a refused cookie). What the request changes is
   * not in it until it is written.
   */
  inspect(loaded: LoadedSession): SessionInspection {
    const read = loaded.record ?? null;
    const storedRecord = read === null ? null : this.#records.encode(read);
    const storedBytes = storedRecord === null ? null : Buffer.byteLength(storedRecord);
    const cookieExpiresAt = cookieExpiry(loaded, this.#settings, this.#now());
    return { type: this.#store.name, cookieHolds: 'id', protection: 'signed', storedBytes, storedRecord, cookieExpiry: cookieExpiresAt };
  }

  /** Applies the four rules of the module header; returns the Set-Cookie value, or null. */
  async #save({ session, incoming, secureRequest }: LoadedSession): Promise<string | null> {
    const stored = OpenedSession.openedBy(this, session)?.stored ?? null;
    // 1. Emptied: destroy the record and the cookie. Only a record that was still there: if it had
    //    gone already (a parallel login moved the session to a new id, whose cookie the browser
    //    now holds), a deletion from this reply would delete that newer cookie.
    if (session.size === 0) {
      if (!session.modified) return null;
      if (stored !== null) {
        const stillThere = (await this.#store.get(stored.id)) !== null;
        await this.#store.destroy(stored.id);
        if (!stillThere) return null;
      }
      return serializeSetCookie(deletionCookie(this.#settings, secureRequest));
    }
    const ttl = this.#ttl(session.permanent);
    const rotateKey = incoming.keyIndex !== null && incoming.keyIndex > 0;
    const refresh = session.permanent && this.#settings.refreshEachRequest;
    // 2. Unchanged: restart its time to live; re-send the cookie only to slide or re-sign it.
    if (!session.modified && stored !== null) {
      const slides = !session.permanent || this.#settings.refreshEachRequest;
      if (slides) await this.#store.touch(stored.id, ttl);
      return refresh || rotateKey ? this.#cookieFor(stored.id, session.permanent, secureRequest) : null;
    }
    // 3. New, or regenerating: a fresh id, then the old record goes. Every record written under a
    //    fresh id counts against the client's limit, regenerating included: requests sent in
    //    parallel with one cookie would each regenerate it, and each leave a record behind.
    if (stored === null || session.regenerateRequested) {
      this.#countNewSession(session);
      const id = newSessionId().toString('base64url');
      const createdAt = session.creationTimeToSave(Math.floor(this.#now() / 1000));
      const written = await this.#store.set(id, { data: session.toObject(), permanent: session.permanent, version: 1, createdAt }, ttl, null);
      // 256 random bits never collide; if they did, the store's CAS caught it and this is a bug.
      if (!written) throw new Error(`session store ${this.#store.name} already had a record for a fresh random id`);
      if (stored !== null) await this.#store.destroy(stored.id);
      return this.#cookieFor(id, session.permanent, secureRequest);
    }
    // 4. Changed: compare-and-set, merging this request's changes onto a newer record on conflict.
    //    A record that vanished meanwhile gets no cookie at all (see the module header).
    const saved = await this.#writeMerging(session, stored);
    if (!saved) return null;
    const flagChanged = session.changes().permanent;
    return flagChanged || refresh || rotateKey ? this.#cookieFor(stored.id, session.permanent, secureRequest) : null;
  }

  /** Rule 4. Returns false when the record vanished meanwhile: the session was ended elsewhere. */
  async #writeMerging(session: Session, stored: StoredState): Promise<boolean> {
    let expected = stored.version;
    let data: Record<string, JsonValue> = session.toObject();
    let permanent = session.permanent;
    let createdAt = stored.createdAt;
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      if (await this.#store.set(stored.id, { data, permanent, version: expected + 1, createdAt }, this.#ttl(permanent), expected)) return true;
      const newer = await this.#store.get(stored.id);
      if (newer === null) return false;
      ({ data, permanent } = applyChanges(newer, session));
      ({ version: expected, createdAt } = newer);
      // Another process is writing too: a short random pause keeps the two from colliding in step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
    }
    throw new HttpError(503, `the session was changed by ${MAX_WRITE_ATTEMPTS} other requests while this one saved it; try again`, { 'Retry-After': '1' });
  }

  /** Throws TooManyNewSessionsError when this session's client has used up its new sessions. */
  #countNewSession(session: Session): void {
    const client = OpenedSession.openedBy(this, session)?.client ?? null;
    if (this.#newSessionLimit === null || client === null) return;
    const wait = this.#newSessionLimit.take(client);
    if (wait > 0) throw new TooManyNewSessionsError(this.#newSessionLimit.perMinute, wait);
  }

  #ttl(permanent: boolean): number {
    return permanent ? this.#settings.lifetimeSeconds : this.#idleLifetimeSeconds;
  }

  #cookieFor(id: string, permanent: boolean, secureRequest: boolean): string {
    const value = this.#signer.sign(this.#settings.name, Buffer.from(id, 'base64url'));
    return serializeSetCookie(sessionCookie(this.#settings, value, permanent, this.#now(), secureRequest));
  }
}

/**
 * The merge rule: start from the newer record and re-apply what this request did. A key this
 * request set takes this request's value; a key it removed is removed; every other key keeps
 * the newer record's value. `permanent` follows this request only if this request changed it.
 */
function applyChanges(newer: SessionRecord, session: Session): { data: Record<string, JsonValue>; permanent: boolean } {
  const changes = session.changes();
  // A Map, not `data[key] = value`: a key named "__proto__" must stay a key.
  const data = new Map(Object.entries(newer.data));
  for (const key of changes.keys) {
    const value = session.get(key);
    if (value === undefined) data.delete(key);
    else data.set(key, value);
  }
  return { data: Object.fromEntries(data), permanent: changes.permanent ? session.permanent : newer.permanent };
}
