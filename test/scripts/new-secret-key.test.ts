import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/new-secret-key.js', import.meta.url));

test('new-secret-key prints a fresh 256-bit base64url key that production accepts, and how to rotate', () => {
  const first = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
  const second = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
  const key = first.stdout.trim();
  assert.match(key, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(key, second.stdout.trim());
  assert.match(first.stderr, /SECRET_KEY_FALLBACKS=<the old SECRET_KEY>/);
  assert.equal(loadConfig({ NODE_ENV: 'production', SECRET_KEY: key }).secretKey, key);
});
