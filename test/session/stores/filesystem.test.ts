import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SessionStoreUnavailableError } from '../../../src/session/store.js';
import { FileSessionStore, MAX_SESSION_FILE_BYTES, UnsafeSessionDirectoryError } from '../../../src/session/stores/filesystem.js';
import { HttpError } from '../../../src/http/http-error.js';
import { testSessionStore } from '../../../src/testing/store-contract.js';
import { TestClock } from '../../helpers/server.js';

const freshDir = () => join(mkdtempSync(join(tmpdir(), 'scratchpad-fs-')), 'sessions');
const newId = () => randomBytes(32).toString('base64url');
const record = (version = 1, data: Record<string, string> = { username: 'alice' }) => ({ data, permanent: false, version, createdAt: 1764000000 });

testSessionStore('FileSessionStore', (clock) => FileSessionStore.open({ directory: freshDir(), now: clock.now, sweepIntervalMs: 0 }));

test('FileSessionStore creates its directory 0700 and session files 0600', async () => {
  const directory = freshDir();
  const store = await FileSessionStore.open({ directory, sweepIntervalMs: 0 });
  const id = newId();
  await store.set(id, record(), 60, null);
  assert.equal(statSync(directory).mode & 0o777, 0o700);
  assert.equal(statSync(join(directory, `${id}.json`)).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(directory), [`${id}.json`], 'no temporary or lock file is left behind');
  await store.close();
});

test('FileSessionStore keeps sessions across a restart (a new instance on the same directory)', async () => {
  const directory = freshDir();
  const id = newId();
  const first = await FileSessionStore.open({ directory, sweepIntervalMs: 0 });
  await first.set(id, record(), 60, null);
  await first.close();
  const second = await FileSessionStore.open({ directory, sweepIntervalMs: 0 });
  assert.deepEqual(await second.get(id), record());
  await second.close();
});

test('FileSessionStore instances sharing a directory (as two processes would) still compare-and-set', async () => {
  const directory = freshDir();
  const stores = await Promise.all(Array.from({ length: 4 }, () => FileSessionStore.open({ directory, sweepIntervalMs: 0 })));
  const id = newId();
  await stores[0]!.set(id, record(1), 60, null);
  const results = await Promise.all(stores.flatMap((store, index) => [store.set(id, record(2, { by: `${index}a` }), 60, 1), store.set(id, record(2, { by: `${index}b` }), 60, 1)]));
  assert.equal(results.filter(Boolean).length, 1);
  await Promise.all(stores.map((store) => store.close()));
});

test('FileSessionStore ignores a temporary file left by a crash mid-write, and the sweep removes it', async () => {
  const directory = freshDir();
  const store = await FileSessionStore.open({ directory, sweepIntervalMs: 0 });
  const id = newId();
  await store.set(id, record(1), 60, null);
  // What kill -9 between "write temp" and "rename" leaves: a half-written temp file beside the good one.
  const orphan = join(directory, `.${id}.deadbeef0000.tmp`);
  writeFileSync(orphan, '{"ttlSeconds":60,"record":{"vers', { mode: 0o600 });
  assert.deepEqual(await store.get(id), record(1), 'the session is the last complete write');
  const old = (Date.now() - 120_000) / 1000;
  utimesSync(orphan, old, old);
  await store.sweep();
  assert.deepEqual(readdirSync(directory), [`${id}.json`]);
  await store.close();
});

test('FileSessionStore treats a damaged session file as no session', async () => {
  const directory = freshDir();
  const store = await FileSessionStore.open({ directory, sweepIntervalMs: 0 });
  const id = newId();
  for (const text of ['', 'not json', '{"ttlSeconds":"x","record":{}}', '{"ttlSeconds":60,"record":{"version":0,"permanent":false,"data":{}}}']) {
    writeFileSync(join(directory, `${id}.json`), text, { mode: 0o600 });
    assert.equal(await store.get(id), null, text);
  }
  await store.close();
});

test('FileSessionStore breaks at once a lock whose holder process is gone', async () => {
  const directory = freshDir();
  const store = await FileSessionStore.open({ directory, sweepIntervalMs: 0 });
  const id = newId();
  const dead = spawn(process.execPath, ['-e', '']);
  await once(dead, 'exit');
  writeFileSync(join(directory, `${id}.lock`), String(dead.pid));
  const started = Date.now();
  assert.equal(await store.set(id, record(), 60, null), true);
  assert.ok(Date.now() - started < 1000, 'no waiting for the lock to age');
  await store.close();
});

