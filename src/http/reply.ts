/**
 * Reply: a response as a plain value (status, headers, body) instead of calls on a stream.
 *
 * What: the `Reply` type that every handler returns, the few constructors the demo needs
 * (`htmlReply`, `redirectReply`), and `withHeader()` to add to one without changing it.
 *
 * Why: with Node's `ServerResponse`, headers are written the moment the body starts, so code that
 * runs *after* the handler (the session layer, which decides on `Set-Cookie` only once it knows
 * whether the handler changed the session) would have to patch `res.end` — the trick that makes
 * express-session hard to read. Returning a value turns the order into plain code:
 * handler → reply → session adds its headers → the reply is written once (serve.ts).
 *
 * Spec: RFC 9110 §15 (status codes), §15.4.4 (303 See Other: "redirect after POST").
 *
 * Not here: streaming bodies (our pages are small strings), content negotiation.
 *
 * Read next: router.ts, which maps a request to the handler that returns a Reply.
 */

/** One header value, or several for headers that may repeat (`Set-Cookie` must never be joined). */
export type HeaderValue = string | readonly string[];

export interface Reply {
  readonly status: number;
  /** Header names in lower case, so that a lookup never misses for spelling. */
  readonly headers: Readonly<Record<string, HeaderValue>>;
  readonly body: string;
  /** Appended to this request's access-log line (serve.ts); never sent to the client. */
  readonly logNote?: string;
}

/** An HTML page. `html` must already be escaped: build it with escape.ts. */
export function htmlReply(status: number, html: string, headers?: Readonly<Record<string, HeaderValue>>): Reply {
  const contentType = 'text/html; charset=utf-8';
  return { status, headers: headers === undefined ? { 'content-type': contentType } : { 'content-type': contentType, ...lowerCaseKeys(headers) }, body: html };
}

/**
 * A JSON reply. `JSON.stringify` escapes nothing for HTML, so the type must say JSON: with
 * `nosniff` (security-headers.ts) a browser then never renders it as a page.
 */
export function jsonReply(status: number, value: unknown, headers?: Readonly<Record<string, HeaderValue>>): Reply {
  const contentType = 'application/json; charset=utf-8';
  const body = JSON.stringify(value);
  return { status, headers: headers === undefined ? { 'content-type': contentType } : { 'content-type': contentType, ...lowerCaseKeys(headers) }, body };
}

/**
 * A redirect. 303 by default: after a POST, "See Other" tells the browser to GET the new
 * location, so reloading the page it lands on does not post the form a second time.
 */
export function redirectReply(location: string, status = 303): Reply {
  return { status, headers: { location }, body: '' };
}

/**
 * Where to send the user after a form, given a `next` value that came from the request. Only a
 * path on this site is accepted; anything else becomes `fallback`. A check for "starts with /" is
 * not enough: browsers read `//evil.example` and `/\evil.example` as links to another host
 * (RFC 3986 §4.2 network-path references; the WHATWG URL parser treats `\` like `/`), and skip
 * tabs and line breaks inside a URL, so `/\t/evil.example` is `//evil.example` to them.
 *
 * The result goes into the `Location` header, and a header value is bytes, not text: Node refuses
 * any character above U+00FF there (it throws), and a character between U+0080 and U+00FF would be
 * sent as one Latin-1 byte that each browser reads its own way. So what is returned is printable
 * ASCII only: every other character is percent-encoded as its UTF-8 bytes (RFC 3986 §2.1), which
 * is how a browser itself writes such a path, and a value that is not well-formed UTF-16 (a lone
 * surrogate, which has no UTF-8 bytes) becomes `fallback`.
 */
export function localRedirectTarget(next: string | null | undefined, fallback = '/'): string {
  if (next === null || next === undefined) return fallback;
  const isLocalPath = next.startsWith('/') && !next.startsWith('//') && !/[\\\x00-\x20\x7f]/.test(next);
  if (!isLocalPath) return fallback;
  try {
    return next.replace(/[^\x21-\x7e]+/g, (run) => encodeURIComponent(run));
  } catch {
    return fallback; // URIError: a lone surrogate
  }
}

/**
 * A copy of `reply` with one more header. Values of a repeated header are kept side by side
 * (two `Set-Cookie` headers stay two), except for list headers such as `Vary`, where a value
 * already present is not added again.
 */
export function withHeader(reply: Reply, name: string, value: string): Reply {
  return withHeaders(reply, { [name]: value });
}

/**
 * A copy of `reply` with several more headers, combined as `withHeader()` does. One copy of the
 * header object for all of them: adding the four security headers one by one cost 8 % of the
 * server's time in a profile of GET / (npm run bench). Plain `for…in` loops rather than
 * `Object.entries()` and spreads: this runs two or three times per request, and the loops
 * allocate nothing but the result.
 */
export function withHeaders(reply: Reply, added: Readonly<Record<string, string>>): Reply {
  const headers: Record<string, HeaderValue> = {};
  for (const name in reply.headers) headers[name] = reply.headers[name]!;
  for (const name in added) {
    const key = name.toLowerCase();
    headers[key] = combine(key, headers[key], added[name]!);
  }
  return reply.logNote === undefined ? { status: reply.status, headers, body: reply.body } : { status: reply.status, headers, body: reply.body, logNote: reply.logNote };
}

function combine(key: string, existing: HeaderValue | undefined, value: string): HeaderValue {
  if (key === 'set-cookie') return [...(existing === undefined ? [] : asList(existing)), value];
  if (existing === undefined) return value;
  if (LIST_HEADERS.has(key)) return joinList(existing, value);
  return value;
}

// RFC 9110 §5.3: these headers are comma-separated lists, so adding means appending to the list.
const LIST_HEADERS = new Set(['vary', 'cache-control']);

function joinList(existing: HeaderValue, value: string): string {
  const items = asList(existing).flatMap((item) => item.split(',').map((part) => part.trim()));
  if (items.some((item) => item.toLowerCase() === value.toLowerCase())) return items.join(', ');
  return [...items, value].join(', ');
}

function asList(value: HeaderValue): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}

function lowerCaseKeys(headers: Readonly<Record<string, HeaderValue>>): Record<string, HeaderValue> {
  const result: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(headers)) result[name.toLowerCase()] = value;
  return result;
}
