// The access log in batches: when lines go out, in what pieces, and what happens when nobody reads.
// The stream is a real node:stream Writable whose writes complete at once (a file, a pipe with
// room) or only when the test says so (a pipe whose reader is behind).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { BATCH_BYTES, BufferedLog, ENTRIES_AT_ONCE, fitOneWrite } from '../../src/fast/buffered-log.js';
import { formatAccessLine, type AccessEntry } from '../../src/http/serve.js';

/** A stream that records each write; while `stuck`, a write stays unfinished until `release()`. */
class TestStream extends Writable {
  readonly writes: string[] = [];
  stuck = false;
  #pending: (() => void)[] = [];

  constructor() {
    super({ decodeStrings: false });
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.writes.push(chunk.toString());
    if (this.stuck) this.#pending.push(() => done());
    else done();
  }

  /** The reader catches up: every unfinished write completes. */
  release(): void {
    this.stuck = false;
    for (const done of this.#pending.splice(0)) done();
  }

  get text(): string {
    return this.writes.join('');
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
/** Access-log lines of 23 characters, 24 bytes with their "\n". */
const lines = (count: number) => Array.from({ length: count }, (_, index) => `GET /page-${String(index).padStart(3, '0')} 200 0.${index % 10}ms`);

/** Entries whose lines are `lines(count)`'s. */
const entries = (count: number): AccessEntry[] =>
  Array.from({ length: count }, (_, index) => ({ method: 'GET', target: `/page-${String(index).padStart(3, '0')}?q=1`, status: 200, milliseconds: (index % 10) / 10, note: undefined }));

test('BufferedLog.record() writes the line formatAccessLine() makes of each entry, in order with the lines given to write()', () => {
  const stream = new TestStream();
  const log = new BufferedLog(stream, { intervalMs: 60_000 });
  const escaped: AccessEntry = { method: 'GET', target: '/a\nb', status: 200, milliseconds: 0.04, note: 'session cookie rejected: \x1b[31m' };
  log.record(entries(2)[0]!);
  log.write('a line given as a line');
  log.record(entries(2)[1]!);
  log.record(escaped);
  log.flush();
  assert.deepEqual(stream.text.split('\n'), [lines(2)[0], 'a line given as a line', lines(2)[1], formatAccessLine(escaped), '']);
  assert.equal(formatAccessLine(escaped), 'GET /a\\x0ab 200 0.0ms session cookie rejected: \\x1b[31m');
});

test(`BufferedLog.record() makes no line until ${ENTRIES_AT_ONCE} entries wait (or the interval ends), then makes them all`, async () => {
  const stream = new TestStream();
  // Two lines fill a batch: made at once, the first two entries' lines would go out at once.
  const log = new BufferedLog(stream, { intervalMs: 60_000, batchBytes: 48, entriesAtOnce: 5 });
  for (const entry of entries(4)) log.record(entry);
  assert.deepEqual(stream.writes, [], 'four entries wait, no line made yet');
  log.record(entries(5)[4]!);
  assert.deepEqual(stream.writes, [`${lines(2).join('\n')}\n`, `${lines(4).slice(2).join('\n')}\n`], 'the fifth makes all five; two batches are full');
  log.flush();
  assert.equal(stream.text, `${lines(5).join('\n')}\n`);

  const timed = new TestStream();
  const waiting = new BufferedLog(timed, { intervalMs: 30 });
  for (const entry of entries(3)) waiting.record(entry);
  await tick();
  assert.deepEqual(timed.writes, []);
  await sleep(60);
  assert.deepEqual(timed.writes, [`${lines(3).join('\n')}\n`], 'the interval makes and writes them');
});

test('BufferedLog makes the lines of entries still waiting at close() and at flushBeforeExit()', async () => {
  const closing = new TestStream();
  const log = new BufferedLog(closing, { intervalMs: 60_000 });
  for (const entry of entries(3)) log.record(entry);
  assert.equal(await log.close(1_000), true);
  assert.equal(closing.text, `${lines(3).join('\n')}\n`);

  const exiting = new TestStream();
  const last = new BufferedLog(exiting, { intervalMs: 60_000 });
  for (const entry of entries(3)) last.record(entry);
  last.flushBeforeExit();
  assert.equal(exiting.text, `${lines(3).join('\n')}\n`);
});

test('BufferedLog drops the lines of entries past its bound too, and counts them', () => {
  const stream = new TestStream();
  stream.stuck = true;
  const log = new BufferedLog(stream, { intervalMs: 60_000, batchBytes: 96, maxWaitingBytes: 200, entriesAtOnce: 4 });
  // As with write() below: one batch in flight, two waiting, the 13th line and after dropped.
  for (const entry of entries(20)) log.record(entry);
  assert.equal(log.dropped, 8);
  stream.release();
});

test('BufferedLog keeps short lines back, then writes them in one batch, in order, within the interval', async () => {
  const stream = new TestStream();
  const log = new BufferedLog(stream, { intervalMs: 30 });
  for (const line of lines(5)) log.write(line);
  await tick();
  assert.deepEqual(stream.writes, [], 'nothing written at once');
  await sleep(60);
  assert.deepEqual(stream.writes, [`${lines(5).join('\n')}\n`]);
});

test('BufferedLog writes a full batch at once, without waiting for the interval', async () => {
  const stream = new TestStream();
  const log = new BufferedLog(stream, { intervalMs: 60_000, batchBytes: 100 });
  // 24 bytes a line: the fifth would make 120, so the first four go out.
  for (const line of lines(5)) log.write(line);
  assert.equal(stream.writes.length, 1);
  assert.equal(stream.writes[0], `${lines(4).join('\n')}\n`);
  log.flush();
  assert.equal(stream.text, `${lines(5).join('\n')}\n`);
});

test(`BufferedLog never writes more than a batch (${BATCH_BYTES} bytes by default, PIPE_BUF) and never cuts a line`, () => {
  const stream = new TestStream();
  const log = new BufferedLog(stream, { intervalMs: 60_000 });
  const many = lines(2_000);
  for (const line of many) log.write(line);
  log.flush();
  assert.ok(stream.writes.length > 1);
  for (const write of stream.writes) {
    assert.ok(Buffer.byteLength(write) <= BATCH_BYTES, `a write of ${Buffer.byteLength(write)} bytes`);
    assert.ok(write.endsWith('\n'), 'whole lines only');
  }
  assert.equal(stream.text, `${many.join('\n')}\n`);
});

test('BufferedLog counts bytes, not characters: a line of two-byte letters fills a batch sooner', () => {
  const stream = new TestStream();
  const log = new BufferedLog(stream, { intervalMs: 60_000, batchBytes: 64 });
  const line = `GET /${'é'.repeat(20)} 404 0.1ms`; // 36 characters, 56 bytes
  log.write(line);
  log.write(line);
  assert.deepEqual(stream.writes, [`${line}\n`], 'the second line would have made 114 bytes');
});

test('BufferedLog writes a line longer than a batch alone, whole', () => {
  const stream = new TestStream();
  const log = new BufferedLog(stream, { intervalMs: 60_000, batchBytes: 32 });
  const long = `GET /${'x'.repeat(100)} 404 0.1ms`;
  log.write('GET / 200 0.1ms');
  log.write(long);
  log.write('GET /after 200 0.1ms');
  log.flush();
  assert.deepEqual(stream.writes, ['GET / 200 0.1ms\n', `${long}\n`, 'GET /after 200 0.1ms\n']);
});

test('BufferedLog cuts a line longer than PIPE_BUF to one atomic write, on a character boundary, saying how long it was', () => {
  const stream = new TestStream();
  const log = new BufferedLog(stream, { intervalMs: 60_000 });
  const long = `GET /x${'é'.repeat(3000)} 404 0.1ms`; // 6,016 bytes; the cut falls inside an é
  log.write(long);
  log.write('GET /after 200 0.1ms');
  log.flush();
  assert.equal(stream.writes.length, 2);
  const [cut, after] = stream.writes;
  assert.ok(Buffer.byteLength(cut!) <= 4096, `${Buffer.byteLength(cut!)} bytes`);
  assert.match(cut!, /^GET \/xé+ \[line of 6016 bytes, cut to 4096 for the log\]\n$/);
  assert.doesNotMatch(cut!, /\uFFFD/);
  assert.equal(after, 'GET /after 200 0.1ms\n');
  assert.equal(fitOneWrite('GET / 200 0.1ms'), 'GET / 200 0.1ms');
});

test('BufferedLog hands over one batch at a time: the next waits until the stream has written the last', async () => {
  const stream = new TestStream();
  stream.stuck = true;
  const log = new BufferedLog(stream, { intervalMs: 60_000, batchBytes: 100 });
  for (const line of lines(12)) log.write(line);
  assert.equal(stream.writes.length, 1, 'one batch in flight; the others wait here, not in the stream');
  stream.release();
  await tick();
  assert.equal(stream.writes.length, 2, 'the callback of the first hands over the next');
  log.flush();
  assert.equal(stream.text, `${lines(12).join('\n')}\n`);
});

test('BufferedLog drops lines past its bound while the stream takes nothing, and says how many where they were', async () => {
  const stream = new TestStream();
  stream.stuck = true;
  const log = new BufferedLog(stream, { intervalMs: 60_000, batchBytes: 96, maxWaitingBytes: 200 });
  // Four lines (96 bytes) a batch: the first batch is in flight, two more wait here (192 bytes),
  // and the 13th line would make 216: it and the seven after it are dropped.
  const sent = lines(20);
  for (const line of sent) log.write(line);
  assert.equal(log.dropped, 8);
  stream.release();
  await tick();
  log.write('GET /later 200 0.1ms');
  log.flush();
  await tick();
  log.flush();
  const written = stream.text.split('\n').slice(0, -1);
  assert.deepEqual(written, [...sent.slice(0, 12), 'scratchpad: access log: 8 lines dropped here (stdout was not being read)', 'GET /later 200 0.1ms']);
  assert.equal(log.dropped, 0);
});

test('BufferedLog.close() resolves true once the stream has written everything', async () => {
  const stream = new TestStream();
  stream.stuck = true;
  const log = new BufferedLog(stream, { intervalMs: 60_000, batchBytes: 100 });
  for (const line of lines(10)) log.write(line);
  const closed = log.close(5_000);
  setTimeout(() => stream.release(), 30);
  assert.equal(await closed, true);
  assert.equal(stream.text, `${lines(10).join('\n')}\n`);
  assert.equal(stream.writableLength, 0);
});

test('BufferedLog.close() gives up after its timeout when the stream takes nothing, and resolves false', async () => {
  const stream = new TestStream();
  stream.stuck = true;
  const log = new BufferedLog(stream, { intervalMs: 60_000, batchBytes: 100 });
  for (const line of lines(10)) log.write(line);
  assert.equal(await log.close(50), false);
  stream.release();
});

test('BufferedLog.flushBeforeExit() hands over every waiting line at once, even behind a batch in flight', () => {
  const stream = new TestStream();
  stream.stuck = true;
  const log = new BufferedLog(stream, { intervalMs: 60_000, batchBytes: 100 });
  for (const line of lines(10)) log.write(line);
  log.flushBeforeExit();
  stream.release();
  assert.equal(stream.text, `${lines(10).join('\n')}\n`);
});

test('BufferedLog survives a stream that fails (the reader went away): it says so once and drops the rest', async () => {
  const failing = new Writable({
    write(_chunk, _encoding, done) {
      done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  const errors: string[] = [];
  // A small bound: entries made into lines after the failure would pile up here and be counted as dropped.
  const log = new BufferedLog(failing, { intervalMs: 60_000, batchBytes: 32, maxWaitingBytes: 200 }, (message) => errors.push(message));
  for (const line of lines(10)) log.write(line);
  await tick();
  for (const line of lines(10)) log.write(line);
  const droppedBefore = log.dropped;
  for (const entry of entries(300)) log.record(entry);
  log.flush();
  assert.equal(log.dropped, droppedBefore, 'entries recorded after the failure are let go at once: never made into lines, kept or counted');
  assert.equal(await log.close(1_000), false);
  log.flushBeforeExit();
  assert.deepEqual(errors, ['scratchpad: access log: cannot write to stdout any more (write EPIPE); further lines are dropped']);
});
