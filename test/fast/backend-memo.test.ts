// session/backend.ts chooses the memoized modules by default and the plain ones on request; a
// session must behave the same either way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoizedSigner } from '../../src/fast/memoized-signer.js';
import { htmlReply } from '../../src/http/reply.js';
import { openSessionBackend, type StoreSettings } from '../../src/session/backend.js';
import { TEST_COOKIE_SETTINGS, testStoreSettings } from '../helpers/fixtures.js';
import { Signer } from '../../src/signing/signer.js';
import { TestClock } from '../helpers/server.js';

const cookie = TEST_COOKIE_SETTINGS;
const store = testStoreSettings;

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

test('openSessionBackend() uses the memos when the settings do not say', async () => {
  assert.deepEqual(await story({}), await story({ memo: true }));
  const backend = await openSessionBackend({ cookie, store: store({}), secrets: ['current-key'] });
  assert.ok(backend.newSigner({ secrets: ['current-key'], salt: 'x' }) instanceof MemoizedSigner);
  await backend.close();
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
