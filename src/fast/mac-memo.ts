/**
 * MAC memo: remember the signatures we already computed, so that the cookie a browser sends back
 * on every request costs a map lookup instead of an HMAC.
 *
 * What: `MacMemo` is a bounded map from the *visible* part of a protected value (the cookie name and
 * the value up to its signature, e.g. `name=payload.timestamp`: public, it is written in the cookie)
 * to the signature our key gave it, the payload, and which key it was. memoized-signer.ts keeps
 * signed values in one, and memoized-sealer.ts sealed ones, with GCM's tag in the place of the
 * signature.
 *
 * Why: a browser sends the same session cookie with every request until the session changes, and a
 * permanent session is re-signed with the same payload and the same whole-second timestamp many
 * times a second under load. Each of those would compute the same HMAC-SHA256 (or AES-GCM decipher)
 * again. What a shortcut built on this must keep, and how this memo keeps it:
 * - tamper rejection: only values that fully verified, or that we signed, are ever remembered, and
 *   a hit still requires the sent signature to equal the remembered one, byte for byte;
 * - constant time: the map is keyed by the visible part, which the client already knows; the secret
 *   part, the signature, is compared with `timingSafeEqual`, never used as a key (SECURITY.md
 *   measures what the lookup itself reveals: whether a message was seen, never a byte of a MAC);
 * - expiry: the memo holds no verdict, only a signature; the caller checks the age on every request;
 * - rotation: the key that produced the signature is remembered with it, so a value signed with an
 *   old key is still reported as such (and re-signed by the session layer), and `signatureFor()`
 *   reuses only the current key's signatures.
 * The bound keeps memory flat whatever a client sends: when full, the oldest entry is dropped
 * (bounded-map.ts).
 *
 * Spec: none; HMAC is deterministic (RFC 2104), and GCM opens one value to one payload only (NIST
 * SP 800-38D), which is the whole reason a remembered signature and payload are valid.
 *
 * Not here: caching of anything a client could choose without a valid signature, and the age check
 * (the memoized signer and sealer do it on every hit, with the plain module's own `checkAge()`;
 * `checkKeptAge()` below only puts the same step in one place for their `recheckAge()`).
 *
 * Read next: memoized-signer.ts, the Signer that consults this memo.
 */
import { timingSafeEqual } from 'node:crypto';
import { BoundedMap } from './bounded-map.js';
import { checkAge } from '../signing/signer.js';

/** What a message signed by us is known to have. */
export interface RememberedMac {
  /** The signature as it appears in the value (base64url, ASCII), for a byte-by-byte comparison. */
  readonly signature: Buffer;
  /** The decoded payload, as `verify()` returns it. Copied out, never shared with callers. */
  readonly payload: Buffer;
  /** Which key made the signature: 0 is the current key. */
  readonly keyIndex: number;
}

/**
 * Enough for every browser active in the last few seconds of a busy process. An entry holds the
 * message and the payload: well under 1 KB for the demo's session, about 12 KB for a cookie at the
 * 4096-byte limit (measured: 1024 such entries took 12.7 MB), so a full memo stays near 13 MB at
 * worst, whatever is signed.
 */
export const DEFAULT_MAC_MEMO_ENTRIES = 1024;

export class MacMemo {
  // When full, the oldest entry goes (bounded-map.ts).
  readonly #entries: BoundedMap<string, RememberedMac>;

  constructor(capacity = DEFAULT_MAC_MEMO_ENTRIES) {
    this.#entries = new BoundedMap(capacity, 'MacMemo');
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The remembered entry for `message` (the visible part) if `sentSignature` is exactly the signature
   * remembered for it, compared in constant time; otherwise `undefined` (the caller then does the
   * full check).
   */
  match(message: string, sentSignature: string): RememberedMac | undefined {
    const known = this.#entries.get(message);
    return known !== undefined && sameSignature(sentSignature, known.signature) ? known : undefined;
  }

  /** The signature our current key (index 0) gave `message`, if remembered. For signing again. */
  signatureFor(message: string): string | undefined {
    const known = this.#entries.get(message);
    return known !== undefined && known.keyIndex === 0 ? known.signature.toString('latin1') : undefined;
  }

  /** Remembers a signature that was just computed or verified. Drops the oldest entry when full. */
  remember(message: string, signature: string, payload: Buffer, keyIndex: number): void {
    this.#entries.set(message, { signature: Buffer.from(signature, 'latin1'), payload: Buffer.from(payload), keyIndex });
  }
}

/**
 * Whether a signature (or tag) as sent is exactly one we remembered, compared in constant time. Also
 * for memoized-cookie-codec.ts, which keeps its values the same way.
 */
export function sameSignature(sent: string, remembered: Buffer): boolean {
  // UTF-8, not latin1: latin1 would map "Ł" (U+0141) to the byte of "A", so a forged character
  // could compare equal. UTF-8 is one-to-one, and anything not ASCII can never equal our ASCII.
  const bytes = Buffer.from(sent, 'utf8');
  return bytes.length === remembered.length && timingSafeEqual(bytes, remembered);
}

/**
 * Step 5 of a check alone, the age, for a value accepted before and signed at `signedAtSeconds`:
 * the plain `checkAge()`, with the clock and allowed skew of the signer or sealer that accepted it
 * (their `recheckAge()`, for memoized-cookie-codec.ts). A new Date each time.
 */
export function checkKeptAge(signedAtSeconds: number, nowMilliseconds: number, maxAgeSeconds: number, clockSkewSeconds: number): Date {
  if (!Number.isSafeInteger(signedAtSeconds)) throw new RangeError(`recheckAge() needs the signing time in whole seconds, not ${signedAtSeconds}`);
  return checkAge(String(signedAtSeconds), nowMilliseconds, maxAgeSeconds, clockSkewSeconds);
}
