// Tests that need a Debian tool skip with a printed reason when it is missing; with CI set, they fail instead.
import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';

/** The tool's path on PATH, or null. */
export function findTool(name: string): string | null {
  for (const directory of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/**
 * `false` when `name` is installed; otherwise the reason to skip, for `test(…, { skip })`.
 * When CI is set, a missing tool is a failure: CI must install it (.ci/run), and a skipped
 * suite there would pass without testing anything.
 */
export function skipUnlessInstalled(name: string, debianPackage: string): string | false {
  if (findTool(name) !== null) return false;
  const reason = `${name} is not installed (apt-get install ${debianPackage})`;
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') {
    test(`${name} is installed, as CI requires`, () => assert.fail(reason));
  } else {
    console.log(`# skipping: ${reason}`);
  }
  return reason;
}
