// scripts/counting.ts: how the two instruction counters read their candidates and work out one
// request's work from two runs, so that both print the same kind of line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { candidatesFrom, printPerRequest } from '../../scripts/counting.js';

test('candidatesFrom(): NAME=VAR=VALUE,VAR=VALUE per argument, the defaults without any', () => {
  const defaults = [{ name: 'default', env: { A: '1' } }];
  const cases: readonly [string, readonly string[], unknown][] = [
    ['no arguments: the defaults', [], defaults],
    ['a name alone: no settings', ['plain'], [{ name: 'plain', env: {} }]],
    ['one setting', ['memory=SESSION_TYPE=memory'], [{ name: 'memory', env: { SESSION_TYPE: 'memory' } }]],
    ['two settings', ['m=SESSION_TYPE=memory,SESSION_MEMO=false'], [{ name: 'm', env: { SESSION_TYPE: 'memory', SESSION_MEMO: 'false' } }]],
    ['a value with "=" in it keeps it', ['r=SESSION_REDIS_URL=redis://h/0?a=b'], [{ name: 'r', env: { SESSION_REDIS_URL: 'redis://h/0?a=b' } }]],
    ['several candidates, in order', ['a', 'b=X=1'], [{ name: 'a', env: {} }, { name: 'b', env: { X: '1' } }]],
  ];
  for (const [what, args, expected] of cases) assert.deepEqual(candidatesFrom(args, defaults), expected, what);
});

test('printPerRequest(): the difference of the two runs over the difference of their requests, and each against the last', async (t) => {
  const lines: string[] = [];
  t.mock.method(console, 'log', (line: string) => lines.push(line));
  const totals: Record<string, readonly [number, number]> = { a: [1_000_000, 1_300_000], b: [900_000, 1_100_000] };
  await printPerRequest([{ name: 'a' }, { name: 'b' }], 1_000, 3_000, async ({ name }) => totals[name]!);
  assert.deepEqual(lines, [
    'a: 150 instructions per request (1,000,000 for 1000, 1,300,000 for 3000)',
    'b: 100 instructions per request (900,000 for 1000, 1,100,000 for 3000)',
    'a / b: 1.500× the instructions per request',
  ]);
});
