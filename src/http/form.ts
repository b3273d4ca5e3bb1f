/**
 * Form bodies: read an `application/x-www-form-urlencoded` request body, with limits, and parse it.
 *
 * What: `parseUrlencoded()` is the WHATWG algorithm, step by step, plus our own limit checks;
 * `readFormBody()` streams a request body into it, refusing too much data before buffering it.
 *
 * Why: the login form posts `username=alice&remember=on`. The encoding looks trivial, and that is
 * why hand-rolled parsers get it wrong: `+` means space, `%2B` means plus, and percent escapes are
 * UTF-8 bytes, not characters. A body is also the easiest way to attack a server: send a gigabyte,
 * a million fields, or a field named `__proto__`. Each of those gets an explicit limit or design
 * choice here, and a 4xx that tells the client what it did.
 *
 * Spec: WHATWG URL Standard §5.1 "application/x-www-form-urlencoded parsing"
 * (https://url.spec.whatwg.org/#urlencoded-parsing), followed in `parseUrlencoded()` with the spec's
 * step numbers. Modelled on jsdom/whatwg-url's `lib/urlencoded.js`.
 *
 * Not here: `multipart/form-data` (file uploads; our form has none), and bodies in any other
 * content coding such as gzip (refused with 415 like any other type we do not read).
 *
 * Read next: json-body.ts, the same for JSON; then http-error.ts, the errors both throw, reply.ts
 * and router.ts.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/** How much of a form body we are willing to read. Every limit breach is answered with 413. */
export interface FormLimits {
  /** Largest body, in bytes as sent (percent-encoded). */
  readonly maxBodyBytes: number;
  /** Most `name=value` pairs. */
  readonly maxFields: number;
  /** Longest field name, in bytes after decoding. */
  readonly maxNameBytes: number;
  /** Longest field value, in bytes after decoding. */
  readonly maxValueBytes: number;
}

export const DEFAULT_FORM_LIMITS: FormLimits = Object.freeze({
  maxBodyBytes: 64 * 1024,
  maxFields: 100,
  maxNameBytes: 256,
  maxValueBytes: 16 * 1024,
});

/**
 * The fields of a parsed form, in the order they were sent.
 *
 * Backed by a `Map`, never by a plain object: a field named `__proto__` or `constructor` is then
 * just a key, and cannot replace an object's prototype (the "prototype pollution" bug that
 * `obj[name] = value` parsers have shipped many times).
 */
export class FormFields {
  readonly #fields = new Map<string, string[]>();

  /** Adds a value; a repeated name keeps every value (checkboxes and multi-selects repeat names). */
  append(name: string, value: string): void {
    const values = this.#fields.get(name);
    if (values === undefined) this.#fields.set(name, [value]);
    else values.push(value);
  }

  /** The first value sent for `name`, or `null` when the field is absent. */
  get(name: string): string | null {
    return this.#fields.get(name)?.[0] ?? null;
  }

