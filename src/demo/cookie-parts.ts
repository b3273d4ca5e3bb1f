/**
 * Cookie parts: a session cookie's value cut into its parts, each decoded as far as it can be
 * without a key.
 *
 * What: `readCookieParts(value, kind)` returns the parts of one cookie value in the order they
 * appear, each with what it decodes to: the payload's JSON, the timestamp's date, the signature's
 * size, the nonce, ciphertext and tag of an encrypted value. The small decoders it uses
 * (`decodeBase64url`, `splitFlaskValue`, `flaskSeconds`, `inflatePayload`) are shared with the
 * cookie lab (lab.ts), which checks the same parts step by step.
 *
 * Why: the inspector (pages.ts) shows the cookie itself, because "signed, not encrypted" is a
 * claim a learner should be able to check with their own eyes: everything in a signed cookie is
 * readable by whoever holds it. Nothing here uses a key, so nothing here can tell a genuine cookie
 * from a forged one: these are the parts as the cookie *claims* them. Whether to believe them is
 * the library's decision (../signing/signer.ts, ../session/flask-codec.ts), and the lab's lesson.
 *
 * The four kinds of session cookie, as the library writes them:
 *   signed   PAYLOAD.TIMESTAMP.SIGNATURE  base64url(JSON {permanent, created, data}), decimal
 *            seconds, base64url(HMAC-SHA256 over `name=PAYLOAD.TIMESTAMP`)  (Signer)
 *   id       ID.TIMESTAMP.SIGNATURE       the same, with 32 random bytes as the payload: the
 *            session id of a server-side session (SESSION_TYPE=memory, filesystem, redis)
 *   sealed   v1.TIMESTAMP.SEALED          SEALED = base64url(nonce | ciphertext | tag), AES-256-GCM
 *            (Sealer, SESSION_COOKIE_ENCRYPT=true)
 *   flask    PAYLOAD.TIMESTAMP.SIGNATURE  Flask's: PAYLOAD may start with "." (zlib-compressed),
 *            TIMESTAMP is base64url big-endian seconds, SIGNATURE is HMAC-SHA1 (flask-codec.ts)
 *
 * Spec: RFC 4648 §5 (base64url); RFC 1950 (zlib); the formats of ../signing/signer.ts,
 * ../signing/sealer.ts and ../session/flask-codec.ts.
 *
 * Not here: verifying anything (lab.ts walks through that), HTML (pages.ts).
 *
 * Read next: pages.ts, which shows these parts on the index page.
 */
import { inflateSync } from 'node:zlib';
import { decodeCanonicalBase64url, type SessionInspection } from '../index.js';

export type CookieKind = 'signed' | 'id' | 'sealed' | 'flask';

/** Which kind of cookie a server writes: from where it keeps sessions, how it protects them, and SESSION_COOKIE_FORMAT. */
export function cookieKind(format: 'native' | 'flask', storage: SessionInspection): CookieKind {
  if (storage.cookieHolds === 'id') return 'id';
  if (storage.protection === 'encrypted') return 'sealed';
  return format === 'flask' ? 'flask' : 'signed';
}

/** One part of a cookie value, as it appears in the cookie and as far as it decodes. */
export interface CookiePart {
  /** `value` when the whole cookie could not be cut into its parts. */
  readonly role: 'payload' | 'id' | 'timestamp' | 'signature' | 'version' | 'sealed' | 'value';
  /** The part exactly as it is in the cookie. */
  readonly text: string;
  /** How many bytes the part's base64url decodes to; null when it is not canonical base64url (or not base64url at all). */
  readonly bytes: number | null;
  /** Payloads: the text they decode to (JSON), or null when they do not decode. */
  readonly decodedText: string | null;
  /** Flask payloads: whether the part starts with "." (zlib-compressed JSON). */
  readonly compressed: boolean;
  /** Timestamps: the seconds since the epoch they stand for, or null when they are not a timestamp. */
  readonly seconds: number | null;
  /** Encrypted values: the three byte ranges inside, each shown in base64url on its own. */
  readonly pieces: readonly { readonly name: 'nonce' | 'ciphertext' | 'tag'; readonly text: string; readonly bytes: number }[];
  /** Why the part does not decode, in words; null when it does. */
  readonly problem: string | null;
}

/** Nothing any of these formats writes is longer than a cookie (and the library refuses longer ones first). */
export const MAX_COOKIE_VALUE_LENGTH = 4096;
/** A Flask payload is inflated to at most this many bytes, as flask-codec.ts does. */
export const MAX_INFLATED_BYTES = 64 * 1024;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** The parts of `value`, read as a cookie of `kind`. Never throws: what does not decode says why. */
export function readCookieParts(value: string, kind: CookieKind): CookiePart[] {
  if (kind === 'flask') return flaskParts(value);
  const pieces = value.split('.');
  if (pieces.length !== 3) return [part('value', value, { problem: `${pieces.length} dot-separated parts, where this format has 3` })];
  const [first, timestamp, last] = pieces as [string, string, string];
  const time = decimalTimestamp(timestamp);
  if (kind === 'sealed') return [version(first), time, sealed(last)];
  const signature = base64urlPart('signature', last);
  return [kind === 'id' ? base64urlPart('id', first) : jsonPayload(first), time, signature];
}

