/**
 * Memoized cookie codec: remember what a genuine session cookie decoded to, so that the same cookie
 * sent again is neither checked nor parsed again, only dated.
 *
 * What: `MemoizedCookieCodec` is ../session/cookie-session.ts's `NativeCookieCodec` with a bounded
 * map in front of `decode()`. Like the MAC memo (mac-memo.ts), it is keyed by what a value shows in
 * clear (the cookie name and the value up to its signature, or up to the characters of a sealed
 * value's tag) and keeps the signature, compared in constant time. With it, it keeps the decoded
 * session (flag, login time, data) and what the protector's check found: the signing time and which
 * key. On a miss it runs the plain `decode()` (`super.decode()`) and remembers the result. On a hit
 * over the memoized signer or sealer it runs only the last step of their check, the age
 * (`recheckAge()`); over a plain Signer or Sealer, the protector's whole check. Values of any other
 * protector, a subclass of these four included, are not kept: every decode is the plain one.
 * `memoEntries: 0` turns it off.
 *
 * Why: a browser sends the same cookie with every request. Decoding it again (base64url,
 * JSON.parse, the shape checks) was a seventh of a request with a session (in-process A/B: 12.4 →
 * 10.6 µs per request). Checking it again through the MAC memo as well cost a second map lookup
 * and a copy of the payload: a ninth of what the library does for such a request (29,100 → 26,000
 * instructions in process, counted). The library's bench page, same time, both orders: 1.03× and
 * 1.04× the requests/s (docs/performance.md, "The fourth round").
 *
 * The rules it must keep, each tested by running the plain and the memoized codec on the same
 * cookies and requiring the same answers (test/fast/memoized-cookie-codec.test.ts):
 * - tamper rejection: a value is remembered only once the plain `decode()`, the protector's whole
 *   check included, accepted it; a hit needs the same cookie name and visible part and the same
 *   signature, byte for byte. Anything else gets the plain `decode()`. The payload is a function of
 *   the value for these four protectors (the base64url text, or the one plaintext GCM opens it to),
 *   so a hit returns what a miss would;
 * - expiry: the same bytes under the same keys verify the same way at any time except for their
 *   age, so the age is checked on every hit, by the protector's own step (`recheckAge()`: the plain
 *   `checkAge()` with its clock and allowed skew), with this request's maximum age. Only the
 *   memoized signer and sealer themselves are trusted with that, and only while no method of their
 *   check was replaced on the object: anything that may refuse more (a list of revoked sessions)
 *   or answer otherwise must not be skipped;
 * - key rotation: a Signer's or Sealer's keys are fixed when it is made, so the key that verified
 *   a value verifies it on every later request: the index is remembered with it, and a value
 *   signed with an old key is reported (and re-signed by the session layer) on every request;
 * - constant time: keyed by what the cookie shows in clear; the signature is compared with
 *   `timingSafeEqual`, never used as a key (a Map compares its keys character by character);
 * - no shared state between requests: only data whose values are strings, numbers, booleans or null
 *   is kept, as a frozen copy, and the signing time as a number (each hit gets a Date of its own).
 *   Each request's Session copies the data into its own map, so nothing one request changes reaches
 *   the next (a nested object could be changed in place, so such data is decoded afresh every time).
 * Bounded: at most `memoEntries` values (DEFAULT_DECODED_MEMO_ENTRIES; bounded-map.ts), each kept
 * as new strings and buffers of at most 4 KB, so under 10 MB at worst, whatever is sent.
 *
 * Spec: none beyond ../session/cookie-session.ts.
 *
 * Not here: the format (../session/cookie-session.ts), the check itself (the protector: a Signer or
 * a Sealer, memoized or not; this memo sits in front of the MAC memo, which still answers every
 * miss of this one and every value that is not a session cookie).
 *
 * Read next: memoized-record-codec.ts, the same kind of memo for a server-side session's record.
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
  /** The value's signature (or the characters of its tag), compared in constant time on a hit. */
  readonly signature: Buffer;
  /** The signing time in seconds: a number, so that nothing a request does to its Date reaches the memo. */
  readonly signedAtSeconds: number;
  readonly keyIndex: number;
}

/**
 * The protectors whose values are kept: the four classes of this project exactly, whose check is
 * known to depend on the value and the keys alone. A subclass may check more, or answer with
 * another payload, so it gets the plain decode() every time, as does a protector of any other kind.
 */
