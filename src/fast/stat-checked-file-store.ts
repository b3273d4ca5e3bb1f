/**
 * Stat-checked file store: session files already read, kept in memory and answered again after one
 * `stat` shows that the file is still the very same one.
 *
 * What: `StatCheckedFileStore` wraps ../session/stores/filesystem.ts's `FileSessionStore`. Its
 * `get` and `getWithExpiry` first `stat` the session's file. When the memo holds that id and the
 * file has the same device, inode, size, modification time and change time as when the memo read
 * it, the kept record is the answer (kept as JSON text and parsed afresh each time, so that every
 * caller gets a copy of its own, as a store's records must be); otherwise the plain store reads the
 * file and, if the file had settled (below), the answer is kept. Every write
 * (`set`, `destroy`, `touch`, the sweep) is the plain store's, untouched. `SESSION_MEMO=false`
 * (../session/backend.ts) runs the plain store alone.
 *
 * Why: the plain read is open, fstat, read and close, four trips to libuv's thread pool; the check
 * is one. With the lazy touch (lazy-touch-store.ts) most requests with a session do nothing else
 * with the store, so that read was most of what a request cost it. Measured: see "Measured" at
 * the end of this header.
 *
 * The rule it must keep: the answer is the one the plain store would give at that moment. The
 * argument, step by step:
 * - A session file's bytes change only when the file is replaced (the plain store writes a new file
 *   and renames it over: a new inode) or its times are set (`touch`: a new mtime). Anything else
 *   that writes to it with write(2), an editor or a restore, changes its ctime, which the kernel
 *   sets to the current time and no program can set back. So a file with the same inode and ctime
 *   holds the same bytes; size and mtime are compared too, for free. One writer escapes this: a
 *   program that maps the file into memory and writes through the mapping, which Linux stamps with
 *   a new ctime only at the first write to a clean page (an outside review showed a later one,
 *   flushed, changing the bytes and no time). No program of ours writes session files that way, and
 *   only the server's own user can write them at all (the directory is checked at start); still,
 *   no entry is kept longer than KEEP_AT_MOST_MS (10 s): after that the plain store reads the file
 *   again, so such a write is seen within 10 s, not never.
 * - But an inode number is reused once its file is gone, and file times have a granularity (a
 *   kernel tick, up to 10 ms, on ext4; a second or two on older file systems): a file replaced
 *   twice within one tick could come back with the old inode, the old size, the old mtime (the
 *   store sets it from its clock, in milliseconds) and a ctime that reads the same. So a file is
 *   kept only once it has *settled*: its ctime is SETTLE_MS (3 s, more than any granularity)
 *   before the `stat` that found it, by the same wall clock. Every file that sits at that path
 *   later was created after that `stat`, while the kept one still held its inode, so its ctime
 *   is later than the kept one's by more than a granularity: it can never look the same.
 * - The plain read is bracketed by two `stat`s, and a record is kept only when both show the same
 *   settled file: the bytes read are then that file's (a replacement in between would have a new
 *   ctime), and the mtime in the key is the one the expiry was computed from.
 * - The wall clock is trusted not to step back by SETTLE_MS while an entry is kept: that is what
 *   "later" means above. A clock seen to go back drops every entry at once, and no entry is kept
 *   past KEEP_AT_MOST_MS in any case.
 * - Expiry: a kept answer is given only while its expiry, computed by the plain store from that
 *   same mtime, has not passed by the store's clock; at expiry the plain store answers, and
 *   removes the file as it always does. Tampering, key rotation and absolute lifetime are decided
 *   above the store (the cookie's signature is checked before any store is asked).
 * - What it costs when it does not help: a file read within SETTLE_MS of its last write or touch
 *   costs one `stat` more than the plain read, and one kept settles into two. That is every read of
 *   a session written on every request, and of every session with SESSION_LAZY_REFRESH=false, whose
 *   file is touched (its ctime changed) on every request and so never settles.
 * Bounded: at most DEFAULT_FILE_MEMO_ENTRIES records, oldest first out (bounded-map.ts), each from a
 * file of at most MAX_KEPT_FILE_BYTES (a larger one is read whole every time, as without the memo),
 * kept as its JSON text, not as parsed objects (which can take twenty times the bytes of their
 * text): at worst 4,096 texts of 8 KiB, 32 MiB (64 MiB if they hold characters beyond Latin-1,
 * which a JavaScript string stores in two bytes each).
 *
 * Measured (the demo on SESSION_TYPE=filesystem, GET / with a session, wrk with 50 connections on
 * the other core; the same build with and without this module; see docs/performance.md): both
 * servers at once on one core, six rounds in both orders, 1.42× the requests per second (1.34–1.54;
 * 1.48× when it kept parsed records instead of their text); against a bare node:http server in
 * `npm run bench`, 0.33–0.40× bare, where the plain file store measured 0.13–0.21×.
 *
 * Spec: POSIX stat(2) (st_ino, st_ctim), rename(2); the "racily clean" rule git's index uses for
 * the same problem (Documentation/technical/racy-git.txt in git's source).
 *
 * Not here: how files are written, locked and expired (../session/stores/filesystem.ts).
 *
 * Read next: batched-redis-writes.ts, the speed-up for the other store that leaves the process (a
 * socket to Redis).
 */
