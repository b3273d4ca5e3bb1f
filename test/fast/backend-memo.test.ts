// session/backend.ts chooses the memoized modules by default and the plain ones on request; a
// session must behave the same either way.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MemoizedSigner } from '../../src/fast/memoized-signer.js';
import { htmlReply } from '../../src/http/reply.js';
import { memoFromEnvironment, openSessionBackend, type StoreSettings } from '../../src/session/backend.js';
import type { SessionCookieSettings } from '../../src/session/session.js';
import { Signer } from '../../src/signing/signer.js';
import { TestClock } from '../helpers/server.js';

const cookie: SessionCookieSettings = { name: 'session', path: '/', httpOnly: true, secure: false, sameSite: 'Lax', partitioned: false, lifetimeSeconds: 3600, refreshEachRequest: true, absoluteLifetimeSeconds: 86400 * 90 };
const store = (settings: Partial<StoreSettings>): StoreSettings => ({
  type: 'cookie',
  encrypt: false,
  format: 'native',
  idleLifetimeSeconds: 60,
  memoryMax: 10,
  newSessionsPerMinute: 0,
  fileDirectory: join(mkdtempSync(join(tmpdir(), 'scratchpad-backend-memo-')), 'sessions'),
  redis: { host: '127.0.0.1', port: 6379, db: 0 },
  ...settings,
});

/** Logs in, sends the cookie back twice, then once more after the lifetime: what each request saw. */
async function story(settings: Partial<StoreSettings>): Promise<string[]> {
  const clock = new TestClock();
  const backend = await openSessionBackend({ cookie, store: store(settings), secrets: ['current-key', 'old-key'], now: clock.now });
  const seen: string[] = [];
  const login = await backend.sessions.open(undefined);
  login.session.set('username', 'alice');
  const sent = String((await backend.sessions.commit(login, htmlReply(200, ''))).headers['set-cookie']).split(';')[0]!;
  for (const advance of [1, 1, 3600]) {
    clock.advanceSeconds(advance);
    const loaded = await backend.sessions.open(sent);
    seen.push(`${String(loaded.session.get('username'))} ${loaded.incoming.rejection?.replace(/:.*/, '') ?? 'accepted'} ${loaded.incoming.keyIndex}`);
  }
  await backend.close();
  return seen;
}

for (const settings of [{}, { encrypt: true }, { type: 'memory' as const }]) {
  test(`openSessionBackend() gives the same sessions with the memos on and off (${JSON.stringify(settings)})`, async () => {
    const on = await story({ ...settings, memo: true });
    assert.deepEqual(on.slice(0, 2), ['alice accepted 0', 'alice accepted 0']);
    assert.deepEqual(await story({ ...settings, memo: false }), on);
  });
}

test('openSessionBackend() reads SESSION_MEMO from the environment when the settings do not say', async () => {
  const saved = process.env['SESSION_MEMO'];
  try {
    process.env['SESSION_MEMO'] = 'false';
    const off = await story({});
    delete process.env['SESSION_MEMO'];
    assert.deepEqual(await story({}), off);
    process.env['SESSION_MEMO'] = 'sometimes';
    await assert.rejects(story({}), /SESSION_MEMO must be true or false, not "sometimes"/);
  } finally {
    if (saved === undefined) delete process.env['SESSION_MEMO'];
    else process.env['SESSION_MEMO'] = saved;
  }
});

test('openSessionBackend().newSigner() signs under its own salt, memoized or not, with the same answers', async () => {
  const clock = new TestClock();
  const signed: string[] = [];
  for (const memo of [true, false]) {
    const backend = await openSessionBackend({ cookie, store: store({ memo }), secrets: ['current-key'], now: clock.now });
    const signer = backend.newSigner({ secrets: ['current-key'], salt: 'scratchpad.csrf', now: clock.now });
    assert.equal(signer instanceof MemoizedSigner, memo);
    signed.push(signer.sign('session_csrf', 'token'));
    assert.equal(signer.verify('session_csrf', signed.at(-1)!, 60).payload.toString(), 'token');
    await backend.close();
  }
  assert.equal(signed[0], signed[1]);
  assert.notEqual(signed[0], new Signer({ secrets: ['current-key'], salt: 'scratchpad.session', now: clock.now }).sign('session_csrf', 'token'), 'the salt is the caller\'s');
});

const memoCases: readonly { name: string; input: string | undefined; want: boolean | RegExp }[] = [
  { name: 'unset: on', input: undefined, want: true },
  { name: 'empty: on', input: '', want: true },
  { name: 'true', input: 'true', want: true },
  { name: 'false', input: 'false', want: false },
  // Anything else is a typo, not a choice: neither on nor off is a safe guess.
  { name: 'a typo is refused', input: 'flase', want: /SESSION_MEMO must be true or false, not "flase"/ },
  { name: 'another spelling of false is refused', input: '0', want: /not "0"/ },
];
for (const { name, input, want } of memoCases) {
  test(`memoFromEnvironment(): ${name}`, () => {
    const env = { SESSION_MEMO: input };
    if (want instanceof RegExp) assert.throws(() => memoFromEnvironment(env), want);
    else assert.equal(memoFromEnvironment(env), want);
  });
}
