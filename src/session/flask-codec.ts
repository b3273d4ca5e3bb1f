/**
 * Flask's session cookie, read and written exactly as Flask does, so that a Flask app and a
 * Scratchpad server behind one domain share their users' logins.
 *
 * What: `FlaskCookieCodec`, the `SessionCookieCodec` used with SESSION_COOKIE_FORMAT=flask. It
 * speaks Flask's `SecureCookieSessionInterface`, which is itsdangerous' `URLSafeTimedSerializer`
 * with salt "cookie-session", HMAC key derivation and SHA-1. A Flask cookie looks like
 *
 *     eyJ1c2VybmFtZSI6ImFsaWNlIn0.aSXw8g.d2hvIGtub3dzIHdoYXQgbGllcyBoZXJl
 *     └─ PAYLOAD ─────────────────┘ └TS─┘ └─ SIGNATURE ────────────────┘
 *
 * Writing one, step by step (`encode`), with why:
 * 1. Data: the session dict, plus `"_permanent": true` for a permanent session; that key is how
 *    Flask carries the flag.
 * 2. JSON: compact (`,` and `:` without spaces), keys sorted by code point, every character outside
 *    printable ASCII escaped as `\uXXXX`: what Python's `json.dumps(sort_keys=True,
 *    ensure_ascii=True, separators=(",", ":"))` writes, so the bytes (and the signature) match Flask's.
 *    Flask's *tagged JSON* marks types JSON lacks with a one-key object: `{" t": [...]}` a tuple,
 *    `{" b": "base64"}` bytes, `{" m": "..."}` Markup, `{" u": "hex"}` a UUID, `{" d": "HTTP date"}` a
 *    datetime, and `{" di": {"key__": ...}}` a dict whose only key looks like a tag. We keep these in
 *    their tagged form, untouched: what Flask wrote, Flask reads back with its types intact.
 * 3. Compression: zlib, but only if it saves at least 2 bytes; a compressed payload gets a leading
 *    `.` so the reader knows to inflate it.
 * 4. base64url without padding (RFC 4648 §5).
 * 5. Timestamp: the whole seconds since the epoch as big-endian bytes with leading zero bytes
 *    dropped, in base64url: `aSXw8g` is 4 bytes.
 * 6. Signature: HMAC-SHA1 over `PAYLOAD.TIMESTAMP`, keyed with HMAC-SHA1(SECRET_KEY, "cookie-session")
 *    ("key derivation"); base64url. The first key signs; every key in SECRET_KEY_FALLBACKS verifies,
 *    as in Flask 3.1.1+.
 *
 * Reading one (`decode`) runs the steps backwards, cheapest checks first, and refuses, as "no session",
 * whatever Flask refuses: a bad signature, an age beyond PERMANENT_SESSION_LIFETIME (for every cookie,
 * volatile or not), or a timestamp in the future (Flask allows no clock skew at all). Deliberate
 * differences, each stricter than Flask:
 * - base64 must be canonical (no padding, no stray bits in the last character): itsdangerous pads and
 *   forgives, so one cookie has several spellings there and one here;
 * - an inflated payload over 64 KiB is refused (a 4 KB cookie can otherwise inflate to megabytes);
 * - an integer beyond 2^53 is refused rather than silently rounded: JavaScript numbers cannot hold
 *   it exactly, and a session that changes a user id by rounding is worse than no session;
 * - a payload that verifies but is not a well-formed session (bad JSON, a malformed tag) is refused;
 *   Flask would raise an error page there.
 * Known differences when writing: floats that are whole numbers below 2^53 come out as integers (`1.0` → `1`), and
 * zlib may pick other (equally valid) compressed bytes than Python's zlib; Flask reads both the same.
 * Flask's cookie binds neither the cookie name (a value moves between Flask cookies of one key) nor a
 * login time, so SESSION_ABSOLUTE_LIFETIME cannot be enforced in this format.
 *
 * Why: to move a Flask app to Node route by route, or run both behind one domain, without logging
 * anybody out; and because speaking Flask's cookie is the best proof of having understood it.
 *
 * Spec: Flask `sessions.py` (SecureCookieSessionInterface) and `json/tag.py` (TaggedJSONSerializer);
 * itsdangerous `url_safe.py`, `timed.py`, `signer.py`; RFC 2104 (HMAC), RFC 1950 (zlib).
 *
 * Not here: cookie attributes (session-cookie.ts) and Flask's habit of keeping a cookie holding only
 * `_permanent` after logout (we delete an empty session's cookie).
 *
 * Read next: csrf.ts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { BadSignature, checkSecrets, decodeCanonicalBase64url, MalformedSignature, SignatureExpired, SignatureFromTheFuture } from '../signing/signer.js';
import { MalformedSessionPayload, type CookieSessionData, type SessionCookieCodec } from './cookie-session.js';
import type { JsonValue } from './session.js';

const SALT = 'cookie-session';
const MAX_COOKIE_LENGTH = 4096;
const MAX_INFLATED_BYTES = 64 * 1024;
const SIGNATURE_BYTES = 20; // SHA-1
const TAGS = new Set([' di', ' t', ' b', ' m', ' u', ' d']);

export interface FlaskCodecOptions {
  /** SECRET_KEY first, then SECRET_KEY_FALLBACKS. */
  readonly secrets: readonly (string | Buffer)[];
  readonly now?: () => number;
}