  /** Every value sent for `name`, in order; empty when the field is absent. */
  getAll(name: string): readonly string[] {
    return [...(this.#fields.get(name) ?? [])];
  }

  has(name: string): boolean {
    return this.#fields.has(name);
  }

  /** The distinct field names, in first-seen order. */
  names(): string[] {
    return [...this.#fields.keys()];
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses an urlencoded body, following https://url.spec.whatwg.org/#concept-urlencoded-parser.
 * Throws `HttpError` 413 past a limit and 400 for bytes no browser would send.
 *
 * Two deliberate departures from the spec, which never fails: where it keeps a `%` that is not
 * followed by two hex digits as a literal `%`, and replaces bytes that are not UTF-8 with U+FFFD,
 * we answer 400. Browsers never send either, so such a body comes from a broken or hostile client,
 * and guessing what it meant would give one form two meanings.
 */
export function parseUrlencoded(body: Buffer, limits: FormLimits = DEFAULT_FORM_LIMITS): FormFields {
  const output = new FormFields();
  let fieldCount = 0;
  // 1. Let sequences be the result of splitting input on 0x26 (&).
  for (const bytes of splitBytes(body, 0x26)) {
    // 3.1 If bytes is the empty byte sequence, then continue.
    if (bytes.length === 0) continue;
    // Our limit: count the fields before decoding any, so a million tiny fields cost no decoding.
    fieldCount += 1;
    if (fieldCount > limits.maxFields) {
      throw new HttpError(413, `form has more than ${limits.maxFields} fields; send fewer`);
    }
    // 3.2 If bytes contains a 0x3D (=), name is what precedes the first one, value what follows.
    //
    // 3.3 Otherwise, name is bytes and value is the empty byte sequence.
    const equals = bytes.indexOf(0x3d);
    const nameBytes = equals === -1 ? bytes : bytes.subarray(0, equals);
    const valueBytes = equals === -1 ? Buffer.alloc(0) : bytes.subarray(equals + 1);
    // 3.4 Replace any 0x2B (+) in name and value with 0x20 (SP).
    // 3.5 Percent-decode name and value, then UTF-8 decode without BOM.
    const name = decodeComponent(nameBytes, 'name', limits.maxNameBytes);
    const value = decodeComponent(valueBytes, `value of "${name}"`, limits.maxValueBytes);
    // 3.6 Append (name, value) to output.
    output.append(name, value);
  }
  // 4. Return output.
  return output;
}

/** Steps 3.4 and 3.5 for one name or value, with our length limit on the decoded bytes. */
function decodeComponent(bytes: Buffer, what: string, maxBytes: number): string {
  // Most names and values (`username=alice`, a token) are ASCII with no `%` or `+`: decoding
  // would give back the same bytes, so they are read as they are. This made a login form parse
  // 2.5 times faster (npm run bench:micro, parseUrlencoded row).
  if (isPlainAscii(bytes)) {
    if (bytes.length > maxBytes) throw new HttpError(413, `form field ${what} is ${bytes.length} bytes; the limit is ${maxBytes}`);
    return bytes.toString('latin1');
  }
  const decoded = percentDecode(bytes, what);
  if (decoded.length > maxBytes) {
    throw new HttpError(413, `form field ${what} is ${decoded.length} bytes; the limit is ${maxBytes}`);
  }
  try {
    return utf8.decode(decoded);
  } catch {
    throw new HttpError(400, `form field ${what} is not valid UTF-8 once percent-decoded`);
  }
}

/**
 * The URL Standard's "percent-decode" (https://url.spec.whatwg.org/#percent-decode), with `+` read
 * as a space on the way (step 3.4 above), and strict about malformed escapes (see parseUrlencoded).
 */
function percentDecode(bytes: Buffer, what: string): Buffer {
  // Decoding only ever shrinks the input, so one buffer of the input's size is enough. Unsafe
  // (not zero-filled) is safe here: only the `length` bytes written below are ever returned.
  const output = Buffer.allocUnsafe(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i]!;
    if (byte === 0x2b) {
      output[length++] = 0x20;
    } else if (byte !== 0x25) {
      output[length++] = byte;
    } else {
      const high = hexValue(bytes[i + 1]);
      const low = hexValue(bytes[i + 2]);
      if (high === -1 || low === -1) {
        throw new HttpError(400, `form field ${what} has a "%" that is not followed by two hex digits`);
      }
      output[length++] = high * 16 + low;
      i += 2;
    }
  }
  return output.subarray(0, length);
}

/** No byte that step 3.4 or 3.5 would change, and nothing UTF-8 decoding could refuse. */
function isPlainAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i]!;
    if (byte >= 0x80 || byte === 0x25 || byte === 0x2b) return false;
  }
  return true;
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30; // 0-9
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10; // A-F
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10; // a-f
  return -1;
}

function splitBytes(bytes: Buffer, separator: number): Buffer[] {
  const pieces: Buffer[] = [];
  let start = 0;
  for (let at = bytes.indexOf(separator); at !== -1; at = bytes.indexOf(separator, start)) {
    pieces.push(bytes.subarray(start, at));
    start = at + 1;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/**
 * Reads a request body as a form: checks the content type, counts bytes as they arrive, and
 * parses once the body is complete. Throws `HttpError` 415, 413 or 400.
 */
export async function readFormBody(request: IncomingMessage, limits: FormLimits = DEFAULT_FORM_LIMITS): Promise<FormFields> {
  // A request with no body at all (RFC 9112 §6.3: neither Content-Length nor Transfer-Encoding,
  // or a length of 0) is an empty form whatever its type: `curl -X POST /logout` needs no header.
  const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  if (!hasBody) return new FormFields();
  checkFormContentType(request);
  const body = await readBodyWithLimit(request, limits.maxBodyBytes);
  return parseUrlencoded(body, limits);
}

function checkFormContentType(request: IncomingMessage): void {
  // RFC 9110 §8.3: media types are case-insensitive and may carry parameters (";charset=UTF-8").
  const contentType = request.headers['content-type'] ?? '';
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType !== 'application/x-www-form-urlencoded') {
    const sent = contentType === '' ? 'this request has no Content-Type' : `not ${JSON.stringify(contentType)}`;
    throw new HttpError(415, `send the form as application/x-www-form-urlencoded, ${sent}`);
  }
  const charset = parameters.find((parameter) => parameter.startsWith('charset='));
  if (charset !== undefined && charset !== 'charset=utf-8' && charset !== 'charset="utf-8"') {
    throw new HttpError(415, `send the form in UTF-8, not ${JSON.stringify(charset.slice('charset='.length))}`);
  }
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw new HttpError(415, `send the form without a content encoding, not ${JSON.stringify(encoding)}`);
  }
}

function bodyTooLarge(maxBodyBytes: number, what = 'form body'): HttpError {
  // `Connection: close`: we stop reading, so the rest of the body must not be taken for the next
  // request on this connection. Node closes the socket once this response is sent.
  return new HttpError(413, `${what} is larger than ${maxBodyBytes} bytes; send less`, { Connection: 'close' });
}

/**
 * Buffers a body chunk by chunk and gives up the moment it passes `maxBytes` (413, naming `what`):
 * a client sending a gigabyte costs us at most `maxBytes` plus one chunk of memory, not a gigabyte.
 * A declared `Content-Length` over the limit is refused before a byte is read. Also used by
 * json-body.ts.
 */
export function readBodyWithLimit(request: IncomingMessage, maxBytes: number, what = 'form body'): Promise<Buffer> {
  if (Number(request.headers['content-length'] ?? 0) > maxBytes) return Promise.reject(bodyTooLarge(maxBytes, what));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = (error: HttpError | null): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onClose);
      if (error === null) resolve(Buffer.concat(chunks, received));
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxBytes) stop(bodyTooLarge(maxBytes, what));
      else chunks.push(chunk);
    };
    const onEnd = (): void => stop(null);
    // 'close' before 'end' means the client went away mid-body; nobody will read our answer, but
    // the handler must still finish instead of waiting for data that will never come.
    const onClose = (): void => stop(new HttpError(400, 'the request body was cut off before its end'));
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('close', onClose);
  });
}
