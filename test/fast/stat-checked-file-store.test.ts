// The stat-checked file store must answer exactly as the plain FileSessionStore does at the same
// moment, while files are replaced, touched, edited in place and removed by other processes; and
// it must really answer from its memo when a file has settled (else it would be a test of nothing).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_SETTLE_MS, KEEP_AT_MOST_MS, MAX_KEPT_FILE_BYTES, StatCheckedFileStore, type StatCheckedFileStoreOptions } from '../../src/fast/stat-checked-file-store.js';
import { openSessionBackend } from '../../src/session/backend.js';
import type { SessionRecord } from '../../src/session/store.js';
import { FileSessionStore } from '../../src/session/stores/filesystem.js';
import { testSessionStore } from '../../src/testing/store-contract.js';
import { TEST_COOKIE_SETTINGS, testStoreSettings } from '../helpers/fixtures.js';
import { TestClock } from '../helpers/server.js';
import { IDLE, login, page, setCookieOf, setup } from '../helpers/server-sessions.js';
import type { ServerSessionInterface } from '../../src/session/server-session.js';

const freshDir = () => join(mkdtempSync(join(tmpdir(), 'scratchpad-statmemo-')), 'sessions');
const newId = () => randomBytes(32).toString('base64url');
const record = (version: number, data: SessionRecord['data'] = { username: 'alice' }): SessionRecord => ({ data, permanent: false, version, createdAt: 1764000000 });
/** A wall clock a minute ahead of the kernel's: every file on disk looks settled at once. */
const aMinuteAhead = () => Date.now() + 60_000;

// The whole contract, with every file settled as soon as it is written: the memo answers whenever
// the rules let it, and must still keep every rule of a store.
testSessionStore('StatCheckedFileStore', async (clock) => {
  const plain = await FileSessionStore.open({ directory: freshDir(), now: clock.now, sweepIntervalMs: 0 });
  return new StatCheckedFileStore(plain, { now: clock.now, wallClock: aMinuteAhead });
});

/** The memo store, a plain reader and a plain writer (another process) on one directory. */
async function threeStores(clock: TestClock, options: StatCheckedFileStoreOptions = {}) {
  const directory = freshDir();
  const open = () => FileSessionStore.open({ directory, now: clock.now, sweepIntervalMs: 0 });
  const memo = new StatCheckedFileStore(await open(), { now: clock.now, wallClock: aMinuteAhead, ...options });
  const reader = await open();
  const writer = await open();
  /** Asks the memo store twice and the plain reader once; all three answers must be equal. */
  const agree = async (id: string) => {
    const expected = await reader.getWithExpiry(id);
    assert.deepEqual(await memo.getWithExpiry(id), expected);
    assert.deepEqual(await memo.getWithExpiry(id), expected);
    assert.deepEqual(await memo.get(id), expected?.record ?? null);
    return expected;
  };
  const close = () => Promise.all([memo.close(), reader.close(), writer.close()]);
  return { directory, memo, writer, agree, close };
}

test('StatCheckedFileStore answers from memory as the plain store would, while another process writes, touches and removes', async () => {
  const clock = new TestClock();
  const { memo, writer, agree, close } = await threeStores(clock);
  const id = newId();
  assert.equal(await agree(id), null);
  await writer.set(id, record(1), 600, null);
  await agree(id);
  const answered = memo.answeredFromMemo;
  assert.ok(answered >= 2, `a settled file is answered from memory (${answered} times)`);
  // Replaced by another process with a record of exactly the same size: the new inode shows.
  await writer.set(id, record(2, { username: 'bobby' }), 600, 1);
  assert.equal((await agree(id))?.record.data['username'], 'bobby');
  // Touched: the new mtime moves the expiry.
  clock.advanceSeconds(120);
  await writer.touch(id, 600);
  assert.equal((await agree(id))?.expiresAtMs, clock.now() + 600_000);
  // Touched with another time to live (the plain store rewrites the file then).
  await writer.touch(id, 60);
  assert.equal((await agree(id))?.expiresAtMs, clock.now() + 60_000);
  // Expired: the memo does not answer past the expiry it kept, and the plain store removes the file.
  clock.advanceSeconds(61);
  assert.equal(await memo.getWithExpiry(id), null);
  assert.equal(await agree(id), null);
  // Destroyed by the other process.
  const other = newId();
  await writer.set(other, record(1), 600, null);
  await agree(other);
  await writer.destroy(other);
  assert.equal(await agree(other), null);
  assert.ok(memo.answeredFromMemo > answered, 'the memo kept answering between the changes');
  await close();
});

