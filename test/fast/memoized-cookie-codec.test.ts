// The memoized cookie codec must decode exactly as the plain NativeCookieCodec, refusals included,
// with its memo on and off, over every protector (signed or sealed, memoized or not).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { htmlReply } from '../../src/http/reply.js';
import { MemoizedCookieCodec } from '../../src/fast/memoized-cookie-codec.js';
import { MemoizedSealer } from '../../src/fast/memoized-sealer.js';
import { MemoizedSigner } from '../../src/fast/memoized-signer.js';
import { CookieSessionInterface, NativeCookieCodec, type SessionCookieCodec } from '../../src/session/cookie-session.js';
import type { SessionCookieSettings } from '../../src/session/session.js';
import { Sealer } from '../../src/signing/sealer.js';
import { SignatureError, Signer, type ValueProtector } from '../../src/signing/signer.js';
import { TestClock } from '../helpers/server.js';

const DAY = 86400;
const SESSION = { permanent: true, created: 1_795_000_000, data: { username: 'alice', visits: 3, admin: false, note: null } };

const protectors: readonly { name: string; make: (clock: TestClock, secrets: string[]) => ValueProtector }[] = [
  { name: 'Signer', make: (clock, secrets) => new Signer({ secrets, now: clock.now }) },
  { name: 'MemoizedSigner', make: (clock, secrets) => new MemoizedSigner({ secrets, now: clock.now }) },
  { name: 'Sealer', make: (clock, secrets) => new Sealer({ secrets, now: clock.now }) },
  { name: 'MemoizedSealer', make: (clock, secrets) => new MemoizedSealer({ secrets, now: clock.now }) },
  // A protector of its own: a format this chapter does not know, so nothing of it is kept.
  { name: 'a protector of its own', make: (clock, secrets) => ownProtector(new Signer({ secrets, now: clock.now })) },
];

function ownProtector(signer: Signer): ValueProtector {
  return { protection: 'signed', protect: (name, payload) => signer.protect(name, payload), unprotect: (name, value, maxAge) => signer.unprotect(name, value, maxAge) };
}

/** The plain codec, and the memoized one with its memo on and off, over the same kind of protector. */
function codecs(make: () => ValueProtector): Record<'plain' | 'memo on' | 'memo off', SessionCookieCodec> {
  return { plain: new NativeCookieCodec(make()), 'memo on': new MemoizedCookieCodec(make()), 'memo off': new MemoizedCookieCodec(make(), { memoEntries: 0 }) };
}

