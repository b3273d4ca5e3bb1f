/**
 * Buffered log: the access log's lines made and written many at a time, instead of one line made
 * and written per request.
 *
 * What: `BufferedLog` takes one request's entry at a time (`record()`: method, path, status, time,
 * note, as ../http/serve.ts hands them over), makes their lines 128 at a time, and hands the lines
 * to a stream (the server's stdout) in batches of whole lines, in order: within 100 ms of the first
 * entry waiting, at once when a batch is full (4096 bytes), and everything when asked: `flush()`
 * (at a stop signal), `close()` (after a graceful stop: also waits until the stream has passed every
 * byte on) and `flushBeforeExit()` (in `process.on('exit')`, whatever called `process.exit()`).
 * `write()` takes a line already made, for the same batches. `ACCESS_LOG_BUFFER=false`
 * (../config.ts) turns all of it off: each line is then made and `console.log()`ed at once.
 *
 * Why: a `console.log()` per request is a `write(2)` per request, and when stdout is a file (as in
 * production) or a terminal, Node makes that write synchronous: the server waits for the kernel on
 * every request. Measured with a same-time A/B (both servers on one core, two wrk at once, both
 * orders, stdout to a file; docs/performance.md): the default configuration ran at 0.75× of
 * `ACCESS_LOG=false` (single pairs 0.71–0.78); with the lines written in batches, at 0.94–0.95×
 * (the medians of four runs), and 0.91–0.97× on a later day's machine. What was left was making
 * the line: the clock's text, the template, the escape's regular expression, the byte count. Made
 * 128 at a time instead, the same lines cost the server nothing measurable: 1.00× of
 * `ACCESS_LOG=false` (0.97–1.01), and 1.03× (1.01–1.06) against lines made one per request, both
 * with the log on. The work is the same, only moved; our reading is that the line's code, run once
 * between two requests' worth of other code, runs cold, and in a loop of 128 runs warm (a CPU
 * profile put 3 % of the busy time in the per-request line, a loop making lines alone 1.3 %).
 *
 * The rules a batch keeps, so that a log read later says exactly what a `console.log()` per line
 * would have said:
 * - The same line. It is made by ../http/serve.ts's `formatAccessLine()`, the plain log's own
 *   function, from an entry taken when the reply was written: its time is the request's, not the
 *   time the line was made. An entry keeps only strings and numbers, never the request: 128 of
 *   them hold at most 128 paths of at most 16 KB each (the server's header limit).
 * - Whole lines, in order, never a line cut in two. A batch is at most 4096 bytes, PIPE_BUF on
 *   Linux: the most that one `write(2)` puts into a pipe in one piece. With `WORKERS` > 1 every
 *   worker has a buffer of its own and all of them write to the one stdout they share, so a batch
 *   from one worker can never be split by a batch from another (to a file, one `write(2)` at the
 *   shared offset is never split either). A line longer than a batch is written alone; a line
 *   longer than PIPE_BUF itself (a 16 KB request path can make one) is cut to fit it and says so
 *   at its end: written whole, it could have another worker's batch land in its middle.
 *   Order holds within each worker; between workers, lines may be up to one interval (100 ms) out
 *   of order with each other, as each worker's batch waits for its own timer.
 * - One batch in flight at a time. A write to a pipe is asynchronous in Node (files and terminals
 *   are synchronous): when the reader is behind, Node queues the write in memory, and it would join
 *   queued writes into one `writev(2)`, which a pipe no longer takes in one piece. So the next
 *   batch is handed over only once the stream holds nothing unwritten.
 * - A bound. A reader that stops reading (a stuck log shipper) must not grow the server's memory:
 *   lines wait here up to 1 MiB (about 30,000 lines, a second at full load), besides the 128
 *   entries not yet made into lines. Past it, new lines are dropped and counted, and when there is room again a line `scratchpad: access log: N lines
 *   dropped here (stdout was not being read)` stands where they would have been. Dropping, not
 *   blocking: a server that stops answering because nobody reads its log is worse than a log with
 *   a counted gap, and a log that keeps up loses nothing. A reader that goes away altogether (the
 *   write fails: EPIPE) is said once on stderr, and the server goes on serving without a log.
 * - No line lost on a clean stop. A stop signal flushes at once (to a file or a terminal, the lines
 *   of requests already answered come before the stop message; to a pipe whose reader is behind,
 *   batches still waiting here may come after it, as the message is a `console.log()` of its own), `close()` after the graceful close waits until the
 *   stream has written everything out (bounded by its timeout, for a reader that never reads), and
 *   `flushBeforeExit()` hands over what is left when anything calls `process.exit()`. To a file or
 *   terminal that last write is synchronous and complete; to a pipe it is complete if the pipe has
 *   room (64 KiB on Linux, 100 ms of lines many times over), and otherwise loses what Node could
 *   not write before the process ended, as a `console.log()` would. A `kill -9` loses the lines
 *   still waiting: the last 100 ms (more if a pipe's reader was behind).
 *
 * Spec: POSIX `write(2)`, "Pipes and FIFOs": writes of at most PIPE_BUF bytes are not interleaved
 * with other writers; Node's process documentation, "A note on process I/O" (files synchronous,
 * pipes asynchronous on POSIX).
 *
 * Not here: the line itself (../http/serve.ts's `formatAccessLine()` makes it, escaped); log rotation, levels and
 * timestamps (whoever reads stdout adds them: journald, a container runtime); the error log,
 * which stays a `console.error()` per message: errors are rare, and each must be out before the
 * process could die of the next.
 *
 * Read next: ../server.ts, which writes the access log through this, and ../index.ts, the public
 * API, where the reading order ends.
 */
