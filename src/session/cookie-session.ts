/**
 * Client-side sessions: the whole session, signed, inside the cookie itself.
 *
 * What: `CookieSessionInterface` opens a `Session` from the session cookie and, after the handler,
 * commits it back as a new `Set-Cookie` when (and only when) Flask's rules say so.
 *
 * Why: this is Flask's default, and the simplest session there is: the server stores nothing, so it
 * needs no database and any number of servers can share the load. The price, which the demo's
 * inspector shows on every page:
 * - the user can *read* the data (it is only base64url-encoded JSON): never store a secret in it;
 * - the server cannot *revoke* it: a copied cookie stays valid until its signature expires, even
 *   after "logout" on the original browser (server-side sessions fix this; see store.ts);
 * - it must fit in 4096 bytes, name included, or the browser silently drops it.
 *
 * The cookie value, built by `encode()` and read back by `decode()`:
 *   base64url(JSON {"permanent":…,"created":…,"data":{…}}) "." timestamp "." HMAC-SHA256 signature
 * The permanent flag and the login time travel inside the signed payload, so a client can neither
 * promote its own session nor extend it past SESSION_ABSOLUTE_LIFETIME.
 *
 * Spec: the rules are Flask's `SecureCookieSessionInterface` (flask/sessions.py), pinned down by
 * test/session/cookie-session.test.ts. The cookie attributes follow RFC 6265 §4.1.2.
 *
 * Not here: signing (../signing/signer.ts), header syntax (../http/cookie.ts).
 *
 * Read next: flask-codec.ts, the same session in the cookie Flask writes.
 */
import { CookieTooLargeError, readCookie, serializeSetCookie } from '../http/cookie.js';
import type { Reply } from '../http/reply.js';
import { SignatureError, type ValueProtector } from '../signing/signer.js';
import {
  absoluteLifetimeExceeded,
  NO_COOKIE,
  Session,
  SessionTooLargeError,
  type JsonValue,
  type LoadedSession,
  type SessionCookieSettings,
  type SessionInspection,
  type SessionInspector,
  type SessionInterface,
} from './session.js';
import { cookieExpiry, deletionCookie, sessionCookie, withSessionHeaders } from './session-cookie.js';

/** The verified payload did not hold a session: only possible if a holder of our key signed garbage. */
export class MalformedSessionPayload extends Error {
  override name = 'MalformedSessionPayload';
}

/** A session as a cookie carries it, before it becomes a `Session`. */
export interface CookieSessionData {
  readonly permanent: boolean;
  /** Login time in seconds since the epoch, or `null` for formats that do not carry one (Flask's). */
  readonly created: number | null;
  readonly data: Readonly<Record<string, JsonValue>>;
}

/**
 * How a session is written into a cookie value and read back: Scratchpad's own format (below) or
 * Flask's (flask-codec.ts). `decode()` throws a `SignatureError` or `MalformedSessionPayload`.
 */
export interface SessionCookieCodec {
  readonly format: 'native' | 'flask';
  readonly protection: 'signed' | 'encrypted';
  encode(name: string, session: CookieSessionData): string;
  decode(name: string, value: string, maxAgeSeconds: number): CookieSessionData & { readonly signedAt: Date; readonly keyIndex: number };
}

/** Scratchpad's format: base64url(JSON {permanent, created, data}), signed or sealed by `protector`. */
export class NativeCookieCodec implements SessionCookieCodec {
  readonly format = 'native';
  readonly #protector: ValueProtector;

  constructor(protector: ValueProtector) {
    this.#protector = protector;
  }

  get protection(): 'signed' | 'encrypted' {
    return this.#protector.protection;
  }

  encode(name: string, session: CookieSessionData): string {
    return this.#protector.protect(name, JSON.stringify({ permanent: session.permanent, created: session.created, data: session.data }));
  }

  decode(name: string, value: string, maxAgeSeconds: number): CookieSessionData & { readonly signedAt: Date; readonly keyIndex: number } {
    // 1. Check the signature (or open the seal) and the age: nothing unverified is parsed.
    const verified = this.#protector.unprotect(name, value, maxAgeSeconds);
    // 2. Read the session out of the payload, checking its shape.
    const { permanent, created, data } = decodePayload(verified.payload);
    return { permanent, created, data, signedAt: verified.signedAt, keyIndex: verified.keyIndex };
  }
}

export class CookieSessionInterface implements SessionInterface, SessionInspector {
  readonly #settings: SessionCookieSettings;
  readonly #codec: SessionCookieCodec;
  readonly #now: () => number;

  /**
   * `format` is a codec, or a ValueProtector for the native format: a Signer (readable cookies) or
   * a Sealer (SESSION_COOKIE_ENCRYPT=true).
   */
  constructor(settings: SessionCookieSettings, format: SessionCookieCodec | ValueProtector, now: () => number = Date.now) {
    this.#settings = settings;
    this.#codec = 'decode' in format ? format : new NativeCookieCodec(format);
    this.#now = now;
  }

