/**
 * Memoized cookie codec: remember what a genuine session cookie decoded to, so that the same cookie
 * sent again is neither checked nor parsed again, only dated.
 *
 * What: `MemoizedCookieCodec` is ../session/cookie-session.ts's `NativeCookieCodec` with a bounded
 * map from a cookie value to its decoded session (flag, login time, data) and to what the
 * protector's check found (the signing date and which key), in front of `decode()`. On a miss it
 * runs the plain `decode()` (`super.decode()`) and remembers the result. On a hit it runs only
 * the last step of the protector's check, the age, through the memoized signer's or sealer's
 * `recheckAge()` (any other protector runs its whole check, as before). `memoEntries: 0` turns it off.
 *
 * Why: a browser sends the same cookie with every request. Decoding it again (base64url,
 * JSON.parse, the shape checks) was an eighth of a request with a session (in-process A/B: 12.4 →
 * 10.6 µs per request), and checking it again through the MAC memo cost a second map lookup
 * (hashing the value a second time), two buffer copies and a comparison: a quarter of what the
 * library does for such a request (29,100 → 21,800 instructions in process, counted). Measured on
 * the library's bench page, same time, both orders: 1.08× the requests/s (docs/performance.md,
 * "The fourth round").
 *
 * The rules it must keep, each tested by running the plain and the memoized codec on the same
 * cookies and requiring the same answers (test/fast/memoized-cookie-codec.test.ts):
 * - tamper rejection: a value is remembered only once the plain `decode()`, the protector's whole
 *   check included, accepted it, and a Map finds only an equal string, so a hit is that very value,
 *   signature or seal included, under the cookie name it was checked with (the signature covers the
 *   name: the same value under another name is forged). A forged or altered value, or a value under
 *   another name, is never a hit and gets the plain `decode()`. The payload is a function of the value (the base64url text, or the one plaintext
 *   GCM opens it to), so a hit returns what a miss would;
 * - expiry: the same bytes under the same keys verify the same way at any time except for their
 *   age, so the age is checked on every hit, by the protector's own step (`recheckAge()`: the plain
 *   `checkAge()` with the protector's clock and allowed skew), with this request's maximum age;
 * - key rotation: a protector's keys are fixed when it is made, so the key that verified a value
 *   verifies it on every later request: the index is remembered with it, and a value signed with
 *   an old key is reported (and re-signed by the session layer) on every request;
 * - constant time: the lookup compares the whole value, signature included, as a Map compares
 *   strings: by hash first, by content only when the hashes are equal. A forged signature is
 *   compared character by character only if its value's hash equals a remembered value's, which
 *   nobody can aim for without that value (SECURITY.md, "Timing");
 * - no shared state between requests: only data whose values are strings, numbers, booleans or null
 *   is kept, frozen. Each request's Session copies those into its own map, so nothing one request
 *   changes reaches the next (a nested object could be changed in place, so such data is decoded
 *   afresh every time).
 * Bounded: at most DEFAULT_DECODED_MEMO_ENTRIES values (bounded-map.ts); a value is at most 4 KB and
 * its data less, so under 10 MB at worst, whatever is sent.
 *
 * Spec: none beyond ../session/cookie-session.ts.
 *
 * Not here: the format (../session/cookie-session.ts), the check itself (the protector: a Signer or
 * a Sealer, memoized or not; this memo sits in front of the MAC memo, which still answers every
 * miss of this one and every value that is not a session cookie).
 *
 * Read next: lazy-touch-store.ts, the first of three speed-ups for server-side stores.
 */
import { BoundedMap } from './bounded-map.js';
import { NativeCookieCodec, type CookieSessionData } from '../session/cookie-session.js';
import type { JsonValue } from '../session/session.js';
import type { ValueProtector } from '../signing/signer.js';

/** As many as the MAC memo (mac-memo.ts): the browsers active in the last few seconds. */
export const DEFAULT_DECODED_MEMO_ENTRIES = 1024;

export interface MemoizedCookieCodecOptions {
  /** How many decoded cookies to keep: DEFAULT_DECODED_MEMO_ENTRIES if unset; 0 turns the memo off. */
  readonly memoEntries?: number;
}

/**
 * A protector that can run step 5 of its check alone, the age, for a value it accepted before, with
 * its own clock and allowed skew: the memoized signer and sealer. With one, a hit costs a date
 * comparison; with any other protector, its whole check.
 */
export interface AgeRecheck {
  recheckAge(signedAt: Date, maxAgeSeconds: number): Date;
}

/** What is kept for a cookie value: the session, and what its check found (name, date and key). */
interface DecodedCookie extends CookieSessionData {
  /** The cookie name it was checked under: the signature (or seal) covers it. */
  readonly name: string;
  readonly signedAt: Date;
  readonly keyIndex: number;
}

export class MemoizedCookieCodec extends NativeCookieCodec {
  readonly #protector: ValueProtector & Partial<AgeRecheck>;
  readonly #decoded: BoundedMap<string, DecodedCookie> | null;

  constructor(protector: ValueProtector, options: MemoizedCookieCodecOptions = {}) {
    super(protector);
    this.#protector = protector;
    const entries = options.memoEntries ?? DEFAULT_DECODED_MEMO_ENTRIES;
    this.#decoded = entries === 0 ? null : new BoundedMap(entries, 'MemoizedCookieCodec');
  }

  override decode(name: string, value: string, maxAgeSeconds: number): CookieSessionData & { readonly signedAt: Date; readonly keyIndex: number } {
    // A Map finds only an equal string: a hit is this very value, signature or seal included, and
    // it must come under the name it was checked with (the same value under another name is forged).
    const known = this.#decoded?.get(value);
    if (known === undefined || known.name !== name) {
      const decoded = super.decode(name, value, maxAgeSeconds);
      // Reached only if the plain decode(), the protector's whole check included, accepted the value.
      if (this.#decoded !== null && Object.values(decoded.data).every(isPrimitive)) {
        this.#decoded.set(value, { permanent: decoded.permanent, created: decoded.created, data: Object.freeze(decoded.data), name, signedAt: decoded.signedAt, keyIndex: decoded.keyIndex });
      }
      return decoded;
    }
    // The same bytes under the same keys verify the same way, except for their age: that alone is
    // checked again, when the protector can; otherwise its whole check runs.
    if (this.#protector.recheckAge !== undefined) {
      const signedAt = this.#protector.recheckAge(known.signedAt, maxAgeSeconds);
      return { permanent: known.permanent, created: known.created, data: known.data, signedAt, keyIndex: known.keyIndex };
    }
    const verified = this.#protector.unprotect(name, value, maxAgeSeconds);
    return { permanent: known.permanent, created: known.created, data: known.data, signedAt: verified.signedAt, keyIndex: verified.keyIndex };
  }
}

/** A JSON value that cannot be changed in place. */
function isPrimitive(value: JsonValue): boolean {
  return value === null || typeof value !== 'object';
}