/** The bytes of `text` if it is canonical base64url (the one spelling of its bytes), else null. */
export function decodeBase64url(text: string): Buffer | null {
  // The Signer's own rule (one spelling per value), as a yes or no instead of an exception.
  try {
    return decodeCanonicalBase64url(text, 'part');
  } catch {
    return null;
  }
}

/**
 * A Flask value split as flask-codec.ts splits it: at its last two dots, because a compressed
 * payload starts with a dot of its own. `null` when there are not two dots after the first character.
 */
export function splitFlaskValue(value: string): { payload: string; timestamp: string; signature: string } | null {
  const signatureDot = value.lastIndexOf('.');
  const timestampDot = value.lastIndexOf('.', signatureDot - 1);
  if (signatureDot === -1 || timestampDot <= 0) return null;
  return { payload: value.slice(0, timestampDot), timestamp: value.slice(timestampDot + 1, signatureDot), signature: value.slice(signatureDot + 1) };
}

/** Flask's timestamp bytes (big-endian, no leading zero byte, 1 to 8 bytes) as seconds, or null. */
export function flaskSeconds(bytes: Buffer): number | null {
  if (bytes.length === 0 || bytes.length > 8 || bytes[0] === 0) return null;
  return Number(bytes.reduce((sum, byte) => (sum << 8n) | BigInt(byte), 0n));
}

/** A compressed Flask payload inflated, bounded as flask-codec.ts bounds it; null when it does not inflate. */
export function inflatePayload(bytes: Buffer): Buffer | null {
  try {
    return inflateSync(bytes, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch {
    return null;
  }
}

function flaskParts(value: string): CookiePart[] {
  const split = splitFlaskValue(value);
  if (split === null) return [part('value', value, { problem: 'not PAYLOAD.TIMESTAMP.SIGNATURE: Flask cookies have two dots after the payload' })];
  const compressed = split.payload.startsWith('.');
  const payloadBytes = decodeBase64url(compressed ? split.payload.slice(1) : split.payload);
  const json = payloadBytes === null ? null : compressed ? inflatePayload(payloadBytes) : payloadBytes;
  const payload = part('payload', split.payload, {
    bytes: payloadBytes?.length ?? null,
    compressed,
    decodedText: json === null ? null : json.toString('utf8'),
    problem: payloadBytes === null ? 'not canonical base64url' : json === null ? `does not inflate to at most ${MAX_INFLATED_BYTES} bytes` : null,
  });
  const timestampBytes = decodeBase64url(split.timestamp);
  const seconds = timestampBytes === null ? null : flaskSeconds(timestampBytes);
  const timestamp = part('timestamp', split.timestamp, {
    bytes: timestampBytes?.length ?? null,
    seconds,
    problem: timestampBytes === null ? 'not canonical base64url' : seconds === null ? 'not a big-endian number of 1 to 8 bytes without a leading zero byte' : null,
  });
  return [payload, timestamp, base64urlPart('signature', split.signature)];
}

function jsonPayload(text: string): CookiePart {
  const bytes = decodeBase64url(text);
  return part('payload', text, { bytes: bytes?.length ?? null, decodedText: bytes?.toString('utf8') ?? null, problem: bytes === null ? 'not canonical base64url' : null });
}

function base64urlPart(role: 'id' | 'signature', text: string): CookiePart {
  const bytes = decodeBase64url(text);
  return part(role, text, { bytes: bytes?.length ?? null, problem: bytes === null ? 'not canonical base64url' : null });
}

/** The timestamp of Scratchpad's formats: whole seconds in decimal, no sign, no leading zero. */
function decimalTimestamp(text: string): CookiePart {
  const valid = /^(?:0|[1-9][0-9]{0,14})$/.test(text);
  return part('timestamp', text, { seconds: valid ? Number(text) : null, problem: valid ? null : 'not a whole number of seconds in decimal' });
}

function version(text: string): CookiePart {
  return part('version', text, { problem: text === 'v1' ? null : 'not v1, the only format this server reads' });
}

function sealed(text: string): CookiePart {
  const bytes = decodeBase64url(text);
  if (bytes === null) return part('sealed', text, { problem: 'not canonical base64url' });
  if (bytes.length < NONCE_BYTES + TAG_BYTES) return part('sealed', text, { bytes: bytes.length, problem: `${bytes.length} bytes, fewer than a nonce and a tag (${NONCE_BYTES + TAG_BYTES})` });
  const piece = (name: 'nonce' | 'ciphertext' | 'tag', start: number, end: number) => ({ name, text: bytes.subarray(start, end).toString('base64url'), bytes: end - start });
  return part('sealed', text, {
    bytes: bytes.length,
    pieces: [piece('nonce', 0, NONCE_BYTES), piece('ciphertext', NONCE_BYTES, bytes.length - TAG_BYTES), piece('tag', bytes.length - TAG_BYTES, bytes.length)],
  });
}

function part(role: CookiePart['role'], text: string, fields: Partial<Omit<CookiePart, 'role' | 'text'>>): CookiePart {
  return { role, text, bytes: null, decodedText: null, compressed: false, seconds: null, pieces: [], problem: null, ...fields };
}
