// The package as a stranger gets it: `npm pack` a clean copy of this repository, `npm install` the
// tarball into a new, empty application, offline, then run the examples from that application and
// talk to them with curl, run the store contract there, and type-check the examples against the
// installed .d.ts files. If a file is missing from "files", or a type does not resolve through
// "exports", this is the test that notices; every other test runs against the repository itself.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repositoryRoot, startListening, type ListeningProgram } from '../helpers/repository.js';
import { skipUnlessInstalled } from '../helpers/tools.js';

const REPOSITORY = repositoryRoot();
const EXAMPLES = join(REPOSITORY, 'examples');
const SECRET_KEY = 'package-test-secret-key-of-at-least-32-bytes';
/** npm pack builds dist/ (the `prepare` script runs tsc), and npm install unpacks: minutes on a slow machine. */
const TIMEOUT_MS = 5 * 60_000;

/**
 * The environment of a user's shell, not of this test: PATH and HOME only. Everything npm sets
 * for a script it runs (npm_config_*, npm_package_*) stays out, and so does NODE_TEST_CONTEXT,
 * which would make a nested `node --test` report to this test runner instead of to its stdout.
 */
function userEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? tmpdir(), ...extra };
}

/** Runs a command to its end; rejects with everything it printed when it exits with another code than 0. */
function run(command: string, args: readonly string[], cwd: string, env: Record<string, string> = userEnvironment()): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${error.message}\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
}

/** Runs `node <file>` in the application with PORT=0, as a user's shell would. */
function startExample(app: string, file: string): Promise<ListeningProgram> {
  return startListening(file, app, userEnvironment({ PORT: '0', SECRET_KEY }));
}

/** What has to stay out of the copy that gets packed: what git ignores here, and git itself. */
function isLeftOut(path: string): boolean {
  const top = relative(REPOSITORY, path).split(sep)[0]!;
  return /^(\.git|node_modules|dist|coverage|\.build.*|\.scratchpad-.*)$/.test(top);
}

const curlSkip = skipUnlessInstalled('curl', 'curl');

