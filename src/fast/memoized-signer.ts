/**
 * Memoized signer: a `Signer` that remembers what it signed and verified, so that the cookie a
 * browser sends back on every request costs a map lookup instead of an HMAC.
 *
 * What: `MemoizedSigner` is ../signing/signer.ts's `Signer` with a MAC memo (mac-memo.ts) in front of
 * its two methods. `verify()` looks the value up first: on a hit it runs step 5 of the plain
 * `verify()`, the age, and returns the remembered payload and key; on a miss it runs the plain
 * `verify()` itself (`super.verify()`) and remembers the value only if that accepted it. `sign()`
 * reuses the current key's remembered signature for the same name, payload and second, or runs the
 * plain `sign()` and remembers its result. `memoEntries: 0` turns the memo off: every call is then
 * the plain one, unchanged. `recheckAge()` is step 5 alone, for memoized-cookie-codec.ts, which keeps
 * the decoded session.
 *
 * Why: a browser sends the same session cookie until the session changes, and a permanent session
 * is re-signed with the same payload in the same whole second many times a second under load. Each
 * time, the plain Signer computes the same HMAC-SHA256 again, the largest single cost of a request
 * with a session. Measured (`npm run bench:micro`, two runs on the 2-core development machine, each
 * against one bare `createHmac` in the same run): `verify()` of a cookie sent again 2.65–3.12× the
 * floor, against 0.55–0.57× for the plain one, about 5× faster; `sign()` of the same payload in the
 * same second 2.10× against 0.41–0.46×, about 5× faster.
 *
 * The rules it must keep, each tested by running the plain and the memoized signer on the same
 * values and requiring the same answers (test/fast/memoized-signer.test.ts):
 * - tamper rejection: a value is remembered only after the plain `verify()` accepted it (or `sign()`
 *   made it), and a hit needs the sent signature to equal the remembered one byte for byte. Any
 *   other value, however close, gets the plain `verify()` and its verdict;
 * - constant time: the memo is keyed by what the cookie shows anyway (name, payload, timestamp);
 *   the signature is compared with `timingSafeEqual`, never used as a key;
 * - expiry: the memo holds no verdict, only a signature: the age is checked on every hit, with the
 *   Signer's own clock and allowed skew, by the same `checkAge()` as the plain step 5;
 * - key rotation: the key index is remembered with the signature, so a value signed with an old key
 *   is reported as such on every request (and re-signed by the session layer), and `sign()` reuses
 *   only signatures of the current key.
 * Bounded: at most `memoEntries` values (DEFAULT_MAC_MEMO_ENTRIES; mac-memo.ts gives the bytes).
 *
 * A subclass rather than an object holding a Signer: it goes wherever a Signer goes (a server-side
 * session takes a `Signer`), and the keys stay private to the plain class, which alone computes MACs.
 *
 * Spec: as ../signing/signer.ts (RFC 2104: an HMAC is a function of key and message, so a
 * remembered one is the one computing would give).
 *
 * Not here: the algorithm itself (../signing/signer.ts, unchanged by this module), and any shortcut
 * for a value that has not fully verified once.
 *
 * Read next: memoized-sealer.ts, the same memo for encrypted values.
 */
import { checkKeptAge, DEFAULT_MAC_MEMO_ENTRIES, MacMemo } from './mac-memo.js';
import { checkAge, MAX_SIGNED_VALUE_LENGTH, Signer, type SignerOptions, type VerifiedValue } from '../signing/signer.js';

export interface MemoizedSignerOptions extends SignerOptions {
  /**
   * How many signed values to remember: DEFAULT_MAC_MEMO_ENTRIES if unset; 0 turns the memo off
   * (every call is the plain Signer's). Each signer has its own memo: one shared between keys or
   * salts would mix their verdicts.
   */
  readonly memoEntries?: number;
}

export class MemoizedSigner extends Signer {
  readonly #memo: MacMemo | null;

  constructor(options: MemoizedSignerOptions) {
    super(options);
    this.#memo = options.memoEntries === 0 ? null : new MacMemo(options.memoEntries ?? DEFAULT_MAC_MEMO_ENTRIES);
  }

  override sign(name: string, payload: Buffer | string): string {
    const memo = this.#memo;
    if (memo === null) return super.sign(name, payload);
    // The same name, payload and second give the same MAC: look it up by what the value will show.
    const bytes = Buffer.from(payload);
    const encodedPayload = bytes.toString('base64url');
    const timestamp = String(Math.floor(this.now() / 1000));
    const signature = memo.signatureFor(`${name}=${encodedPayload}.${timestamp}`);
    if (signature !== undefined) return `${encodedPayload}.${timestamp}.${signature}`;
    const signed = super.sign(name, bytes);
    // Remembered, so that the browser's next request, which brings it back, needs no HMAC either
    // (unless it is too long for any cookie: verify() refuses such a value before any lookup).
    const lastDot = signatureDot(signed);
    if (lastDot !== -1) memo.remember(`${name}=${signed.slice(0, lastDot)}`, signed.slice(lastDot + 1), bytes, 0);
    return signed;
  }

  /** Step 5 alone, for a value this signer accepted before (mac-memo.ts's `checkKeptAge()`, with this signer's clock and skew). */
  recheckAge(signedAtSeconds: number, maxAgeSeconds: number): Date {
    return checkKeptAge(signedAtSeconds, this.now(), maxAgeSeconds, this.clockSkewSeconds);
  }

  override verify(name: string, signedValue: string, maxAgeSeconds: number): VerifiedValue {
    const memo = this.#memo;
    const lastDot = memo === null ? -1 : signatureDot(signedValue);
    if (memo === null || lastDot === -1) return super.verify(name, signedValue, maxAgeSeconds);
    // Keyed by what anyone can see: `name=` and the value up to its signature, which for a genuine
    // value is exactly the message the MAC covers.
    const visible = `${name}=${signedValue.slice(0, lastDot)}`;
    const sentSignature = signedValue.slice(lastDot + 1);
    const remembered = memo.match(visible, sentSignature);
    if (remembered === undefined) {
      const verified = super.verify(name, signedValue, maxAgeSeconds);
      // Reached only if the plain verify() accepted the value: a forged one never enters the memo.
      memo.remember(visible, sentSignature, verified.payload, verified.keyIndex);
      return verified;
    }
    // A hit is, byte for byte, a value that passed steps 1 to 4 of the plain verify() before, so
    // only step 5 is left: the age, checked on every request.
    const timestamp = signedValue.slice(signedValue.lastIndexOf('.', lastDot - 1) + 1, lastDot);
    const signedAt = checkAge(timestamp, this.now(), maxAgeSeconds, this.clockSkewSeconds);
    return { payload: Buffer.from(remembered.payload), signedAt, keyIndex: remembered.keyIndex };
  }
}

/**
 * Where a signed value's signature begins: its last dot, or -1 for a value the memo cannot hold
 * (longer than anything signed, or without a dot), which then goes straight to the plain verify().
 * The last dot is enough: a hit means the whole value equals one that passed the full check, so
 * its other dots are where that check found them (splitting it fully again was a fifth of a
 * verify's time, profiled).
 */
export function signatureDot(signedValue: string): number {
  return signedValue.length > MAX_SIGNED_VALUE_LENGTH ? -1 : signedValue.lastIndexOf('.');
}
