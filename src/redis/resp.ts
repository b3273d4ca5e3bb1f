/**
 * RESP2: the Redis wire protocol, as pure functions from values to bytes and back.
 *
 * What: `encodeCommand()` turns `['SET', 'k', 'v']` into the bytes Redis expects, and `RespDecoder`
 * turns the bytes Redis sends back into values, however the network splits them into chunks.
 *
 * Why: talking to Redis needs no library. The protocol is five kinds of line, each announced by its
 * first byte, and every length is given up front, so a parser never has to guess where a value ends:
 *
 *     +OK\r\n                  simple string
 *     -ERR unknown command\r\n error (a reply, not a broken connection)
 *     :42\r\n                  integer
 *     $5\r\nhello\r\n          bulk string of 5 bytes; $-1\r\n is null
 *     *2\r\n…\r\n…             array of 2 values; *-1\r\n is null
 *
 * A command is always sent as an array of bulk strings. Lengths are in bytes, not characters:
 * "é" is `$2`. Keeping this module free of sockets lets its tests feed it bytes split at every
 * possible position, which is exactly what TCP does to a reply.
 *
 * Arrays nest, and the obvious parser calls itself once per level. But the depth is chosen by
 * whoever sends the bytes: `*1\r\n` repeated 20,000 times overflows the call stack, and the
 * RangeError, thrown inside a socket's 'data' handler, ends the process. So the decoder never
 * recurses: it reads one line at a time and keeps a stack of the arrays it is still filling. A
 * value goes into the innermost open array; an array that is full is itself a value, one level up.
 * Depth then costs a little memory per level (and each level costs the sender 4 bytes), never stack.
 *
 * Spec: Redis serialization protocol specification, RESP2 (https://redis.io/docs/latest/develop/reference/protocol-spec/).
 *
 * Not here: RESP3 (maps, sets, doubles: only sent after HELLO 3, which we never send), and the
 * connection (client.ts).
 *
 * Read next: redis-url.ts, where a connection is described, then client.ts.
 */

/** An error reply (`-ERR …`): Redis understood the command and refused it. */
export class RespError {
  constructor(readonly message: string) {}
}

export type RespValue = string | number | null | RespError | readonly RespValue[];

/** Bytes Redis never sends: the connection cannot be trusted to stay in step after this. */
export class RespProtocolError extends Error {
  override name = 'RespProtocolError';
}

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly (string | number)[]): Buffer {
  let text = `*${args.length}\r\n`;
  for (const arg of args) {
    const value = String(arg);
    text += `$${Buffer.byteLength(value)}\r\n${value}\r\n`;
  }
  return Buffer.from(text);
}

/**
 * One step of parsing at an offset: a whole value, or the header of an array whose `count` items
 * come next; `next` is where the following step starts. `null` means the bytes are incomplete.
 */
type Step =
  | { readonly kind: 'value'; readonly value: RespValue; readonly next: number }
  | { readonly kind: 'array'; readonly count: number; readonly next: number }
  | null;

/** An array whose header has been read but not all of its items yet. */
interface OpenArray {
  readonly items: RespValue[];
  readonly count: number;
}

const CRLF = Buffer.from('\r\n');

/**
 * Collects chunks and returns every complete value so far. Incomplete data waits for the next
 * chunk: a reply may arrive in pieces, or several replies in one piece (pipelining).
 *
 * After a RespProtocolError the stream is out of step for good: throw the decoder away with its
 * connection.
 */
export class RespDecoder {
  /** Bytes received and not parsed yet. */
  #buffer: Buffer = Buffer.alloc(0);
  /** The arrays being filled, outermost first. Kept between chunks, so a reply can end in a later one. */
  readonly #open: OpenArray[] = [];

  push(chunk: Buffer): RespValue[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const replies: RespValue[] = [];
    let offset = 0;
    for (;;) {
      const step = parseStep(this.#buffer, offset);
      if (step === null) break;
      offset = step.next;
      if (step.kind === 'array') this.#open.push({ items: [], count: step.count });
      else this.#place(step.value, replies);
    }
    this.#buffer = this.#buffer.subarray(offset);
    return replies;
  }

  /**
   * Puts a finished value into the innermost open array, or into `replies` if no array is open.
   * A value can finish several arrays at once (`*1\r\n*1\r\n+x\r\n` finishes two), hence a loop.
   */
  #place(value: RespValue, replies: RespValue[]): void {
    let finished = value;
    for (;;) {
      const innermost = this.#open.at(-1);
      if (innermost === undefined) {
        replies.push(finished);
        return;
      }
      innermost.items.push(finished);
      if (innermost.items.length < innermost.count) return;
      this.#open.pop();
      finished = innermost.items;
    }
  }
}

/** Reads one line at `offset` (and, for a bulk string, the bytes it announces). */
function parseStep(buffer: Buffer, offset: number): Step {
  const lineEnd = buffer.indexOf(CRLF, offset);
  if (lineEnd === -1) return null;
  const type = String.fromCharCode(buffer[offset]!);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { kind: 'value', value: line, next };
    case '-':
      return { kind: 'value', value: new RespError(line), next };
    case ':':
      return { kind: 'value', value: parseInteger(line), next };
    case '$': {
      const length = parseLength(line);
      if (length === -1) return { kind: 'value', value: null, next };
      // The announced length tells us where the value ends; its trailing CRLF must be there too.
      // Until then nothing is consumed: the header is read again with the next chunk.
      if (buffer.length < next + length + 2) return null;
      return { kind: 'value', value: buffer.toString('utf8', next, next + length), next: next + length + 2 };
    }
    case '*': {
      const count = parseLength(line);
      if (count === -1) return { kind: 'value', value: null, next };
      // An empty array is finished at once; opening it would leave it waiting for an item that never comes.
      if (count === 0) return { kind: 'value', value: [], next };
      return { kind: 'array', count, next };
    }
    default:
      throw new RespProtocolError(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

/**
 * A bulk length or an array count: -1 (null) or 0 and up. Anything else is a broken stream; in
 * particular a negative length would move the parser *backwards* and make it read the same bytes
 * forever (our fuzz test found exactly that).
 */
function parseLength(text: string): number {
  const length = parseInteger(text);
  if (length < -1 || length > MAX_LENGTH) throw new RespProtocolError(`length ${length} is not -1 or from 0 to ${MAX_LENGTH}`);
  return length;
}

/** Redis's own ceiling for a bulk string (proto-max-bulk-len), used for counts too. */
const MAX_LENGTH = 512 * 1024 * 1024;

function parseInteger(text: string): number {
  if (!/^-?[0-9]+$/.test(text)) throw new RespProtocolError(`expected an integer, got ${JSON.stringify(text)}`);
  return Number(text);
}
