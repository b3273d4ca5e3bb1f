import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ExpiryFlaw, Flaw } from '../fixtures/flawed-stores.js';
import { repositoryRoot } from '../helpers/repository.js';

/** How many tests testSessionStore() registers: one per rule of the contract. */
const CONTRACT_TESTS = 11;
/** Of them, those that only a store with the optional getWithExpiry() runs; the others skip them. */
const OPTIONAL_TESTS = 1;

const root = repositoryRoot();
/** Compiled beside this file, so it runs against the same build of the contract as this test. */
const flawedStores = fileURLToPath(new URL('../fixtures/flawed-stores.js', import.meta.url));

interface TapRun {
  readonly code: number | null;
  readonly passed: readonly string[];
  /** Each failed test's name, and the YAML block below it, which holds the failure message. */
  readonly failed: ReadonlyMap<string, string>;
  readonly pass: number;
  readonly fail: number;
  readonly skipped: number;
  /** Everything the child printed, for the message of an assertion that fails. */
  readonly output: string;
}

/** Runs `node --test-reporter=tap ...args` in the repository and reads the TAP it prints. */
async function runTap(args: readonly string[]): Promise<TapRun> {
  // Inherited from a `node --test` parent, NODE_TEST_CONTEXT would make the child report in the
  // runner's internal format instead of TAP.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const child = spawn(process.execPath, ['--test-reporter=tap', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  const lines = output.split('\n');
  const passed: string[] = [];
  const failed = new Map<string, string>();
  lines.forEach((line, index) => {
    const result = /^(ok|not ok) \d+ - (.*)$/.exec(line);
    if (result === null) return;
    if (result[1] === 'ok') passed.push(result[2]!);
    else failed.set(result[2]!, lines.slice(index + 1, lines.indexOf('  ...', index)).join('\n'));
  });
  const count = (key: string) => Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(output)?.[1]);
  return { code, passed, failed, pass: count('pass'), fail: count('fail'), skipped: count('skipped'), output };
}

test('examples/map-store.test.js, importing scratchpad/testing, passes every contract test under node --test', async () => {
  const built = join(root, 'dist', 'testing', 'store-contract.js');
  assert.ok(existsSync(built), `${built} is missing: build dist/ first (npm run build), as scratchpad/testing resolves to it`);
  const run = await runTap(['--test', 'examples/map-store.test.js']);
  assert.deepEqual([...run.failed.keys()], [], run.output);
  assert.equal(run.pass, CONTRACT_TESTS, run.output);
  assert.equal(run.fail, 0, run.output);
  assert.ok(run.passed.every((name) => name.startsWith('MapSessionStore: ')), run.output);
  assert.equal(run.code, 0, run.output);
});