describe('the tarball of `npm pack`, installed into a new application', { timeout: TIMEOUT_MS }, () => {
  const work = mkdtempSync(join(tmpdir(), 'scratchpad-package-'));
  const app = join(work, 'app');
  const installed = join(app, 'node_modules', 'scratchpad');
  const examples = readdirSync(EXAMPLES).filter((name) => name.endsWith('.js'));

  before(
    async () => {
      // 1. A copy of the repository as a clone has it, with this repository's devDependencies. The
      //    pack runs `prepare`, which rebuilds dist/: in a copy, because the other test files of
      //    this run use this repository's dist/ at the same time.
      const clone = join(work, 'clone');
      cpSync(REPOSITORY, clone, { recursive: true, filter: (path) => !isLeftOut(path) });
      symlinkSync(join(REPOSITORY, 'node_modules'), join(clone, 'node_modules'), 'dir');
      const packs = join(work, 'packs');
      mkdirSync(packs);
      await run('npm', ['pack', '--pack-destination', packs], clone);
      const tarballs = readdirSync(packs).filter((name) => name.endsWith('.tgz'));
      assert.equal(tarballs.length, 1, `npm pack made one tarball: ${tarballs.join(', ')}`);

      // 2. A new application, installing the tarball offline, with an empty npm cache: nothing
      //    may come from the registry, which works because the package has no dependencies.
      mkdirSync(app);
      writeFileSync(join(app, 'package.json'), '{"type":"module"}\n');
      const npm = userEnvironment({ npm_config_cache: join(work, 'npm-cache'), npm_config_update_notifier: 'false' });
      await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(packs, tarballs[0]!)], app, npm);

      // 3. The examples, copied in as a user copies them: they import 'scratchpad', now node_modules/scratchpad.
      for (const name of examples) copyFileSync(join(EXAMPLES, name), join(app, name));
    },
    { timeout: TIMEOUT_MS },
  );
  after(() => rmSync(work, { recursive: true, force: true }));

  test('installs dist/ with its types and src/ (for the source view), and nothing else: no TypeScript, no dependencies', () => {
    assert.deepEqual(
      readdirSync(join(app, 'node_modules')).filter((name) => !name.startsWith('.')),
      ['scratchpad'],
    );
    assert.equal(existsSync(join(app, 'node_modules', 'typescript')), false);
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/testing/store-contract.js', 'dist/testing/store-contract.d.ts', 'dist/server.js', 'src/index.ts', 'src/README.md', 'package.json', 'README.md', 'SECURITY.md', 'examples/login.js', 'examples/README.md', 'docs/configuration.md']) {
      assert.ok(existsSync(join(installed, file)), `${file} is in the package`);
    }
    for (const file of ['test', '.build', 'coverage', 'docs/screenshots']) {
      assert.equal(existsSync(join(installed, file)), false, `${file} stays out of the package`);
    }
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest['dependencies'], undefined);
  });

  test('the examples type-check against the installed .d.ts files, with this repository\'s TypeScript (strict)', async () => {
    const tsc = join(REPOSITORY, 'node_modules', 'typescript', 'bin', 'tsc');
    const options = ['--noEmit', '--strict', '--allowJs', '--checkJs', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022'];
    // @types/node from this repository: the application has no devDependencies of its own.
    const types = ['--types', 'node', '--typeRoots', join(REPOSITORY, 'node_modules', '@types')];
    try {
      await run(process.execPath, [tsc, ...options, ...types, ...examples], app);
    } catch (error) {
      assert.fail(`tsc found errors in ${examples.join(', ')}: ${(error as Error).message}`);
    }
  });

  test('map-store.test.js passes the store contract of scratchpad/testing', { skip: examples.includes('map-store.test.js') ? false : 'examples/map-store.test.js does not exist yet' }, async () => {
    const { stdout } = await run(process.execPath, ['--test', '--test-reporter', 'tap', 'map-store.test.js'], app);
    assert.match(stdout, /^# fail 0$/m);
    const passed = Number(/^# pass (\d+)$/m.exec(stdout)?.[1] ?? 0);
    assert.ok(passed > 0, `some tests ran and passed: ${stdout}`);
  });

  /** curl with a cookie jar, as a user types it; returns what it printed. */
  function curl(jar: string, args: readonly string[]): Promise<string> {
    return run('curl', ['--silent', '--show-error', '--cookie', jar, '--cookie-jar', jar, ...args], app).then((result) => result.stdout);
  }

  test('login.js: log in and out with curl', { skip: curlSkip }, async () => {
    const example = await startExample(app, 'login.js');
    const jar = join(work, 'login-jar.txt');
    const tokenIn = (page: string): string => {
      const token = /name="csrf_token" value="([^"]+)"/.exec(page)?.[1];
      assert.ok(token !== undefined, `a csrf_token in: ${page}`);
      return token;
    };
    try {
      const token = tokenIn(await curl(jar, [`${example.url}/login`]));
      const login = await curl(jar, ['--output', '/dev/null', '--write-out', '%{http_code} %{redirect_url}', '--data', `csrf_token=${token}`, '--data-urlencode', 'username=alice', `${example.url}/login`]);
      assert.equal(login, `303 ${example.url}/`);
      const index = await curl(jar, [`${example.url}/`]);
      assert.match(index, /Logged in as alice/);
      const logout = await curl(jar, ['--output', '/dev/null', '--write-out', '%{http_code}', '--data', `csrf_token=${tokenIn(index)}`, `${example.url}/logout`]);
      assert.equal(logout, '303');
      const afterLogout = await curl(jar, [`${example.url}/`]);
      assert.doesNotMatch(afterLogout, /Logged in as/);
      assert.match(afterLogout, /You are not logged in/);
      assert.doesNotMatch(readFileSync(jar, 'utf8'), /\tsession\t/, 'the jar no longer holds a session cookie');
      const forged = await curl(jar, ['--output', '/dev/null', '--write-out', '%{http_code}', '--data', 'username=mallory', `${example.url}/login`]);
      assert.equal(forged, '403', 'a post without the token');
    } finally {
      assert.equal(await example.stop(), 0);
    }
  });

  test('cart-api.js: fill a cart and check out with curl', { skip: curlSkip }, async () => {
    const example = await startExample(app, 'cart-api.js');
    const jar = join(work, 'cart-jar.txt');
    const json = ['--header', 'content-type: application/json'];
    try {
      await curl(jar, [...json, '--data', '{"sku": "tea-1", "quantity": 2}', `${example.url}/cart/items`]);
      await curl(jar, [...json, '--data', '{"sku": "mug", "quantity": 1}', `${example.url}/cart/items`]);
      assert.deepEqual(JSON.parse(await curl(jar, [`${example.url}/cart`])), { items: [{ sku: 'tea-1', quantity: 2 }, { sku: 'mug', quantity: 1 }] });
      assert.deepEqual(JSON.parse(await curl(jar, ['--request', 'DELETE', `${example.url}/cart/items/mug`])), { items: [{ sku: 'tea-1', quantity: 2 }] });
      const bad = await curl(jar, [...json, '--write-out', ' %{http_code}', '--data', '{"sku": "tea 1", "quantity": 2}', `${example.url}/cart/items`]);
      assert.match(bad, /^\{"error":"sku must be .*"\} 400$/);
      assert.deepEqual(JSON.parse(await curl(jar, [...json, '--data', '{}', `${example.url}/cart/checkout`])), { bought: [{ sku: 'tea-1', quantity: 2 }] });
      assert.deepEqual(JSON.parse(await curl(jar, [`${example.url}/cart`])), { items: [] });
    } finally {
      assert.equal(await example.stop(), 0);
    }
  });
});
