/**
 * Filesystem store: one file per session in a directory, written so that no crash can corrupt one.
 *
 * What: a `SessionStore` keeping each record in `<SESSION_FILE_DIR>/<id>.json`. Sessions survive a
 * restart, and several server processes on one machine can share the directory.
 *
 * Why: a file is easy to write and easy to corrupt; three techniques make it safe, and they are
 * what a reader should take away:
 * - **Atomic replacement.** Writing a file in place can be interrupted (crash, `kill -9`, full disk)
 *   and leave half a session. Instead each write goes to a new temporary file, which is flushed to
 *   disk (`fsync`) and then `rename`d over the old one. POSIX rename is atomic: a reader sees the
 *   old file or the new one, never a mixture. A temporary file orphaned by a crash is swept later.
 * - **A lock file for compare-and-set.** "Check the version, then write" must be one step across
 *   processes. Creating `<id>.lock` with the `wx` flag (O_CREAT|O_EXCL) succeeds for exactly one
 *   process at a time; the others retry. The lock holds its owner's process id: a lock whose owner
 *   is gone (killed while holding it) is broken at once, and any lock older than a few seconds too.
 * - **Expiry from the modification time.** Each file records its time to live; the file's mtime is
 *   the moment it was last written or touched. `touch()` is then one cheap `utimes`, not a rewrite,
 *   and `getWithExpiry()` reads the expiry with the record: the mtime of the file it just opened.
 *
 * Refreshing without a lock, and why a crash cannot hurt it: `touch()` changes the mtime and
 * nothing else. The content is never opened for writing, so a `kill -9` at any moment of a touch
 * leaves the file either with its old mtime or with the new one, and the record whole. `utimes`
 * is not fsynced: a power cut (not a killed process, whose change the kernel already holds) may
 * take the new mtime back, and the session then ends earlier than it should, never later, and
 * never damaged. Nor can a touch undo a write: a write renames a new file over the old one, with
 * its own fresh mtime, so a touch that lands on the old file just before is lost with it, and a
 * touch after it restarts the new file. A touch never creates a file, so it cannot bring back a
 * session that a logout removed, and it leaves the version alone, so compare-and-set sees nothing.
 *
 * Safety: an id reaches a path only after `isSessionId()` has checked it is exactly 43 base64url
 * characters, so no `..` or `/` can ever be part of a file name. The directory is created 0700 and
 * files 0600: other users on the machine cannot read anyone's session. mkdir sets that mode only on
 * a directory it creates, so `open()` then checks the directory, however it came to exist, with the
 * rule of OpenSSH's StrictModes: it must be owned by the user running the server and writable by
 * no one else (no group or other write bit). Otherwise another local user could put a session file
 * of their own in it and be logged in as anyone; `open()` throws `UnsafeSessionDirectoryError`
 * saying which `chmod` or `chown` fixes it, and changes nothing itself.
 *
 * Spec: the SessionStore contract (../store.ts); POSIX rename(2) atomicity.
 *
 * Not here: sharing between machines (redis.ts; a network filesystem's locking cannot be trusted).
 *
 * Read next: ../../redis/resp.ts, the protocol the Redis store speaks.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpError } from '../../http/http-error.js';
import { encodeRecord, isSessionId, recordFrom, SessionStoreUnavailableError, type SessionRecord, type SessionStore } from '../store.js';

export interface FileStoreOptions {
  /** SESSION_FILE_DIR. Created (mode 0700) if missing; if it exists, it must be ours and writable by no one else. */
  readonly directory: string;
  /** Milliseconds since the epoch; tests freeze it. File times are set from this clock. */
  readonly now?: () => number;
  /** How often expired files are swept out; 0 turns the sweep off (tests call `sweep()`). */
  readonly sweepIntervalMs?: number;
}

