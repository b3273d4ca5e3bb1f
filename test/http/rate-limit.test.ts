import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from '../../src/http/rate-limit.js';
import { TestClock } from '../helpers/server.js';

test('RateLimiter allows a burst of perMinute, then answers with the seconds to wait', () => {
  const clock = new TestClock();
  const limiter = new RateLimiter({ perMinute: 10, now: clock.now });
  for (let index = 0; index < 10; index += 1) assert.equal(limiter.take('a'), 0, `action ${index + 1} of the burst`);
  // Tokens come back at 10 a minute: one every 6 s.
  assert.equal(limiter.take('a'), 6);
  clock.advanceSeconds(2);
  assert.equal(limiter.take('a'), 4);
  clock.advanceSeconds(5);
  assert.equal(limiter.take('a'), 0, 'a token came back within 7 s');
  assert.equal(limiter.take('a'), 5, 'a sixth of the next token had come back already');
});

test('RateLimiter keeps one bucket per key', () => {
  const limiter = new RateLimiter({ perMinute: 1, now: () => 0 });
  assert.equal(limiter.take('a'), 0);
  assert.equal(limiter.take('a'), 60);
  assert.equal(limiter.take('b'), 0, 'another client is not affected');
});

test('RateLimiter refills to perMinute and no further', () => {
  const clock = new TestClock();
  const limiter = new RateLimiter({ perMinute: 3, now: clock.now });
  assert.equal(limiter.take('a'), 0);
  clock.advanceSeconds(3600);
  for (let index = 0; index < 3; index += 1) assert.equal(limiter.take('a'), 0);
  assert.ok(limiter.take('a') > 0, 'an hour of silence is worth one burst, not sixty');
});

test('RateLimiter remembers at most maxKeys clients, forgetting the one seen longest ago', () => {
  const limiter = new RateLimiter({ perMinute: 1, maxKeys: 3, now: () => 0 });
  for (const key of ['a', 'b', 'c']) limiter.take(key);
  limiter.take('a'); // a is now the most recently seen; b the least
  limiter.take('d');
  assert.equal(limiter.size, 3);
  assert.equal(limiter.take('b'), 0, 'b was forgotten, so it starts with a full bucket');
  assert.equal(limiter.take('a'), 60, 'a was remembered');
});

test('RateLimiter refuses a perMinute that is not a positive whole number', () => {
  for (const perMinute of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new RateLimiter({ perMinute }), /perMinute must be a whole number >= 1/);
  }
});

test('RateLimiter never answers 0 ("allowed") for a refusal, even when the next token is due within half a second', () => {
  const clock = new TestClock();
  const limiter = new RateLimiter({ perMinute: 120, now: clock.now });
  for (let index = 0; index < 120; index += 1) limiter.take('a');
  clock.milliseconds += 300; // 0.6 of a token back: not a whole one
  assert.equal(limiter.take('a'), 1);
  assert.equal(limiter.take('a'), 1, 'and it was not spent by the refusal');
  clock.milliseconds += 200;
  assert.equal(limiter.take('a'), 0);
  assert.equal(limiter.take('a'), 1);
});

test('RateLimiter: a clock stepped backwards refills nothing and takes nothing away', () => {
  const clock = new TestClock();
  const limiter = new RateLimiter({ perMinute: 2, now: clock.now });
  assert.equal(limiter.take('a'), 0);
  clock.advanceSeconds(-3600);
  assert.equal(limiter.take('a'), 0, 'the second token of the burst is still there');
  assert.equal(limiter.take('a'), 30);
  clock.advanceSeconds(30);
  assert.equal(limiter.take('a'), 0, 'and tokens flow back from the new time on');
});