import type { BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { BoundedMap } from './bounded-map.js';
import { decodeRecord, encodeRecord, type SessionRecord, type SessionStore } from '../session/store.js';
import type { FileSessionStore } from '../session/stores/filesystem.js';

/** How long after its last change a file must have sat still before it is kept. */
export const DEFAULT_SETTLE_MS = 3_000;
/** How long an entry answers before the plain store reads its file again: a read in 10 s of a busy session costs nothing. */
export const KEEP_AT_MOST_MS = 10_000;
/** Session files kept: the sessions active in the last minute or so of a busy server. */
export const DEFAULT_FILE_MEMO_ENTRIES = 4_096;
/** The largest session file kept: a login and a cart fit many times over; what does not is read each time. */
export const MAX_KEPT_FILE_BYTES = 8 * 1024;

export interface StatCheckedFileStoreOptions {
  /** The store's clock, the one the plain store was given (expiry). Default `Date.now`. */
  readonly now?: () => number;
  /** The wall clock the kernel stamps files by, for the settling rule. Tests move it. Default `Date.now`. */
  readonly wallClock?: () => number;
  /** DEFAULT_SETTLE_MS unless set; only tests, on a file system with fine times, set it lower. */
  readonly settleMs?: number;
  /** DEFAULT_FILE_MEMO_ENTRIES unless set. */
  readonly memoEntries?: number;
}

/** What identifies one version of one file: if all five are equal, so are its bytes (see the header). */
interface FileVersion {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

interface Kept {
  readonly file: FileVersion;
  /** The record as `encodeRecord()` writes it: bounded by its length, and parsed into a fresh copy for each caller. */
  readonly recordText: string;
  readonly expiresAtMs: number;
  /** The wall clock when it was kept: it answers until KEEP_AT_MOST_MS later. */
  readonly keptAt: number;
}

export class StatCheckedFileStore implements SessionStore {
  readonly name: string;
  readonly #plain: FileSessionStore;
  readonly #kept: BoundedMap<string, Kept>;
  readonly #now: () => number;
  readonly #wallClock: () => number;
  readonly #settleMs: number;
  /** The latest wall-clock reading: an earlier one later means the clock stepped back. */
  #latestWallClock = -Infinity;
  #answeredFromMemo = 0;

  constructor(plain: FileSessionStore, options: StatCheckedFileStoreOptions = {}) {
    this.name = plain.name;
    this.#plain = plain;
    this.#kept = new BoundedMap(options.memoEntries ?? DEFAULT_FILE_MEMO_ENTRIES, 'StatCheckedFileStore');
    this.#now = options.now ?? Date.now;
    this.#wallClock = options.wallClock ?? Date.now;
    this.#settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  }

  /** How many reads the memo answered (after its one `stat`) instead of the plain store. */
  get answeredFromMemo(): number {
    return this.#answeredFromMemo;
  }

  async get(id: string): Promise<SessionRecord | null> {
    return (await this.getWithExpiry(id))?.record ?? null;
  }

  async getWithExpiry(id: string): Promise<{ record: SessionRecord; expiresAtMs: number } | null> {
    const path = this.#plain.fileOf(id);
    if (path === null) return this.#plain.getWithExpiry(id);
    const startedAt = this.#wallClock();
    if (startedAt < this.#latestWallClock) this.#kept.clear();
    this.#latestWallClock = startedAt;
    const before = await fileVersion(path);
    if (before === 'missing') {
      this.#kept.delete(id);
      return null;
    }
    const kept = this.#kept.get(id);
    const fresh = kept !== undefined && startedAt - kept.keptAt <= KEEP_AT_MOST_MS;
    if (kept !== undefined && fresh && before !== null && sameVersion(kept.file, before) && kept.expiresAtMs > this.#now()) {
      // The text came from a record the plain store read, so it always decodes.
      const record = decodeRecord(kept.recordText)!;
      this.#answeredFromMemo += 1;
      return { record, expiresAtMs: kept.expiresAtMs };
    }
    this.#kept.delete(id);
    const found = await this.#plain.getWithExpiry(id);
    if (found === null || before === null || before.size > MAX_KEPT_FILE_BYTES || !this.#settled(before, startedAt)) return found;
    const after = await fileVersion(path);
    if (after !== null && after !== 'missing' && sameVersion(before, after)) {
      this.#kept.set(id, { file: before, recordText: encodeRecord(found.record), expiresAtMs: found.expiresAtMs, keptAt: startedAt });
    }
    return found;
  }

  async set(id: string, record: SessionRecord, ttlSeconds: number, expectedVersion: number | null): Promise<boolean> {
    try {
      return await this.#plain.set(id, record, ttlSeconds, expectedVersion);
    } finally {
      this.#kept.delete(id);
    }
  }

  async destroy(id: string): Promise<void> {
    try {
      await this.#plain.destroy(id);
    } finally {
      this.#kept.delete(id);
    }
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    try {
      await this.#plain.touch(id, ttlSeconds);
    } finally {
      this.#kept.delete(id);
    }
  }

  sweep(): Promise<number> {
    return this.#plain.sweep();
  }

  async close(): Promise<void> {
    this.#kept.clear();
    await this.#plain.close();
  }

  /** Whether the file's last change was SETTLE_MS before `startedAt`, the moment before its `stat`. */
  #settled(file: FileVersion, startedAt: number): boolean {
    return file.ctimeNs <= BigInt(Math.floor(startedAt - this.#settleMs)) * 1_000_000n;
  }
}

/**
 * The file's version; `'missing'` when there is no such file (the plain store answers `null` then
 * too); `null` when `stat` failed otherwise, and the plain store must answer (or throw) itself.
 */
async function fileVersion(path: string): Promise<FileVersion | 'missing' | null> {
  let info: BigIntStats;
  try {
    info = await stat(path, { bigint: true });
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : null;
  }
  // A directory or a FIFO at a session's path is the plain store's to refuse.
  if (!info.isFile()) return null;
  return { dev: info.dev, ino: info.ino, size: info.size, mtimeNs: info.mtimeNs, ctimeNs: info.ctimeNs };
}

function sameVersion(a: FileVersion, b: FileVersion): boolean {
  return a.ino === b.ino && a.ctimeNs === b.ctimeNs && a.mtimeNs === b.mtimeNs && a.size === b.size && a.dev === b.dev;
}
