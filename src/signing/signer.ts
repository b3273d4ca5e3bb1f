/**
 * Signer: make a string that anyone can read but only the holder of the secret key can produce.
 *
 * What: `sign(name, payload)` returns `PAYLOAD.TIMESTAMP.SIGNATURE`, where SIGNATURE is an HMAC-SHA256
 * over the cookie name, the payload and the time of signing. `verify()` checks all three and
 * returns the payload, or throws a typed error that says exactly why the value was refused.
 *
 * Why: a client-side session lives in the browser, so the user can edit it. Without a signature,
 * changing `username=alice` to `username=admin` in the cookie would make you admin. With one, any
 * change to a single bit is detected, because producing a valid HMAC needs the secret key.
 * - The cookie *name* is signed too, so a value issued for one cookie cannot be replayed as another.
 * - The *timestamp* is signed too, so the server can refuse an old cookie even when the browser
 *   (or an attacker who copied it) ignores the expiry date the server asked for.
 * - Several keys are accepted: the first signs, all verify. Key rotation then needs no flag day:
 *   put the new key first, keep the old one as a fallback until its cookies have expired.
 *
 * Spec: HMAC, RFC 2104; SHA-256, FIPS 180-4; base64url without padding, RFC 4648 §5. The shape
 * (payload, timestamp, signature; derived keys; typed errors) follows Python's itsdangerous,
 * which signs Flask's session cookie.
 *
 * Not here: secrecy. The payload is base64url, not encrypted: anyone holding the cookie can read it.
 * Never put a secret in a signed session. Also not here: deciding what an error means to the user
 * (session/cookie-session.ts turns every one of them into "no session").
 *
 * Read next: sealer.ts, which makes a value unreadable as well as unforgeable.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why `verify()` refused a value. Each subclass is one reason; catch the base to refuse them all. */
export class SignatureError extends Error {
  override name = 'SignatureError';
}

/** The value is not shaped like anything `sign()` produces: wrong parts, wrong alphabet, wrong length. */
export class MalformedSignature extends SignatureError {
  override name = 'MalformedSignature';
}

/** Well formed, but no configured key produced that signature: edited, or signed with a key we no longer hold. */
export class BadSignature extends SignatureError {
  override name = 'BadSignature';
}

/** Genuine, but signed longer ago than the caller allows. */
export class SignatureExpired extends SignatureError {
  override name = 'SignatureExpired';
  constructor(
    readonly signedAt: Date,
    readonly ageSeconds: number,
    readonly maxAgeSeconds: number,
  ) {
    super(`signature expired ${formatSeconds(ageSeconds - maxAgeSeconds)} ago (signed ${isoDate(signedAt)}, max age ${formatSeconds(maxAgeSeconds)})`);
  }
}

/** Genuine, but dated later than now (plus the allowed clock skew): a server's clock is wrong. */
export class SignatureFromTheFuture extends SignatureError {
  override name = 'SignatureFromTheFuture';
  constructor(readonly signedAt: Date) {
    super(`signature is dated ${isoDate(signedAt)}, later than this server's clock allows`);
  }
}

/**
 * A date for a message. A timestamp may be signed that no `Date` can hold (past the year 275760):
 * `toISOString()` would throw on it, and the refusal would become a crash.
 */
function isoDate(date: Date): string {
  return Number.isNaN(date.getTime()) ? 'beyond any date a clock can show' : date.toISOString();
}

export interface SignerOptions {
  /** Secret keys, newest first. The first signs; every one verifies. */
  readonly secrets: readonly (string | Buffer)[];
  /**
   * Mixed into every key, so the same secret used elsewhere (another signer, a CSRF token)
   * yields an unrelated key, and a value signed for one purpose never verifies for another.
   */
  readonly salt?: string;
  /** Milliseconds since the epoch. Tests pass a frozen clock instead of sleeping. */
  readonly now?: () => number;
  /** How far in the future a timestamp may lie before it is refused, in seconds. */
  readonly clockSkewSeconds?: number;
}

