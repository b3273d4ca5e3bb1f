import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { FlaskCookieCodec, NativeCookieCodec, Sealer, Signer } from '../../src/index.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/decode-session-cookie.js', import.meta.url));
const KEY = 'a-debugging-key-for-the-decoder-tool-0123';

function run(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', ...env } });
}

const session = { permanent: true, created: Math.floor(Date.now() / 1000), data: { username: 'alice' } };

const formats: readonly { name: string; cookie: () => string; label: RegExp }[] = [
  { name: 'a signed Scratchpad cookie', cookie: () => new NativeCookieCodec(new Signer({ secrets: [KEY], salt: 'scratchpad.session' })).encode('session', session), label: /valid Scratchpad, signed session cookie/ },
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

test('decode-session-cookie without a key or a cookie prints its usage', () => {
  assert.equal(run([], { SECRET_KEY: KEY }).status, 2);
  assert.match(run(['x'], {}).stderr, /usage: SECRET_KEY=<key>/);
});
