// Seeded fuzzing of every parser and decoder that reads what a client sends: thousands of random
// and mutated inputs per run. The only failures allowed are the documented error types, and every
// round trip (serialize∘parse, sign∘verify, seal∘open, encode∘decode) must give back what went in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CookieTooLargeError, InvalidCookieError, parseCookieHeader, serializeSetCookie } from '../../src/http/cookie.js';
import { parseUrlencoded } from '../../src/http/form.js';
import { HttpError } from '../../src/http/http-error.js';
import { encodeCommand, RespDecoder, RespProtocolError } from '../../src/redis/resp.js';
import { CookieSessionInterface } from '../../src/session/cookie-session.js';
import { Sealer } from '../../src/signing/sealer.js';
import { SignatureError, Signer } from '../../src/signing/signer.js';
import { TestClock } from '../helpers/server.js';
import { fuzzSeed, FUZZ_ITERATIONS, SeededRandom } from '../helpers/random.js';

const seed = fuzzSeed();
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

test(`fuzz parseCookieHeader(): ${FUZZ_ITERATIONS} random headers never throw and yield only token names`, () => {
  const random = new SeededRandom(seed);
  for (let index = 0; index < FUZZ_ITERATIONS; index += 1) {
    const header = random.string(60);
    const cookies = parseCookieHeader(header);
    for (const name of cookies.keys()) assert.match(name, TOKEN, `seed ${seed}, input ${JSON.stringify(header)}`);
  }
});

test(`fuzz serializeSetCookie(): ${FUZZ_ITERATIONS} random pairs either throw the typed error or parse back unchanged`, () => {
  const random = new SeededRandom(seed + 1);
  let written = 0;
  for (let index = 0; index < FUZZ_ITERATIONS; index += 1) {
    const name = random.pick([random.string(8), 'session', `n${index}`]);
    const value = random.pick([random.string(20), random.bytes(12).toString('base64url')]);
    let header: string;
    try {
      header = serializeSetCookie({ name, value, path: '/', httpOnly: true });
    } catch (error) {
      assert.ok(error instanceof InvalidCookieError || error instanceof CookieTooLargeError, `seed ${seed}: ${String(error)}`);
      continue;
    }
    written += 1;
    // No way out of the pair: no line break, and exactly the two attributes we asked for.
    assert.doesNotMatch(header, /[\r\n\0]/);
    assert.equal(header.split('; ').length, 3, header);
    const unquoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    assert.equal(parseCookieHeader(header.split('; ')[0]).get(name), unquoted, `seed ${seed}: ${header}`);
  }
  assert.ok(written > FUZZ_ITERATIONS / 4, 'enough valid pairs were generated to test the round trip');
});