/** What `verify()` learned about a genuine value. */
export interface VerifiedValue {
  readonly payload: Buffer;
  readonly signedAt: Date;
  /** Position in `secrets` of the key that verified: 0 is the current key, more is a fallback. */
  readonly keyIndex: number;
}

/**
 * What a session cookie needs from its protection, signed (this module) or encrypted (sealer.ts):
 * turn a payload into a cookie-safe string, and back, refusing anything altered or too old.
 */
export interface ValueProtector {
  /** `signed`: readable by the holder, unforgeable. `encrypted`: unreadable as well. */
  readonly protection: 'signed' | 'encrypted';
  protect(name: string, payload: Buffer | string): string;
  /** Throws a `SignatureError` subclass for anything not produced by `protect()`, or too old. */
  unprotect(name: string, value: string, maxAgeSeconds: number): VerifiedValue;
}

/** Nothing we sign is larger than a cookie, so a longer value is refused before any work. */
export const MAX_SIGNED_VALUE_LENGTH = 4096;
const SIGNATURE_BYTES = 32; // SHA-256
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** A signing time as written: whole seconds in decimal, one spelling each; 15 digits is far beyond year 9999. */
export const TIMESTAMP_PATTERN = /^(?:0|[1-9][0-9]{0,14})$/;
/** How far ahead of our clock a signing time may be (another server's clock runs fast). */
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;

export class Signer implements ValueProtector {
  readonly protection = 'signed';
  readonly #keys: readonly Buffer[];
  // Protected, not private: the same clock and skew must date and check a value wherever it is
  // checked, and a subclass (the memo of the last chapter, ../fast/memoized-signer.ts) checks too.
  protected readonly now: () => number;
  protected readonly clockSkewSeconds: number;

  constructor(options: SignerOptions) {
    checkSecrets('Signer', options.secrets);
    const salt = options.salt ?? 'scratchpad.signer';
    // Key derivation: HMAC(secret, salt). The raw secret is never used as a key directly.
    this.#keys = options.secrets.map((secret) => createHmac('sha256', secret).update(salt).digest());
    this.now = options.now ?? Date.now;
    this.clockSkewSeconds = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  }

  protect(name: string, payload: Buffer | string): string {
    return this.sign(name, payload);
  }

  unprotect(name: string, value: string, maxAgeSeconds: number): VerifiedValue {
    return this.verify(name, value, maxAgeSeconds);
  }

