/**
 * Memoized cookie codec: remember what a genuine session cookie decoded to, so that the same cookie
 * sent again is neither checked nor parsed again, only dated.
 *
 * What: `MemoizedCookieCodec` is ../session/cookie-session.ts's `NativeCookieCodec` with a bounded
 * map in front of `decode()`. Like the MAC memo (mac-memo.ts), it is keyed by the visible part of a
 * value (up to its signature, or up to the characters of a sealed value's tag) and keeps the
 * signature, compared in constant time. With it, it keeps the decoded session (flag, login time,
 * data) and what the protector's check found: the cookie name, the signing time and which key. On
 * a miss it runs the plain `decode()` (`super.decode()`) and remembers the result. On a hit, over
 * the memoized signer or sealer, it runs only the last step of their check, the age
 * (`recheckAge()`); over a plain Signer or Sealer, or a subclass of any of the four, it runs the
 * protector's whole check, as before. A protector of any other kind has a format this chapter does
 * not know, and every decode is the plain one. `memoEntries: 0` turns it off.
 *
 * Why: a browser sends the same cookie with every request. Decoding it again (base64url,
 * JSON.parse, the shape checks) was an eighth of a request with a session (in-process A/B: 12.4 →
 * 10.6 µs per request). Checking it again through the MAC memo as well cost a second map lookup, a
 * copy of the payload and the message built anew: a sixth of what the library does for such a
 * request (29,100 → 24,300 instructions in process, counted). The library's bench page, same time,
 * both orders: 1.04× and 1.05× the requests/s (docs/performance.md, "The fourth round").
 *
 * The rules it must keep, each tested by running the plain and the memoized codec on the same
 * cookies and requiring the same answers (test/fast/memoized-cookie-codec.test.ts):
 * - tamper rejection: a value is remembered only once the plain `decode()`, the protector's whole
 *   check included, accepted it; a hit needs the same visible part, the same signature byte for
 *   byte, and the same cookie name (the signature covers the name: the same value under another
 *   name is forged). Anything else gets the plain `decode()`. The payload is a function of the
 *   value (the base64url text, or the one plaintext GCM opens it to), so a hit returns what a miss
 *   would;
 * - expiry: the same bytes under the same keys verify the same way at any time except for their
 *   age, so the age is checked on every hit, by the protector's own step (`recheckAge()`: the plain
 *   `checkAge()` with its clock and allowed skew), with this request's maximum age. Only the
 *   memoized signer and sealer themselves are trusted with that: a subclass may check more in
 *   `unprotect()` (a list of revoked sessions, say), which a hit must not skip;
 * - key rotation: a Signer's or Sealer's keys are fixed when it is made, so the key that verified
 *   a value verifies it on every later request: the index is remembered with it, and a value
 *   signed with an old key is reported (and re-signed by the session layer) on every request;
 * - constant time: keyed by what the cookie shows in clear; the signature is compared with
 *   `timingSafeEqual`, never used as a key (a Map compares its keys character by character);
 * - no shared state between requests: only data whose values are strings, numbers, booleans or null
 *   is kept, frozen, and the signing time as a number (each hit gets a Date of its own). Each
 *   request's Session copies the data into its own map, so nothing one request changes reaches the
 *   next (a nested object could be changed in place, so such data is decoded afresh every time).
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
import { sameSignature } from './mac-memo.js';
import { MemoizedSealer, tagStartOf } from './memoized-sealer.js';
import { MemoizedSigner, signatureDot } from './memoized-signer.js';
import { NativeCookieCodec, type CookieSessionData } from '../session/cookie-session.js';
import type { JsonValue } from '../session/session.js';
import { Sealer } from '../signing/sealer.js';
import { Signer, type ValueProtector } from '../signing/signer.js';

/** As many as the MAC memo (mac-memo.ts): the browsers active in the last few seconds. */
export const DEFAULT_DECODED_MEMO_ENTRIES = 1024;

export interface MemoizedCookieCodecOptions {
  /** How many decoded cookies to keep: DEFAULT_DECODED_MEMO_ENTRIES if unset; 0 turns the memo off. */
  readonly memoEntries?: number;
}

