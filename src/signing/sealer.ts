/**
 * Sealer: encrypt a value so that its holder can neither change it nor read it.
 *
 * What: `seal(name, payload)` returns `v1.TIMESTAMP.SEALED`, where SEALED is the AES-256-GCM
 * encryption of the payload under a fresh random nonce; `open()` decrypts it, or throws the same
 * typed errors as the signer (a tampered value cannot be told apart from one sealed with another
 * key, so both are a `BadSignature`).
 *
 * Why: a signed cookie (signer.ts) is tamper-proof but readable: the user, or anyone who copies the
 * cookie, sees every value in it. With SESSION_COOKIE_ENCRYPT=true the session cookie is sealed
 * instead. The choices, each for a reason:
 * - AES-256-GCM is an *authenticated* cipher: the 16-byte tag it appends plays the signature's
 *   role, so decrypting also proves the value is unchanged. No separate HMAC is needed.
 * - A fresh random 96-bit nonce per cookie. GCM's one fatal misuse is reusing a nonce with the same
 *   key; 2^32 random nonces per key stay far below the collision risk NIST SP 800-38D §8.3 allows.
 * - Keys come from the secret through HKDF (RFC 5869) with their own salt and info string, so the
 *   encryption key is never the signing key, and a value sealed here never verifies as signed.
 * - The cookie name, the format version and the timestamp are *additional authenticated data*:
 *   not secret, but bound to the ciphertext, so none can be swapped or moved.
 * - `v1` names the format. A later format gets `v2`, and this code refuses what it does not know:
 *   no silent downgrade to a weaker format (or to plain signing) is possible.
 * - Rotation works as for signing: the first key seals, every key opens, and `keyIndex` says which.
 *
 * Spec: NIST SP 800-38D (GCM); RFC 5869 (HKDF); RFC 5116 §5.1 (AEAD_AES_256_GCM, 12-byte nonce,
 * 16-byte tag); RFC 4648 §5 (base64url).
 *
 * Not here: hiding the size of the payload (a sealed cookie is as long as the data, plus 28 bytes
 * and the encoding), and anything about sessions (../session/cookie-session.ts uses this).
 *
 * Read next: ../session/session.ts.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { BadSignature, checkAge, checkSecrets, decodeCanonicalBase64url, DEFAULT_CLOCK_SKEW_SECONDS, MalformedSignature, splitThreeParts, type ValueProtector, type VerifiedValue } from './signer.js';

const VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface SealerOptions {
  /** Secret keys, newest first. The first seals; every one opens. */
  readonly secrets: readonly (string | Buffer)[];
  /** Milliseconds since the epoch; tests freeze it. */
  readonly now?: () => number;
  readonly clockSkewSeconds?: number;
}

export class Sealer implements ValueProtector {
  readonly protection = 'encrypted';
  readonly #keys: readonly Buffer[];
  // Protected, as in Signer: a subclass (../fast/memoized-sealer.ts) checks ages with the same clock.
  protected readonly now: () => number;
  protected readonly clockSkewSeconds: number;

  constructor(options: SealerOptions) {
    checkSecrets('Sealer', options.secrets);
    this.#keys = options.secrets.map((secret) => Buffer.from(hkdfSync('sha256', secret, 'scratchpad.sealer', `aes-256-gcm ${VERSION}`, 32)));
    this.now = options.now ?? Date.now;
    this.clockSkewSeconds = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  }

  protect(name: string, payload: Buffer | string): string {
    return this.seal(name, payload);
  }

  unprotect(name: string, value: string, maxAgeSeconds: number): VerifiedValue {
    return this.open(name, value, maxAgeSeconds);
  }

  seal(name: string, payload: Buffer | string): string {
    // 1. Date it; the date is authenticated, not encrypted, so the server can read it first.
    const timestamp = String(Math.floor(this.now() / 1000));
    // 2. A fresh nonce: never reused under the same key.
    const nonce = randomBytes(NONCE_BYTES);
    // 3. Encrypt, binding name, version and date as additional authenticated data.
    const cipher = createCipheriv('aes-256-gcm', this.#keys[0]!, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(name, timestamp));
    const ciphertext = Buffer.concat([cipher.update(Buffer.from(payload)), cipher.final()]);
    // 4. nonce | ciphertext | tag, in base64url, after the version and the date.
    return `${VERSION}.${timestamp}.${Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]).toString('base64url')}`;
  }

  open(name: string, sealed: string, maxAgeSeconds: number): VerifiedValue {
    // 1. Length and shape, as for signed values.
    const [version, timestamp, encoded] = splitThreeParts(sealed, 'sealed value');
    // 2. Version: only the format we know; there is no fallback to anything weaker.
    if (version !== VERSION) throw new MalformedSignature(`sealed value has format ${JSON.stringify(version.slice(0, 8))}; this server reads ${VERSION} only`);
    // 3. Alphabet and size: a nonce and a tag at least.
    const blob = decodeCanonicalBase64url(encoded, 'sealed payload');
    if (blob.length < NONCE_BYTES + TAG_BYTES) throw new MalformedSignature(`sealed payload is ${blob.length} bytes; nonce and tag alone take ${NONCE_BYTES + TAG_BYTES}`);
    const nonce = blob.subarray(0, NONCE_BYTES);
    const ciphertext = blob.subarray(NONCE_BYTES, blob.length - TAG_BYTES);
    const tag = blob.subarray(blob.length - TAG_BYTES);
    // 4. Decrypt with each key; GCM checks the tag (in constant time) before releasing anything.
    for (const [keyIndex, key] of this.#keys.entries()) {
      const payload = decrypt(key, nonce, ciphertext, tag, associatedData(name, timestamp));
      if (payload === null) continue;
      // 5. Age: the timestamp was authenticated with the ciphertext.
      const signedAt = checkAge(timestamp, this.now(), maxAgeSeconds, this.clockSkewSeconds);
      return { payload, signedAt, keyIndex };
    }
    throw new BadSignature(`sealed value opens with none of the ${this.#keys.length} configured key(s): it was changed, or sealed with a key no longer configured`);
  }
}

function associatedData(name: string, timestamp: string): Buffer {
  return Buffer.from(`${name}=${VERSION}.${timestamp}`);
}

function decrypt(key: Buffer, nonce: Buffer, ciphertext: Buffer, tag: Buffer, aad: Buffer): Buffer | null {
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return null; // the tag did not match: wrong key, or altered
  }
}
