/**
 * Memoized record codec: the record a store's text was parsed into, handed out again for the same
 * text, frozen, instead of parsing it once more; and that text, for that record.
 *
 * What: `MemoizedRecordCodec` is a `RecordCodec` (../session/store.ts) with a bounded map in front
 * of `decodeRecord()`, keyed by the record's text, and a weak map from each record it handed out
 * back to its text, in front of `encodeRecord()`. ../session/backend.ts gives one to the memory
 * store and to the server-side session interface, whose `inspect()` shows the record as the store
 * keeps it; `memo: false` (SESSION_MEMO=false) leaves the plain JSON codec in both.
 *
 * Why: the memory store keeps each record as JSON text, so that no request can change another's
 * session (stores/memory.ts). Reading a session then cost a `JSON.parse` and the shape checks on
 * every request, and the demo's inspector wrote the record out again twice, where a cookie
 * session's decoded data is kept (memoized-cookie-codec.ts). Measured (callgrind, instructions per
 * request of GET / with a session, docs/performance.md, "The fifth round"): see that section.
 *
 * The rules it must keep:
 * - the same answer: a record is a function of its text (`decodeRecord()` reads nothing else), so
 *   a kept record is what parsing the text again would give. A write stores a new text (the
 *   version is in it), so a changed session is a new key, never a stale answer; expiry, versions
 *   and eviction stay the store's, which still decides whether there is a text at all;
 * - no shared state between requests: only a record whose data values are strings, numbers,
 *   booleans or null is kept, frozen (the record and its data), so nothing can change it; each
 *   request's Session copies the data into a map of its own (../session/session.ts). A record with
 *   a nested object or array is parsed afresh for each caller, as the plain codec does, since such
 *   a value could be changed in place. So unlike the plain codec's, a record this codec hands out
 *   may be frozen: code that changes a record it was given must copy it first (the store contract
 *   asks stores for copies; this codec is meant for the stores Scratchpad builds itself);
 * - the text of a kept record is the text it was parsed from, which is what `encodeRecord()`
 *   writes for it (JSON.stringify of what JSON.parse read gives the same text back); any other
 *   record is encoded by `encodeRecord()`.
 * Bounded: at most `entries` records (DEFAULT_RECORD_MEMO_ENTRIES; bounded-map.ts), each of a text
 * of at most MAX_KEPT_RECORD_CHARS, so a few megabytes at worst; the map from records to texts is
 * weak, so it holds nothing the bounded map or a request does not.
 *
 * Spec: none beyond the SessionStore contract (../session/store.ts).
 *
 * Not here: the stores that keep text elsewhere (files, Redis): their text is new on every read,
 * and the file store has its own shortcut (stat-checked-file-store.ts).
 *
 * Read next: lazy-touch-store.ts, which saves a store write where this saves a parse.
 */
import { BoundedMap } from './bounded-map.js';
import { decodeRecord, encodeRecord, type RecordCodec, type SessionRecord } from '../session/store.js';

/** As many as the other memos: the sessions active in the last few seconds. */
export const DEFAULT_RECORD_MEMO_ENTRIES = 1024;

/** Longer texts are parsed every time: 1,024 of them stay under about 8 MB with their records. */
export const MAX_KEPT_RECORD_CHARS = 4096;

export interface MemoizedRecordCodecOptions {
  /** How many records to keep: DEFAULT_RECORD_MEMO_ENTRIES if unset. */
  readonly entries?: number;
}

export class MemoizedRecordCodec implements RecordCodec {
  /** Per text, the frozen record it was parsed into. */
  readonly #records: BoundedMap<string, SessionRecord>;
  /** Per kept record, the text it was parsed from (weak: it dies with the record). */
  readonly #texts = new WeakMap<SessionRecord, string>();

  constructor(options: MemoizedRecordCodecOptions = {}) {
    this.#records = new BoundedMap(options.entries ?? DEFAULT_RECORD_MEMO_ENTRIES, 'MemoizedRecordCodec');
  }

  decode(text: string): SessionRecord | null {
    const kept = this.#records.get(text);
    if (kept !== undefined) return kept;
    const record = decodeRecord(text);
    if (record === null || text.length > MAX_KEPT_RECORD_CHARS || !flat(record.data)) return record;
    // decodeRecord() made these objects for this call alone: frozen, they can be handed to anyone.
    Object.freeze(record.data);
    Object.freeze(record);
    this.#records.set(text, record);
    this.#texts.set(record, text);
    return record;
  }

  encode(record: SessionRecord): string {
    return this.#texts.get(record) ?? encodeRecord(record);
  }
}

/** Whether every value is a string, number, boolean or null: nothing that could be changed in place. */
function flat(data: Readonly<Record<string, unknown>>): boolean {
  for (const key in data) {
    const value = data[key];
    if (typeof value === 'object' && value !== null) return false;
  }
  return true;
}
