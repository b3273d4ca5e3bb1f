// scripts/prepare.js, which npm runs after `npm install` in a clone and when an app installs the
// clone's folder: it builds where TypeScript is installed, and where it is not says what to do.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repositoryRoot } from '../helpers/repository.js';

/** A folder shaped like an installed copy of the package: scripts/prepare.js, no node_modules. */
function installedCopy(): string {
  const folder = mkdtempSync(join(tmpdir(), 'scratchpad-prepare-'));
  mkdirSync(join(folder, 'scripts'));
  copyFileSync(join(repositoryRoot(), 'scripts', 'prepare.js'), join(folder, 'scripts', 'prepare.js'));
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'scratchpad', type: 'module' }));
  return folder;
}

const prepare = (folder: string) => spawnSync(process.execPath, ['scripts/prepare.js'], { cwd: folder, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });

test('prepare.js without TypeScript and without dist/ fails, saying how to get a built package', () => {
  const result = prepare(installedCopy());
  assert.equal(result.status, 1);
  assert.match(result.stderr, /dist\/ is not built, and TypeScript is not installed here to build it/);
  assert.match(result.stderr, /Run `npm install` inside the scratchpad clone first .* or install the tarball `npm pack` makes there/);
});

test('prepare.js without TypeScript but with dist/ built does nothing, and succeeds', () => {
  const folder = installedCopy();
  mkdirSync(join(folder, 'dist'));
  writeFileSync(join(folder, 'dist', 'index.js'), '');
  const result = prepare(folder);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
});
