/**
 * Session: the data one browser carries from request to request, and the rules for saving it.
 *
 * What: the `Session` object a handler reads and writes (`get`, `set`, `delete`, `has`, `clear`,
 * `permanent`), which remembers whether it was read (`accessed`) or changed (`modified`); and the
 * `SessionInterface` every session backend implements: `open()` a session from the request's
 * cookie, `commit()` it onto the reply.
 *
 * Why: HTTP forgets everything between requests. A session is how a server recognises the same
 * browser again: it leaves one cookie, and every later request brings it back. The handler should
 * not have to know where the data lives (in the cookie itself, or in a store keyed by the cookie),
 * so it only ever sees this object; the two flags let the backend save only what needs saving:
 * - `modified` decides whether a new cookie (or store write) is needed at all;
 * - `accessed` decides whether the response depends on the cookie, so caches must be told
 *   (`Vary: Cookie`) and must not keep it.
 *
 * Volatile and permanent, the lesson of this project:
 * - volatile (`permanent = false`, the default): the cookie is sent with no `Max-Age` and no
 *   `Expires`, so the browser keeps it only until it closes. Flask calls this a non-permanent session.
 * - permanent (`permanent = true`): the cookie carries `Max-Age` (31 days by default), so it
 *   survives browser restarts until then. The "Remember me" box on the login form sets this.
 * Either way the server also refuses cookies older than that lifetime, from the signed timestamp:
 * a browser that restores its last session restores volatile cookies too, so "dies with the
 * browser" is a wish the server cannot rely on.
 *
 * Spec: none; these are Flask's rules (flask/sessions.py: `SessionMixin`, `should_set_cookie`,
 * `save_session`), which the tests pin down. Caching: RFC 9111 §5.2.2.5 (no-store), RFC 9110 §12.5.5 (Vary).
 *
 * Not here: the encoding (cookie-session.ts), cookies on the wire (../http/cookie.ts).
 *
 * Read next: session-cookie.ts, how every backend writes the cookie itself.
 */
import type { SameSite } from '../http/cookie.js';
import { HttpError } from '../http/http-error.js';
import type { Reply } from '../http/reply.js';
import { formatSeconds } from '../signing/signer.js';
import type { SessionRecord } from './store.js';

