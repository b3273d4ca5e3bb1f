import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeCommand, RespDecoder, RespError, RespProtocolError, type RespValue } from '../../src/redis/resp.js';

const encodeCases: readonly { name: string; args: (string | number)[]; want: string }[] = [
  { name: 'a command without arguments', args: ['PING'], want: '*1\r\n$4\r\nPING\r\n' },
  { name: 'a command with arguments', args: ['SET', 'k', 'v'], want: '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n' },
  { name: 'numbers as bulk strings', args: ['EXPIRE', 'k', 60], want: '*3\r\n$6\r\nEXPIRE\r\n$1\r\nk\r\n$2\r\n60\r\n' },
  // Lengths are bytes: "é" is two.
  { name: 'lengths in bytes, not characters', args: ['SET', 'é', ''], want: '*3\r\n$3\r\nSET\r\n$2\r\né\r\n$0\r\n\r\n' },
  // A CRLF inside a value needs no escaping: the length says where it ends.
  { name: 'a value containing CRLF', args: ['SET', 'k', 'a\r\nb'], want: '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n' },
];

for (const { name, args, want } of encodeCases) {
  test(`encodeCommand() encodes ${name}`, () => {
    assert.equal(encodeCommand(args).toString(), want);
  });
}

const decodeCases: readonly { name: string; input: string; want: RespValue[] }[] = [
  { name: 'a simple string', input: '+OK\r\n', want: ['OK'] },
  { name: 'an error reply', input: '-ERR unknown command\r\n', want: [new RespError('ERR unknown command')] },
  { name: 'an integer', input: ':42\r\n', want: [42] },
  { name: 'a negative integer', input: ':-2\r\n', want: [-2] },
  { name: 'a bulk string', input: '$5\r\nhello\r\n', want: ['hello'] },
  { name: 'an empty bulk string', input: '$0\r\n\r\n', want: [''] },
  { name: 'a null bulk string', input: '$-1\r\n', want: [null] },
  { name: 'a bulk string with CRLF inside', input: '$4\r\na\r\nb\r\n', want: ['a\r\nb'] },
  { name: 'a UTF-8 bulk string', input: '$4\r\nZoë\r\n', want: ['Zoë'] },
  { name: 'an array', input: '*2\r\n$1\r\na\r\n:1\r\n', want: [['a', 1]] },
  { name: 'a nested array', input: '*2\r\n*1\r\n+x\r\n*0\r\n', want: [[['x'], []]] },
  { name: 'a null array', input: '*-1\r\n', want: [null] },
  { name: 'several pipelined replies', input: '+OK\r\n:1\r\n$-1\r\n', want: ['OK', 1, null] },
];

for (const { name, input, want } of decodeCases) {
  test(`RespDecoder decodes ${name}`, () => {
    assert.deepEqual(new RespDecoder().push(Buffer.from(input)), want);
  });

  // TCP may split a reply anywhere: every split point must give the same values.
  test(`RespDecoder decodes ${name} split at every byte`, () => {
    const bytes = Buffer.from(input);
    for (let split = 1; split < bytes.length; split += 1) {
      const decoder = new RespDecoder();
      const values = [...decoder.push(bytes.subarray(0, split)), ...decoder.push(bytes.subarray(split))];
      assert.deepEqual(values, want, `split at ${split}`);
    }
  });
}

test('RespDecoder decodes a reply delivered one byte at a time', () => {
  const decoder = new RespDecoder();
  const values: RespValue[] = [];
  for (const byte of Buffer.from('*3\r\n$3\r\nfoo\r\n:7\r\n+bar\r\n')) values.push(...decoder.push(Buffer.from([byte])));
  assert.deepEqual(values, [['foo', 7, 'bar']]);
});

const protocolErrors: readonly { name: string; input: string }[] = [
  { name: 'an unknown type byte', input: '!oops\r\n' },
  { name: 'a bulk length that is not a number', input: '$x\r\n' },
  { name: 'an integer that is not a number', input: ':1.5\r\n' },
  // A negative length would move the parser backwards into an endless loop (found by fuzzing).
  { name: 'a bulk length below -1', input: '*2\r\n$-5\r\nabc\r\n' },
  { name: 'an array count below -1', input: '*-2\r\n' },
  { name: 'a bulk length beyond 512 MiB', input: '$536870913\r\n' },
];

for (const { name, input } of protocolErrors) {
  test(`RespDecoder refuses ${name}`, () => {
    assert.throws(() => new RespDecoder().push(Buffer.from(input)), RespProtocolError);
  });
}

// Nesting depth is chosen by whoever sends the bytes. A decoder that called itself once per level
// would overflow the call stack (RangeError) long before 100,000 levels; a RangeError thrown in a
// socket's 'data' handler ends the process.
const DEPTH = 100_000;
const deeplyNested = Buffer.from('*1\r\n'.repeat(DEPTH) + '+bottom\r\n');

/** Walks down a chain of one-item arrays without recursion (assert.deepEqual would recurse) and returns its depth and its innermost value. */
function unwrap(value: RespValue): { depth: number; bottom: RespValue } {
  let depth = 0;
  let current = value;
  while (Array.isArray(current)) {
    assert.equal(current.length, 1);
    current = (current as readonly RespValue[])[0]!;
    depth += 1;
  }
  return { depth, bottom: current };
}

test(`RespDecoder decodes arrays nested ${DEPTH} deep in one chunk, without recursion`, () => {
  const values = new RespDecoder().push(deeplyNested);
  assert.equal(values.length, 1);
  assert.deepEqual(unwrap(values[0]!), { depth: DEPTH, bottom: 'bottom' });
});

test(`RespDecoder decodes arrays nested ${DEPTH} deep split into 7-byte chunks`, () => {
  // 7 is prime to the 4-byte `*1\r\n`, so chunks end at every position inside a header.
  const decoder = new RespDecoder();
  const values: RespValue[] = [];
  for (let start = 0; start < deeplyNested.length; start += 7) values.push(...decoder.push(deeplyNested.subarray(start, start + 7)));
  assert.equal(values.length, 1);
  assert.deepEqual(unwrap(values[0]!), { depth: DEPTH, bottom: 'bottom' });
});

test(`RespDecoder refuses a bad byte ${DEPTH} levels deep with RespProtocolError, not RangeError`, () => {
  const input = Buffer.from('*1\r\n'.repeat(DEPTH) + '!\r\n');
  assert.throws(() => new RespDecoder().push(input), RespProtocolError);
});

test('RespDecoder closes every array a value completes, then goes on with the next reply', () => {
  // `x` fills three arrays at once; `y` and `:2` then start and fill fresh ones.
  const decoder = new RespDecoder();
  assert.deepEqual(decoder.push(Buffer.from('*2\r\n*1\r\n*1\r\n+x\r\n+y\r\n*1\r\n')), [[[['x']], 'y']]);
  assert.deepEqual(decoder.push(Buffer.from(':2\r\n')), [[2]]);
});