import type { Writable } from 'node:stream';
import { formatAccessLine, type AccessEntry } from '../http/serve.js';

/**
 * PIPE_BUF on Linux (POSIX promises only 512): a batch of this many bytes reaches a pipe in one
 * piece, and costs one `write(2)` for about 150 lines.
 */
export const BATCH_BYTES = 4096;
/** How long a line may wait: a person watching the log sees it at once, and under load a batch still holds a hundred lines. */
export const FLUSH_INTERVAL_MS = 100;
/** Lines kept at most while the stream cannot take them; past it they are dropped and counted. */
export const MAX_WAITING_BYTES = 1 << 20;

/**
 * How many recorded entries wait before their lines are made, all at once: about a batch's worth
 * of the demo's lines (25-30 bytes each), and few enough that their strings (each entry keeps its
 * request's path) weigh nothing.
 */
export const ENTRIES_AT_ONCE = 128;

export interface BufferedLogOptions {
  /** FLUSH_INTERVAL_MS if unset. */
  readonly intervalMs?: number;
  /** BATCH_BYTES if unset. */
  readonly batchBytes?: number;
  /** MAX_WAITING_BYTES if unset. */
  readonly maxWaitingBytes?: number;
  /** ENTRIES_AT_ONCE if unset. */
  readonly entriesAtOnce?: number;
}

/** Where the lines go: `process.stdout`, or any stream that says how much it holds unwritten. */
export type LogStream = Pick<Writable, 'write' | 'writableLength' | 'on'>;

export class BufferedLog {
  readonly #stream: LogStream;
  readonly #intervalMs: number;
  readonly #batchBytes: number;
  readonly #maxWaitingBytes: number;
  /** Full batches not yet handed to the stream, oldest first, each with its size in bytes. */
  readonly #batches: { readonly text: string; readonly bytes: number }[] = [];
  /** The batch being filled: whole lines, each ending in "\n". */
  #batch = '';
  #batchBytesSoFar = 0;
  /** Bytes in `#batches` and `#batch` together: what the bound counts. */
  #waitingBytes = 0;
  /** Entries recorded whose lines are not made yet, oldest first. */
  readonly #entries: AccessEntry[] = [];
  readonly #entriesAtOnce: number;
  /** Lines dropped since the last note saying so. */
  #dropped = 0;
  #timer: NodeJS.Timeout | null = null;
  /** The stream failed (its reader went away: EPIPE): nothing is written any more. */
  #failed = false;