test('StatCheckedFileStore sees a file edited in place, even with its size and mtime put back', async () => {
  const clock = new TestClock();
  // The real wall clock here: the settling rule is what makes an edit in place visible.
  const { directory, memo, agree, close } = await threeStores(clock, { wallClock: Date.now, settleMs: 50 });
  const id = newId();
  await memo.set(id, record(1), 600, null);
  await new Promise((resolve) => setTimeout(resolve, 120));
  await agree(id);
  const answered = memo.answeredFromMemo;
  assert.ok(answered >= 1, 'the settled file was kept');
  const path = join(directory, `${id}.json`);
  const before = statSync(path);
  writeFileSync(path, readFileSync(path, 'utf8').replace('alice', 'carol'));
  utimesSync(path, before.atime, before.mtime);
  const after = statSync(path);
  assert.deepEqual([after.ino, after.size, after.mtimeMs], [before.ino, before.size, before.mtimeMs], 'only the ctime tells the edit');
  assert.equal((await agree(id))?.record.data['username'], 'carol');
  await close();
});

test('StatCheckedFileStore keeps no file changed within the settling time, and keeps it once settled', async () => {
  const clock = new TestClock();
  let wall = Date.now();
  const { memo, writer, agree, close } = await threeStores(clock, { wallClock: () => wall });
  const id = newId();
  await writer.set(id, record(1), 600, null);
  await agree(id);
  await agree(id);
  assert.equal(memo.answeredFromMemo, 0, 'a file changed less than DEFAULT_SETTLE_MS ago is read every time');
  wall += DEFAULT_SETTLE_MS + 1_000;
  await agree(id);
  assert.ok(memo.answeredFromMemo >= 1);
  await close();
});

// Two ways an entry stops answering whatever stat says: it is old, or the wall clock went back.
for (const [what, move] of [['once its entry is KEEP_AT_MOST_MS old', KEEP_AT_MOST_MS + 1], ['when the wall clock steps back (and drops every entry)', -1]] as const) {
  test(`StatCheckedFileStore reads a file whole again ${what}, then keeps it anew`, async () => {
    const clock = new TestClock();
    let wall = Date.now() + 60_000;
    const { memo, writer, agree, close } = await threeStores(clock, { wallClock: () => wall });
    const id = newId();
    await writer.set(id, record(1), 600, null);
    await agree(id);
    const answered = memo.answeredFromMemo;
    assert.ok(answered >= 1);
    wall += move;
    await memo.getWithExpiry(id);
    assert.equal(memo.answeredFromMemo, answered, 'the first read after it is the plain store\'s');
    await memo.getWithExpiry(id);
    assert.equal(memo.answeredFromMemo, answered + 1, 'and the file is kept again');
    await close();
  });
}

test('StatCheckedFileStore gives every caller its own copy of a record, nested values included', async () => {
  const clock = new TestClock();
  const { memo, writer, close } = await threeStores(clock);
  const id = newId();
  await writer.set(id, record(1, { cart: ['apple'], username: 'alice' }), 600, null);
  for (let round = 0; round < 3; round += 1) {
    const found = await memo.get(id);
    assert.deepEqual(found?.data, { cart: ['apple'], username: 'alice' });
    (found!.data['cart'] as string[]).push('pear');
    (found!.data as Record<string, unknown>)['username'] = 'mallory';
  }
  assert.ok(memo.answeredFromMemo >= 2);
  await close();
});

test('StatCheckedFileStore forgets the oldest file past its capacity, and refuses what is not an id', async () => {
  const clock = new TestClock();
  const { memo, writer, close } = await threeStores(clock, { memoEntries: 1 });
  const [first, second] = [newId(), newId()];
  await writer.set(first, record(1), 600, null);
  await writer.set(second, record(1), 600, null);
  await memo.get(first);
  await memo.get(second);
  const answered = memo.answeredFromMemo;
  await memo.get(first);
  assert.equal(memo.answeredFromMemo, answered, 'the first was forgotten for the second');
  await memo.get(first);
  assert.equal(memo.answeredFromMemo, answered + 1);
  assert.equal(await memo.get('../../etc/passwd'), null);
  await close();
});

test('StatCheckedFileStore reads a file larger than MAX_KEPT_FILE_BYTES every time, with the same answer', async () => {
  const clock = new TestClock();
  const { memo, writer, agree, close } = await threeStores(clock);
  const id = newId();
  await writer.set(id, record(1, { notes: 'n'.repeat(MAX_KEPT_FILE_BYTES) }), 600, null);
  await agree(id);
  assert.equal(memo.answeredFromMemo, 0);
  await close();
});