  /** Signs `payload` for the cookie called `name`, dated now. The result is cookie-safe ASCII. */
  sign(name: string, payload: Buffer | string): string {
    // 1. Encode the payload so that it cannot contain the "." separator or any non-cookie byte.
    const encodedPayload = Buffer.from(payload).toString('base64url');
    // 2. Date it, in whole seconds since the epoch, written in decimal so a person can read it.
    const timestamp = String(Math.floor(this.now() / 1000));
    // 3. MAC everything that must not change: name, payload and date, with the current key.
    const signature = mac(this.#keys[0]!, signedMessage(name, encodedPayload, timestamp)).toString('base64url');
    return `${encodedPayload}.${timestamp}.${signature}`;
  }

  /**
   * Checks a value made by `sign()` for the cookie `name`, no older than `maxAgeSeconds`.
   * Cheap rejections come first, so garbage costs no HMAC; the date is trusted only once the
   * MAC proves we wrote it.
   */
  verify(name: string, signedValue: string, maxAgeSeconds: number): VerifiedValue {
    // 1. Length, and 2. shape: exactly three parts.
    const [encodedPayload, timestamp, encodedSignature] = splitThreeParts(signedValue, 'signed value');
    // 3. Alphabet: canonical base64url and a plain decimal, so every value has one spelling only.
    const payload = decodeCanonicalBase64url(encodedPayload, 'payload');
    const signature = decodeCanonicalBase64url(encodedSignature, 'signature');
    if (signature.length !== SIGNATURE_BYTES) {
      throw new MalformedSignature(`signature is ${signature.length} bytes; HMAC-SHA256 gives ${SIGNATURE_BYTES}`);
    }
    // 4. MAC: compare in constant time with each key. `===` would stop at the first differing
    //    byte, and the time it takes would tell an attacker how many leading bytes they got right.
    const message = signedMessage(name, encodedPayload, timestamp);
    const keyIndex = this.#keys.findIndex((key) => timingSafeEqual(mac(key, message), signature));
    if (keyIndex === -1) {
      throw new BadSignature(`signature matches none of the ${this.#keys.length} configured key(s): the value was changed, or signed with a key no longer configured`);
    }
    // 5. Age: only now is the timestamp known to be ours.
    const signedAt = checkAge(timestamp, this.now(), maxAgeSeconds, this.clockSkewSeconds);
    return { payload, signedAt, keyIndex };
  }
}

/**
 * Misuse, not hostile input, so it throws: every keyed primitive here (Signer, Sealer, the Flask
 * codec) needs a current key, and an empty key would make every signature forgeable.
 */
export function checkSecrets(who: string, secrets: readonly (string | Buffer)[]): void {
  if (secrets.length === 0) throw new TypeError(`${who} needs at least one secret key`);
  if (secrets.some((secret) => secret.length === 0)) throw new TypeError(`${who} secret keys must not be empty`);
}

/**
 * Steps 1 and 2 of reading a protected value, shared with sealer.ts: refuse anything longer than a
 * cookie before any other work, then require exactly three dot-separated parts, the middle one a
 * canonical decimal timestamp.
 */
export function splitThreeParts(value: string, what: string): [string, string, string] {
  if (value.length > MAX_SIGNED_VALUE_LENGTH) {
    throw new MalformedSignature(`${what} is ${value.length} characters; nothing signed here exceeds ${MAX_SIGNED_VALUE_LENGTH}`);
  }
  const parts = value.split('.');
  if (parts.length !== 3) throw new MalformedSignature(`${what} has ${parts.length} dot-separated parts, not 3`);
  if (!TIMESTAMP_PATTERN.test(parts[1]!)) throw new MalformedSignature(`${what} has a timestamp that is not a whole number of seconds`);
  return parts as [string, string, string];
}

/**
 * The last step, once the timestamp is known to be authentic: refuse a value older than
 * `maxAgeSeconds`, or dated later than the clock skew allows. Returns the signing date.
 */
export function checkAge(timestamp: string, nowMilliseconds: number, maxAgeSeconds: number, clockSkewSeconds: number): Date {
  const signedAtSeconds = Number(timestamp);
  const signedAt = new Date(signedAtSeconds * 1000);
  const ageSeconds = Math.floor(nowMilliseconds / 1000) - signedAtSeconds;
  if (ageSeconds < -clockSkewSeconds) throw new SignatureFromTheFuture(signedAt);
  if (ageSeconds > maxAgeSeconds) throw new SignatureExpired(signedAt, ageSeconds, maxAgeSeconds);
  return signedAt;
}

/**
 * The MAC input is `name=payload.timestamp`. A cookie name is a token and cannot contain `=`, and
 * payload and timestamp cannot contain `.`, so no two different triples give the same input.
 */
function signedMessage(name: string, encodedPayload: string, timestamp: string): string {
  return `${name}=${encodedPayload}.${timestamp}`;
}

function mac(key: Buffer, message: string): Buffer {
  return createHmac('sha256', key).update(message).digest();
}

/**
 * Node's base64url decoder is lenient: it skips characters outside the alphabet and ignores
 * unused low bits in the last character, so many strings decode to the same bytes. We accept a
 * string only if encoding its bytes gives the string back.
 */
export function decodeCanonicalBase64url(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (!BASE64URL.test(text) || bytes.toString('base64url') !== text) {
    throw new MalformedSignature(`signed value has a ${what} that is not canonical base64url`);
  }
  return bytes;
}

/** "3 d 4 h", "17 s": ages in words a person reads at a glance. */
export function formatSeconds(totalSeconds: number): string {
  const units: [number, string][] = [[86400, 'd'], [3600, 'h'], [60, 'min'], [1, 's']];
  const parts: string[] = [];
  let rest = Math.max(0, Math.floor(totalSeconds));
  for (const [size, unit] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  return parts.length === 0 ? '0 s' : parts.join(' ');
}