test('FileSessionStore breaks within about a second an empty lock (its creator was killed before writing its pid)', async () => {
  const directory = freshDir();
  const store = await FileSessionStore.open({ directory, sweepIntervalMs: 0 });
  const id = newId();
  const lock = join(directory, `${id}.lock`);
  writeFileSync(lock, '');
  const twoSecondsAgo = (Date.now() - 2_000) / 1000;
  utimesSync(lock, twoSecondsAgo, twoSecondsAgo);
  const started = Date.now();
  assert.equal(await store.set(id, record(), 60, null), true);
  assert.ok(Date.now() - started < 1000, 'broken at once, not after the 5 s staleness limit');
  await store.close();
});

test('FileSessionStore breaks a lock left by a process that died holding it', async () => {
  const directory = freshDir();
  const store = await FileSessionStore.open({ directory, sweepIntervalMs: 0 });
  const id = newId();
  const lock = join(directory, `${id}.lock`);
  writeFileSync(lock, '');
  const old = (Date.now() - 10_000) / 1000;
  utimesSync(lock, old, old);
  assert.equal(await store.set(id, record(), 60, null), true);
  await store.close();
});

test('FileSessionStore answers SessionStoreUnavailableError when a live lock is never released', async (context) => {
  const directory = freshDir();
  const store = await FileSessionStore.open({ directory, sweepIntervalMs: 0 });
  const id = newId();
  const lock = join(directory, `${id}.lock`);
  writeFileSync(lock, '');
  // Keep the lock looking fresh, as a live (stuck) holder's would.
  const keepFresh = setInterval(() => utimesSync(lock, new Date(), new Date()), 500);
  context.after(() => clearInterval(keepFresh));
  await assert.rejects(store.set(id, record(), 60, null), (error: unknown) => error instanceof SessionStoreUnavailableError && error.status === 503);
  await store.close();
});

test('FileSessionStore.sweep() removes expired sessions and stale locks, and keeps live ones', async () => {
  const clock = new TestClock();
  const directory = freshDir();
  const store = await FileSessionStore.open({ directory, now: clock.now, sweepIntervalMs: 0 });
  const [short, long] = [newId(), newId()];
  await store.set(short, record(), 10, null);
  await store.set(long, record(), 100, null);
  writeFileSync(join(directory, 'unrelated.txt'), 'left alone');
  writeFileSync(join(directory, `${newId()}.lock`), '');
  const old = (Date.now() - 10_000) / 1000;
  for (const name of readdirSync(directory).filter((file) => file.endsWith('.lock'))) utimesSync(join(directory, name), old, old);
  clock.advanceSeconds(11);
  assert.equal(await store.sweep(), 1);
  assert.deepEqual(readdirSync(directory).sort(), [`${long}.json`, 'unrelated.txt'].sort());
  await store.close();
});

test('FileSessionStore sweeps on a timer when asked to', async () => {
  const clock = new TestClock();
  const directory = freshDir();
  const store = await FileSessionStore.open({ directory, now: clock.now, sweepIntervalMs: 20 });
  await store.set(newId(), record(), 1, null);
  clock.advanceSeconds(2);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(readdirSync(directory), []);
  await store.close();
});

