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
 * every request (a cookie session's decoded data is kept: memoized-cookie-codec.ts), and the
 * inspector wrote the record out again. Measured on the demo's GET / with a memory-store session
 * (docs/performance.md, "The fifth round"), this codec against the plain one: 94,100 → 81,200
 * instructions per request of the application's own work (callgrind, in process), and 1.04×
 * (1.00–1.09) the requests per second, 1.03× in the other order (the two demos at the same time).
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
 *   allows "copies, or frozen"; a store of your own may use this codec on the same terms);
 * - the text of a kept record is the text it was parsed from. A store gives `decode()` only texts
 *   that `encode()` wrote, and encoding what such a text parses to gives the same text back; any
 *   other record is encoded by `encodeRecord()`.
 * Bounded: at most `entries` records (DEFAULT_RECORD_MEMO_ENTRIES; bounded-map.ts), each of a text
 * of at most MAX_KEPT_RECORD_CHARS: measured, 1,024 records of the longest text in characters
 * outside Latin-1 (two bytes each in V8) hold 16.5 MB with their texts, so under 20 MB at worst;
 * the map from records to texts is weak, so it holds nothing the bounded map or a request does not.
 *
 * Spec: none beyond the SessionStore contract (../session/store.ts).
 *
 * Not here: the other stores. A Redis read is a new text every time, which a lookup would have to
 * hash and compare whole; the file store's stat check (stat-checked-file-store.ts) keeps a file's
 * text and parses it on each hit, where this codec could serve it too, but it was measured on the
 * memory store only, and is plugged in there alone.
 *
 * Read next: coarse-recency.ts, which saves a map write where this saves a parse.
 */
import { BoundedMap } from './bounded-map.js';
import { decodeRecord, encodeRecord, type RecordCodec, type SessionRecord } from '../session/store.js';

/** As many as the other memos: the sessions active in the last few seconds. */
export const DEFAULT_RECORD_MEMO_ENTRIES = 1024;

/** Longer texts are parsed every time: 1,024 kept records stay under 20 MB with their texts. */
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