/** What decode() gives for a value: the session with its date and key, or the class and message of its error. */
function outcome(codec: SessionCookieCodec, name: string, value: string, maxAge = DAY): string {
  try {
    const { permanent, created, data, signedAt, keyIndex } = codec.decode(name, value, maxAge);
    return `ok ${JSON.stringify({ permanent, created, data })} ${signedAt.getTime()} ${keyIndex}`;
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

/** Asks every codec twice (a miss, then what may be a hit); all answers must be the plain one. */
function agreed(all: Record<string, SessionCookieCodec>, name: string, value: string, maxAge = DAY): string {
  const expected = outcome(all['plain']!, name, value, maxAge);
  for (const [label, codec] of Object.entries(all)) {
    for (const round of [1, 2]) assert.equal(outcome(codec, name, value, maxAge), expected, `${label}, round ${round}: ${value.slice(0, 80)}`);
  }
  return expected;
}

for (const protector of protectors) {
  test(`MemoizedCookieCodec over ${protector.name} decodes genuine, altered and foreign cookies exactly as NativeCookieCodec`, () => {
    const clock = new TestClock();
    const all = codecs(() => protector.make(clock, ['current-key']));
    const good = all['memo on'].encode('session', SESSION);
    assert.equal(all.plain.decode('session', good, DAY).data['username'], 'alice', 'the plain codec reads what the memoized one wrote');
    const variants = [good, `${good}A`, good.slice(0, -1), good.replace(/^./, (first) => (first === 'A' ? 'B' : 'A')), `x${good}`, ''];
    for (let index = good.length - 10; index < good.length; index += 1) variants.push(good.slice(0, index) + (good[index] === 'A' ? 'B' : 'A') + good.slice(index + 1));
    let accepted = 0;
    for (const variant of variants) if (agreed(all, 'session', variant).startsWith('ok')) accepted += 1;
    assert.equal(accepted, 1, 'only the value itself decodes');
    assert.match(agreed(all, 'other', good), /^BadSignature/, 'the same value for another cookie name');
  });

  test(`MemoizedCookieCodec over ${protector.name} refuses a remembered cookie once it is too old, as NativeCookieCodec does`, () => {
    const clock = new TestClock();
    const all = codecs(() => protector.make(clock, ['current-key']));
    const good = all['memo on'].encode('session', SESSION);
    assert.match(agreed(all, 'session', good), /^ok/);
    assert.match(agreed(all, 'session', good, 0), /^ok/, 'signed this second: not older than a maximum age of 0');
    clock.advanceSeconds(1);
    assert.match(agreed(all, 'session', good, 0), /^SignatureExpired/, "this request's maximum age, not the first one's");
    clock.advanceSeconds(DAY + 1);
    assert.match(agreed(all, 'session', good), /^SignatureExpired: signature expired 2 s ago/);
  });

  test(`MemoizedCookieCodec over ${protector.name} refuses a remembered cookie dated in the future once the clock goes back, as NativeCookieCodec does`, () => {
    const clock = new TestClock();
    const all = codecs(() => protector.make(clock, ['current-key']));
    const good = all['memo on'].encode('session', SESSION);
    assert.match(agreed(all, 'session', good), /^ok/);
    clock.advanceSeconds(-60);
    assert.match(agreed(all, 'session', good), /^ok/, 'within the allowed skew');
    clock.advanceSeconds(-1);
    assert.match(agreed(all, 'session', good), /^SignatureFromTheFuture/);
  });

  test(`MemoizedCookieCodec over ${protector.name} reports an old key on every request and refuses a retired one, as NativeCookieCodec does`, () => {
    const clock = new TestClock();
    const old = new NativeCookieCodec(protector.make(clock, ['old-key'])).encode('session', SESSION);
    assert.match(agreed(codecs(() => protector.make(clock, ['new-key', 'old-key'])), 'session', old), / 1$/, 'key index 1, every time');
    assert.match(agreed(codecs(() => protector.make(clock, ['new-key'])), 'session', old), /^BadSignature/);
  });
}

test('MemoizedCookieCodec refuses a genuine payload that is not a session, every time, as NativeCookieCodec does', () => {
  const clock = new TestClock();
  const all = codecs(() => new MemoizedSigner({ secrets: ['current-key'], now: clock.now }));
  const signer = new Signer({ secrets: ['current-key'], now: clock.now });
  for (const payload of ['not json', '[1]', '{"permanent":"yes","created":1,"data":{}}', '{"permanent":true,"created":1,"data":[]}', 'null']) {
    assert.match(agreed(all, 'session', signer.sign('session', payload)), /^MalformedSessionPayload/, payload);
  }
});

// Through the session interface, as the server uses it: what one request does to its session must
// never reach the next, though both decode the same remembered cookie.
const SETTINGS: SessionCookieSettings = {
  name: 'session',
  path: '/',
  httpOnly: true,
  secure: false,
  sameSite: 'Lax',
  partitioned: false,
  lifetimeSeconds: 31 * DAY,
  refreshEachRequest: true,
  absoluteLifetimeSeconds: 90 * DAY,
};

async function cookieFor(sessions: CookieSessionInterface, data: Record<string, unknown>): Promise<string> {
  const loaded = await sessions.open(undefined);
  for (const [key, value] of Object.entries(data)) loaded.session.set(key, value as never);
  const reply = await sessions.commit(loaded, htmlReply(200, ''));
  return String(reply.headers['set-cookie']).split(';')[0]!;
}

test('MemoizedCookieCodec: the same cookie opened twice gives two sessions, and a change to one is not in the other', async () => {
  const clock = new TestClock();
  const sessions = new CookieSessionInterface(SETTINGS, new MemoizedCookieCodec(new MemoizedSigner({ secrets: ['current-key'], now: clock.now })), clock.now);
  const cookie = await cookieFor(sessions, { username: 'alice' });
  const first = await sessions.open(cookie);
  first.session.set('username', 'mallory');
  first.session.set('extra', 1);
  const second = await sessions.open(cookie);
  assert.equal(second.session.get('username'), 'alice');
  assert.equal(second.session.has('extra'), false);
  assert.equal(second.session.modified, false);
});

test('MemoizedCookieCodec decodes nested session data afresh for each request: a change in place does not carry over', async () => {
  const clock = new TestClock();
  const sessions = new CookieSessionInterface(SETTINGS, new MemoizedCookieCodec(new MemoizedSigner({ secrets: ['current-key'], now: clock.now })), clock.now);
  const cookie = await cookieFor(sessions, { cart: { items: ['apple'] } });
  for (let request = 0; request < 3; request += 1) {
    const opened = await sessions.open(cookie);
    const cart = opened.session.get('cart') as { items: string[] };
    assert.deepEqual(cart.items, ['apple'], `request ${request}`);
    cart.items.push('changed in place');
  }
});

test('MemoizedCookieCodec keeps remembered data frozen, and says how it protects like the codec it wraps', () => {
  const clock = new TestClock();
  const codec = new MemoizedCookieCodec(new Sealer({ secrets: ['current-key'], now: clock.now }));
  assert.ok(codec instanceof NativeCookieCodec);
  assert.equal(codec.format, 'native');
  assert.equal(codec.protection, 'encrypted');
  const value = codec.encode('session', SESSION);
  assert.ok(!Object.isFrozen(codec.decode('session', value, DAY).data), 'a miss gives the data as the plain decode() does');
  assert.ok(Object.isFrozen(codec.decode('session', value, DAY).data));
  assert.throws(() => new MemoizedCookieCodec(new Signer({ secrets: ['k'] }), { memoEntries: -1 }), /MemoizedCookieCodec capacity must be a whole number ≥ 1, not -1/);
});

// The hit path: the memoized signer and sealer run only their age step for a value they accepted
// before; the plain ones run their whole check; nothing else is kept. The counts come from the
// classes' own methods, wrapped for the length of one test, so that every protector stays exactly
// its class (a method put on the object itself makes the codec keep nothing, as tested below).
type Counts = Map<object, { checks: number; ageChecks: number }>;

function counted(run: (counts: Counts) => void): void {
  const counts: Counts = new Map();
  const patches = [
    [Signer.prototype, 'unprotect', 'checks'],
    [Sealer.prototype, 'unprotect', 'checks'],
    [MemoizedSigner.prototype, 'recheckAge', 'ageChecks'],
    [MemoizedSealer.prototype, 'recheckAge', 'ageChecks'],
  ] as const;
  const originals = patches.map(([prototype, method]) => (prototype as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!);
  patches.forEach(([prototype, method, counter], index) => {
    (prototype as unknown as Record<string, unknown>)[method] = function (this: object, ...args: unknown[]) {
      const entry = counts.get(this) ?? { checks: 0, ageChecks: 0 };
      entry[counter] += 1;
      counts.set(this, entry);
      return originals[index]!.apply(this, args);
    };
  });
  try {
    run(counts);
  } finally {
    patches.forEach(([prototype, method], index) => ((prototype as unknown as Record<string, unknown>)[method] = originals[index]));
  }
}

// (A protector of its own is counted by the next test: it is none of these classes.)
for (const protector of protectors.filter(({ name }) => name !== 'a protector of its own')) {
  test(`MemoizedCookieCodec over ${protector.name}: what a cookie sent again costs`, () => {
    counted((counts) => {
      const clock = new TestClock();
      const made = protector.make(clock, ['current-key']);
      const value = new NativeCookieCodec(protector.make(clock, ['current-key'])).encode('session', SESSION);
      const codec = new MemoizedCookieCodec(made);
      for (let request = 0; request < 3; request += 1) assert.equal(codec.decode('session', value, DAY).data['username'], 'alice');
      const expected = {
        MemoizedSigner: { checks: 1, ageChecks: 2 },
        MemoizedSealer: { checks: 1, ageChecks: 2 },
        Signer: { checks: 3, ageChecks: 0 },
        Sealer: { checks: 3, ageChecks: 0 },
      }[protector.name]!;
      assert.deepEqual(counts.get(made), expected, 'the memoized ones: one whole check (the miss), then the age alone; the plain ones: the whole check each time');
      // Ten characters from the end: inside the signature or tag, and not in the unused low bits of
      // the last character (a change there is a value that is not canonical base64url).
      const at = value.length - 10;
      const forged = `${value.slice(0, at)}${value[at] === 'A' ? 'B' : 'A'}${value.slice(at + 1)}`;
      assert.throws(() => codec.decode('session', forged, DAY), { name: 'BadSignature' });
      assert.equal(counts.get(made)!.checks, expected.checks + 1, 'an altered signature is never a hit: it gets the whole check');
    });
  });
}

test('MemoizedCookieCodec keeps nothing for a protector of its own: each decode is its whole check, with its answer', () => {
  const clock = new TestClock();
  const signer = new Signer({ secrets: ['current-key'], now: clock.now });
  let checks = 0;
  const own = ownProtector(signer);
  const unprotect = own.unprotect;
  own.unprotect = (name, value, maxAge) => ((checks += 1), unprotect(name, value, maxAge));
  const codec = new MemoizedCookieCodec(own);
  const value = codec.encode('session', SESSION);
  for (let request = 0; request < 3; request += 1) codec.decode('session', value, DAY);
  assert.equal(checks, 3);
});

// A check that may refuse more, or answer otherwise, than the value and the keys say must run on
// every request: a subclass of any of the four, or a method replaced on the object itself.
const revoked = new Set<string>();
let demoted = false;
class RevokingSigner extends MemoizedSigner {
  override unprotect(name: string, value: string, maxAgeSeconds: number) {
    if (revoked.has(value)) throw new SignatureError('revoked');
    const verified = super.unprotect(name, value, maxAgeSeconds);
    return demoted ? { ...verified, payload: Buffer.from(JSON.stringify({ ...JSON.parse(verified.payload.toString()), data: { username: 'alice', admin: false } })) } : verified;
  }
}
class RevokingSealer extends MemoizedSealer {
  override unprotect(name: string, value: string, maxAgeSeconds: number) {
    if (revoked.has(value)) throw new SignatureError('revoked');
    return super.unprotect(name, value, maxAgeSeconds);
  }
}
const wrapped = (protector: MemoizedSigner | MemoizedSealer) => {
  const unprotect = protector.unprotect.bind(protector);
  protector.unprotect = (name, value, maxAge) => {
    if (revoked.has(value)) throw new SignatureError('revoked');
    return unprotect(name, value, maxAge);
  };
  return protector;
};
for (const [name, make] of [
  ['a subclass of MemoizedSigner', (clock: TestClock) => new RevokingSigner({ secrets: ['current-key'], now: clock.now })],
  ['a subclass of MemoizedSealer', (clock: TestClock) => new RevokingSealer({ secrets: ['current-key'], now: clock.now })],
  ['a MemoizedSigner with unprotect() replaced on the object', (clock: TestClock) => wrapped(new MemoizedSigner({ secrets: ['current-key'], now: clock.now }))],
  ['a MemoizedSealer with unprotect() replaced on the object', (clock: TestClock) => wrapped(new MemoizedSealer({ secrets: ['current-key'], now: clock.now }))],
] as const) {
  test(`MemoizedCookieCodec runs the whole check of ${name} on every request: a revoked session is refused`, () => {
    const clock = new TestClock();
    const codec = new MemoizedCookieCodec(make(clock));
    const value = codec.encode('session', { ...SESSION, data: { username: 'alice', admin: true } });
    assert.equal(codec.decode('session', value, DAY).data['admin'], true);
    assert.equal(codec.decode('session', value, DAY).data['admin'], true);
    revoked.add(value);
    try {
      assert.throws(() => codec.decode('session', value, DAY), /revoked/);
    } finally {
      revoked.delete(value);
    }
  });
}

test('MemoizedCookieCodec gives the payload a subclass answers with, not the one it answered before', () => {
  const clock = new TestClock();
  const codec = new MemoizedCookieCodec(new RevokingSigner({ secrets: ['current-key'], now: clock.now }));
  const value = codec.encode('session', { ...SESSION, data: { username: 'alice', admin: true } });
  assert.equal(codec.decode('session', value, DAY).data['admin'], true);
  demoted = true;
  try {
    assert.equal(codec.decode('session', value, DAY).data['admin'], false);
  } finally {
    demoted = false;
  }
});

test('MemoizedCookieCodec: what a request does to its signing date never reaches the memo, and each request gets a date of its own', () => {
  const clock = new TestClock();
  const codec = new MemoizedCookieCodec(new MemoizedSigner({ secrets: ['current-key'], now: clock.now }));
  const value = codec.encode('session', SESSION);
  const first = codec.decode('session', value, DAY);
  const second = codec.decode('session', value, DAY);
  assert.notEqual(first.signedAt, second.signedAt);
  assert.equal(first.signedAt.getTime(), second.signedAt.getTime());
  first.signedAt.setTime(first.signedAt.getTime() + 59_000);
  second.signedAt.setTime(second.signedAt.getTime() + 59_000);
  clock.advanceSeconds(DAY + 1);
  assert.throws(() => codec.decode('session', value, DAY), { name: 'SignatureExpired' });
});

test('MemoizedCookieCodec keeps nothing of a value signed at a time no Date can hold, and refuses it when the plain codec does', () => {
  // A clock 285,000 years ahead: the plain check accepts the value, but its date is not a number.
  const clock = new TestClock(9e15);
  const all = codecs(() => new MemoizedSigner({ secrets: ['current-key'], now: clock.now }));
  const value = all['memo on'].encode('session', SESSION);
  assert.match(agreed(all, 'session', value, 60), /^ok .* NaN 0$/);
  clock.advanceSeconds(10 * DAY);
  assert.match(agreed(all, 'session', value, 60), /^SignatureExpired/);
});

for (const [name, make] of [
  ['MemoizedSigner', (clock: TestClock) => ({ memoized: new MemoizedSigner({ secrets: ['k'], now: clock.now, clockSkewSeconds: 5 }), plain: new Signer({ secrets: ['k'], now: clock.now, clockSkewSeconds: 5 }) })],
  ['MemoizedSealer', (clock: TestClock) => ({ memoized: new MemoizedSealer({ secrets: ['k'], now: clock.now, clockSkewSeconds: 5 }), plain: new Sealer({ secrets: ['k'], now: clock.now, clockSkewSeconds: 5 }) })],
] as const) {
  test(`${name}.recheckAge() gives the plain check's verdict on age, with the protector's own clock and skew`, () => {
    const clock = new TestClock();
    const { memoized, plain } = make(clock);
    const value = plain.protect('session', 'payload');
    const signedAt = plain.unprotect('session', value, DAY).signedAt;
    const verdict = (check: () => Date) => {
      try {
        return `ok ${check().getTime()}`;
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    };
    // From 6 s before the signing second (beyond the skew of 5) to 1 s past the maximum age of 100.
    const verdicts: string[] = [];
    for (const offset of [-6, -5, 0, 100, 101]) {
      clock.milliseconds = signedAt.getTime() + offset * 1000;
      const expected = verdict(() => plain.unprotect('session', value, 100).signedAt);
      assert.equal(verdict(() => memoized.recheckAge(signedAt.getTime() / 1000, 100)), expected, `${offset} s after signing`);
      verdicts.push(expected.split(':')[0]!.split(' ')[0]!);
    }
    assert.deepEqual(verdicts, ['SignatureFromTheFuture', 'ok', 'ok', 'ok', 'SignatureExpired'], 'both edges are inside the range tried');
    assert.throws(() => memoized.recheckAge(Number.NaN, 100), /recheckAge\(\) needs the signing time in whole seconds, not NaN/);
  });
}