  /** `onError` hears once that the stream failed; default `console.error()`. */
  constructor(stream: LogStream, options: BufferedLogOptions = {}, onError: (message: string) => void = (message) => console.error(message)) {
    this.#stream = stream;
    this.#intervalMs = options.intervalMs ?? FLUSH_INTERVAL_MS;
    this.#batchBytes = options.batchBytes ?? BATCH_BYTES;
    this.#maxWaitingBytes = options.maxWaitingBytes ?? MAX_WAITING_BYTES;
    this.#entriesAtOnce = options.entriesAtOnce ?? ENTRIES_AT_ONCE;
    // A stream's error with nobody listening ends the process: a log reader that went away must not
    // take the server with it (console.log() does not catch it either: ../server.ts listens when
    // this log is off).
    stream.on('error', (error: Error) => {
      if (this.#failed) return;
      this.#failed = true;
      this.#batches.length = 0;
      this.#entries.length = 0;
      onError(`scratchpad: access log: cannot write to stdout any more (${error.message}); further lines are dropped`);
    });
  }

  /** Lines dropped because the stream could not take them, and not yet reported by a note in the log. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Adds one request's entry; its line is made later, with the other entries waiting, by
   * `formatAccessLine()`, and written like a line given to `write()` (the header says why).
   */
  record(entry: AccessEntry): void {
    if (this.#failed) return;
    this.#entries.push(entry);
    if (this.#entries.length >= this.#entriesAtOnce) this.#makeLines();
    this.#timer ??= this.#startTimer();
  }

  /** Adds one line (without its "\n"). It is handed to the stream within the interval, or sooner. */
  write(line: string): void {
    if (this.#failed) return;
    // After the lines of the entries recorded before it: the log keeps the order of the requests.
    this.#makeLines();
    this.#addLine(line);
    if (this.#batches.length > 0) this.#handOver();
    this.#timer ??= this.#startTimer();
  }

  /** Makes the line of every entry waiting, in order, and adds it. */
  #makeLines(): void {
    if (this.#entries.length === 0) return;
    for (const entry of this.#entries) this.#addLine(formatAccessLine(entry));
    this.#entries.length = 0;
    if (this.#batches.length > 0) this.#handOver();
  }

  /** One line into the batch being filled, or counted as dropped past the bound. */
  #addLine(line: string): void {
    const text = `${fitOneWrite(line)}\n`;
    // Bytes, not characters: a path may hold Latin-1 letters, two bytes each in UTF-8.
    const bytes = Buffer.byteLength(text);
    if (this.#waitingBytes + bytes > this.#maxWaitingBytes) {
      this.#dropped += 1;
      return;
    }
    // Room again after a gap: the note goes where the dropped lines would have been.
    if (this.#dropped > 0) this.#add(this.#droppedNote());
    this.#add(text, bytes);
  }

  /** Hands every waiting line to the stream now, as far as it takes them (one batch in flight). */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#makeLines();
    this.#closeBatch();
    this.#handOver();
    // The stream is still busy with an earlier batch: look again after the interval.
    if (this.#batches.length > 0) this.#timer = this.#startTimer();
  }

  /**
   * Flushes, then resolves `true` once the stream has written out everything, or `false` if
   * `timeoutMs` ran out first (a reader that does not read). For a graceful stop; lines written
   * after it are still written, by `flushBeforeExit()` at the latest.
   */
  close(timeoutMs: number): Promise<boolean> {
    if (this.#dropped > 0) this.#add(this.#droppedNote());
    this.flush();
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      // Polled rather than told: the stream's last bytes may be someone else's (a console.log()),
      // whose completion calls back nobody here. A stop happens once; 10 ms is no cost.
      const check = (): void => {
        this.#handOver();
        if (this.#batches.length === 0 && this.#stream.writableLength === 0) resolve(true);
        else if (this.#failed || Date.now() >= deadline) resolve(false);
        else setTimeout(check, 10);
      };
      check();
    });
  }

  /**
   * The last chance, for `process.on('exit')`: hands every waiting line to the stream at once,
   * without waiting for a batch in flight (nothing asynchronous runs after this). The header says
   * what a pipe that is full at this moment loses.
   */
  flushBeforeExit(): void {
    this.#makeLines();
    if (this.#dropped > 0) this.#add(this.#droppedNote());
    this.#closeBatch();
    for (const batch of this.#batches.splice(0)) if (!this.#failed) this.#stream.write(batch.text);
    this.#waitingBytes = 0;
  }

  #add(text: string, bytes = Buffer.byteLength(text)): void {
    // A line that would overflow the batch starts the next one; a line longer than a batch is one alone.
    if (this.#batchBytesSoFar > 0 && this.#batchBytesSoFar + bytes > this.#batchBytes) this.#closeBatch();
    this.#batch += text;
    this.#batchBytesSoFar += bytes;
    this.#waitingBytes += bytes;
    if (this.#batchBytesSoFar >= this.#batchBytes) this.#closeBatch();
  }

  #closeBatch(): void {
    if (this.#batchBytesSoFar === 0) return;
    this.#batches.push({ text: this.#batch, bytes: this.#batchBytesSoFar });
    this.#batch = '';
    this.#batchBytesSoFar = 0;
  }

  #droppedNote(): string {
    const note = `scratchpad: access log: ${this.#dropped} lines dropped here (stdout was not being read)\n`;
    this.#dropped = 0;
    return note;
  }

  #startTimer(): NodeJS.Timeout {
    const timer = setTimeout(() => this.flush(), this.#intervalMs);
    // A line waiting to be written must not keep a stopped server alive: the exit flush writes it.
    timer.unref();
    return timer;
  }

  /**
   * Writes full batches while the stream holds nothing unwritten. A file takes each at once (the
   * write is synchronous), and so does a pipe with room; otherwise the batch waits in the stream,
   * and its callback hands over the next.
   */
  #handOver(): void {
    while (!this.#failed && this.#batches.length > 0 && this.#stream.writableLength === 0) {
      const batch = this.#batches.shift()!;
      this.#waitingBytes -= batch.bytes;
      this.#stream.write(batch.text, this.#written);
    }
  }

  readonly #written = (): void => this.#handOver();
}

/** The most one write(2) puts into a pipe in one piece, on Linux: a longer write may be interleaved. */
const PIPE_BUF = 4096;

/**
 * `line` if it fits one atomic write with its "\n"; otherwise its start, cut on a character
 * boundary, and a note of how long it was, the whole within PIPE_BUF.
 */
export function fitOneWrite(line: string): string {
  const bytes = Buffer.byteLength(line);
  if (bytes + 1 <= PIPE_BUF) return line;
  const note = ` [line of ${bytes} bytes, cut to ${PIPE_BUF} for the log]`;
  const room = PIPE_BUF - 1 - Buffer.byteLength(note);
  // A character cut in half decodes as U+FFFD, up to two bytes longer than its piece: drop it.
  const start = Buffer.from(line).subarray(0, room).toString('utf8').replace(/\uFFFD$/, '');
  return `${start}${note}`;
}