test(`fuzz parseUrlencoded(): ${FUZZ_ITERATIONS} random bodies parse or fail with 400/413 only`, () => {
  const random = new SeededRandom(seed + 2);
  for (let index = 0; index < FUZZ_ITERATIONS; index += 1) {
    const body = random.integer(4) === 0 ? random.bytes(random.integer(80)) : Buffer.from(random.string(80));
    try {
      const form = parseUrlencoded(body);
      for (const name of form.names()) assert.ok(Array.isArray(form.getAll(name)));
    } catch (error) {
      assert.ok(error instanceof HttpError && (error.status === 400 || error.status === 413), `seed ${seed}: ${String(error)}`);
    }
  }
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test(`fuzz parseUrlencoded(): ${FUZZ_ITERATIONS} forms encoded by URLSearchParams decode to the same fields`, () => {
  const random = new SeededRandom(seed + 3);
  for (let index = 0; index < FUZZ_ITERATIONS; index += 1) {
    const pairs: [string, string][] = Array.from({ length: 1 + random.integer(4) }, () => [random.string(10).replace(/\0/g, ''), random.string(20)]);
    // random.string() never produces a lone surrogate, so every pair has a UTF-8 encoding.
    const encoded = new URLSearchParams(pairs).toString();
    const form = parseUrlencoded(Buffer.from(encoded));
    const expected = [...new URLSearchParams(encoded)];
    const actual = form.names().flatMap((name) => form.getAll(name).map((value) => [name, value]));
    assert.deepEqual(actual.sort(), expected.sort(), `seed ${seed}: ${encoded}`);
  }
});

test(`fuzz Signer: ${FUZZ_ITERATIONS} mutated values never verify and fail only with SignatureError; sign∘verify round-trips`, () => {
  const random = new SeededRandom(seed + 4);
  const clock = new TestClock();
  const signer = new Signer({ secrets: ['fuzz-key', 'old-key'], now: clock.now });
  for (let index = 0; index < FUZZ_ITERATIONS; index += 1) {
    const payload = random.bytes(random.integer(64));
    const signed = signer.sign('session', payload);
    assert.deepEqual(signer.verify('session', signed, 60).payload, payload);
    const mutated = random.mutate(signed);
    if (mutated === signed) continue;
    assert.throws(() => signer.verify('session', mutated, 60), SignatureError, `seed ${seed}: ${signed} → ${mutated}`);
  }
});

test(`fuzz Sealer: ${FUZZ_ITERATIONS} mutated values never open and fail only with SignatureError; seal∘open round-trips`, () => {
  const random = new SeededRandom(seed + 5);
  const clock = new TestClock();
  const sealer = new Sealer({ secrets: ['fuzz-key'], now: clock.now });
  for (let index = 0; index < FUZZ_ITERATIONS; index += 1) {
    const payload = random.bytes(random.integer(64));
    const sealed = sealer.seal('session', payload);
    assert.deepEqual(sealer.open('session', sealed, 60).payload, payload);
    const mutated = random.mutate(sealed);
    if (mutated === sealed) continue;
    assert.throws(() => sealer.open('session', mutated, 60), SignatureError, `seed ${seed}: ${sealed} → ${mutated}`);
  }
});

test(`fuzz the session decoder: ${FUZZ_ITERATIONS} validly signed random payloads and random cookies never throw`, async () => {
  const random = new SeededRandom(seed + 6);
  const clock = new TestClock();
  const signer = new Signer({ secrets: ['fuzz-key'], now: clock.now });
  const settings = { name: 'session', path: '/', httpOnly: true, secure: false, sameSite: 'Lax', partitioned: false, lifetimeSeconds: 3600, refreshEachRequest: true, absoluteLifetimeSeconds: 7200 } as const;
  const sessions = new CookieSessionInterface(settings, signer, clock.now);
  const shapes = [
    () => random.string(40),
    () => JSON.stringify({ permanent: random.pick([true, false, 'yes', null]), created: random.pick([clock.milliseconds / 1000, -1, 1.5, '0']), data: random.pick([{}, [], null, { [random.string(5)]: random.string(5) }]) }),
    () => `{"permanent":false,"created":${clock.milliseconds / 1000},"data":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}`,
  ];
  for (let index = 0; index < FUZZ_ITERATIONS; index += 1) {
    const payload = random.pick(shapes)();
    const header = random.integer(2) === 0 ? `session=${signer.sign('session', payload)}` : `session=${random.mutate(signer.sign('session', payload))}; ${random.string(20)}`;
    const loaded = await sessions.open(header);
    assert.ok(loaded.incoming.rejection === null || loaded.session.size === 0, `seed ${seed}: ${payload}`);
    loaded.session.toObject();
  }
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'no prototype was polluted');
});

test(`fuzz RespDecoder: ${FUZZ_ITERATIONS} random byte streams decode or fail with RespProtocolError only`, () => {
  const random = new SeededRandom(seed + 7);
  for (let index = 0; index < FUZZ_ITERATIONS; index += 1) {
    const decoder = new RespDecoder();
    const valid = encodeCommand([random.string(10), random.string(10)]);
    const input = random.integer(2) === 0 ? random.bytes(random.integer(40)) : Buffer.from(random.mutate(valid.toString('latin1')), 'latin1');
    try {
      decoder.push(input);
    } catch (error) {
      assert.ok(error instanceof RespProtocolError, `seed ${seed}: ${String(error)}`);
    }
  }
});