test('FileSessionStore.touch() with a new time to live rewrites the file', async () => {
  const clock = new TestClock();
  const directory = freshDir();
  const store = await FileSessionStore.open({ directory, now: clock.now, sweepIntervalMs: 0 });
  const id = newId();
  await store.set(id, record(), 10, null);
  await store.touch(id, 100);
  assert.match(readFileSync(join(directory, `${id}.json`), 'utf8'), /^\{"ttlSeconds":100,/);
  clock.advanceSeconds(50);
  assert.deepEqual(await store.get(id), record());
  await store.close();
});

test('FileSessionStore.touch() restarts the time to live by the mtime alone: the same file, the same bytes', async () => {
  const clock = new TestClock();
  const directory = freshDir();
  const store = await FileSessionStore.open({ directory, now: clock.now, sweepIntervalMs: 0 });
  const id = newId();
  const path = join(directory, `${id}.json`);
  await store.set(id, record(), 60, null);
  const [before, bytes] = [statSync(path), readFileSync(path)];
  clock.advanceSeconds(30);
  await store.touch(id, 60);
  const after = statSync(path);
  assert.equal(after.ino, before.ino, 'not replaced by a rename');
  assert.deepEqual(readFileSync(path), bytes, 'not rewritten');
  assert.equal(after.mtimeMs - before.mtimeMs, 30_000);
  assert.equal((await store.getWithExpiry(id))?.expiresAtMs, clock.now() + 60_000);
  await store.close();
});

test('FileSessionStore reads and touches without the lock, so a write in progress delays neither', async () => {
  const directory = freshDir();
  const store = await FileSessionStore.open({ directory, sweepIntervalMs: 0 });
  const id = newId();
  await store.set(id, record(), 60, null);
  // A lock held by a live process (this one), as during another request's write.
  writeFileSync(join(directory, `${id}.lock`), String(process.pid));
  const started = Date.now();
  assert.deepEqual((await store.getWithExpiry(id))?.record, record());
  await store.touch(id, 60);
  assert.ok(Date.now() - started < 500, `${Date.now() - started} ms`);
  await assert.rejects(store.set(id, record(2), 60, 1), (error: unknown) => error instanceof SessionStoreUnavailableError, 'a write still waits for the lock');
  await store.close();
});

test('FileSessionStore: kill -9 in the middle of touches never damages a session', async () => {
  const storeModule = new URL('../../../src/session/stores/filesystem.js', import.meta.url).href;
  const directory = freshDir();
  const id = newId();
  const writer = await FileSessionStore.open({ directory, sweepIntervalMs: 0 });
  const written = { data: { padding: 'x'.repeat(200_000) }, permanent: false, version: 7, createdAt: 1 };
  await writer.set(id, written, 60, null);
  await writer.close();
  const toucher = `
    import { FileSessionStore } from ${JSON.stringify(storeModule)};
    const store = await FileSessionStore.open({ directory: ${JSON.stringify(directory)}, sweepIntervalMs: 0 });
    for (let round = 0; ; round += 1) {
      await store.touch(${JSON.stringify(id)}, 60);
      if (round === 3) process.stdout.write('touching\\n');
    }`;
  for (let round = 0; round < 3; round += 1) {
    const child = spawn(process.execPath, ['--input-type=module', '-e', toucher], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(child.stdout!, 'data');
    await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
    child.kill('SIGKILL');
    await once(child, 'exit');
    const store = await FileSessionStore.open({ directory, sweepIntervalMs: 0 });
    assert.deepEqual(await store.get(id), written, 'the record is whole');
    assert.deepEqual(readdirSync(directory), [`${id}.json`], 'no lock or temporary file left');
    await store.close();
  }
});

test('FileSessionStore refuses to write under an id that is not a session id', async () => {
  const store = await FileSessionStore.open({ directory: freshDir(), sweepIntervalMs: 0 });
  await assert.rejects(store.set('../escape', record(), 60, null), /not a session id/);
  await store.close();
});

test('FileSessionStore.open() refuses a path that is a file', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'scratchpad-fs-')), 'file');
  writeFileSync(file, '');
  await assert.rejects(FileSessionStore.open({ directory: file }), /EEXIST|not a directory/);
});

/** An existing directory with exactly `mode`, as an operator's `mkdir` then `chmod` leaves it. */
function existingDirectory(mode: number): string {
  const directory = freshDir();
  mkdirSync(directory);
  // chmod, not mkdir's mode argument, which the umask would narrow.
  chmodSync(directory, mode);
  return directory;
}

const isUnsafe = (directory: string, problem: RegExp) => (error: unknown) =>
  error instanceof UnsafeSessionDirectoryError && error.directory === directory && problem.test(error.message);

// The rule of OpenSSH's StrictModes: what matters is who may *write* (create, replace or remove a
// file). Reading the directory shows other users file names and times only, as each file is 0600.
const directoryModes: readonly { name: string; mode: number; problem: RegExp | null }[] = [
  { name: 'refuses an existing 0777 directory, and leaves its mode alone', mode: 0o777, problem: /writable by its group and by other users \(mode 0777\)/ },
  { name: 'refuses an existing 0770 directory (its group could rewrite a session)', mode: 0o770, problem: /writable by its group \(mode 0770\)/ },
  { name: 'refuses an existing 0703 directory (other users could add a file)', mode: 0o703, problem: /writable by other users \(mode 0703\)/ },
  // The sticky bit stops others from replacing our files, not from adding their own: still refused.
  { name: 'refuses an existing sticky 1777 directory, as /tmp is', mode: 0o1777, problem: /writable by its group and by other users \(mode 1777\)/ },
  { name: 'accepts an existing 0700 directory', mode: 0o700, problem: null },
  { name: 'accepts an existing 0755 directory (readable is not writable)', mode: 0o755, problem: null },
  { name: 'accepts an existing 0750 directory (readable is not writable)', mode: 0o750, problem: null },
];

for (const { name, mode, problem } of directoryModes) {
  test(`FileSessionStore.open() ${name}`, async () => {
    const directory = existingDirectory(mode);
    if (problem === null) {
      await (await FileSessionStore.open({ directory, sweepIntervalMs: 0 })).close();
    } else {
      await assert.rejects(FileSessionStore.open({ directory, sweepIntervalMs: 0 }), isUnsafe(directory, problem));
    }
    assert.equal(statSync(directory).mode & 0o7777, mode, 'the mode is the operator\'s to change, never silently repaired');
  });
}

