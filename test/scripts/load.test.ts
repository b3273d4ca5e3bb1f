// scripts/load.ts's temporary folders: a benchmark makes hundreds in a run, and none may be left
// behind, whether the run ends well or not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { removeTemporaryDirectory, temporaryDirectory } from '../../scripts/load.js';

const LOAD = fileURLToPath(new URL('../../scripts/load.js', import.meta.url));

test('temporaryDirectory() makes a new folder each time; removeTemporaryDirectory() removes it with what is in it', () => {
  const [first, second] = [temporaryDirectory('load-test-'), temporaryDirectory('load-test-')];
  assert.notEqual(first, second);
  writeFileSync(join(first, 'file'), 'x');
  removeTemporaryDirectory(first);
  assert.equal(existsSync(first), false);
  removeTemporaryDirectory(first); // already gone: nothing to do, no error
  removeTemporaryDirectory(second);
});

test('the folders a run did not remove go when it exits, after a failure too', () => {
  for (const ending of ['', "throw new Error('the run failed');", 'process.exit(3);']) {
    const script = `const { temporaryDirectory } = await import(${JSON.stringify(LOAD)}); const d = temporaryDirectory('load-test-'); (await import('node:fs')).writeFileSync(d + '/f', 'x'); console.log(d); ${ending}`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const directory = run.stdout.trim();
    assert.ok(directory.length > 0, `the run printed its folder (${run.stderr})`);
    assert.equal(existsSync(directory), false, `left behind by a run ending with: ${ending || 'its last line'}`);
  }
});