export class FlaskCookieCodec implements SessionCookieCodec {
  readonly format = 'flask';
  readonly protection = 'signed';
  readonly #keys: readonly Buffer[];
  readonly #now: () => number;

  constructor(options: FlaskCodecOptions) {
    checkSecrets('FlaskCookieCodec', options.secrets);
    // itsdangerous' "hmac" key derivation: the signing key is HMAC(secret, salt).
    this.#keys = options.secrets.map((secret) => createHmac('sha1', secret).update(SALT).digest());
    this.#now = options.now ?? Date.now;
  }

  encode(_name: string, session: CookieSessionData): string {
    // 1. Data, with Flask's own key for the permanent flag.
    const data: Record<string, JsonValue> = session.permanent ? { ...session.data, _permanent: true } : { ...session.data };
    // 2. JSON as Python writes it.
    const json = Buffer.from(pythonJson(data), 'ascii');
    // 3 and 4. Compress when that saves at least 2 bytes; base64url.
    const compressed = deflateSync(json);
    const payload = compressed.length < json.length - 1 ? `.${compressed.toString('base64url')}` : json.toString('base64url');
    // 5. Timestamp as minimal big-endian bytes.
    const timestamp = timestampBytes(Math.floor(this.#now() / 1000)).toString('base64url');
    // 6. Signature over both.
    return `${payload}.${timestamp}.${hmac(this.#keys[0]!, `${payload}.${timestamp}`).toString('base64url')}`;
  }

  decode(_name: string, value: string, maxAgeSeconds: number): CookieSessionData & { readonly signedAt: Date; readonly keyIndex: number } {
    // 1. Length, then shape: split on the last two dots (a compressed payload starts with one).
    if (value.length > MAX_COOKIE_LENGTH) throw new MalformedSignature(`Flask cookie is ${value.length} characters; no cookie exceeds ${MAX_COOKIE_LENGTH}`);
    const signatureDot = value.lastIndexOf('.');
    const timestampDot = value.lastIndexOf('.', signatureDot - 1);
    if (timestampDot <= 0) throw new MalformedSignature('Flask cookie is not PAYLOAD.TIMESTAMP.SIGNATURE');
    const signed = value.slice(0, signatureDot);
    const payloadText = value.slice(0, timestampDot);
    const compressed = payloadText.startsWith('.');
    // 2. Canonical base64url in every part.
    const signature = decodeCanonicalBase64url(value.slice(signatureDot + 1), 'signature');
    const timestamp = decodeCanonicalBase64url(value.slice(timestampDot + 1, signatureDot), 'timestamp');
    const payload = decodeCanonicalBase64url(compressed ? payloadText.slice(1) : payloadText, 'payload');
    if (signature.length !== SIGNATURE_BYTES) throw new MalformedSignature(`signature is ${signature.length} bytes; HMAC-SHA1 gives ${SIGNATURE_BYTES}`);
    if (timestamp.length === 0 || timestamp.length > 8 || timestamp[0] === 0) throw new MalformedSignature('timestamp is not a minimal big-endian integer');
    // 3. Signature, in constant time, against every key.
    const keyIndex = this.#keys.findIndex((key) => timingSafeEqual(hmac(key, signed), signature));
    if (keyIndex === -1) throw new BadSignature(`signature matches none of the ${this.#keys.length} configured key(s): the value was changed, or signed with a key no longer configured`);
    // 4. Age: Flask's rule, with no tolerance for a clock ahead of ours.
    const signedAtSeconds = Number(bigEndian(timestamp));
    const signedAt = new Date(signedAtSeconds * 1000);
    const age = Math.floor(this.#now() / 1000) - signedAtSeconds;
    if (age < 0) throw new SignatureFromTheFuture(signedAt);
    if (age > maxAgeSeconds) throw new SignatureExpired(signedAt, age, maxAgeSeconds);
    // 5. Payload: inflate (bounded), decode, parse, check.
    const data = parseSessionJson(compressed ? inflate(payload) : payload);
    const permanent = data['_permanent'] === true;
    delete data['_permanent'];
    return { permanent, created: null, data, signedAt, keyIndex };
  }
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha1', key).update(text).digest();
}

function timestampBytes(seconds: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(seconds));
  let start = 0;
  while (start < 7 && bytes[start] === 0) start += 1;
  return bytes.subarray(start);
}

function bigEndian(bytes: Buffer): bigint {
  return bytes.reduce((sum, byte) => (sum << 8n) | BigInt(byte), 0n);
}

function inflate(bytes: Buffer): Buffer {
  try {
    return inflateSync(bytes, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (error) {
    throw new MalformedSessionPayload(`compressed payload does not inflate to at most ${MAX_INFLATED_BYTES} bytes (${(error as Error).message})`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseSessionJson(bytes: Buffer): Record<string, JsonValue> {
  let text: string;
  let parsed: unknown;
  try {
    text = utf8.decode(bytes);
    parsed = JSON.parse(text);
  } catch {
    throw new MalformedSessionPayload('payload is not UTF-8 JSON');
  }
  if (hasUnsafeInteger(text)) throw new MalformedSessionPayload('payload holds an integer beyond 2^53, which JavaScript cannot represent exactly');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedSessionPayload('payload is not a JSON object');
  checkTags(parsed);
  return parsed as Record<string, JsonValue>;
}

/** Finds integer literals outside strings whose value a double cannot hold exactly. */
function hasUnsafeInteger(text: string): boolean {
  const number = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index]!;
    if (character === '"') {
      for (index += 1; index < text.length && text[index] !== '"'; index += 1) if (text[index] === '\\') index += 1;
    } else if (character === '-' || (character >= '0' && character <= '9')) {
      number.lastIndex = index;
      const match = number.exec(text)!;
      if (match[1] === undefined && match[2] === undefined && !Number.isSafeInteger(Number(match[0]))) return true;
      index += match[0].length - 1;
    }
  }
  return false;
}

/** Checks that every tagged value holds what its tag promises, as Flask's untag would need. */
function checkTags(value: unknown): void {
  if (Array.isArray(value)) {
    value.forEach(checkTags);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const entries = Object.entries(value);
  const [tag, content] = entries[0] ?? [];
  if (entries.length === 1 && tag !== undefined && TAGS.has(tag)) {
    const fine =
      (tag === ' t' && Array.isArray(content)) ||
      (tag === ' b' && typeof content === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(content) && content.length % 4 === 0) ||
      (tag === ' m' && typeof content === 'string') ||
      (tag === ' u' && typeof content === 'string' && /^[0-9a-f]{32}$/.test(content)) ||
      (tag === ' d' && typeof content === 'string' && /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(content)) ||
      (tag === ' di' && isTagWrapper(content));
    if (!fine) throw new MalformedSessionPayload(`tagged value ${JSON.stringify(tag)} does not hold what Flask's tag requires`);
  }
  for (const [, item] of entries) checkTags(item);
}

/** ` di` wraps a one-key dict whose key is a tag, as `{"<tag>__": value}`. */
function isTagWrapper(content: unknown): boolean {
  if (typeof content !== 'object' || content === null || Array.isArray(content)) return false;
  const keys = Object.keys(content);
  return keys.length === 1 && keys[0]!.endsWith('__') && TAGS.has(keys[0]!.slice(0, -2));
}

/**
 * JSON as Python's `json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":"))`
 * writes it: keys sorted by code point (JavaScript's default sort compares UTF-16 units, which orders
 * characters beyond U+FFFF differently), non-ASCII escaped, and floats in Python's repr format.
 */
export function pythonJson(value: JsonValue): string {
  if (value === null || typeof value === 'boolean') return String(value);
  // A safe integer is an int to Python; anything else (a fraction, or a whole number beyond 2^53,
  // which only a double could have produced) is a float, in Python's repr.
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : pythonFloat(value);
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(',')}]`;
  const object = value as Record<string, JsonValue>;
  const keys = Object.keys(object).sort(compareCodePoints);
  return `{${keys.map((key) => `${pythonJson(key)}:${pythonJson(object[key]!)}`).join(',')}}`;
}

function compareCodePoints(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  for (let index = 0; index < Math.min(left.length, right.length); index += 1) {
    const difference = left[index]!.codePointAt(0)! - right[index]!.codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

/** Python's float repr: the shortest round-tripping digits, scientific below 1e-4 and from 1e16. */
function pythonFloat(value: number): string {
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  // Python keeps ".0" on a whole float, so that it reads back as a float.
  return Number.isInteger(value) ? `${value}.0` : String(value);
}