/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 5_000;
/** A lock still without its holder's pid after this long was left by a crash right after creating it. */
const EMPTY_LOCK_MS = 1_000;
/** How long to wait for a lock before answering 503. */
const LOCK_WAIT_MS = 3_000;
/** A temporary file older than this was left by a crash mid-write. */
const STALE_TEMP_MS = 60_000;
/**
 * The largest session file written or read. A session is a login and what it carries, kilobytes;
 * a file far larger was not written by this store, and reading it whole would take the memory
 * (past 2 GiB, Node cannot even make the buffer and the process aborts).
 */
export const MAX_SESSION_FILE_BYTES = 16 * 1024 * 1024;

/**
 * SESSION_FILE_DIR is one another local user could write to. Its message names the directory, what
 * is wrong (the mode in octal, or the owner's uid against ours) and the command that fixes it.
 */
export class UnsafeSessionDirectoryError extends Error {
  override name = 'UnsafeSessionDirectoryError';
  constructor(
    readonly directory: string,
    /** Such as `writable by other users (mode 0777)`. */
    readonly problem: string,
    /** Such as `run chmod 700 "/srv/sessions", then empty it (another user may have written sessions there already)`. */
    readonly fix: string,
  ) {
    super(`refusing session directory ${JSON.stringify(directory)}: ${problem}, so another local user could write a session file and log in as anyone; ${fix}`);
  }
}

interface FileContent {
  readonly ttlSeconds: number;
  readonly record: SessionRecord;
  /** The file's mtime: when it was last written or touched. Its time to live counts from here. */
  readonly modifiedMs: number;
}

export class FileSessionStore implements SessionStore {
  readonly name = 'filesystem';
  readonly #directory: string;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout | null;

  /** Use `FileSessionStore.open()`, which creates the directory first. */
  private constructor(options: FileStoreOptions) {
    this.#directory = options.directory;
    this.#now = options.now ?? Date.now;
    const interval = options.sweepIntervalMs ?? 60_000;
    this.#sweeper = interval > 0 ? setInterval(() => void this.sweep().catch(() => {}), interval).unref() : null;
  }

  static async open(options: FileStoreOptions): Promise<FileSessionStore> {
    await mkdir(options.directory, { recursive: true, mode: 0o700 });
    await checkPrivate(options.directory);
    return new FileSessionStore(options);
  }

  async get(id: string): Promise<SessionRecord | null> {
    return (await this.getWithExpiry(id))?.record ?? null;
  }

