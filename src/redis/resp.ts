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
 * Spec: Redis serialization protocol specification, RESP2 (https://redis.io/docs/latest/develop/reference/protocol-spec/).
 *
 * Not here: RESP3 (maps, sets, doubles: only sent after HELLO 3, which we never send), and the
 * connection (client.ts).
 *
 * Read next: client.ts.
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

/** Result of parsing at an offset: the value and where the next one starts, or `null` if incomplete. */
type Parsed = { readonly value: RespValue; readonly next: number } | null;

const CRLF = Buffer.from('\r\n');

/**
 * Collects chunks and returns every complete value so far. Incomplete data waits for the next
 * chunk: a reply may arrive in pieces, or several replies in one piece (pipelining).
 */
export class RespDecoder {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RespValue[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const values: RespValue[] = [];
    let offset = 0;
    for (;;) {
      const parsed = parseValue(this.#buffer, offset);
      if (parsed === null) break;
      values.push(parsed.value);
      offset = parsed.next;
    }
    this.#buffer = this.#buffer.subarray(offset);
    return values;
  }
}

function parseValue(buffer: Buffer, offset: number): Parsed {
  const lineEnd = buffer.indexOf(CRLF, offset);
  if (lineEnd === -1) return null;
  const type = String.fromCharCode(buffer[offset]!);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new RespError(line), next };
    case ':':
      return { value: parseInteger(line), next };
    case '$': {
      const length = parseLength(line);
      if (length === -1) return { value: null, next };
      // The announced length tells us where the value ends; its trailing CRLF must be there too.
      if (buffer.length < next + length + 2) return null;
      return { value: buffer.toString('utf8', next, next + length), next: next + length + 2 };
    }
    case '*': {
      const count = parseLength(line);
      if (count === -1) return { value: null, next };
      const items: RespValue[] = [];
      let position = next;
      for (let index = 0; index < count; index += 1) {
        const item = parseValue(buffer, position);
        if (item === null) return null;
        items.push(item.value);
        position = item.next;
      }
      return { value: items, next: position };
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
