// The lab's walkthrough must never tell a different story from the library: on every cookie tried
// here, its verdict is the library's, with the same key, and the step that refuses is the one whose
// error the library throws. Then each step's own refusal, the response rules, the form, and the rule
// that the lab signs nothing the server would accept.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { test } from 'node:test';
import { applyEdit, CookieLab, cookieFromForm, labForm, readLabForm } from '../../src/demo/lab-form.js';
import { findLabLinks } from '../../src/demo/lab-page.js';
import { SourceLibrary } from '../../src/demo/source.js';
import { libraryVerdict, responseRules, SIGNER_STEPS, walkFlaskCookie, walkSignedCookie, type LabSettings, type StepName, type Walkthrough } from '../../src/demo/lab.js';
import { CookieSessionInterface, FlaskCookieCodec, FormFields, HttpError, loadConfig, Session, SignatureError, Signer } from '../../src/index.js';
import { SeededRandom } from '../helpers/random.js';

const CURRENT = 'the-current-secret-key-of-the-lab-tests';
const FALLBACK = 'an-older-secret-key-still-verifying-here';
const STRANGER = 'a-key-this-server-has-never-held-at-all';
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const SECONDS = NOW / 1000;
const { cookie } = loadConfig({ SECRET_KEY: CURRENT });
const LIFETIME = cookie.lifetimeSeconds;
const settings: LabSettings = { cookie, secrets: [CURRENT, FALLBACK], now: NOW };

/** A native cookie as the server signs it: `secret`, at `seconds`, holding `payload` as it is. */
function signed(payload: string | Buffer, seconds = SECONDS - 10, secret = CURRENT): string {
  return new Signer({ secrets: [secret], salt: 'scratchpad.session', now: () => seconds * 1000 }).sign('session', payload);
}

function session(data: Record<string, unknown> = { username: 'alice' }, created = SECONDS - 10, permanent = false): string {
  return JSON.stringify({ permanent, created, data });
}

/** A Flask cookie as itsdangerous signs it, for any payload part and timestamp (tests only). */
function flaskSigned(payloadPart: string, seconds = SECONDS - 10, secret = CURRENT): string {
  let hex = BigInt(seconds).toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const signedPart = `${payloadPart}.${Buffer.from(hex, 'hex').toString('base64url')}`;
  const key = createHmac('sha1', secret).update('cookie-session').digest();
  return `${signedPart}.${createHmac('sha1', key).update(signedPart).digest('base64url')}`;
}

const json = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const zlib = (value: unknown): string => `.${deflateSync(Buffer.from(JSON.stringify(value))).toString('base64url')}`;

/** Which library errors each step stands for. */
const ERRORS_OF: Record<StepName, readonly string[]> = {
  length: ['MalformedSignature'],
  split: ['MalformedSignature'],
  timestamp: ['MalformedSignature'],
  decode: ['MalformedSignature'],
  signature: ['BadSignature'],
  age: ['SignatureExpired', 'SignatureFromTheFuture'],
  payload: ['MalformedSessionPayload'],
  absolute: ['SessionTooOld'],
};