/** What a session can hold: anything that survives `JSON.stringify` and `JSON.parse` unchanged. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export class Session {
  readonly #data: Map<string, JsonValue>;
  #permanent: boolean;
  #modified = false;
  #accessed = false;
  /** Keys set or removed by this request: what a server-side store re-applies after a conflict. */
  readonly #changedKeys = new Set<string>();
  #permanentChanged = false;
  #regenerate = false;
  /** True when no valid session cookie came with the request. */
  readonly isNew: boolean;
  /**
   * When this session began (the login that `regenerate()` marks), in whole seconds since the
   * epoch; `null` until it is first saved. SESSION_ABSOLUTE_LIFETIME is counted from here.
   */
  readonly createdAt: number | null;

  constructor(
    data: Iterable<readonly [string, JsonValue]> = [],
    options: { permanent?: boolean; isNew?: boolean; createdAt?: number | null } = {},
  ) {
    this.#data = new Map(data);
    this.#permanent = options.permanent ?? false;
    this.isNew = options.isNew ?? true;
    this.createdAt = options.createdAt ?? null;
  }

  /** The creation time to save: now for a new or regenerated session, otherwise unchanged. */
  creationTimeToSave(nowSeconds: number): number {
    return this.createdAt === null || this.#regenerate ? nowSeconds : this.createdAt;
  }

  /** True once anything was changed: only a modified session needs a new cookie. */
  get modified(): boolean {
    return this.#modified;
  }

  /** True once anything was read or changed: the response then depends on the cookie. */
  get accessed(): boolean {
    return this.#accessed;
  }

  /** Permanent sessions outlive the browser (the cookie has `Max-Age`); volatile ones do not. */
  get permanent(): boolean {
    return this.#permanent;
  }

  set permanent(value: boolean) {
    if (value !== this.#permanent) {
      this.#modified = true;
      this.#permanentChanged = true;
    }
    this.#permanent = value;
  }

  /**
   * Asks for a new session id, keeping the data: call it when the user's privileges change, above
   * all at login. Otherwise an attacker who planted a known id in the victim's browser before login
   * ("session fixation") would share the logged-in session. A server-side backend issues the new id
   * and destroys the old record; a cookie session has no id, and simply writes a new cookie.
   */
  regenerate(): void {
    this.#regenerate = true;
    this.#modified = true;
  }

  /** Whether `regenerate()` was called. */
  get regenerateRequested(): boolean {
    return this.#regenerate;
  }

  /** What this request changed: the keys set or removed, and whether `permanent` changed. */
  changes(): { readonly keys: ReadonlySet<string>; readonly permanent: boolean } {
    return { keys: new Set(this.#changedKeys), permanent: this.#permanentChanged };
  }

  /**
   * The value stored under `key`, or `undefined`. Like Flask, a change made *inside* a returned
   * object or array is not noticed: call `set()` again with the changed value.
   */
  get(key: string): JsonValue | undefined {
    this.#accessed = true;
    return this.#data.get(key);
  }

  has(key: string): boolean {
    this.#accessed = true;
    return this.#data.has(key);
  }

  set(key: string, value: JsonValue): void {
    assertJsonValue(value, key);
    this.#accessed = true;
    this.#modified = true;
    this.#changedKeys.add(key);
    this.#data.set(key, value);
  }

  /** Removes `key`. Removing a key that is not there changes nothing and is not a modification. */
  delete(key: string): boolean {
    this.#accessed = true;
    const existed = this.#data.delete(key);
    if (existed) {
      this.#modified = true;
      this.#changedKeys.add(key);
    }
    return existed;
  }

  /** Removes every key. */
  clear(): void {
    this.#accessed = true;
    if (this.#data.size > 0) this.#modified = true;
    for (const key of this.#data.keys()) this.#changedKeys.add(key);
    this.#data.clear();
  }

  get size(): number {
    this.#accessed = true;
    return this.#data.size;
  }

  keys(): string[] {
    this.#accessed = true;
    return [...this.#data.keys()];
  }

  /** A plain-object copy of the data, for encoding or display. */
  toObject(): Record<string, JsonValue> {
    this.#accessed = true;
    // Object.fromEntries defines own properties, so a key named "__proto__" stays a plain key.
    return Object.fromEntries(this.#data);
  }
}

/**
 * Refuses values that JSON would silently change: `undefined` and functions vanish, `NaN`
 * becomes `null`, a `Date` becomes a string, a `Map` becomes `{}`. Better a clear error at
 * `set()` than a different value on the next request.
 */
function assertJsonValue(value: unknown, path: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return;
    throw new TypeError(`session value ${path} must be a finite number, got ${value}`);
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => assertJsonValue(item, `${path}[${index}]`));
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) assertJsonValue(item, `${path}.${key}`);
    return;
  }
  const kind = typeof value === 'object' ? Object.prototype.toString.call(value) : typeof value;
  throw new TypeError(`session value ${path} must be JSON (null, boolean, number, string, array or plain object), got ${kind}`);
}

/** How the session cookie is written; resolved once from the configuration (../config.ts). */
export interface SessionCookieSettings {
  readonly name: string;
  readonly domain?: string;
  readonly path: string;
  readonly httpOnly: boolean;
  /**
   * SESSION_COOKIE_SECURE: send the cookie over HTTPS only.
   * - `true` / `false`: always / never set `Secure`;
   * - `'auto'` (behind TRUST_PROXY when the variable is unset): set it exactly when the request
   *   came over HTTPS, as the proxy's X-Forwarded-Proto says.
   */
  readonly secure: boolean | 'auto';
  readonly sameSite: SameSite;
  /** SESSION_COOKIE_PARTITIONED: CHIPS, one cookie jar per top-level site (requires Secure). */
  readonly partitioned: boolean;
  /**
   * PERMANENT_SESSION_LIFETIME in seconds: the `Max-Age` of a permanent session's cookie, and the
   * oldest signature the server accepts for any session, permanent or volatile.
   */
  readonly lifetimeSeconds: number;
  /**
   * SESSION_REFRESH_EACH_REQUEST: re-send a permanent session's cookie on every response, so it
   * expires `lifetimeSeconds` after the *last* visit rather than after the last change.
   */
  readonly refreshEachRequest: boolean;
  /**
   * SESSION_ABSOLUTE_LIFETIME in seconds: the most a session may live from login, however often it
   * is refreshed. Sliding lifetimes alone let a stolen cookie that is used daily live forever.
   */
  readonly absoluteLifetimeSeconds: number;
}

/**
 * Why a session past SESSION_ABSOLUTE_LIFETIME is refused, or `null` while it is within it.
 * Both backends call it right after reading a session's creation time.
 */
export function absoluteLifetimeExceeded(createdAt: number, settings: SessionCookieSettings, nowMilliseconds: number): string | null {
  const age = Math.floor(nowMilliseconds / 1000) - createdAt;
  if (age <= settings.absoluteLifetimeSeconds) return null;
  return `SessionTooOld: this session began ${formatSeconds(age)} ago, and SESSION_ABSOLUTE_LIFETIME allows ${formatSeconds(settings.absoluteLifetimeSeconds)}; log in again`;
}

/** What the server knows about the session cookie that came with a request. */
export interface IncomingCookie {
  /** A cookie with the session's name was sent. */
  readonly present: boolean;
  /** Its size as browsers count it against their 4096-byte limit: name plus value. 0 when absent. */
  readonly bytes: number;
  /** Why it was refused ("signature expired 3 d ago …"), or `null` if it was accepted or absent. */
  readonly rejection: string | null;
  /** When an accepted cookie was signed. */
  readonly signedAt: Date | null;
  /** Which key verified it: 0 is the current key, more means a fallback (it gets re-signed). */
  readonly keyIndex: number | null;
}

/** What `open()` reports when the request carried no session cookie at all. */
export const NO_COOKIE: IncomingCookie = Object.freeze({ present: false, bytes: 0, rejection: null, signedAt: null, keyIndex: null });

/** A session together with what the server knew when it opened it. */
export interface LoadedSession {
  readonly session: Session;
  readonly incoming: IncomingCookie;
  /** Whether the request came over HTTPS: decides `Secure` when SESSION_COOKIE_SECURE is auto. */
  readonly secureRequest: boolean;
  /**
   * Server-side sessions only: the record `open()` read from the store for this request, so that
   * nothing needs to ask the store again (the demo's inspector shows it); `null` when it read none
   * (no cookie, or one refused). Read-only: it shares its values with `session`, and with the
   * memory store's memo (../fast/memoized-record-codec.ts) it is frozen and shared by every request
   * that read the same record: copy it to change it. Cookie sessions have no store, and leave it out.
   */
  readonly record?: SessionRecord | null;
}

/**
 * The two steps of every session backend, named after Flask's `SessionInterface`
 * (`open_session`, `save_session`). Between them the handler runs. A backend implements these two
 * and nothing else; `SessionInspector` below is an optional extra.
 */
export interface SessionInterface {
  /**
   * Reads the session from a `Cookie` header. Never throws for a bad cookie: that is "no session".
   * `secureRequest` says whether the request came over HTTPS (see ../http/origin.ts); `client`
   * who sent it (../http/client-address.ts), for backends that limit what one client may create.
   */
  open(cookieHeader: string | undefined, secureRequest?: boolean, client?: string | null): Promise<LoadedSession>;
  /**
   * Returns `reply` plus the headers the session needs (`Set-Cookie`, `Vary`, `Cache-Control`).
   * Throws `SessionTooLargeError` (413) rather than send a cookie the browser would drop, and
   * `SessionStoreUnavailableError` (503) when a store cannot save; sessions.ts turns both into pages.
   */
  commit(loaded: LoadedSession, reply: Reply): Promise<Reply>;
}

/**
 * Optional: a backend that can say where and how it keeps a session, for a page that explains it
 * (the demo's inspector). Both of Scratchpad's backends implement it; a backend of your own need not.
 */
export interface SessionInspector {
  inspect(loaded: LoadedSession): SessionInspection;
}

/** Whether `sessions` can describe its sessions (implements `SessionInspector`). */
export function isSessionInspector(sessions: SessionInterface): sessions is SessionInterface & SessionInspector {
  return typeof (sessions as Partial<SessionInspector>).inspect === 'function';
}

export interface SessionInspection {
  /** SESSION_TYPE: `cookie`, `memory`, `filesystem`, `redis`, or a custom store's name. */
  readonly type: string;
  /** What the cookie carries: the session data itself, or only a signed id pointing into a store. */
  readonly cookieHolds: 'data' | 'id';
  /** How the cookie's value is protected: signed (readable) or encrypted (SESSION_COOKIE_ENCRYPT). */
  readonly protection: 'signed' | 'encrypted';
  /** The record this request read, as the store keeps it; `null` when it read none, and for cookie sessions. */
  readonly storedRecord: string | null;
  /** The size of `storedRecord` in bytes; `null` with it. */
  readonly storedBytes: number | null;
  /** When the browser will drop the cookie after this response; `null` while it is volatile. */
  readonly cookieExpiry: Date | null;
}

/**
 * The session does not fit in a cookie. A 413, because what the request asked us to store is too
 * large; the previous cookie is left as it was, so the user keeps the session they had.
 */
export class SessionTooLargeError extends HttpError {
  override name = 'SessionTooLargeError';
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      413,
      `the session would be a ${bytes}-byte cookie, and browsers silently drop cookies over ${limit} bytes, so it was not saved; ` +
        'your previous session is unchanged. To keep larger sessions, store them on the server: SESSION_TYPE=memory, filesystem or redis (createSessions({ store }) in an application)',
    );
  }
}
