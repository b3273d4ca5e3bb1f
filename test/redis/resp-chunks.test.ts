// RespDecoder keeps state between chunks (the arrays it is still filling), so its answer must not
// depend on where TCP splits a stream. Seeded random streams of valid, nested, pipelined replies are
// decoded whole, split at random points, and byte by byte; all three must give the same replies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RespDecoder, RespError, type RespValue } from '../../src/redis/resp.js';
import { fuzzSeed, FUZZ_ITERATIONS, SeededRandom } from '../helpers/random.js';

const seed = fuzzSeed();

/** A random reply and its RESP2 bytes; arrays nest up to `depth` more levels. */
function randomReply(random: SeededRandom, depth: number): { value: RespValue; text: string } {
  // A simple string or an error is one line: it cannot hold CR or LF.
  const line = () => random.string(12).replace(/[\r\n]/g, '');
  switch (random.integer(depth > 0 ? 7 : 5)) {
    case 0: {
      const value = line();
      return { value, text: `+${value}\r\n` };
    }
    case 1: {
      const message = `ERR ${line()}`;
      return { value: new RespError(message), text: `-${message}\r\n` };
    }
    case 2: {
      const value = random.integer(2_000_001) - 1_000_000;
      return { value, text: `:${value}\r\n` };
    }
    case 3: {
      // A bulk string may hold anything, CRLF included; its length is in bytes.
      const value = random.string(20);
      return { value, text: `$${Buffer.byteLength(value)}\r\n${value}\r\n` };
    }
    case 4:
      return random.integer(2) === 0 ? { value: null, text: '$-1\r\n' } : { value: null, text: '*-1\r\n' };
    default: {
      const items = Array.from({ length: random.integer(4) }, () => randomReply(random, depth - 1));
      return { value: items.map((item) => item.value), text: `*${items.length}\r\n${items.map((item) => item.text).join('')}` };
    }
  }
}

test(`fuzz RespDecoder: ${FUZZ_ITERATIONS} random streams of nested replies decode the same whole, split at random points, and byte by byte`, () => {
  const random = new SeededRandom(seed);
  for (let index = 0; index < FUZZ_ITERATIONS; index += 1) {
    const replies = Array.from({ length: 1 + random.integer(4) }, () => randomReply(random, 4));
    const want = replies.map((reply) => reply.value);
    const bytes = Buffer.from(replies.map((reply) => reply.text).join(''));
    const context = `seed ${seed}, stream ${JSON.stringify(bytes.toString())}`;

    assert.deepEqual(new RespDecoder().push(bytes), want, context);

    const cuts = Array.from({ length: 1 + random.integer(4) }, () => random.integer(bytes.length + 1)).sort((a, b) => a - b);
    const split = new RespDecoder();
    const got: RespValue[] = [];
    let start = 0;
    for (const cut of [...cuts, bytes.length]) {
      got.push(...split.push(bytes.subarray(start, cut)));
      start = cut;
    }
    assert.deepEqual(got, want, `${context}, cut at ${cuts.join(', ')}`);

    if (index % 10 === 0) {
      const byteByByte = new RespDecoder();
      const values: RespValue[] = [];
      for (let at = 0; at < bytes.length; at += 1) values.push(...byteByByte.push(bytes.subarray(at, at + 1)));
      assert.deepEqual(values, want, `${context}, byte by byte`);
    }
  }
});