test('StatCheckedFileStore finds no session in a FIFO or a directory at a session path, at once, as the plain store', async () => {
  const clock = new TestClock();
  const { directory, memo, close } = await threeStores(clock);
  const [fifo, folder] = [newId(), newId()];
  execFileSync('mkfifo', [join(directory, `${fifo}.json`)]);
  mkdirSync(join(directory, `${folder}.json`));
  for (const id of [fifo, folder, fifo, folder]) assert.equal(await memo.getWithExpiry(id), null, id);
  assert.equal(memo.answeredFromMemo, 0);
  await close();
});

test('StatCheckedFileStore lets the plain store answer when stat fails for another reason than a missing file', async () => {
  const clock = new TestClock();
  const { directory, memo, close } = await threeStores(clock);
  rmSync(directory, { recursive: true });
  writeFileSync(directory, 'not a directory');
  const id = newId();
  await assert.rejects(memo.getWithExpiry(id), { code: 'ENOTDIR' });
  await close();
});

test('openSessionBackend() reads files through the stat check with the memos on, and the plain store with SESSION_MEMO=false', async () => {
  for (const memo of [true, false]) {
    const backend = await openSessionBackend({ cookie: TEST_COOKIE_SETTINGS, store: testStoreSettings({ type: 'filesystem', fileDirectory: freshDir(), memo }), secrets: ['current-key'] });
    assert.equal(backend.store instanceof StatCheckedFileStore, memo);
    assert.equal(backend.store instanceof FileSessionStore, !memo);
    await backend.close();
  }
});

test('sessions on the stat-checked file store answer as on the plain one: tampering, key rotation, idle expiry, logout and replay', async () => {
  /** One browser's story on a file store; what the server answered at each step. */
  async function story(checked: boolean): Promise<{ answers: string[]; answeredFromMemo: number }> {
    const clock = new TestClock();
    const plain = await FileSessionStore.open({ directory: freshDir(), now: clock.now, sweepIntervalMs: 0 });
    const store = checked ? new StatCheckedFileStore(plain, { now: clock.now, wallClock: aMinuteAhead }) : plain;
    const old = setup({ store, clock, secrets: ['old-key'], lazy: true }).sessions;
    const rotated = setup({ store, clock, secrets: ['new-key', 'old-key'], lazy: true }).sessions;
    const answers: string[] = [];
    const request = async (sessions: ServerSessionInterface, cookie: string, logout = false) => {
      const loaded = await sessions.open(cookie);
      answers.push(`${String(loaded.session.get('username'))} ${loaded.incoming.rejection?.replace(/:.*/, '') ?? 'accepted'} key ${loaded.incoming.keyIndex}`);
      if (logout) loaded.session.clear();
      const sent = setCookieOf(await sessions.commit(loaded, page));
      return sent === null || sent.startsWith('session=;') ? cookie : sent.split(';')[0]!;
    };
    let { cookie } = await login(old);
    const [name, value] = cookie.split('=') as [string, string];
    await request(old, `${name}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`);
    for (let step = 0; step < 3; step += 1) cookie = await request(old, cookie);
    cookie = await request(rotated, cookie); // verified by the old key, re-signed with the new one
    for (let step = 0; step < 3; step += 1) {
      clock.advanceSeconds(IDLE / 2);
      cookie = await request(rotated, cookie); // idle time restarted along the way
    }
    clock.advanceSeconds(IDLE + 1);
    await request(rotated, cookie); // idle too long: the file has expired
    ({ cookie } = await login(rotated, { username: 'bob' }));
    await request(rotated, cookie);
    await request(rotated, cookie, true); // logout
    await request(rotated, cookie); // the old cookie replayed
    await store.close();
    return { answers, answeredFromMemo: store instanceof StatCheckedFileStore ? store.answeredFromMemo : 0 };
  }
  const checked = await story(true);
  assert.deepEqual(checked.answers.slice(0, 2), ['undefined BadSignature key null', 'alice accepted key 0']);
  assert.match(checked.answers.at(-4)!, /UnknownSession/, 'expired after its idle lifetime');
  assert.deepEqual(checked.answers.slice(-3), ['bob accepted key 0', 'bob accepted key 0', 'undefined UnknownSession key null']);
  assert.ok(checked.answeredFromMemo >= 5, `the memo answered (${checked.answeredFromMemo} reads)`);
  assert.deepEqual((await story(false)).answers, checked.answers);
});