/** What is kept for a value, under its visible part: the rest of it, the session, and what its check found. */
interface DecodedCookie extends CookieSessionData {
  /** The cookie name it was checked under: the signature (or seal) covers it. */
  readonly name: string;
  /** The value's signature (or the characters of its tag), compared in constant time on a hit. */
  readonly signature: Buffer;
  /** The signing time in seconds: a number, so that nothing a request does to its Date reaches the memo. */
  readonly signedAtSeconds: number;
  readonly keyIndex: number;
}

export class MemoizedCookieCodec extends NativeCookieCodec {
  readonly #protector: ValueProtector;
  readonly #decoded: BoundedMap<string, DecodedCookie> | null;
  /** Where a value's signature or tag begins, in the protector's format; null for a format this chapter does not know. */
  readonly #signatureStart: ((value: string) => number) | null;
  /** Whether a hit needs only the age checked (see the header): the memoized signer or sealer, not a subclass. */
  readonly #datedAlone: MemoizedSigner | MemoizedSealer | null;

  constructor(protector: ValueProtector, options: MemoizedCookieCodecOptions = {}) {
    super(protector);
    this.#protector = protector;
    const entries = options.memoEntries ?? DEFAULT_DECODED_MEMO_ENTRIES;
    this.#decoded = entries === 0 ? null : new BoundedMap(entries, 'MemoizedCookieCodec');
    this.#signatureStart = signatureStartFor(protector);
    const exactClass = Object.getPrototypeOf(protector) as unknown;
    this.#datedAlone = exactClass === MemoizedSigner.prototype || exactClass === MemoizedSealer.prototype ? (protector as MemoizedSigner | MemoizedSealer) : null;
  }

  override decode(name: string, value: string, maxAgeSeconds: number): CookieSessionData & { readonly signedAt: Date; readonly keyIndex: number } {
    const start = this.#decoded === null || this.#signatureStart === null ? -1 : this.#signatureStart(value);
    if (start === -1) return super.decode(name, value, maxAgeSeconds);
    // Keyed by what the cookie shows anyway; the signature is compared in constant time.
    const visible = value.slice(0, start);
    const signature = value.slice(start);
    const known = this.#decoded!.get(visible);
    if (known === undefined || known.name !== name || !sameSignature(signature, known.signature)) {
      const decoded = super.decode(name, value, maxAgeSeconds);
      // Reached only if the plain decode(), the protector's whole check included, accepted the value.
      const signedAtSeconds = decoded.signedAt.getTime() / 1000;
      if (Number.isSafeInteger(signedAtSeconds) && Object.values(decoded.data).every(isPrimitive)) {
        const { permanent, created, keyIndex } = decoded;
        this.#decoded!.set(visible, { permanent, created, data: Object.freeze(decoded.data), name, signature: Buffer.from(signature, 'latin1'), signedAtSeconds, keyIndex });
      }
      return decoded;
    }
    // The same bytes under the same keys verify the same way, except for their age: that alone is
    // checked again by the memoized signer or sealer; any other protector runs its whole check.
    if (this.#datedAlone !== null) {
      const signedAt = this.#datedAlone.recheckAge(known.signedAtSeconds, maxAgeSeconds);
      return { permanent: known.permanent, created: known.created, data: known.data, signedAt, keyIndex: known.keyIndex };
    }
    const verified = this.#protector.unprotect(name, value, maxAgeSeconds);
    return { permanent: known.permanent, created: known.created, data: known.data, signedAt: verified.signedAt, keyIndex: verified.keyIndex };
  }
}

/**
 * Where the signature (Signer: after the last dot) or the tag's characters (Sealer: the last 22)
 * begin, as mac-memo.ts splits them; -1 for a value the memo cannot hold. `null` for any other
 * protector: its format is not known here, so its values are not kept.
 */
function signatureStartFor(protector: ValueProtector): ((value: string) => number) | null {
  if (protector instanceof Signer) {
    return (value) => {
      const dot = signatureDot(value);
      return dot === -1 ? -1 : dot + 1;
    };
  }
  if (protector instanceof Sealer) return tagStartOf;
  return null;
}

/** A JSON value that cannot be changed in place. */
function isPrimitive(value: JsonValue): boolean {
  return value === null || typeof value !== 'object';
}