// Each flawed store breaks one rule. The contract must fail exactly the tests of that rule, each
// with a message that names what the store did; its other tests must pass.
const flaws: readonly { flaw: Flaw; breaks: string; fails: readonly (readonly [test: string, message: RegExp])[] }[] = [
  {
    flaw: 'no-compare-and-set',
    breaks: 'always writes (last write wins)',
    fails: [
      ['set() is compare-and-set', /set\(\) with expectedVersion null succeeded over a live record \(version 1\): null means "only if there is no record"/],
      ['set() is atomic', /20 of 20 concurrent set\(\) calls with expectedVersion 1 returned true: the version check and the write must be one atomic step/],
      ['get() never returns an expired record', /set\(\) with expectedVersion 1 succeeded over a record whose time to live had ended: an expired record counts as absent/],
    ],
  },
  {
    flaw: 'compares-presence-not-version',
    breaks: 'checks that a record exists but not its version',
    fails: [
      ['set() is compare-and-set', /set\(\) with expectedVersion 1 wrote over version 2: compare-and-set must write only when the stored version equals expectedVersion/],
      ['set() is atomic', /20 of 20 concurrent set\(\) calls/],
    ],
  },
  {
    flaw: 'returns-expired',
    breaks: 'returns expired records',
    fails: [
      ['get() never returns an expired record', /get\(\) returned the record 1\.2 s after a write with a time to live of 1 s: an expired record must never be returned/],
      ['touch() restarts the time to live', /get\(\) returned the record 2\.2 s after touch\(id, 2\): a touched record must still expire/],
    ],
  },
  {
    flaw: 'touch-does-nothing',
    breaks: 'does not restart the time to live on touch()',
    fails: [['touch() restarts the time to live', /get\(\) returned null 2\.4 s after a write with a time to live of 2 s that was touched at 1\.2 s: touch\(id, 2\) must restart the time to live/]],
  },
  {
    flaw: 'ignores-the-clock',
    breaks: 'reads the real time instead of the clock it was given',
    fails: [
      ['get() never returns an expired record', /an expired record must never be returned.*if your store's records expire by a clock of its own, as Redis keys do, pass \{ realTime: true \}/],
      ['touch() restarts the time to live', /a touched record must still expire when its new time to live ends.*pass \{ realTime: true \}/],
    ],
  },
  {
    flaw: 'shares-objects',
    breaks: 'keeps and returns the caller\'s objects instead of copies',
    fails: [['records are copies', /changing the data after set\(\) changed the stored data to \{"list":\[1,2\]\}: set\(\) must store a copy/]],
  },
];

for (const { flaw, breaks, fails } of flaws) {
  test(`testSessionStore() fails a store that ${breaks}, on that rule only, saying what the store did`, async () => {
    const run = await runTap([flawedStores, flaw]);
    const failedNames = [...run.failed.keys()];
    for (const [rule, message] of fails) {
      const name = failedNames.find((failed) => failed.startsWith(`FlawedStore(${flaw}): ${rule}`));
      assert.ok(name !== undefined, `the test of "${rule}" did not fail\n${run.output}`);
      assert.match(run.failed.get(name)!, message);
    }
    assert.equal(run.fail, fails.length, `failed: ${failedNames.join('; ')}`);
    // These stores have no getWithExpiry(): its test is skipped, saying why.
    assert.equal(run.pass, CONTRACT_TESTS - OPTIONAL_TESTS - fails.length, run.output);
    assert.equal(run.skipped, OPTIONAL_TESTS, run.output);
    assert.match(run.output, /getWithExpiry\(\).* # SKIP no getWithExpiry\(\): it is optional, and without it the time to live is restarted on every request \(no lazy touch\)/);
    assert.equal(run.code, 1);
  });
}

// Stores that keep every rule but get the optional getWithExpiry() wrong: its test alone fails.
const expiryFlaws: readonly { flaw: ExpiryFlaw; breaks: string; message: RegExp }[] = [
  {
    flaw: 'expiry-in-seconds',
    breaks: 'reports the expiry in seconds',
    message: /getWithExpiry\(\) right after set\(\) reported expiresAtMs \d+(\.\d+)? for a time to live of 60 s: .*; this looks like seconds, and must be milliseconds since the epoch, like Date\.now\(\)/,
  },
  {
    flaw: 'expiry-from-now',
    breaks: 'reports a whole time to live from now, as if reading restarted it',
    message: /getWithExpiry\(\) 1\.2 s after set\(\), with no touch\(\) since, reported expiresAtMs \d+ for a time to live of 60 s \(1200 ms after it ends\): it must be the moment the store stops returning the record, never later/,
  },
  {
    flaw: 'expiry-not-restarted',
    breaks: 'reports the expiry of the last write, not the one touch() restarted',
    message: /getWithExpiry\(\) right after touch\(id, 60\) reported expiresAtMs \d+ for a time to live of 60 s \(1200 ms before it ends\): .* and at most a second earlier/,
  },
  {
    flaw: 'expiry-returns-expired',
    breaks: 'returns expired records from getWithExpiry()',
    message: /getWithExpiry\(\) returned \{"record".* 1\.2 s after a write with a time to live of 1 s: an expired record must never be returned/,
  },
];

for (const { flaw, breaks, message } of expiryFlaws) {
  test(`testSessionStore() fails a store whose getWithExpiry() ${breaks}, on that rule only, saying what the store did`, async () => {
    const run = await runTap([flawedStores, flaw]);
    const failedNames = [...run.failed.keys()];
    assert.deepEqual(failedNames, [`FlawedExpiryStore(${flaw}): getWithExpiry(), which is optional, returns what get() returns and when its time to live ends, never later`], run.output);
    assert.match(run.failed.get(failedNames[0]!)!, message);
    assert.equal(run.pass, CONTRACT_TESTS - 1, run.output);
    assert.equal(run.code, 1);
  });
}
