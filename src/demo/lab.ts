/**
 * The cookie lab's checker: a session cookie verified one step at a time, in the library's order,
 * each step saying what it checks, what it found, and, for the first one that fails, why it refuses.
 *
 * What: `walkSignedCookie()` follows `Signer.verify()` (../signing/signer.ts) and then
 * `CookieSessionInterface.open()` (../session/cookie-session.ts) for Scratchpad's signed session
 * cookie; `walkFlaskCookie()` follows `FlaskCookieCodec.decode()` (../session/flask-codec.ts) for
 * Flask's. Each returns every step: passed, refused (at most one: the first that fails), or not
 * reached. `libraryVerdict()` asks the library itself about the same cookie, and `responseRules()`
 * says why a response to a session would or would not carry `Set-Cookie`.
 *
 * Why: the library's `verify()` answers with one verdict, and a learner who changed `alice` to
 * `admin` deserves to see *which* check caught it, and that the check before it let the change
 * through (the payload is still valid base64url and valid JSON; only the HMAC knows). The lab page
 * (lab-page.ts) shows both this walkthrough and the library's verdict.
 *
 * The rule that keeps it honest: its final verdict is always the library's. It recomputes nothing
 * the library keeps to itself: the signature it compares against is the one a `Signer` for the same
 * name and salt writes for the same payload when its clock stands at the cookie's own timestamp,
 * and the comparison is `crypto.timingSafeEqual`, as in the Signer. The tests run both on many
 * mutated cookies and require the same verdict, the same key, and a refusing step that matches the
 * library's error (test/demo/lab.test.ts): a check added to the library and not here shows up there
 * as a disagreement, on the first test cookie it refuses.
 *
 * What it never does: show a signature it computed. For a changed cookie that would be the very
 * signature that makes the change pass, and the lab would be a forgery service. The pages say
 * "matches none of the keys", never what would have matched.
 *
 * Spec: RFC 2104 (HMAC); the step order of ../signing/signer.ts, ../session/cookie-session.ts and
 * ../session/flask-codec.ts; Flask's `save_session` for the response rules.
 *
 * Not here: HTML and the lab's form (lab-page.ts), cutting a cookie into parts (cookie-parts.ts).
 *
 * Read next: lab-form.ts, the form a learner edits a cookie in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  CookieSessionInterface,
  DEFAULT_CLOCK_SKEW_SECONDS,
  FlaskCookieCodec,
  formatSeconds,
  MalformedSessionPayload,
  SESSION_SALT,
  SignatureError,
  Signer,
  TIMESTAMP_PATTERN,
  type JsonValue,
  type SessionCookieSettings,
} from '../index.js';
import { decodeBase64url, flaskSeconds, inflatePayload, MAX_COOKIE_VALUE_LENGTH, MAX_INFLATED_BYTES, splitFlaskValue } from './cookie-parts.js';


export interface LabSettings {
  /** The session cookie's settings: its name (signed with the value), lifetime and absolute lifetime. */
  readonly cookie: SessionCookieSettings;
  /** Keys that verify, the current one first. */
  readonly secrets: readonly string[];
  /** The time of the check, in milliseconds since the epoch. */
  readonly now: number;
}

export type StepName = 'length' | 'split' | 'timestamp' | 'decode' | 'signature' | 'age' | 'payload' | 'absolute';

/** The steps `Signer.verify()` takes; after them come the session's own (payload, absolute lifetime). */
export const SIGNER_STEPS: readonly StepName[] = ['length', 'split', 'timestamp', 'decode', 'signature', 'age'];

export interface CheckStep {
  readonly name: StepName;
  readonly title: string;
  /** What the step checks, in one or two sentences; `backticks` mark code. */
  readonly checks: string;
  readonly status: 'passed' | 'refused' | 'not reached';
  /** What it found in this cookie, as plain text (it quotes the cookie); empty when not reached. */
  readonly found: string;
  /** The error the library throws when this step refuses. */
  readonly error: string;
}

