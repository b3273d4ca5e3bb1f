/**
 * JSON bodies: read an `application/json` request body, with limits, and parse it.
 *
 * What: `readJsonBody()` checks the content type, reads at most `maxBodyBytes`, refuses nesting
 * deeper than `maxDepth`, and returns the parsed value; every refusal is an `HttpError` (415, 413
 * or 400) with a message that says what to send instead.
 *
 * Why: an API that keeps a cart in the session takes JSON, not forms. Three things make this more
 * than `JSON.parse(body)`:
 * - the type. Another site's page can make a browser post a form, or `text/plain`, to us with our
 *   cookies attached, but it cannot send `Content-Type: application/json` without first asking
 *   our permission (a CORS preflight, which this server never grants). So insisting on the type
 *   is half of the CSRF defence of a JSON API; session/csrf.ts's Origin check is the other half.
 * - the size, for the same reason as forms: a gigabyte must cost us `maxBodyBytes`, not a gigabyte.
 * - the depth. `JSON.parse` itself copes with `[[[[…]]]]` a hundred thousand deep, but whatever
 *   walks the value next with recursion (`JSON.stringify` when the session is saved, a
 *   validator) overflows the stack: a RangeError, a 500. Counted here, before parsing, in one pass.
 *
 * Spec: RFC 8259 (JSON), RFC 9110 §15.5.16 (415), Fetch Standard "CORS-safelisted request-header"
 * (which content types another site may send without a preflight).
 *
 * Not here: JSON schemas: what the value must look like is the application's business.
 *
 * Read next: http-error.ts, the errors this module and form.ts throw, then reply.ts and router.ts.
 */
import type { IncomingMessage } from 'node:http';
import { readBodyWithLimit } from './form.js';
import { HttpError } from './http-error.js';

export interface JsonLimits {
  /** Largest body, in bytes. */
  readonly maxBodyBytes: number;
  /** Deepest nesting of arrays and objects: `[]` is depth 1, `[[]]` depth 2. */
  readonly maxDepth: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = Object.freeze({ maxBodyBytes: 64 * 1024, maxDepth: 32 });

/** What a JSON body can hold. */
export type ParsedJson = null | boolean | number | string | ParsedJson[] | { [key: string]: ParsedJson };

/** Reads and parses a JSON request body. Throws `HttpError` 415, 413 or 400. */
export async function readJsonBody(request: IncomingMessage, limits: JsonLimits = DEFAULT_JSON_LIMITS): Promise<ParsedJson> {
  const contentType = request.headers['content-type'] ?? '';
  // RFC 9110 §8.3: case-insensitive, maybe with parameters. JSON is UTF-8 (RFC 8259 §8.1).
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new HttpError(415, contentType === '' ? 'send JSON with Content-Type: application/json; this request has no Content-Type' : `send JSON as application/json, not ${JSON.stringify(contentType)}`);
  }
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw new HttpError(415, `send JSON without a content encoding, not ${JSON.stringify(encoding)}`);
  }
  const body = await readBodyWithLimit(request, limits.maxBodyBytes, 'JSON body');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new HttpError(400, 'the JSON body is not valid UTF-8 (RFC 8259 §8.1)');
  }
  const depth = nestingDepth(text);
  if (depth > limits.maxDepth) throw new HttpError(400, `the JSON is nested ${depth} deep; at most ${limits.maxDepth} levels are accepted`);
  try {
    return JSON.parse(text) as ParsedJson;
  } catch (error) {
    throw new HttpError(400, `the body is not valid JSON (${(error as Error).message})`);
  }
}

/**
 * The deepest nesting of `[` and `{` in a JSON text, brackets inside strings not counted. For text
 * that is not JSON the answer may be anything; JSON.parse refuses that text anyway.
 */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const character = text.charCodeAt(index);
    if (inString) {
      if (character === 0x5c) index++; // a backslash: the next character is escaped, even a quote
      else if (character === 0x22) inString = false;
    } else if (character === 0x22) {
      inString = true;
    } else if (character === 0x5b || character === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (character === 0x5d || character === 0x7d) {
      depth--;
    }
  }
  return deepest;
}