/** Both verdicts on `value` at `now`, and whether they agree in every respect the page shows. */
async function assertNativeAgrees(value: string, now = NOW): Promise<Walkthrough> {
  const at: LabSettings = { ...settings, now };
  const walk = walkSignedCookie(value, at);
  const context = `value ${JSON.stringify(value)} at ${now}: ${JSON.stringify(walk.steps.find((step) => step.status === 'refused') ?? 'accepted')}`;
  // 1. Signer.verify() against the steps it takes.
  const signer = new Signer({ secrets: settings.secrets, salt: 'scratchpad.session', now: () => now });
  let signerError: string | null = null;
  let keyIndex: number | null = null;
  try {
    keyIndex = signer.verify('session', value, LIFETIME).keyIndex;
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    signerError = error.name;
  }
  const walkSignerRefusal = walk.refusedAt !== null && SIGNER_STEPS.includes(walk.refusedAt) ? walk.refusedAt : null;
  assert.equal(walkSignerRefusal === null, signerError === null, `Signer.verify ${signerError ?? 'accepted'}; ${context}`);
  if (signerError !== null) assert.ok(ERRORS_OF[walkSignerRefusal!].includes(signerError), `Signer.verify threw ${signerError}; ${context}`);
  else assert.equal(walk.keyIndex, keyIndex, context);
  // 2. The whole session, as CookieSessionInterface.open() reads it (only a verified value is a
  //    valid Cookie header as it stands; any other is refused before the session rules anyway).
  if (signerError === null) {
    const { incoming } = await new CookieSessionInterface(cookie, signer, () => now).open(`session=${value}`);
    assert.equal(walk.refusedAt === null, incoming.rejection === null, `open(): ${incoming.rejection ?? 'accepted'}; ${context}`);
    if (incoming.rejection !== null) assert.ok(ERRORS_OF[walk.refusedAt!].includes(incoming.rejection.slice(0, incoming.rejection.indexOf(':'))), context);
  }
  // 3. And what the page shows beside the walkthrough.
  assert.equal((await libraryVerdict('native', value, at)).accepted, walk.refusedAt === null, context);
  assertWellFormed(walk);
  return walk;
}

async function assertFlaskAgrees(value: string, now = NOW): Promise<Walkthrough> {
  const at: LabSettings = { ...settings, now };
  const walk = walkFlaskCookie(value, at);
  const context = `value ${JSON.stringify(value)} at ${now}: ${JSON.stringify(walk.steps.find((step) => step.status === 'refused') ?? 'accepted')}`;
  let error: string | null = null;
  let keyIndex: number | null = null;
  try {
    keyIndex = new FlaskCookieCodec({ secrets: settings.secrets, now: () => now }).decode('session', value, LIFETIME).keyIndex;
  } catch (thrown) {
    error = (thrown as Error).name;
  }
  assert.equal(walk.refusedAt === null, error === null, `FlaskCookieCodec.decode ${error ?? 'accepted'}; ${context}`);
  if (error !== null) assert.ok(ERRORS_OF[walk.refusedAt!].includes(error), `decode threw ${error}; ${context}`);
  else assert.equal(walk.keyIndex, keyIndex, context);
  assert.equal((await libraryVerdict('flask', value, at)).accepted, walk.refusedAt === null, context);
  assertWellFormed(walk);
  return walk;
}

/** Passed steps, then at most one refused, then only steps not reached; a found text for each step taken. */
function assertWellFormed(walk: Walkthrough): void {
  const order = walk.steps.map((step) => step.status);
  const refused = order.indexOf('refused');
  const firstSkipped = order.indexOf('not reached');
  if (refused === -1) assert.equal(firstSkipped, -1, 'an accepted cookie took every step');
  else assert.deepEqual(order.slice(refused + 1), order.slice(refused + 1).map(() => 'not reached'));
  assert.ok(order.slice(0, refused === -1 ? order.length : refused).every((status) => status === 'passed'));
  for (const step of walk.steps) assert.equal(step.found === '', step.status === 'not reached', step.name);
}

/** Every single-character edit of `value` (replaced, deleted, or a character inserted), and random multi-edits. */
function mutations(value: string, seed: number, count = 200): string[] {
  const out = new Set<string>();
  for (let at = 0; at < value.length; at += 1) {
    for (const character of ['A', 'B', '_', '-', '.', '0', '9', '=', ' ', 'é']) out.add(value.slice(0, at) + character + value.slice(at + 1));
    out.add(value.slice(0, at) + value.slice(at + 1));
    out.add(`${value.slice(0, at)}.${value.slice(at)}`);
  }
  const random = new SeededRandom(seed);
  for (let index = 0; index < count; index += 1) out.add(random.mutate(value));
  return [...out];
}

