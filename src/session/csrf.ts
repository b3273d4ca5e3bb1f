/**
 * CSRF protection: proof that a form post came from a page this site served.
 *
 * What: `CsrfProtection.issue()` gives the token to put in a form's hidden `csrf_token` field (and
 * the cookie that goes with it); `check()` refuses, with a 403, a post whose field does not match its
 * cookie or whose `Origin` / `Sec-Fetch-Site` headers say it came from another site.
 *
 * Why: a browser attaches our cookies to *any* request for our site, including a form that another
 * site auto-submits. Without a check, evil.example could log a visitor out, or worse, log them in as
 * the attacker ("login CSRF": the victim then types their data into the attacker's account).
 * `SameSite=Lax` on the session cookie already stops most cross-site posts; this is the defence that
 * does not depend on the browser's cookie policy.
 *
 * Design: the *signed double-submit cookie*. The login form needs a token before any session exists,
 * and creating a server-side session for every visitor of /login would let anyone fill the store.
 * So the token lives in its own cookie, `<session cookie name>_csrf`: 32 random bytes, signed with a
 * key of its own (salt `scratchpad.csrf`), HttpOnly, `SameSite=Strict`. The form carries the same
 * token in the hidden field. Another site can make the browser *send* our cookie, but cannot *read*
 * it, so it cannot put the matching value in its form. The signature means a token cannot be planted
 * by someone who does not hold the secret key. Tokens are compared with `timingSafeEqual`.
 *
 * A client that GETs the form, keeps its cookies and posts the hidden fields back, as a browser does
 * and as `curl -c jar -b jar` does, passes without knowing any of this.
 *
 * Spec: OWASP Cross-Site Request Forgery Prevention Cheat Sheet ("Signed Double-Submit Cookie",
 * "Verifying Origin With Standard Headers"); Fetch Metadata (`Sec-Fetch-Site`, W3C Fetch Metadata
 * Request Headers §2.4); RFC 6454 §7 (`Origin`).
 *
 * Not here: protecting GET requests, which must not change state. The demo keeps Flask's
 * `GET /logout` for fidelity with the example, and that is exactly why a real application would not:
 * any `<img src=/logout>` on any site logs the visitor out.
 *
 * Read next: store.ts, for what changes when the data moves to the server.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { readCookie, serializeSetCookie } from '../http/cookie.js';
import type { FormFields } from '../http/form.js';
import { HttpError } from '../http/http-error.js';
import { SignatureError, Signer, type SignerOptions } from '../signing/signer.js';

export const CSRF_FIELD = 'csrf_token';
const TOKEN_BYTES = 32;

export interface CsrfOptions {
  /** Secret keys, current first: the same list as the session's; the salt keeps the keys apart. */
  readonly secrets: readonly string[];
  /** The session cookie's name; the CSRF cookie is called `<name>_csrf` and shares its prefix rules. */
  readonly sessionCookieName: string;
  readonly path: string;
  /** As SESSION_COOKIE_SECURE: `true`, `false`, or `'auto'` (Secure exactly over HTTPS). */
  readonly secure: boolean | 'auto';
  /** How long a token stays valid. */
  readonly maxAgeSeconds: number;
  readonly now?: () => number;
  /**
   * Builds the token signer from its options (the salt is this module's). Default: a plain
   * `Signer`; session/backend.ts's `newSigner` gives the memoized one of ../fast/.
   */
  readonly newSigner?: (options: SignerOptions) => Signer;
}

/** What a page with a form needs: the token for the hidden field, and a cookie to set if new. */
export interface IssuedToken {
  readonly token: string;
  readonly setCookie: string | null;
}

export class CsrfProtection {
  readonly #signer: Signer;
  readonly #cookieName: string;
  readonly #path: string;
  readonly #secure: boolean | 'auto';
  readonly #maxAgeSeconds: number;