export interface Walkthrough {
  readonly format: 'native' | 'flask';
  readonly value: string;
  readonly steps: readonly CheckStep[];
  /** The step that refused the cookie, or `null`: accepted. */
  readonly refusedAt: StepName | null;
  /** Which key verified it (0: the current key), once the signature step passed. */
  readonly keyIndex: number | null;
}

interface StepPlan {
  readonly name: StepName;
  readonly title: string;
  readonly checks: string;
  readonly error: string;
}

/** Records steps in order; `refuse()` ends the walk, and every step after it is "not reached". */
class Steps {
  readonly #done: CheckStep[] = [];
  #keyIndex: number | null = null;

  constructor(
    readonly format: 'native' | 'flask',
    readonly value: string,
    readonly plan: readonly StepPlan[],
  ) {}

  pass(name: StepName, found: string): void {
    this.#done.push({ ...this.#step(name), status: 'passed', found });
  }

  passSignature(keyIndex: number, found: string): void {
    this.#keyIndex = keyIndex;
    this.pass('signature', found);
  }

  refuse(name: StepName, found: string): Walkthrough {
    this.#done.push({ ...this.#step(name), status: 'refused', found });
    return this.#result(name);
  }

  accept(): Walkthrough {
    return this.#result(null);
  }

  #step(name: StepName): StepPlan {
    const step = this.plan[this.#done.length]!;
    // A walk that skips or reorders a step is a bug in this file, not a property of the cookie.
    if (step.name !== name) throw new Error(`lab step ${name} taken where the plan has ${step.name}`);
    return step;
  }

