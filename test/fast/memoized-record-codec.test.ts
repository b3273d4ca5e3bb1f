// The memo of decoded records must answer exactly what parsing the text again answers, share
// nothing a request could change, and stay bounded.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { MAX_KEPT_RECORD_CHARS, MemoizedRecordCodec } from '../../src/fast/memoized-record-codec.js';
import { htmlReply } from '../../src/http/reply.js';
import { openSessionBackend } from '../../src/session/backend.js';
import { ServerSessionInterface } from '../../src/session/server-session.js';
import { decodeRecord, encodeRecord, type SessionRecord } from '../../src/session/store.js';
import { MemorySessionStore } from '../../src/session/stores/memory.js';
import { Signer } from '../../src/signing/signer.js';
import { testSessionStore } from '../../src/testing/store-contract.js';
import { TEST_COOKIE_SETTINGS, testStoreSettings } from '../helpers/fixtures.js';
import { TestClock } from '../helpers/server.js';

testSessionStore('MemorySessionStore with MemoizedRecordCodec', (clock) => new MemorySessionStore({ maxEntries: 1000, now: clock.now, sweepIntervalMs: 0, records: new MemoizedRecordCodec() }));

const record = (data: SessionRecord['data'], version = 1): SessionRecord => ({ data, permanent: false, version, createdAt: 1795608000 });

/** Texts of every kind a store may hold, each decoded by the plain codec and twice by the memo. */
const TEXTS: readonly { readonly name: string; readonly text: string; readonly kept: boolean }[] = [
  { name: 'flat data', text: encodeRecord(record({ username: 'alice', visits: 3, admin: false, note: null })), kept: true },
  { name: 'no data', text: encodeRecord(record({})), kept: true },
  { name: 'a key named __proto__', text: '{"version":2,"createdAt":1,"permanent":true,"data":{"__proto__":"x","a":"b"}}', kept: true },
  { name: 'non-ASCII and escapes', text: encodeRecord(record({ name: 'Zoë 🍪 "<b>"\n' })), kept: true },
  { name: 'a nested object', text: encodeRecord(record({ cart: { apples: 2 } })), kept: false },
  { name: 'a nested array', text: encodeRecord(record({ list: [1, 2] })), kept: false },
  { name: 'a nested value under __proto__', text: '{"version":1,"createdAt":1,"permanent":false,"data":{"__proto__":{"polluted":true}}}', kept: false },
  { name: 'a text longer than MAX_KEPT_RECORD_CHARS', text: encodeRecord(record({ big: 'x'.repeat(MAX_KEPT_RECORD_CHARS) })), kept: false },
  { name: 'not JSON', text: '{"version":1,', kept: false },
  { name: 'not a record', text: '{"version":0,"createdAt":1,"permanent":false,"data":{}}', kept: false },
  { name: 'data that is an array', text: '{"version":1,"createdAt":1,"permanent":false,"data":[]}', kept: false },
  { name: 'null', text: 'null', kept: false },
];

for (const { name, text, kept } of TEXTS) {
  test(`MemoizedRecordCodec decodes ${name} as the plain codec does, and ${kept ? 'keeps it, frozen' : 'parses it afresh each time'}`, () => {
    const codec = new MemoizedRecordCodec();
    const first = codec.decode(text);
    const second = codec.decode(text);
    assert.deepEqual(first, decodeRecord(text));
    assert.deepEqual(second, decodeRecord(text));
    if (first === null) return assert.equal(kept, false);
    assert.equal(first === second, kept, kept ? 'a kept record is handed out again' : 'each caller gets a copy of its own');
    assert.equal(Object.isFrozen(first) && Object.isFrozen(first.data), kept);
    assert.equal(codec.encode(first), text, 'the text of a record is what encodeRecord() writes for it');
  });
}

test('MemoizedRecordCodec parses a kept text once, and a text it does not keep every time', () => {
  const codec = new MemoizedRecordCodec();
  const parse = mock.method(JSON, 'parse');
  try {
    const flat = encodeRecord(record({ username: 'alice' }));
    for (let index = 0; index < 5; index += 1) codec.decode(flat);
    assert.equal(parse.mock.callCount(), 1);
    const nested = encodeRecord(record({ cart: ['apple'] }));
    for (let index = 0; index < 5; index += 1) codec.decode(nested);
    assert.equal(parse.mock.callCount(), 6);
  } finally {
    parse.mock.restore();
  }
});

test('MemoizedRecordCodec: a kept record cannot be changed, and what one caller does to a copy never reaches the next', () => {
  const codec = new MemoizedRecordCodec();
  const flat = codec.decode(encodeRecord(record({ username: 'alice' })))!;
  assert.throws(() => ((flat.data as Record<string, unknown>)['username'] = 'mallory'), TypeError);
  assert.throws(() => ((flat as { version: number }).version = 9), TypeError);
  assert.deepEqual(codec.decode(encodeRecord(record({ username: 'alice' }))), record({ username: 'alice' }));
  const nestedText = encodeRecord(record({ cart: ['apple'] }));
  (codec.decode(nestedText)!.data['cart'] as string[]).push('pear');
  assert.deepEqual(codec.decode(nestedText)!.data, { cart: ['apple'] });
});