  constructor(options: CsrfOptions) {
    const signerOptions = { secrets: options.secrets, salt: 'scratchpad.csrf', ...(options.now === undefined ? {} : { now: options.now }) };
    this.#signer = options.newSigner?.(signerOptions) ?? new Signer(signerOptions);
    this.#cookieName = `${options.sessionCookieName}_csrf`;
    this.#path = options.path;
    this.#secure = options.secure;
    this.#maxAgeSeconds = options.maxAgeSeconds;
  }

  get cookieName(): string {
    return this.#cookieName;
  }

  /**
   * The token for this browser: the one its cookie already holds, so that several open tabs keep
   * working, or a new one with the cookie that carries it. `secureRequest`: came over HTTPS.
   */
  issue(cookieHeader: string | undefined, secureRequest: boolean): IssuedToken {
    const existing = this.#tokenFromCookie(cookieHeader);
    if (existing !== null) return { token: existing.toString('base64url'), setCookie: null };
    const token = randomBytes(TOKEN_BYTES);
    const setCookie = serializeSetCookie({
      name: this.#cookieName,
      value: this.#signer.sign(this.#cookieName, token),
      path: this.#path,
      httpOnly: true,
      secure: this.#secure === 'auto' ? secureRequest : this.#secure,
      // Strict: the cookie is only needed when our own page posts to us.
      sameSite: 'Strict',
    });
    return { token: token.toString('base64url'), setCookie };
  }

  /**
   * Throws `HttpError` 403 unless the post comes from our own origin and carries the token of its
   * cookie. Cheap header checks first; the token last.
   */
  check(request: IncomingMessage, form: FormFields, ownOrigin: string | null): void {
    checkSameOrigin(request, ownOrigin);
    // 3. The token: the field must match the signed cookie.
    const expected = this.#tokenFromCookie(request.headers.cookie);
    if (expected === null) {
      throw new HttpError(403, 'the CSRF cookie is missing or invalid: reload the form (with cookies enabled) and send it again');
    }
    const sent = form.get(CSRF_FIELD);
    if (sent === null || sent === '') throw new HttpError(403, `the form has no ${CSRF_FIELD} field: reload the form and send it again`);
    // Exactly the spelling issue() writes. Node's decoder skips what is not base64 and ignores
    // padding and the unused low bits of the last character, so `token!!`, `token=` and a few
    // other texts would decode to the same bytes: a token is accepted only if it is its bytes'
    // one encoding, as the session cookie's parts are.
    const decoded = Buffer.from(sent, 'base64url');
    const sentBytes = decoded.toString('base64url') === sent ? decoded : Buffer.alloc(0);
    if (sentBytes.length !== expected.length || !timingSafeEqual(sentBytes, expected)) {
      throw new HttpError(403, `the form's ${CSRF_FIELD} does not match its cookie: reload the form and send it again`);
    }
  }

  #tokenFromCookie(cookieHeader: string | undefined): Buffer | null {
    const value = readCookie(cookieHeader, this.#cookieName);
    if (value === undefined) return null;
    try {
      const { payload } = this.#signer.verify(this.#cookieName, value, this.#maxAgeSeconds);
      return payload.length === TOKEN_BYTES ? payload : null;
    } catch (error) {
      if (error instanceof SignatureError) return null;
      throw error;
    }
  }
}

/**
 * Steps 1 and 2 of `check()`, alone: throws `HttpError` 403 when the browser says the request came
 * from another site. Enough by itself for a JSON API that also insists on `application/json`
 * (../http/json-body.ts): another site cannot send that type at all without our permission, so
 * no token is needed, only proof that a same-site page did not lie about where it is.
 */
export function checkSameOrigin(request: IncomingMessage, ownOrigin: string | null): void {
  // 1. Fetch Metadata: modern browsers say where a request comes from, and scripts cannot lie.
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(403, `cross-site requests that change a session are refused (Sec-Fetch-Site: ${site})`);
  }
  // 2. Origin: sent by browsers on every POST; it must be ours.
  const origin = request.headers.origin;
  if (origin !== undefined && (origin === 'null' || origin.toLowerCase() !== ownOrigin)) {
    throw new HttpError(403, `requests from another origin are refused (Origin: ${origin})`);
  }
}