  /** No lock: a write replaces the file whole (rename), so a read sees one version or the other. */
  async getWithExpiry(id: string): Promise<{ record: SessionRecord; expiresAtMs: number } | null> {
    if (!isSessionId(id)) return null;
    const content = await this.#read(id);
    if (content === null) return null;
    if (this.#expired(content)) {
      // Cleaned up on read as well as by the sweep; under the lock, so a concurrent write is not lost.
      await this.#withLock(id, async () => {
        const again = await this.#read(id);
        if (again !== null && this.#expired(again)) await unlinkIfPresent(this.#path(id));
      });
      return null;
    }
    return { record: content.record, expiresAtMs: expiresAt(content) };
  }

  async set(id: string, record: SessionRecord, ttlSeconds: number, expectedVersion: number | null): Promise<boolean> {
    if (!isSessionId(id)) throw new TypeError(`not a session id: ${JSON.stringify(id)}`);
    const text = fileContent(ttlSeconds, record);
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_SESSION_FILE_BYTES) throw new HttpError(413, `the session is ${bytes} bytes; the filesystem store keeps at most ${MAX_SESSION_FILE_BYTES}`);
    return this.#withLock(id, async () => {
      const current = await this.#read(id);
      const live = current !== null && !this.#expired(current) ? current : null;
      if ((live?.record.version ?? null) !== expectedVersion) return false;
      await this.#writeAtomically(id, text);
      return true;
    });
  }

  async destroy(id: string): Promise<void> {
    if (!isSessionId(id)) return;
    // Under the lock: a write in progress must not put back a session that logout just ended.
    await this.#withLock(id, () => unlinkIfPresent(this.#path(id)));
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    if (!isSessionId(id)) return;
    const content = await this.#read(id);
    if (content === null || this.#expired(content)) return;
    if (content.ttlSeconds !== ttlSeconds) {
      await this.#withLock(id, async () => {
        const current = await this.#read(id);
        if (current !== null) await this.#writeAtomically(id, fileContent(ttlSeconds, current.record));
      });
      return;
    }
    const seconds = this.#now() / 1000;
    await utimes(this.#path(id), seconds, seconds).catch(ignoreMissing);
  }

  /** Removes expired sessions and what crashes left behind; returns how many sessions it removed. */
  async sweep(): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.#directory)) {
      const path = join(this.#directory, name);
      if (name.endsWith('.tmp') || name.endsWith('.lock')) {
        // Leftovers of a crash, judged by the real clock (locks are dated by the system, not by `now`).
        const info = await stat(path).catch(() => null);
        const maxAge = name.endsWith('.tmp') ? STALE_TEMP_MS : STALE_LOCK_MS;
        if (info !== null && Date.now() - info.mtimeMs > maxAge) await unlinkIfPresent(path);
        continue;
      }
      const id = name.slice(0, -'.json'.length);
      if (!name.endsWith('.json') || !isSessionId(id)) continue;
      const content = await this.#read(id);
      if (content !== null && this.#expired(content)) {
        await this.#withLock(id, async () => {
          const again = await this.#read(id);
          if (again !== null && this.#expired(again)) {
            await unlinkIfPresent(path);
            removed += 1;
          }
        });
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
  }

  /** The file that holds session `id`, or `null` when `id` is not one of our ids (../fast/ asks). */
  fileOf(id: string): string | null {
    return isSessionId(id) ? this.#path(id) : null;
  }

  #path(id: string): string {
    return join(this.#directory, `${id}.json`);
  }

  /**
   * The file's content and mtime, or null if it is missing or not a session file. Both come from
   * one open file: had the mtime been read by path, a write renaming a new file in between would
   * pair this record with the other file's time. Only a regular file of at most
   * MAX_SESSION_FILE_BYTES is read: opened without blocking (a FIFO put there would otherwise hold
   * a thread of the pool until someone writes to it), a directory, a FIFO or a huge file is no session.
   */
  async #read(id: string): Promise<FileContent | null> {
    let file;
    try {
      file = await open(this.#path(id), constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      ignoreMissing(error);
      return null;
    }
    let text: string;
    let modifiedMs: number;
    try {
      const info = await file.stat();
      if (!info.isFile() || info.size > MAX_SESSION_FILE_BYTES) return null;
      modifiedMs = info.mtimeMs;
      // One read of the size stat gave, not `file.readFile()`, which would stat again first: a
      // fifth of a read's cost. The size holds: a session file is replaced, never changed in place.
      const { bytesRead, buffer } = await file.read(Buffer.allocUnsafe(info.size), 0, info.size, 0);
      text = buffer.toString('utf8', 0, bytesRead);
    } finally {
      await file.close();
    }
    try {
      const { ttlSeconds, record } = JSON.parse(text) as { ttlSeconds: unknown; record: unknown };
      const decoded = recordFrom(record);
      if (typeof ttlSeconds !== 'number' || decoded === null) return null;
      return { ttlSeconds, record: decoded, modifiedMs };
    } catch {
      return null;
    }
  }

  #expired(content: FileContent): boolean {
    return expiresAt(content) <= this.#now();
  }

  /** Temp file, fsync, rename: the steps that make a write all-or-nothing. */
  async #writeAtomically(id: string, text: string): Promise<void> {
    const temporary = join(this.#directory, `.${id}.${randomBytes(6).toString('hex')}.tmp`);
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(text);
      const seconds = this.#now() / 1000;
      await file.utimes(seconds, seconds);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.#path(id));
  }

  /** Runs `action` holding `<id>.lock`, which only one process can create at a time. */
  async #withLock<T>(id: string, action: () => Promise<T>): Promise<T> {
    const lock = join(this.#directory, `${id}.lock`);
    const started = Date.now();
    for (;;) {
      try {
        const handle = await open(lock, 'wx', 0o600);
        // The holder's process id, so that a waiter can tell a lock whose holder was killed.
        await handle.writeFile(String(process.pid));
        await handle.close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (await isAbandoned(lock)) {
        await unlinkIfPresent(lock);
        continue;
      }
      if (Date.now() - started > LOCK_WAIT_MS) throw new SessionStoreUnavailableError('filesystem', `session ${id.slice(0, 6)}… stayed locked`);
      await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 8));
    }
    try {
      return await action();
    } finally {
      await unlinkIfPresent(lock);
    }
  }
}

