// The README's "Use it in your app" code, run as it is printed: what a new user copies must work.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, repositoryRoot } from '../helpers/repository.js';
import { TEST_SECRET_KEY } from '../helpers/server.js';

test("the README's five lines run as printed and keep a session", async () => {
  const root = repositoryRoot();
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const snippet = /## Use it in your app[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(snippet !== undefined, 'the section has a js code block');
  assert.match(snippet, /\.listen\(8000, '127\.0\.0\.1'\);\n$/);
  assert.ok(snippet.split('\n').filter((line) => line.trim() !== '').length <= 8, 'a start of a handful of lines');
  // Inside the repository, so that `import 'scratchpad'` finds this package by its own name.
  const file = join(root, '.build', `readme-snippet-${process.pid}.mjs`);
  writeFileSync(file, snippet.replace('.listen(8000,', '.listen(Number(process.env.PORT),'));
  const port = await freePort();
  const child = spawn(process.execPath, [file], { env: { PATH: process.env['PATH'] ?? '', SECRET_KEY: TEST_SECRET_KEY, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const url = `http://127.0.0.1:${port}/`;
    let first: Response | null = null;
    for (let waited = 0; first === null && waited < 10_000; waited += 50) {
      first = await fetch(url).catch(() => null);
      if (first === null) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(first !== null, `the snippet never answered: ${stderr}`);
    assert.equal(await first.text(), 'You have been here 1 times');
    const cookie = first.headers.getSetCookie()[0]!;
    assert.match(cookie, /^session=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
    const second = await fetch(url, { headers: { cookie: cookie.split(';')[0]! } });
    assert.equal(await second.text(), 'You have been here 2 times');
  } finally {
    child.kill();
    rmSync(file, { force: true });
  }
});

test('without SECRET_KEY the README code stops at once, saying what to set', async () => {
  const root = repositoryRoot();
  const file = join(root, '.build', `readme-nokey-${process.pid}.mjs`);
  writeFileSync(file, "import { createSessions } from 'scratchpad';\nawait createSessions({ secretKey: process.env.SECRET_KEY });\n");
  try {
    const child = spawn(process.execPath, [file], { env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 1);
    assert.match(stderr, /SessionsOptionError: createSessions\(\): secretKey must be a string of at least 32 random bytes .* got nothing \(is SECRET_KEY set\?\)/);
  } finally {
    rmSync(file, { force: true });
  }
});