test('walkSignedCookie() agrees with Signer.verify() and CookieSessionInterface.open() on every mutation of a genuine cookie', async () => {
  const genuine = [signed(session()), signed(session({ username: 'bob', n: 1 }, SECONDS - 5, true), SECONDS - 2, FALLBACK)];
  let tried = 0;
  for (const [index, value] of genuine.entries()) {
    const walk = await assertNativeAgrees(value);
    assert.equal(walk.refusedAt, null);
    assert.equal(walk.keyIndex, index, 'the current key, then the fallback');
    for (const mutated of mutations(value, 15 + index)) {
      await assertNativeAgrees(mutated);
      tried += 1;
    }
  }
  assert.ok(tried > 2000, `${tried} mutated cookies`);
});

test('walkSignedCookie() agrees with the library on signed cookies that are wrong inside, and at every age around the limits', async () => {
  const cases = [
    signed(session(), SECONDS - 10, STRANGER),
    signed('not json'),
    signed(Buffer.from([0xff, 0xfe, 0x7b])),
    signed('[1,2]'),
    signed(JSON.stringify({ permanent: 'yes', created: 1, data: {} })),
    signed(JSON.stringify({ permanent: false, created: 1.5, data: {} })),
    signed(JSON.stringify({ permanent: false, created: 1, data: [] })),
    signed(''),
    signed(session({}, SECONDS - cookie.absoluteLifetimeSeconds - 1)),
    signed(session({}, SECONDS - cookie.absoluteLifetimeSeconds)),
    signed(session({ deep: { nested: [1, { x: null }] } })),
    signed(session(), 0),
    'x'.repeat(5000),
    `${'a'.repeat(4000)}.${SECONDS}.${'A'.repeat(96)}`,
  ];
  for (const value of cases) await assertNativeAgrees(value);
  // Ages: just inside and just outside the lifetime and the clock skew.
  for (const offset of [-LIFETIME - 1, -LIFETIME, -LIFETIME + 1, 0, 59, 60, 61, 62, 1000]) await assertNativeAgrees(signed(session(), SECONDS + offset));
  // The same cookie, checked later and later.
  const value = signed(session());
  for (const days of [0, 1, 30, 31, 32, 89, 90, 91, 400]) await assertNativeAgrees(value, NOW + days * 86400_000);
});

test('walkFlaskCookie() agrees with FlaskCookieCodec.decode() on every mutation of genuine Flask cookies', async () => {
  const codec = (secret: string) => new FlaskCookieCodec({ secrets: [secret], now: () => NOW - 10_000 });
  const genuine = [
    codec(CURRENT).encode('session', { permanent: false, created: null, data: { username: 'alice' } }),
    codec(FALLBACK).encode('session', { permanent: true, created: null, data: { username: 'b'.repeat(80) } }),
  ];
  assert.ok(genuine[1]!.startsWith('.'), 'one of them compressed');
  let tried = 0;
  for (const [index, value] of genuine.entries()) {
    const walk = await assertFlaskAgrees(value);
    assert.equal(walk.refusedAt, null);
    assert.equal(walk.keyIndex, index);
    for (const mutated of mutations(value, 27 + index)) {
      await assertFlaskAgrees(mutated);
      tried += 1;
    }
  }
  assert.ok(tried > 1500, `${tried} mutated cookies`);
});

test('walkFlaskCookie() agrees with the codec on Flask cookies that are wrong inside, and around the lifetime', async () => {
  const cases = [
    flaskSigned(json({ username: 'alice' }), SECONDS - 10, STRANGER),
    flaskSigned(Buffer.from('not json').toString('base64url')),
    flaskSigned(Buffer.from([0xff, 0x7b]).toString('base64url')),
    flaskSigned(json([1, 2])),
    flaskSigned(Buffer.from('{"id": 9007199254740993}').toString('base64url')),
    flaskSigned(json({ x: { ' t': 'not a list' } })),
    flaskSigned(json({ x: { ' u': '0123456789abcdef0123456789abcdef' } })),
    flaskSigned(zlib({ username: 'z'.repeat(100) })),
    flaskSigned(`.${Buffer.from('not zlib').toString('base64url')}`),
    flaskSigned(`.${deflateSync(Buffer.alloc(70 * 1024, 32)).toString('base64url')}`),
    flaskSigned(json({})),
    'no dots at all',
    '.onlyone',
    'x'.repeat(5000),
  ];
  for (const value of cases) await assertFlaskAgrees(value);
  for (const offset of [-LIFETIME - 1, -LIFETIME, 0, 1, 60]) await assertFlaskAgrees(flaskSigned(json({ username: 'alice' }), SECONDS + offset));
});