test('MemoizedRecordCodec gives back the text of a record it kept without encoding it, and encodes any other record as encodeRecord() does', () => {
  const codec = new MemoizedRecordCodec();
  const text = encodeRecord(record({ username: 'alice' }));
  const kept = codec.decode(text)!;
  const stringify = mock.method(JSON, 'stringify');
  try {
    assert.equal(codec.encode(kept), text);
    assert.equal(stringify.mock.callCount(), 0);
  } finally {
    stringify.mock.restore();
  }
  const lookalike = { ...kept, version: 2 };
  assert.equal(codec.encode(lookalike), encodeRecord(lookalike));
  assert.equal(codec.encode(record({ cart: [1] })), encodeRecord(record({ cart: [1] })));
});

test('MemoizedRecordCodec keeps at most `entries` records, the oldest dropped first', () => {
  const codec = new MemoizedRecordCodec({ entries: 2 });
  const [a, b, c] = ['a', 'b', 'c'].map((name) => encodeRecord(record({ name })));
  const first = codec.decode(a!);
  codec.decode(b!);
  assert.equal(codec.decode(a!), first);
  codec.decode(c!);
  assert.notEqual(codec.decode(a!), first, 'a was the oldest: dropped for c, parsed again');
  assert.deepEqual(codec.decode(a!), first);
  assert.throws(() => new MemoizedRecordCodec({ entries: 0 }), /MemoizedRecordCodec capacity must be a whole number/);
});

test('a memory store with the memo answers each write with the new record, and nothing a request does to its session reaches the next', async () => {
  const clock = new TestClock();
  const records = new MemoizedRecordCodec();
  const store = new MemorySessionStore({ maxEntries: 10, now: clock.now, sweepIntervalMs: 0, records });
  const signer = new Signer({ secrets: ['a-test-secret-key'], salt: 'scratchpad.session', now: clock.now });
  const sessions = new ServerSessionInterface({ settings: TEST_COOKIE_SETTINGS, idleLifetimeSeconds: 3600, store, signer, now: clock.now, records });
  const login = await sessions.open(undefined);
  login.session.set('username', 'alice');
  const cookie = String((await sessions.commit(login, htmlReply(200, ''))).headers['set-cookie']).split(';')[0]!;
  const first = await sessions.open(cookie);
  first.session.set('username', 'mallory');
  first.session.set('extra', 1);
  const second = await sessions.open(cookie);
  assert.deepEqual(second.session.toObject(), { username: 'alice' }, 'a change that was not committed stays in its own request');
  assert.equal(second.record, first.record, 'the same text: the same kept record');
  await sessions.commit(first, htmlReply(200, ''));
  const third = await sessions.open(cookie);
  assert.deepEqual(third.session.toObject(), { username: 'mallory', extra: 1 }, 'a write stores a new text, so the next read sees it');
  assert.equal(third.record?.version, 2);
  await store.close();
});

test('inspect() shows the record a request read as the store keeps it; with the memo, without encoding it again', async () => {
  for (const memo of [true, false]) {
    const clock = new TestClock();
    const backend = await openSessionBackend({ cookie: TEST_COOKIE_SETTINGS, store: testStoreSettings({ type: 'memory', memo }), secrets: ['a-test-secret-key'], now: clock.now });
    const login = await backend.sessions.open(undefined);
    assert.deepEqual([backend.sessions.inspect(login).storedRecord, backend.sessions.inspect(login).storedBytes], [null, null], 'no record read yet');
    login.session.set('username', 'alice');
    const cookie = String((await backend.sessions.commit(login, htmlReply(200, ''))).headers['set-cookie']).split(';')[0]!;
    for (let write = 0; write < 8; write += 1) {
      const change = await backend.sessions.open(cookie);
      change.session.set('visits', write);
      await backend.sessions.commit(change, htmlReply(200, ''));
    }
    const loaded = await backend.sessions.open(cookie);
    assert.equal(loaded.record?.version, 9);
    const stringify = mock.method(JSON, 'stringify');
    const inspection = backend.sessions.inspect(loaded);
    const encodes = stringify.mock.callCount();
    stringify.mock.restore();
    assert.equal(inspection.storedRecord, encodeRecord(loaded.record!), `memo ${memo}: the record as the store keeps it`);
    assert.match(inspection.storedRecord!, /^\{"version":9,"createdAt":\d+,"permanent":false,"data":\{"username":"alice","visits":7\}\}$/);
    assert.equal(inspection.storedBytes, Buffer.byteLength(inspection.storedRecord!));
    assert.equal(encodes, memo ? 0 : 1, 'the memo gives back the text a kept record was read from');
    assert.equal(Object.isFrozen(loaded.record), memo, 'the memo hands out kept records; the plain codec copies');
    loaded.session.set('username', 'alice, with a longer name');
    assert.equal(backend.sessions.inspect(loaded).storedRecord, inspection.storedRecord, 'a change is not in the store until it is written');
    await backend.close();
  }
});
