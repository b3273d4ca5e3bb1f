import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DEVELOPMENT_KEY_FILE, FlaskCookieCodec, NativeCookieCodec, Sealer, Signer } from '../../src/index.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/decode-session-cookie.js', import.meta.url));
const KEY = 'a-debugging-key-for-the-decoder-tool-0123';

/** An empty directory: the tool looks for the development key file in its current directory. */
function emptyDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'decode-session-cookie-'));
}

function run(args: string[], env: Record<string, string>, cwd = emptyDirectory()) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { cwd, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', ...env } });
}

const session = { permanent: true, created: Math.floor(Date.now() / 1000), data: { username: 'alice' } };

function signedWith(key: string): string {
  return new NativeCookieCodec(new Signer({ secrets: [key], salt: 'scratchpad.session' })).encode('session', session);
}

const formats: readonly { name: string; cookie: () => string; label: RegExp }[] = [
  { name: 'a signed Scratchpad cookie', cookie: () => signedWith(KEY), label: /valid Scratchpad, signed session cookie/ },
  { name: 'an encrypted Scratchpad cookie', cookie: () => new NativeCookieCodec(new Sealer({ secrets: [KEY] })).encode('session', session), label: /valid Scratchpad, encrypted session cookie/ },
  { name: 'a Flask cookie', cookie: () => new FlaskCookieCodec({ secrets: [KEY] }).encode('session', { ...session, created: null }), label: /valid Flask session cookie/ },
];

for (const { name, cookie, label } of formats) {
  test(`decode-session-cookie reads ${name} and prints its data`, () => {
    const result = run([`session=${cookie()}`], { SECRET_KEY: KEY });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, label);
    assert.match(result.stdout, /verified by: SECRET_KEY\n/);
    assert.match(result.stdout, /kind: {8}permanent/);
    assert.match(result.stdout, /"username": "alice"/);
  });
}

test('decode-session-cookie says a fallback key verified it', () => {
  const cookie = new FlaskCookieCodec({ secrets: ['old-key'] }).encode('session', { ...session, created: null });
  const result = run([cookie], { SECRET_KEY: KEY, SECRET_KEY_FALLBACKS: 'old-key' });
  assert.match(result.stdout, /verified by: SECRET_KEY_FALLBACKS\[0\] \(it will be re-signed with SECRET_KEY\)/);
});

test('decode-session-cookie explains, per format, why a cookie is refused', () => {
  const cookie = new FlaskCookieCodec({ secrets: ['someone-else'] }).encode('session', { ...session, created: null });
  const result = run([cookie], { SECRET_KEY: KEY });
  assert.equal(result.status, 1);
  assert.match(result.stdout, /not a valid session cookie for these keys/);
  assert.match(result.stdout, /as Scratchpad, signed: MalformedSignature/);
  assert.match(result.stdout, /as Scratchpad, encrypted: MalformedSignature: sealed value has a timestamp/);
  assert.match(result.stdout, /as Flask: BadSignature: signature matches none of the 1 configured key/);
});

test('decode-session-cookie without SECRET_KEY uses the development key file of the current directory, as the server does', () => {
  const directory = emptyDirectory();
  const developmentKey = 'a-development-key-written-by-npm-start-0123';
  writeFileSync(join(directory, DEVELOPMENT_KEY_FILE), `${developmentKey}\n`, { mode: 0o600 });
  const result = run([signedWith(developmentKey)], {}, directory);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /verified by: the development key\n/);
  assert.ok(result.stderr.includes(`using the development key in ${join(directory, DEVELOPMENT_KEY_FILE)}`), result.stderr);
});

test('decode-session-cookie with SECRET_KEY set ignores the development key file', () => {
  const directory = emptyDirectory();
  const developmentKey = 'a-development-key-written-by-npm-start-0123';
  writeFileSync(join(directory, DEVELOPMENT_KEY_FILE), `${developmentKey}\n`, { mode: 0o600 });
  assert.equal(run([signedWith(developmentKey)], { SECRET_KEY: KEY }, directory).status, 1);
  assert.equal(run([signedWith(KEY)], { SECRET_KEY: KEY }, directory).status, 0);
});

test('decode-session-cookie without SECRET_KEY or a development key file says so, and creates no key file', () => {
  const directory = emptyDirectory();
  const result = run([signedWith(KEY)], {}, directory);
  assert.equal(result.status, 2);
  assert.ok(result.stderr.includes(`SECRET_KEY is not set, and there is no development key file ${join(directory, DEVELOPMENT_KEY_FILE)}`), result.stderr);
  assert.match(result.stderr, /usage: /);
  assert.equal(existsSync(join(directory, DEVELOPMENT_KEY_FILE)), false);
});

test('decode-session-cookie refuses a configuration the server would refuse, naming the variable', () => {
  const result = run([signedWith(KEY)], { SECRET_KEY: KEY, PERMANENT_SESSION_LIFETIME: 'a month' });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^PERMANENT_SESSION_LIFETIME must be /);
});

test('decode-session-cookie without a cookie prints its usage', () => {
  const result = run([], { SECRET_KEY: KEY });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^usage: /);
});