/**
 * Refuses a directory that another local user could write to, as OpenSSH's StrictModes refuses such
 * a ~/.ssh. Whoever can create or replace files here can write a session, so both the owner and the
 * write bits count. Group and other *read* are allowed (0755, 0750): they show file names and times,
 * not contents (each file is 0600), and a name is a session id, useless without its signature.
 * The sticky bit is no excuse (1777 is refused): it stops others replacing our files, not adding theirs.
 */
async function checkPrivate(directory: string): Promise<void> {
  // stat follows a symlink, and that is deliberate: files are created in the directory it points to,
  // so that directory's owner and mode are what protect them. The link's own mode means nothing
  // (always 0777 on Linux), and lstat would refuse every symlinked SESSION_FILE_DIR for it.
  // The parents are not checked: one writable by others could swap the directory out after this.
  const info = await stat(directory);
  if (!info.isDirectory()) throw new TypeError(`SESSION_FILE_DIR ${directory} is not a directory`);
  const ours = process.getuid?.();
  // No uid (Windows): POSIX owner and mode bits do not exist there; the ACL decides, unchecked here.
  if (ours === undefined) return;
  const problems: string[] = [];
  const fixes: string[] = [];
  const quoted = JSON.stringify(directory);
  if (info.uid !== ours) {
    problems.push(`owned by uid ${info.uid}, not by uid ${ours} that runs this server`);
    fixes.push(`chown ${ours} ${quoted} (as root)`);
  }
  const groupWrite = (info.mode & 0o020) !== 0;
  const otherWrite = (info.mode & 0o002) !== 0;
  if (groupWrite || otherWrite) {
    const who = groupWrite && otherWrite ? 'its group and by other users' : groupWrite ? 'its group' : 'other users';
    problems.push(`writable by ${who} (mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')})`);
    fixes.push(`chmod 700 ${quoted}`);
  }
  if (problems.length > 0) throw new UnsafeSessionDirectoryError(directory, problems.join(', and '), `run ${fixes.join(' and ')}, then empty it (another user may have written sessions there already)`);
}

/**
 * A lock is abandoned when the process that took it is gone (killed while holding it), or, should
 * that be unknowable, when it is older than any write takes.
 */
async function isAbandoned(lock: string): Promise<boolean> {
  const content = await readFile(lock, 'utf8').catch(() => '');
  const holder = Number(content);
  if (content !== '' && Number.isSafeInteger(holder) && holder > 0 && !isRunning(holder)) return true;
  const info = await stat(lock).catch(() => null);
  if (info === null) return false;
  const age = Date.now() - info.mtimeMs;
  // A holder writes its pid right after creating the lock; an empty lock that stays empty was left
  // by a process killed in between (the kill -9 test found that window).
  if (content === '' && age > EMPTY_LOCK_MS) return true;
  return age > STALE_LOCK_MS;
}

/** Signal 0 checks that a process exists without touching it; EPERM means it exists as another user. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** When a session file's time to live ends, in milliseconds since the epoch. */
function expiresAt(content: FileContent): number {
  return content.modifiedMs + content.ttlSeconds * 1000;
}

/** A session file: its time to live beside the record, so expiry needs nothing but the file. */
function fileContent(ttlSeconds: number, record: SessionRecord): string {
  return `{"ttlSeconds":${ttlSeconds},"record":${encodeRecord(record)}}`;
}

async function unlinkIfPresent(path: string): Promise<void> {
  await unlink(path).catch(ignoreMissing);
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