test('FileSessionStore.open() refuses a directory owned by another user', { skip: process.getuid?.() === 0 ? false : 'only root can give a directory to another user' }, async () => {
  const directory = existingDirectory(0o700);
  chownSync(directory, 65534, 65534);
  await assert.rejects(FileSessionStore.open({ directory, sweepIntervalMs: 0 }), isUnsafe(directory, /owned by uid 65534, not by uid 0 that runs this server, .*; run chown 0 /));
});

test('FileSessionStore.open() judges a symlink by the directory it points to', async () => {
  const shared = existingDirectory(0o777);
  symlinkSync(shared, `${shared}-link`);
  await assert.rejects(FileSessionStore.open({ directory: `${shared}-link`, sweepIntervalMs: 0 }), isUnsafe(`${shared}-link`, /\(mode 0777\)/));
  const own = existingDirectory(0o700);
  symlinkSync(own, `${own}-link`);
  await (await FileSessionStore.open({ directory: `${own}-link`, sweepIntervalMs: 0 })).close();
});

test('UnsafeSessionDirectoryError names the directory, its mode and the command that fixes it', async () => {
  const directory = existingDirectory(0o777);
  const error = await FileSessionStore.open({ directory, sweepIntervalMs: 0 }).then(
    () => assert.fail('a 0777 directory was accepted'),
    (error: unknown) => error,
  );
  assert.ok(error instanceof UnsafeSessionDirectoryError);
  assert.equal(
    error.message,
    `refusing session directory ${JSON.stringify(directory)}: writable by its group and by other users (mode 0777), so another local user could write a session file and log in as anyone; run chmod 700 ${JSON.stringify(directory)}, then empty it (another user may have written sessions there already)`,
  );
});

test('FileSessionStore: kill -9 in the middle of writes never leaves a damaged session', async () => {
  const storeModule = new URL('../../../src/session/stores/filesystem.js', import.meta.url).href;
  const directory = freshDir();
  const id = newId();
  // A writer process that rewrites one large session as fast as it can, each version complete.
  const writer = `
    import { FileSessionStore } from ${JSON.stringify(storeModule)};
    const store = await FileSessionStore.open({ directory: ${JSON.stringify(directory)}, sweepIntervalMs: 0 });
    const id = ${JSON.stringify(id)};
    for (let version = 1; ; version += 1) {
      const data = { version: String(version), padding: String(version % 10).repeat(200_000) };
      await store.set(id, { data, permanent: false, version, createdAt: 1 }, 60, version === 1 ? null : version - 1);
      if (version === 3) process.stdout.write('writing\\n');
    }`;
  for (let round = 0; round < 5; round += 1) {
    const child = spawn(process.execPath, ['--input-type=module', '-e', writer], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(child.stdout!, 'data');
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
    child.kill('SIGKILL');
    await once(child, 'exit');
    const store = await FileSessionStore.open({ directory, sweepIntervalMs: 0 });
    const record = await store.get(id);
    assert.ok(record !== null, 'a complete session is there');
    assert.equal(record.data['version'], String(record.version), 'the record is one whole write');
    assert.equal(record.data['padding'], String(record.version % 10).repeat(200_000));
    await store.destroy(id);
    await store.close();
  }
});

test('FileSessionStore finds no session in a FIFO, a directory or a huge file at a session path, and answers at once', async () => {
  const directory = freshDir();
  const store = await FileSessionStore.open({ directory, sweepIntervalMs: 0 });
  const [fifo, folder, huge] = [newId(), newId(), newId()];
  // A FIFO nobody writes to: opening it for reading without O_NONBLOCK would wait forever.
  execFileSync('mkfifo', [join(directory, `${fifo}.json`)]);
  mkdirSync(join(directory, `${folder}.json`));
  // Sparse: 3 GiB on paper, nothing on disk. Reading it whole aborted the process (Node cannot make such a buffer).
  writeFileSync(join(directory, `${huge}.json`), '');
  truncateSync(join(directory, `${huge}.json`), 3 * 1024 ** 3);
  const started = Date.now();
  for (const id of [fifo, folder, huge]) {
    assert.equal(await store.get(id), null, id);
    assert.equal(await store.getWithExpiry(id), null, id);
  }
  assert.ok(Date.now() - started < 2_000, 'no read waited');
  assert.equal(await store.sweep(), 0, 'the sweep passes over them too');
  await store.close();
});

test('FileSessionStore refuses to write a session over MAX_SESSION_FILE_BYTES with a 413, and writes nothing', async () => {
  const directory = freshDir();
  const store = await FileSessionStore.open({ directory, sweepIntervalMs: 0 });
  const id = newId();
  await assert.rejects(store.set(id, record(1, { notes: 'n'.repeat(MAX_SESSION_FILE_BYTES) }), 60, null), (error: unknown) => error instanceof HttpError && error.status === 413 && /keeps at most 16777216/.test(error.message));
  assert.deepEqual(readdirSync(directory), []);
  await store.close();
});