  #result(refusedAt: StepName | null): Walkthrough {
    const rest = this.plan.slice(this.#done.length).map((step): CheckStep => ({ ...step, status: 'not reached', found: '' }));
    return { format: this.format, value: this.value, steps: [...this.#done, ...rest], refusedAt, keyIndex: this.#keyIndex };
  }
}

const SIGNED_PLAN: readonly StepPlan[] = [
  { name: 'length', title: 'Length', error: 'MalformedSignature', checks: 'At most 4096 characters: nothing the server signs is longer, so a longer value is refused before any other work.' },
  { name: 'split', title: 'Split', error: 'MalformedSignature', checks: 'Split on `.`: exactly three parts, `PAYLOAD.TIMESTAMP.SIGNATURE`.' },
  { name: 'timestamp', title: 'Timestamp', error: 'MalformedSignature', checks: 'The timestamp is whole seconds since 1970, in decimal, with no sign and no leading zero: one spelling for every time.' },
  { name: 'decode', title: 'Decode', error: 'MalformedSignature', checks: 'The payload and the signature are canonical base64url (one spelling for every value), and the signature is 32 bytes, the size of an HMAC-SHA256.' },
  { name: 'signature', title: 'Signature (HMAC)', error: 'BadSignature', checks: 'HMAC-SHA256 over `NAME=PAYLOAD.TIMESTAMP` (the cookie name, the payload and the timestamp), with a key derived from each secret key in turn, compared with the signature in constant time (`crypto.timingSafeEqual`).' },
  { name: 'age', title: 'Age', error: 'SignatureExpired', checks: 'Only now is the timestamp known to be the server\'s own: it is no older than PERMANENT_SESSION_LIFETIME, and not in the future (beyond 60 s of clock skew).' },
  { name: 'payload', title: 'Payload', error: 'MalformedSessionPayload', checks: 'The payload is JSON: `{"permanent": boolean, "created": seconds, "data": object}`.' },
  { name: 'absolute', title: 'Absolute lifetime', error: 'SessionTooOld', checks: 'The session began (`created`, the login) no longer ago than SESSION_ABSOLUTE_LIFETIME, however often its cookie was refreshed since.' },
];

/** Scratchpad's signed session cookie, step by step: `Signer.verify()`, then `CookieSessionInterface.open()`. */
export function walkSignedCookie(value: string, settings: LabSettings): Walkthrough {
  const steps = new Steps('native', value, SIGNED_PLAN);
  // 1. Length, before any other work.
  if (value.length > MAX_COOKIE_VALUE_LENGTH) return steps.refuse('length', `${value.length} characters: longer than anything the server signs (${MAX_COOKIE_VALUE_LENGTH}).`);
  steps.pass('length', `${value.length} characters.`);
  // 2. Three parts.
  const parts = value.split('.');
  if (parts.length !== 3) return steps.refuse('split', `${parts.length} dot-separated part${parts.length === 1 ? '' : 's'}, not 3.`);
  const [payloadText, timestamp, signatureText] = parts as [string, string, string];
  steps.pass('split', `A payload of ${payloadText.length} characters, a timestamp of ${timestamp.length} and a signature of ${signatureText.length}.`);
  // 3. The timestamp's spelling (read, not yet believed).
  if (!TIMESTAMP_PATTERN.test(timestamp)) return steps.refuse('timestamp', `"${timestamp}" is not a whole number of seconds written in decimal.`);
  steps.pass('timestamp', `${timestamp} claims ${dateOf(Number(timestamp))}; nothing proves that yet.`);
  // 4. Alphabet and size, in the Signer's order: payload, signature, the signature's length.
  const payload = decodeBase64url(payloadText);
  if (payload === null) return steps.refuse('decode', 'The payload is not canonical base64url.');
  const signature = decodeBase64url(signatureText);
  if (signature === null) return steps.refuse('decode', 'The signature is not canonical base64url.');
  if (signature.length !== 32) return steps.refuse('decode', `The signature is ${signature.length} bytes; an HMAC-SHA256 is 32.`);
  steps.pass('decode', `The payload is ${payload.length} bytes, the signature 32.`);
  // 5. The MAC, compared in constant time with each key's.
  const keyIndex = settings.secrets.findIndex((secret) => timingSafeEqual(signatureFor(secret, settings.cookie.name, payload, timestamp), signature));
  if (keyIndex === -1) {
    return steps.refuse('signature', `It matches none of the ${settings.secrets.length} key(s): the cookie was changed after it was signed, or signed with a key this server does not hold. (The signature that would match is not shown: computing it takes the secret key, and showing it would hand out forgeries.)`);
  }
  steps.passSignature(keyIndex, `It matches, with ${keyIndex === 0 ? 'the current key' : `fallback key ${keyIndex} (SECRET_KEY_FALLBACKS: the server re-signs such a cookie with the current key)`}. Name, payload and timestamp are exactly as the server signed them.`);
  // 6. The age, now that the timestamp is known to be genuine.
  const age = ageAt(settings.now, Number(timestamp));
  const lifetime = settings.cookie.lifetimeSeconds;
  if (age < -DEFAULT_CLOCK_SKEW_SECONDS) return steps.refuse('age', `Signed ${formatSeconds(-age)} in the future of the check's clock: more than the ${DEFAULT_CLOCK_SKEW_SECONDS} s of skew allowed (SignatureFromTheFuture).`);
  if (age > lifetime) return steps.refuse('age', `Signed ${formatSeconds(age)} before the check; PERMANENT_SESSION_LIFETIME allows ${formatSeconds(lifetime)}.`);
  steps.pass('age', `Signed ${formatSeconds(Math.max(age, 0))} before the check; accepted until ${dateOf(Number(timestamp) + lifetime)}.`);
  // 7. The session inside: JSON of the expected shape.
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return steps.refuse('payload', 'The payload is not JSON.');
  }
  if (!isPlainObject(parsed) || typeof parsed['permanent'] !== 'boolean' || !Number.isSafeInteger(parsed['created']) || !isPlainObject(parsed['data'])) {
    return steps.refuse('payload', 'The payload is JSON, but not {"permanent": boolean, "created": seconds, "data": object}.');
  }
  const created = parsed['created'] as number;
  steps.pass('payload', `A ${parsed['permanent'] ? 'permanent' : 'volatile'} session, begun ${dateOf(created)}, holding ${JSON.stringify(parsed['data'])}.`);
  // 8. However often refreshed, a session ends SESSION_ABSOLUTE_LIFETIME after login.
  const sessionAge = ageAt(settings.now, created);
  const absolute = settings.cookie.absoluteLifetimeSeconds;
  if (sessionAge > absolute) return steps.refuse('absolute', `The session began ${formatSeconds(sessionAge)} before the check; SESSION_ABSOLUTE_LIFETIME allows ${formatSeconds(absolute)}.`);
  steps.pass('absolute', `The session began ${formatSeconds(Math.max(sessionAge, 0))} before the check; SESSION_ABSOLUTE_LIFETIME allows ${formatSeconds(absolute)}.`);
  return steps.accept();
}

/**
 * The signature the server writes for `payload` at `timestamp` with `secret`: the third part of what
 * a `Signer` for the same cookie name and salt signs when its clock stands at that very second.
 */
function signatureFor(secret: string, name: string, payload: Buffer, timestamp: string): Buffer {
  const signer = new Signer({ secrets: [secret], salt: SESSION_SALT, now: () => Number(timestamp) * 1000 });
  return Buffer.from(signer.sign(name, payload).split('.')[2]!, 'base64url');
}

const FLASK_PLAN: readonly StepPlan[] = [
  { name: 'length', title: 'Length', error: 'MalformedSignature', checks: 'At most 4096 characters, before any other work.' },
  { name: 'split', title: 'Split', error: 'MalformedSignature', checks: 'Split at the last two dots (a compressed payload starts with a dot of its own): `PAYLOAD.TIMESTAMP.SIGNATURE`.' },
  { name: 'decode', title: 'Decode', error: 'MalformedSignature', checks: 'All three parts are canonical base64url; the signature is 20 bytes (HMAC-SHA1); the timestamp is a big-endian number of 1 to 8 bytes with no leading zero byte.' },
  { name: 'signature', title: 'Signature (HMAC)', error: 'BadSignature', checks: 'HMAC-SHA1 over `PAYLOAD.TIMESTAMP`, keyed with HMAC-SHA1(secret key, "cookie-session") for each secret key in turn, compared in constant time. As in Flask, the cookie name is not covered.' },
  { name: 'age', title: 'Age', error: 'SignatureExpired', checks: 'Not in the future at all (Flask allows no clock skew), and no older than PERMANENT_SESSION_LIFETIME.' },
  { name: 'payload', title: 'Payload', error: 'MalformedSessionPayload', checks: 'Inflated if compressed (to at most 64 KiB), UTF-8 JSON, an object, and Flask\'s tagged values and integers as Flask can read them (this last check is the codec\'s own).' },
];

/** Flask's session cookie, step by step, as `FlaskCookieCodec.decode()` reads it. */
export function walkFlaskCookie(value: string, settings: LabSettings): Walkthrough {
  const steps = new Steps('flask', value, FLASK_PLAN);
  // 1. Length.
  if (value.length > MAX_COOKIE_VALUE_LENGTH) return steps.refuse('length', `${value.length} characters: longer than any cookie (${MAX_COOKIE_VALUE_LENGTH}).`);
  steps.pass('length', `${value.length} characters.`);
  // 2. Shape: split at the last two dots.
  const split = splitFlaskValue(value);
  if (split === null) return steps.refuse('split', 'There are not two dots after the payload.');
  const compressed = split.payload.startsWith('.');
  steps.pass('split', `A ${compressed ? 'compressed ' : ''}payload of ${split.payload.length} characters, a timestamp of ${split.timestamp.length} and a signature of ${split.signature.length}.`);
  // 3. Alphabet and sizes, in the codec's order.
  const signature = decodeBase64url(split.signature);
  if (signature === null) return steps.refuse('decode', 'The signature is not canonical base64url.');
  const timestampBytes = decodeBase64url(split.timestamp);
  if (timestampBytes === null) return steps.refuse('decode', 'The timestamp is not canonical base64url.');
  const payload = decodeBase64url(compressed ? split.payload.slice(1) : split.payload);
  if (payload === null) return steps.refuse('decode', 'The payload is not canonical base64url.');
  if (signature.length !== 20) return steps.refuse('decode', `The signature is ${signature.length} bytes; an HMAC-SHA1 is 20.`);
  const seconds = flaskSeconds(timestampBytes);
  if (seconds === null) return steps.refuse('decode', `The timestamp's ${timestampBytes.length} bytes are not a minimal big-endian number of 1 to 8 bytes.`);
  steps.pass('decode', `The timestamp's ${timestampBytes.length} bytes claim ${dateOf(seconds)}; the payload is ${payload.length} bytes, the signature 20.`);
  // 4. The MAC over everything before the last dot, in constant time, with each key.
  const signed = value.slice(0, value.lastIndexOf('.'));
  const keyIndex = settings.secrets.findIndex((secret) => timingSafeEqual(flaskSignature(secret, signed), signature));
  if (keyIndex === -1) {
    return steps.refuse('signature', `It matches none of the ${settings.secrets.length} key(s): the cookie was changed after it was signed, or signed with another key. (The signature that would match is not shown.)`);
  }
  steps.passSignature(keyIndex, `It matches, with ${keyIndex === 0 ? 'the current key' : `fallback key ${keyIndex}`}.`);
  // 5. Age, with no tolerance for a clock ahead of ours.
  const age = ageAt(settings.now, seconds);
  const lifetime = settings.cookie.lifetimeSeconds;
  if (age < 0) return steps.refuse('age', `Signed ${formatSeconds(-age)} in the future of the check's clock; Flask allows none (SignatureFromTheFuture).`);
  if (age > lifetime) return steps.refuse('age', `Signed ${formatSeconds(age)} before the check; PERMANENT_SESSION_LIFETIME allows ${formatSeconds(lifetime)}.`);
  steps.pass('age', `Signed ${formatSeconds(age)} before the check; accepted until ${dateOf(seconds + lifetime)}.`);
  // 6. The payload: inflate, decode, parse; then the codec's own checks of Flask's tags.
  const json = compressed ? inflatePayload(payload) : payload;
  if (json === null) return steps.refuse('payload', `The compressed payload does not inflate to at most ${MAX_INFLATED_BYTES} bytes.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch {
    return steps.refuse('payload', 'The payload is not UTF-8 JSON.');
  }
  if (!isPlainObject(parsed)) return steps.refuse('payload', 'The payload is JSON, but not an object.');
  try {
    new FlaskCookieCodec({ secrets: settings.secrets, now: () => settings.now }).decode(settings.cookie.name, value, lifetime);
  } catch (error) {
    if (!(error instanceof MalformedSessionPayload)) throw error;
    return steps.refuse('payload', `Flask's codec refuses what is inside: ${error.message}.`);
  }
  steps.pass('payload', `A ${parsed['_permanent'] === true ? 'permanent' : 'volatile'} session (_permanent is how Flask carries the flag), holding ${JSON.stringify(parsed)}.`);
  return steps.accept();
}

/** itsdangerous' signature: HMAC-SHA1 keyed with HMAC-SHA1(secret, "cookie-session"). */
function flaskSignature(secret: string, signed: string): Buffer {
  const key = createHmac('sha1', secret).update('cookie-session').digest();
  return createHmac('sha1', key).update(signed).digest();
}

/** What the library itself says about a cookie: the verdict the walkthrough must always match. */
export interface LibraryVerdict {
  readonly accepted: boolean;
  /** `ErrorName: message` of the refusal, or null. */
  readonly reason: string | null;
  readonly keyIndex: number | null;
  readonly data: Readonly<Record<string, JsonValue>> | null;
}

/**
 * The library's verdict: for the native format `Signer.verify()`, then `CookieSessionInterface.open()`
 * for the session rules after it; for Flask's, `FlaskCookieCodec.decode()`.
 */
export async function libraryVerdict(format: 'native' | 'flask', value: string, settings: LabSettings): Promise<LibraryVerdict> {
  const now = (): number => settings.now;
  const name = settings.cookie.name;
  if (format === 'flask') {
    try {
      const decoded = new FlaskCookieCodec({ secrets: settings.secrets, now }).decode(name, value, settings.cookie.lifetimeSeconds);
      return { accepted: true, reason: null, keyIndex: decoded.keyIndex, data: decoded.data };
    } catch (error) {
      if (!(error instanceof SignatureError || error instanceof MalformedSessionPayload)) throw error;
      return { accepted: false, reason: `${error.name}: ${error.message}`, keyIndex: null, data: null };
    }
  }
  const signer = new Signer({ secrets: settings.secrets, salt: SESSION_SALT, now });
  try {
    signer.verify(name, value, settings.cookie.lifetimeSeconds);
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    return { accepted: false, reason: `${error.name}: ${error.message}`, keyIndex: null, data: null };
  }
  // Verified, so the value is base64url, digits and dots only, and goes into a Cookie header as it is.
  const { session, incoming } = await new CookieSessionInterface(settings.cookie, signer, now).open(`${name}=${value}`);
  return incoming.rejection === null
    ? { accepted: true, reason: null, keyIndex: incoming.keyIndex, data: session.toObject() }
    : { accepted: false, reason: incoming.rejection, keyIndex: null, data: null };
}

/** What decides whether a response carries the session cookie: the session as it was opened. */
export interface SessionState {
  /** Cookie sessions carry the data; server-side ones an id. */
  readonly holds: 'data' | 'id';
  readonly empty: boolean;
  readonly permanent: boolean;
  /** Which key verified the cookie; null without a valid cookie. */
  readonly keyIndex: number | null;
  /** SESSION_REFRESH_EACH_REQUEST. */
  readonly refreshEachRequest: boolean;
}

export interface ResponseRule {
  readonly when: string;
  readonly then: string;
  /** Whether this rule decides for a request that changes nothing in this session. */
  readonly decides: boolean;
}

/**
 * Flask's rules for `Set-Cookie` (`save_session`, and #setCookieFor in ../session/cookie-session.ts),
 * in the order they are applied, marking the one that decides for a request that changes nothing
 * (as GET / does): the first that applies.
 */
export function responseRules(state: SessionState): ResponseRule[] {
  const store = state.holds === 'id';
  const applies = [
    state.empty,
    false,
    !state.empty && state.permanent && state.refreshEachRequest,
    !state.empty && state.keyIndex !== null && state.keyIndex > 0,
    true,
  ];
  const decider = applies.indexOf(true);
  const rules: Omit<ResponseRule, 'decides'>[] = [
    { when: 'The session is empty.', then: 'No Set-Cookie. (A session that this very request emptied, as logging out does, gets a deletion cookie instead.)' },
    { when: 'The request changed the session: logging in, logging out, a new value.', then: `Set-Cookie, with ${store ? 'the id (a new one at login) once the store has the record' : 'the new data, signed now'}.` },
    { when: 'The session is permanent and SESSION_REFRESH_EACH_REQUEST is true.', then: 'Set-Cookie again, signed now: the cookie then expires PERMANENT_SESSION_LIFETIME after the last visit, not after the login.' },
    { when: 'A fallback key (SECRET_KEY_FALLBACKS) verified the cookie.', then: 'Set-Cookie, re-signed with the current key, so that the old key can be retired.' },
    { when: 'Otherwise.', then: `No Set-Cookie: the browser's cookie is still right${store ? ' (the store restarts the record\'s time to live)' : ''}.` },
  ];
  return rules.map((rule, index) => ({ ...rule, decides: index === decider }));
}

function ageAt(nowMilliseconds: number, seconds: number): number {
  return Math.floor(nowMilliseconds / 1000) - seconds;
}

function dateOf(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? `${seconds} s after 1970, beyond any date` : date.toUTCString();
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