interface KnownProtector {
  /** Where a value's signature or tag begins (-1: a value the memo cannot hold). */
  readonly signatureStart: (value: string) => number;
  /** The memoized signer or sealer: a hit needs only the age checked again. `null`: the whole check runs. */
  readonly datesAlone: MemoizedSigner | MemoizedSealer | null;
}

export class MemoizedCookieCodec extends NativeCookieCodec {
  readonly #protector: ValueProtector;
  readonly #decoded: BoundedMap<string, DecodedCookie> | null;
  readonly #known: KnownProtector | null;

  constructor(protector: ValueProtector, options: MemoizedCookieCodecOptions = {}) {
    super(protector);
    this.#protector = protector;
    const entries = options.memoEntries ?? DEFAULT_DECODED_MEMO_ENTRIES;
    this.#decoded = entries === 0 ? null : new BoundedMap(entries, 'MemoizedCookieCodec');
    this.#known = knownProtector(protector);
  }

  override decode(name: string, value: string, maxAgeSeconds: number): CookieSessionData & { readonly signedAt: Date; readonly keyIndex: number } {
    const known = this.#known;
    const start = this.#decoded === null || known === null || !ownChecksOnly(this.#protector) ? -1 : known.signatureStart(value);
    if (start === -1) return super.decode(name, value, maxAgeSeconds);
    // Keyed, as the MAC memo is, by what the cookie shows anyway: its name and the value up to the
    // signature. A new string: a slice of the value would keep the whole Cookie header alive.
    const visible = `${name}=${value.slice(0, start)}`;
    const signature = value.slice(start);
    const kept = this.#decoded!.get(visible);
    if (kept === undefined || !sameSignature(signature, kept.signature)) {
      const decoded = super.decode(name, value, maxAgeSeconds);
      // Reached only if the plain decode(), the protector's whole check included, accepted the value.
      const signedAtSeconds = decoded.signedAt.getTime() / 1000;
      if (Number.isSafeInteger(signedAtSeconds) && Object.values(decoded.data).every(isPrimitive)) {
        // A frozen copy: the caller's own data stays as the plain decode() gives it.
        const { permanent, created, keyIndex } = decoded;
        this.#decoded!.set(visible, { permanent, created, data: Object.freeze({ ...decoded.data }), signature: Buffer.from(signature, 'latin1'), signedAtSeconds, keyIndex });
      }
      return decoded;
    }
    // The same bytes under the same keys verify the same way, except for their age: that alone is
    // checked again by the memoized signer or sealer; a plain one runs its whole check.
    if (known!.datesAlone !== null) {
      const signedAt = known!.datesAlone.recheckAge(kept.signedAtSeconds, maxAgeSeconds);
      return { permanent: kept.permanent, created: kept.created, data: kept.data, signedAt, keyIndex: kept.keyIndex };
    }
    const verified = this.#protector.unprotect(name, value, maxAgeSeconds);
    return { permanent: kept.permanent, created: kept.created, data: kept.data, signedAt: verified.signedAt, keyIndex: verified.keyIndex };
  }
}

/**
 * How values of `protector` are split and rechecked, if it is exactly a Signer or a Sealer, memoized
 * or not (the split is mac-memo.ts's: after a signed value's last dot; a sealed value's last 22
 * characters); `null` for anything else.
 */
function knownProtector(protector: ValueProtector): KnownProtector | null {
  const exactClass = Object.getPrototypeOf(protector) as unknown;
  const signed = (value: string) => {
    const dot = signatureDot(value);
    return dot === -1 ? -1 : dot + 1;
  };
  if (exactClass === MemoizedSigner.prototype) return { signatureStart: signed, datesAlone: protector as MemoizedSigner };
  if (exactClass === Signer.prototype) return { signatureStart: signed, datesAlone: null };
  if (exactClass === MemoizedSealer.prototype) return { signatureStart: tagStartOf, datesAlone: protector as MemoizedSealer };
  if (exactClass === Sealer.prototype) return { signatureStart: tagStartOf, datesAlone: null };
  return null;
}

/**
 * Whether the protector still checks with its class's own methods: nothing was put over them on the
 * object itself (a wrapper that refuses more, say). Asked on every decode, as it may change at any time.
 */
function ownChecksOnly(protector: ValueProtector): boolean {
  return !Object.hasOwn(protector, 'unprotect') && !Object.hasOwn(protector, 'verify') && !Object.hasOwn(protector, 'open') && !Object.hasOwn(protector, 'recheckAge');
}

/** A JSON value that cannot be changed in place. */
function isPrimitive(value: JsonValue): boolean {
  return value === null || typeof value !== 'object';
}
