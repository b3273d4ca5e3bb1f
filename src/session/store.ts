/**
 * SessionStore: the contract a database must meet to keep server-side sessions.
 *
 * What: the `SessionStore` interface that server-session.ts depends on, and nothing else does;
 * the `SessionRecord` it stores; session ids; the one error a store may throw; and how a store
 * that keeps text writes a record and reads it back (`RecordCodec`).
 *
 * Why: with server-side sessions the cookie holds only a signed id, and the data lives here. That
 * fixes the three things a signed cookie cannot do: hold more than 4096 bytes, keep the data from
 * the user's eyes, and be revoked (logout deletes the record; a copied cookie then finds nothing).
 * Keeping the contract small lets anyone add a store for another database: implement these five
 * methods (a sixth, `getWithExpiry`, is optional), run `testSessionStore()` from
 * `scratchpad/testing` (../testing/store-contract.ts) against it, and every mode of the demo works.
 *
 * The contract, which the shared test suite checks for every store:
 * - `get(id)` returns the record, or `null` when there is none *or it has expired*. An expired
 *   record is never returned, whether or not it has been cleaned up yet.
 * - `set(id, record, ttlSeconds, expectedVersion)` is compare-and-set: it writes only if the stored
 *   record's version equals `expectedVersion` (`null`: no live record may exist) and returns `true`;
 *   otherwise it writes nothing and returns `false`. The check and the write are one atomic step,
 *   also across processes sharing the store. The record then lives `ttlSeconds` from now.
 * - `destroy(id)` removes the record; removing a missing one is not an error.
 * - `touch(id, ttlSeconds)` restarts the record's time to live without changing it (idle expiry);
 *   touching a missing record does nothing.
 * - `getWithExpiry(id)`, optional: what `get(id)` returns, together with `expiresAtMs`, the moment
 *   the record's time to live ends (milliseconds since the epoch, by the clock the store was
 *   given, or `Date.now()`; `Infinity` for a record that has none). It must never be later than
 *   the moment the store will really stop returning the record, and may be earlier by a
 *   rounding. It should cost what `get` costs, one read (one round trip to a database): it is
 *   what lets the last chapter's lazy touch (../fast/lazy-touch-store.ts) see, in the read a
 *   request makes anyway, that a session's time to live was restarted recently, and skip the
 *   `touch` of server-session.ts's rule 2. A store without it still works: its sessions are
 *   touched on every request, one operation more.
 * - `close()` releases timers, files and sockets.
 * - Records are copies, or frozen: nothing a caller does to a record it gave or got changes the
 *   stored one. (The plain stores hand out copies; the last chapter's memo of decoded records hands
 *   out records that cannot be changed.)
 * - A store that cannot answer (database down) throws `SessionStoreUnavailableError`; anything else
 *   it throws is a bug.
 *
 * Why versions: two requests from one browser often run at once (a page and its background fetch).
 * Both read version 4, both change something, both write. Without a version check the second write
 * silently drops the first one's change: "last write wins", the bug nearly every session library has.
 * With it, the second write fails, and server-session.ts merges (see its `#save`).
 *
 * Spec: none. The shape follows gorilla/sessions' Store and Flask-Session's backends, plus CAS.
 *
 * Not here: the stores themselves (stores/), and what a session means (server-session.ts).
 *
 * Read next: ../testing/store-contract.ts, the suite that checks a store keeps this contract; then
 * server-session.ts, the session interface built on it.
 */
import { randomBytes } from 'node:crypto';
import { HttpError } from '../http/http-error.js';
import type { JsonValue } from './session.js';

/** One session as a store keeps it. */
export interface SessionRecord {
  readonly data: Readonly<Record<string, JsonValue>>;
  readonly permanent: boolean;
  /** 1 for the first write, one more for each write after it: what compare-and-set compares. */
  readonly version: number;
  /** When the session began (login), in seconds since the epoch: for SESSION_ABSOLUTE_LIFETIME. */
  readonly createdAt: number;
}

export interface SessionStore {
  /** The SESSION_TYPE this store serves, for the inspector and the logs. */
  readonly name: string;
  get(id: string): Promise<SessionRecord | null>;
  /**
   * Optional. `get(id)` and when the record's time to live ends, in milliseconds since the epoch
   * (never later than the store will drop it); `null` where `get(id)` is `null`.
   */
  getWithExpiry?(id: string): Promise<{ readonly record: SessionRecord; readonly expiresAtMs: number } | null>;
  set(id: string, record: SessionRecord, ttlSeconds: number, expectedVersion: number | null): Promise<boolean>;
  destroy(id: string): Promise<void>;
  touch(id: string, ttlSeconds: number): Promise<void>;
  close(): Promise<void>;
}

/** The store cannot answer now. A 503: the request may succeed if retried later. */
export class SessionStoreUnavailableError extends HttpError {
  override name = 'SessionStoreUnavailableError';
  constructor(store: string, reason: string) {
    super(503, `the session store (${store}) is not answering (${reason}); try again in a moment`, { 'Retry-After': '5' });
  }
}

/** 256 bits: unguessable, so the only way to hold a session id is to be given it. */
const SESSION_ID_BYTES = 32;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** A fresh random session id: 32 bytes from the operating system's CSPRNG, in base64url (43 characters). */
export function newSessionId(): Buffer {
  return randomBytes(SESSION_ID_BYTES);
}

/**
 * Whether `id` has the exact shape of our ids. Stores check it before an id touches a file name
 * or a database key, so that `../../etc/passwd` can never be one.
 */
export function isSessionId(id: string): boolean {
  return SESSION_ID.test(id);
}

/** A record as text, for stores that keep strings (files, Redis). */
export function encodeRecord(record: SessionRecord): string {
  return JSON.stringify({ version: record.version, createdAt: record.createdAt, permanent: record.permanent, data: record.data });
}

/** The inverse of `encodeRecord`, or `null` for text that is not a record (a damaged file). */
export function decodeRecord(text: string): SessionRecord | null {
  try {
    return recordFrom(JSON.parse(text));
  } catch {
    return null;
  }
}

/**
 * How a store that keeps text turns records into text and back: `encodeRecord` and `decodeRecord`
 * (PLAIN_RECORD_CODEC) unless it is given another. The seam is here for the last chapter's memo of
 * decoded records (../fast/memoized-record-codec.ts), which answers the same text with the same
 * record without parsing it again.
 */
export interface RecordCodec {
  encode(record: SessionRecord): string;
  decode(text: string): SessionRecord | null;
}

/** The plain codec: JSON, parsed afresh each time, so every caller gets a copy of its own. */
export const PLAIN_RECORD_CODEC: RecordCodec = Object.freeze({ encode: encodeRecord, decode: decodeRecord });

/** Checks that a parsed JSON value has the shape of a record; `null` if it does not. */
export function recordFrom(value: unknown): SessionRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const { version, createdAt, permanent, data } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(version) || (version as number) < 1 || typeof permanent !== 'boolean') return null;
  if (!Number.isSafeInteger(createdAt) || (createdAt as number) < 0) return null;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  return { version: version as number, createdAt: createdAt as number, permanent, data: data as Record<string, JsonValue> };
}