// Each step's own refusal, and what it says: one row per step, the reason between rows.
const NATIVE_REFUSALS: readonly { name: string; value: string; now?: number; step: StepName; says: RegExp }[] = [
  { name: 'a value longer than a cookie', value: 'x'.repeat(4097), step: 'length', says: /4097 characters: longer than anything the server signs \(4096\)/ },
  { name: 'two parts', value: 'abc.def', step: 'split', says: /2 dot-separated parts, not 3/ },
  { name: 'a timestamp with a leading zero (one spelling per time)', value: `${json({})}.0${SECONDS}.${'A'.repeat(43)}`, step: 'timestamp', says: /is not a whole number of seconds written in decimal/ },
  { name: 'a payload outside base64url', value: `a+b.${SECONDS}.${'A'.repeat(43)}`, step: 'decode', says: /The payload is not canonical base64url/ },
  { name: 'a signature with stray low bits (not canonical)', value: `${json({})}.${SECONDS}.${'A'.repeat(42)}B`, step: 'decode', says: /The signature is not canonical base64url/ },
  { name: 'a signature of the wrong size', value: `${json({})}.${SECONDS}.${'A'.repeat(42)}`, step: 'decode', says: /The signature is 31 bytes; an HMAC-SHA256 is 32/ },
  { name: 'alice made admin', value: signed(session()).replace(json({ permanent: false, created: SECONDS - 10, data: { username: 'alice' } }), json({ permanent: false, created: SECONDS - 10, data: { username: 'admin' } })), step: 'signature', says: /matches none of the 2 key\(s\): the cookie was changed after it was signed/ },
  { name: 'older than the lifetime', value: signed(session(), SECONDS - LIFETIME - 60), step: 'age', says: /Signed 31 d 1 min before the check; PERMANENT_SESSION_LIFETIME allows 31 d/ },
  { name: 'from the future', value: signed(session(), SECONDS + 3600), step: 'age', says: /Signed 1 h in the future of the check's clock: more than the 60 s of skew allowed/ },
  { name: 'a payload that is not JSON', value: signed('alice'), step: 'payload', says: /The payload is not JSON/ },
  { name: 'JSON without the envelope', value: signed('{"username":"alice"}'), step: 'payload', says: /not \{"permanent": boolean, "created": seconds, "data": object\}/ },
  { name: 'a login older than SESSION_ABSOLUTE_LIFETIME', value: signed(session({}, SECONDS - 91 * 86400)), step: 'absolute', says: /The session began 91 d before the check; SESSION_ABSOLUTE_LIFETIME allows 90 d/ },
];

for (const { name, value, now, step, says } of NATIVE_REFUSALS) {
  test(`walkSignedCookie() refuses ${name} at the ${step} step`, async () => {
    const walk = await assertNativeAgrees(value, now);
    assert.equal(walk.refusedAt, step);
    assert.match(walk.steps.find((each) => each.name === step)!.found, says);
  });
}

const FLASK_REFUSALS: readonly { name: string; value: string; step: StepName; says: RegExp }[] = [
  { name: 'a value longer than a cookie', value: 'x'.repeat(4097), step: 'length', says: /4097 characters/ },
  { name: 'one dot', value: 'abc.def', step: 'split', says: /There are not two dots after the payload/ },
  { name: 'a signature of SHA-256 size', value: `${json({})}.aSXw8g.${'A'.repeat(43)}`, step: 'decode', says: /The signature is 32 bytes; an HMAC-SHA1 is 20/ },
  { name: 'a timestamp with a leading zero byte', value: `${json({})}.AGkl8PI.${'A'.repeat(27)}`, step: 'decode', says: /not a minimal big-endian number/ },
  { name: 'alice made admin', value: flaskSigned(json({ username: 'alice' })).replace(json({ username: 'alice' }), json({ username: 'admin' })), step: 'signature', says: /matches none of the 2 key\(s\)/ },
  { name: 'a cookie from one second in the future (Flask allows no skew)', value: flaskSigned(json({}), SECONDS + 1), step: 'age', says: /Signed 1 s in the future of the check's clock; Flask allows none/ },
  { name: 'an inflated payload over 64 KiB', value: flaskSigned(`.${deflateSync(Buffer.alloc(70 * 1024, 32)).toString('base64url')}`), step: 'payload', says: /does not inflate to at most 65536 bytes/ },
  { name: 'an integer JavaScript cannot hold', value: flaskSigned(Buffer.from('{"id": 9007199254740993}').toString('base64url')), step: 'payload', says: /Flask's codec refuses what is inside: payload holds an integer beyond 2\^53/ },
];

for (const { name, value, step, says } of FLASK_REFUSALS) {
  test(`walkFlaskCookie() refuses ${name} at the ${step} step`, async () => {
    const walk = await assertFlaskAgrees(value);
    assert.equal(walk.refusedAt, step);
    assert.match(walk.steps.find((each) => each.name === step)!.found, says);
  });
}

test('walkSignedCookie() never shows the signature that would make an edited cookie pass', () => {
  const genuine = signed(session());
  const edited = genuine.replace(json({ permanent: false, created: SECONDS - 10, data: { username: 'alice' } }), json({ permanent: false, created: SECONDS - 10, data: { username: 'admin' } }));
  const forgery = signed(session({ username: 'admin' })).split('.')[2]!;
  const text = JSON.stringify(walkSignedCookie(edited, settings));
  assert.ok(!text.includes(forgery), 'the valid signature for the edit appears nowhere');
  assert.ok(!text.includes(forgery.slice(0, 8)), 'not even its beginning');
});

test('findLabLinks() finds the line of every step in today\'s sources', () => {
  const links = findLabLinks(SourceLibrary.load()!, false);
  assert.deepEqual(Object.keys(links.native).sort(), ['absolute', 'age', 'decode', 'length', 'payload', 'signature', 'split', 'timestamp']);
  assert.deepEqual(Object.keys(links.flask).sort(), ['age', 'decode', 'length', 'payload', 'signature', 'split']);
  assert.match(links.whenToSend ?? '', /^\/source\/session\/cookie-session\.ts#L\d+$/);
  assert.match(findLabLinks(SourceLibrary.load()!, true).whenToSend ?? '', /^\/source\/session\/server-session\.ts#L\d+$/);
});

test('responseRules() marks the rule that decides for a request that changes nothing', () => {
  const decider = (state: Parameters<typeof responseRules>[0]) => responseRules(state).findIndex((rule) => rule.decides);
  const base = { holds: 'data' as const, empty: false, permanent: false, keyIndex: 0, refreshEachRequest: true };
  assert.equal(decider({ ...base, empty: true }), 0, 'empty: no cookie');
  assert.equal(decider({ ...base, permanent: true }), 2, 'permanent and refreshed each request');
  assert.equal(decider({ ...base, permanent: true, refreshEachRequest: false }), 4, 'permanent, not refreshed: nothing');
  assert.equal(decider({ ...base, keyIndex: 1 }), 3, 'a fallback key: re-signed');
  assert.equal(decider(base), 4, 'volatile and unchanged: nothing');
  assert.equal(responseRules(base).filter((rule) => rule.decides).length, 1);
  assert.match(responseRules({ ...base, holds: 'id' })[4]!.then, /the store restarts the record's time to live/);
});

test('cookieFromForm() sends unchanged parts exactly as they were, and encodes a changed one as its format does', () => {
  for (const value of [signed(session()), new FlaskCookieCodec({ secrets: [CURRENT], now: () => NOW }).encode('session', { permanent: true, created: null, data: { username: 'c'.repeat(90) } }), flaskSigned(json({ a: 1 })), 'not.a cookie', 'garbage']) {
    const format = value.startsWith('.') || value === flaskSigned(json({ a: 1 })) ? 'flask' : 'native';
    const form = labForm(format, 'yours', value);
    assert.deepEqual(cookieFromForm(form), { value, parts: cookieFromForm(form).parts.map((part) => ({ ...part, changed: false })) }, value);
    assert.equal(cookieFromForm(form).value, value);
  }
  const form = labForm('native', 'yours', signed(session()));
  assert.equal(form.payload, session());
  assert.equal(form.timestamp, String(SECONDS - 10));
  const admin = cookieFromForm({ ...form, payload: form.payload.replace('alice', 'admin') });
  assert.deepEqual(admin.parts.map((part) => part.changed), [true, false, false]);
  assert.equal(Buffer.from(admin.value.split('.')[0]!, 'base64url').toString(), session({ username: 'admin' }));
  // Flask: a changed timestamp is written back as big-endian bytes, a changed payload compressed when that pays.
  const flask = labForm('flask', 'yours', flaskSigned(json({ a: 1 })));
  assert.equal(flask.timestamp, String(SECONDS - 10));
  const moved = cookieFromForm({ ...flask, timestamp: String(SECONDS), payload: JSON.stringify({ a: 'x'.repeat(100) }) });
  assert.deepEqual(moved.parts.map((part) => part.changed), [true, true, false]);
  assert.ok(moved.value.startsWith('.'));
  assert.equal(walkFlaskCookie(moved.value, settings).refusedAt, 'signature', 'well formed, but not signed');
});

test('labForm() shows a part that does not decode as it is, and cookieFromForm() encodes Flask\'s timestamps only when they are numbers', () => {
  const broken = labForm('flask', 'yours', `a+b.a+b.sig`);
  assert.deepEqual([broken.payload, broken.timestamp, broken.signature], ['a+b', 'a+b', 'sig']);
  assert.equal(cookieFromForm(broken).value, 'a+b.a+b.sig');
  const form = labForm('flask', 'yours', flaskSigned(json({ a: 1 })));
  assert.equal(cookieFromForm({ ...form, timestamp: 'soon' }).value.split('.')[1], 'soon');
  assert.equal(cookieFromForm({ ...form, timestamp: '0' }).value.split('.')[1], '0');
  assert.equal(cookieFromForm({ ...form, timestamp: '256' }).value.split('.')[1], 'AQA');
  const garbage = labForm('native', 'example', 'garbage');
  assert.deepEqual(cookieFromForm({ ...garbage, signature: 'x' }).parts.map((part) => part.changed), [true, true, true]);
});

test('applyEdit() makes the edits the signature and the age must stop', () => {
  const form = labForm('native', 'yours', signed(session()));
  assert.equal(JSON.parse(applyEdit(form, 'admin', LIFETIME).payload).data.username, 'admin');
  assert.equal(JSON.parse(applyEdit(form, 'permanent', LIFETIME).payload).permanent, true);
  assert.notEqual(applyEdit(form, 'signature', LIFETIME).signature, form.signature);
  assert.equal(applyEdit(form, 'signature', LIFETIME).signature.slice(1), form.signature.slice(1));
  assert.equal(applyEdit(form, 'later', LIFETIME).daysLater, 32);
  assert.equal(applyEdit({ ...form, payload: 'not json' }, 'admin', LIFETIME).payload, 'not json');
  assert.equal(applyEdit({ ...form, payload: '[1]' }, 'admin', LIFETIME).payload, '[1]');
  assert.equal(applyEdit({ ...form, payload: '{"data":[]}' }, 'admin', LIFETIME).payload, '{"data":[]}');
  assert.equal(applyEdit({ ...form, signature: 'AAAA' }, 'signature', LIFETIME).signature, 'BAAA');
  const flask = labForm('flask', 'yours', flaskSigned(json({ username: 'alice' })));
  assert.equal(JSON.parse(applyEdit(flask, 'permanent', LIFETIME).payload)._permanent, true);
  assert.equal(JSON.parse(applyEdit(applyEdit(flask, 'permanent', LIFETIME), 'permanent', LIFETIME).payload)._permanent, undefined);
  assert.equal(JSON.parse(applyEdit(flask, 'admin', LIFETIME).payload).username, 'admin');
});

test('readLabForm() reads a posted form with its button, and refuses a form no lab page writes (400)', () => {
  const fields = (entries: Record<string, string>) => {
    const form = new FormFields();
    for (const [name, value] of Object.entries(entries)) form.append(name, value);
    return form;
  };
  const base = { format: 'native', source: 'yours', original: 'a.1.b', payload: '{}', timestamp: '1', signature: 'b', days_later: '3' };
  assert.deepEqual(readLabForm(fields(base), LIFETIME), { format: 'native', source: 'yours', original: 'a.1.b', payload: '{}', timestamp: '1', signature: 'b', daysLater: 3 });
  assert.equal(readLabForm(fields({ ...base, edit: 'later' }), LIFETIME).daysLater, 32);
  assert.equal(readLabForm(fields({ ...base, edit: 'unknown' }), LIFETIME).daysLater, 3);
  assert.deepEqual(readLabForm(fields({ format: 'flask', source: 'example' }), LIFETIME), { format: 'flask', source: 'example', original: '', payload: '', timestamp: '', signature: '', daysLater: 0 });
  for (const bad of [{ format: 'json' }, { source: 'theirs' }, { days_later: '-1' }, { days_later: '3651' }, { days_later: '1e3' }]) {
    assert.throws(() => readLabForm(fields({ ...base, ...bad }), LIFETIME), (error: unknown) => error instanceof HttpError && error.status === 400, JSON.stringify(bad));
  }
});

test('CookieLab shows the visitor their own cookie where the server writes its format, and otherwise examples the server would refuse', async () => {
  const lab = new CookieLab({ cookie, secrets: [CURRENT], now: () => NOW });
  const own = signed(session());
  const [native, flask] = await lab.sections(own, new Session([['username', 'alice']]), null, 'signed');
  assert.equal(native!.form.source, 'yours');
  assert.equal(native!.cookie.value, own);
  assert.equal(native!.walkthrough.refusedAt, null);
  assert.equal(native!.verdict.accepted, true);
  assert.equal(flask!.form.source, 'example');
  assert.equal(flask!.walkthrough.refusedAt, null, 'an example checks out with the lab\'s own keys');
  assert.deepEqual(flask!.verdict.data, { username: 'alice' });
  // An example is never a session this server (or a Flask app with its key) would open.
  const [example] = await lab.sections(undefined, new Session(), null, 'signed');
  assert.equal(example!.form.source, 'example');
  assert.match(example!.form.payload, /"username":"alice"/);
  assert.equal((await libraryVerdict('native', example!.cookie.value, { ...settings, secrets: [CURRENT] })).reason?.split(':')[0], 'BadSignature');
  assert.equal((await libraryVerdict('flask', flask!.cookie.value, { ...settings, secrets: [CURRENT] })).reason?.split(':')[0], 'BadSignature');
  // A posted form replaces the section of its format, checked at its own time.
  const posted = { ...labForm('native', 'yours', own), daysLater: 40 };
  const [later] = await lab.sections(own, new Session(), posted, 'id');
  assert.equal(later!.submitted, true);
  assert.equal(later!.walkthrough.refusedAt, 'age');
  assert.equal(later!.checkedAt, NOW + 40 * 86400_000);
});