  async open(cookieHeader: string | undefined, secureRequest = false): Promise<LoadedSession> {
    const name = this.#settings.name;
    const value = readCookie(cookieHeader, name);
    if (value === undefined) return { session: new Session(), incoming: NO_COOKIE, secureRequest };
    // Measured as browsers measure it (RFC 6265bis): name plus value, without the "=".
    const bytes = name.length + value.length;
    try {
      // Every session, volatile or permanent, is refused once older than the lifetime (Flask's rule).
      const verified = this.#codec.decode(name, value, this.#settings.lifetimeSeconds);
      const { permanent, created, data } = verified;
      // However often it was refreshed, a session ends SESSION_ABSOLUTE_LIFETIME after login
      // (in formats that carry the login time).
      const tooOld = created === null ? null : absoluteLifetimeExceeded(created, this.#settings, this.#now());
      if (tooOld !== null) {
        return { session: new Session(), incoming: { present: true, bytes, rejection: tooOld, signedAt: null, keyIndex: null }, secureRequest };
      }
      return {
        session: new Session(Object.entries(data), { permanent, isNew: false, createdAt: created }),
        incoming: { present: true, bytes, rejection: null, signedAt: verified.signedAt, keyIndex: verified.keyIndex },
        secureRequest,
      };
    } catch (error) {
      // The one place where a bad cookie becomes "no session": the page works, logged out, and the
      // reason is kept for the inspector and the access log instead of being thrown away.
      if (!(error instanceof SignatureError || error instanceof MalformedSessionPayload)) throw error;
      const rejection = `${error.name}: ${error.message}`;
      return { session: new Session(), incoming: { present: true, bytes, rejection, signedAt: null, keyIndex: null }, secureRequest };
    }
  }

  async commit(loaded: LoadedSession, reply: Reply): Promise<Reply> {
    // Read before anything below reads the session (which would set `accessed` itself).
    const accessed = loaded.session.accessed;
    return withSessionHeaders(reply, accessed, this.#setCookieFor(loaded));
  }

  inspect(loaded: LoadedSession): SessionInspection {
    const cookieExpiresAt = cookieExpiry(loaded, this.#settings, this.#now());
    return { type: 'cookie', cookieHolds: 'data', protection: this.#codec.protection, storedBytes: null, storedRecord: null, cookieExpiry: cookieExpiresAt };
  }

  /** The `Set-Cookie` value this response needs, or `null` for none. Flask's `save_session`. */
  #setCookieFor({ session, incoming, secureRequest }: LoadedSession): string | null {
    // 1. An empty session needs no cookie. If it just became empty (logout), delete the cookie,
    //    even a permanent one: Flask would keep re-sending `_permanent` alone; we leave nothing.
    if (session.size === 0) {
      return session.modified ? serializeSetCookie(deletionCookie(this.#settings, secureRequest)) : null;
    }
    // 2. Otherwise write only when something changed, when a permanent session slides forward,
    //    or when an old key signed it (re-signing with the current key lets the old key retire).
    const rotate = incoming.keyIndex !== null && incoming.keyIndex > 0;
    if (!session.modified && !(session.permanent && this.#settings.refreshEachRequest) && !rotate) return null;
    // 3. Encode, sign, and describe the cookie.
    const created = session.creationTimeToSave(Math.floor(this.#now() / 1000));
    const value = this.#codec.encode(this.#settings.name, { permanent: session.permanent, created, data: session.toObject() });
    const cookie = sessionCookie(this.#settings, value, session.permanent, this.#now(), secureRequest);
    // 4. Check the size: throwing here leaves the reply without any Set-Cookie, so the browser
    //    keeps its previous cookie and the user their previous session.
    try {
      return serializeSetCookie(cookie);
    } catch (error) {
      if (error instanceof CookieTooLargeError) throw new SessionTooLargeError(error.bytes, error.limit);
      throw error;
    }
  }
}

/**
 * The native payload is JSON with the flag and the login time beside the data, so all three are
 * covered by the signature: a client can neither make its session permanent nor make it younger.
 * This reads it back, checking the shape instead of trusting it.
 */
function decodePayload(payload: Buffer): { permanent: boolean; created: number; data: Record<string, JsonValue> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new MalformedSessionPayload('session payload is not JSON');
  }
  if (
    !isPlainObject(parsed) ||
    typeof parsed['permanent'] !== 'boolean' ||
    !Number.isSafeInteger(parsed['created']) ||
    !isPlainObject(parsed['data'])
  ) {
    throw new MalformedSessionPayload('session payload is not {"permanent": boolean, "created": seconds, "data": object}');
  }
  return { permanent: parsed['permanent'], created: parsed['created'] as number, data: parsed['data'] as Record<string, JsonValue> };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
