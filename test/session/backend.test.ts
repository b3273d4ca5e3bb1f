import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { openSessionBackend } from '../../src/session/backend.js';
import { TEST_COOKIE_SETTINGS, testStoreSettings } from '../helpers/fixtures.js';
import { CookieSessionInterface } from '../../src/session/cookie-session.js';
import { ServerSessionInterface } from '../../src/session/server-session.js';
import type { SessionStore } from '../../src/session/store.js';
import { MemorySessionStore } from '../../src/session/stores/memory.js';
import { htmlReply } from '../../src/http/reply.js';
import { TestClock } from '../helpers/server.js';

const cookie = TEST_COOKIE_SETTINGS;
const store = testStoreSettings;

test('openSessionBackend() for SESSION_TYPE=cookie needs no store', async () => {
  const backend = await openSessionBackend({ cookie, store: store({}), secrets: ['k'] });
  assert.ok(backend.sessions instanceof CookieSessionInterface);
  assert.equal(backend.store, null);
  await backend.close();
});

test('openSessionBackend() for SESSION_TYPE=memory warns that it is per-process', async () => {
  const lines: string[] = [];
  const backend = await openSessionBackend({ cookie, store: store({ type: 'memory' }), secrets: ['k'], log: (line) => lines.push(line) });
  assert.ok(backend.sessions instanceof ServerSessionInterface);
  assert.equal(backend.store?.name, 'memory');
  assert.match(lines.join('\n'), /at most 10\); it belongs to this process alone and is lost on restart/);
  await backend.close();
});

test('openSessionBackend() for SESSION_TYPE=filesystem creates the directory', async () => {
  const settings = store({ type: 'filesystem' });
  const backend = await openSessionBackend({ cookie, store: settings, secrets: ['k'] });
  assert.equal(backend.store?.name, 'filesystem');
  assert.ok(statSync(settings.fileDirectory).isDirectory());
  await backend.close();
});

test('openSessionBackend() for SESSION_TYPE=redis starts even when Redis cannot be reached, and says so', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  const lines: string[] = [];
  const backend = await openSessionBackend({ cookie, store: store({ type: 'redis', redis: { host: '127.0.0.1', port, db: 0 } }), secrets: ['k'], log: (line) => lines.push(line) });
  assert.equal(backend.store?.name, 'redis');
  assert.match(lines.join('\n'), new RegExp(`redis store at 127\\.0\\.0\\.1:${port}, database 0`));
  assert.match(lines.join('\n'), /redis is not reachable yet .*; requests with a session get 503 until it is/);
  await backend.close();
});

test('openSessionBackend() refuses an unknown type', async () => {
  await assert.rejects(openSessionBackend({ cookie, store: store({ type: 'mongo' as never }), secrets: ['k'] }), /no session store is called "mongo"/);
});

test('openSessionBackend() with SESSION_COOKIE_ENCRYPT seals cookie sessions', async () => {
  const backend = await openSessionBackend({ cookie, store: store({ encrypt: true }), secrets: ['k'] });
  const loaded = await backend.sessions.open(undefined);
  assert.equal(backend.sessions.inspect(loaded).protection, 'encrypted');
  loaded.session.set('username', 'alice');
  const reply = await backend.sessions.commit(loaded, { status: 200, headers: {}, body: '' });
  assert.match((reply.headers['set-cookie'] as string[])[0]!, /^session=v1\.\d+\./);
});

test('openSessionBackend() says SESSION_COOKIE_ENCRYPT does nothing for server-side sessions', async () => {
  const lines: string[] = [];
  const backend = await openSessionBackend({ cookie, store: store({ type: 'memory', encrypt: true }), secrets: ['k'], log: (line) => lines.push(line) });
  assert.match(lines.join('\n'), /SESSION_COOKIE_ENCRYPT has no effect here/);
  await backend.close();
});

test('openSessionBackend() with SESSION_COOKIE_FORMAT=flask writes Flask cookies and says absolute lifetimes are not enforced', async () => {
  const lines: string[] = [];
  const backend = await openSessionBackend({ cookie, store: store({ format: 'flask' }), secrets: ['k'], log: (line) => lines.push(line) });
  assert.match(lines.join('\n'), /SESSION_ABSOLUTE_LIFETIME is not enforced/);
  const loaded = await backend.sessions.open(undefined);
  loaded.session.set('username', 'alice');
  const reply = await backend.sessions.commit(loaded, { status: 200, headers: {}, body: '' });
  const value = (reply.headers['set-cookie'] as string[])[0]!.split(';')[0]!.slice('session='.length);
  assert.equal(Buffer.from(value.split('.')[0]!, 'base64url').toString(), '{"username":"alice"}');
});

test('openSessionBackend() restarts idle time only once a tenth has passed, unless lazyRefresh is false', async () => {
  for (const [lazyRefresh, touches] of [[undefined, 0], [true, 0], [false, 3]] as const) {
    const clock = new TestClock();
    const memory = new MemorySessionStore({ maxEntries: 10, now: clock.now, sweepIntervalMs: 0 });
    let touched = 0;
    const customStore: SessionStore = {
      name: 'counted',
      get: (id) => memory.get(id),
      getWithExpiry: (id) => memory.getWithExpiry(id),
      set: (id, record, ttl, expected) => memory.set(id, record, ttl, expected),
      destroy: (id) => memory.destroy(id),
      touch: (id, ttl) => (touched++, memory.touch(id, ttl)),
      close: () => memory.close(),
    };
    const settings = store({ type: 'memory', ...(lazyRefresh === undefined ? {} : { lazyRefresh }) });
    const backend = await openSessionBackend({ cookie, store: settings, secrets: ['k'], customStore, now: clock.now });
    const login = await backend.sessions.open(undefined);
    login.session.set('username', 'alice');
    const sent = String((await backend.sessions.commit(login, htmlReply(200, ''))).headers['set-cookie']).split(';')[0]!;
    for (let request = 0; request < 3; request += 1) {
      clock.advanceSeconds(1);
      const loaded = await backend.sessions.open(sent);
      assert.equal(loaded.session.get('username'), 'alice');
      await backend.sessions.commit(loaded, htmlReply(200, ''));
    }
    assert.equal(touched, touches, `lazyRefresh ${String(lazyRefresh)}`);
    await backend.close();
  }
});

test('openSessionBackend() gives the memory store the coarse recency, and exact recency with memo: false', async () => {
  for (const memo of [true, false]) {
    const backend = await openSessionBackend({ cookie, store: store({ type: 'memory', memo }), secrets: ['k'] });
    const memory = backend.store as MemorySessionStore;
    await memory.set('user', { data: { a: 1 }, permanent: false, version: 1, createdAt: 1764000000 }, 3600, null);
    await memory.get('user'); // promoted: a move either way
    const moves = memory.moves;
    await memory.get('user');
    await memory.get('user');
    assert.equal(memory.moves, memo ? moves : moves + 2, `memo: ${memo}`);
    await backend.close();
  }
});
