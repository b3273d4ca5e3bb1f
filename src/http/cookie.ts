/**
 * Cookies on the wire: read the `Cookie` request header, write the `Set-Cookie` response header.
 *
 * What: `parseCookieHeader()` turns `Cookie: a=1; b=2` into a map of names to values,
 * `readCookie()` reads just one of them by the same rules, and `serializeSetCookie()` turns a
 * `SetCookie` description into one `Set-Cookie` header value.
 *
 * Why: HTTP is stateless; a cookie is the one place a server can leave a value that the browser
 * hands back on every later request. A session is built on exactly one such cookie. Reading is
 * tolerant (browsers and scripts send sloppy headers, and a bad pair must not cost the user their
 * session); writing is strict (a value with `;` or a line break in it would let data inject
 * attributes or whole headers, so anything outside the grammar throws instead of being "fixed").
 *
 * Spec: RFC 6265 §4.1.1 (Set-Cookie grammar, quoted above each check), §4.2.1 and §5.4 (the Cookie
 * header), §5.2 (the only whitespace trimmed from a name or value: SP and HTAB), and RFC 6265bis'
 * size limits (a browser ignores a cookie whose name plus value exceed 4096 bytes, and an attribute
 * whose value exceeds 1024). Modelled on Go's net/http cookie.go and the 0.4 line of jshttp/cookie.
 *
 * Not here: what the value means (the session layer signs it), percent-decoding of values (our
 * values never need it; we treat them as opaque), and the user-agent side (cookie storage, domain
 * matching), which belongs to the browser.
 *
 * Read next: form.ts, the other thing a browser sends us.
 */

/** RFC 6265bis: a user agent ignores a cookie whose name and value together exceed this. */
export const MAX_COOKIE_NAME_VALUE_BYTES = 4096;
/** RFC 6265bis: a user agent ignores any attribute whose value exceeds this. */
export const MAX_COOKIE_ATTRIBUTE_VALUE_BYTES = 1024;

/** The `SameSite` attribute values of RFC 6265bis §4.1.2.7. */
export type SameSite = 'Strict' | 'Lax' | 'None';

/** Everything `serializeSetCookie()` can put in one `Set-Cookie` header. */
export interface SetCookie {
  readonly name: string;
  readonly value: string;
  /**
   * Lifetime in whole seconds, counted from when the browser receives the header.
   * - absent: no `Max-Age`; with no `expires` either, this is a *session cookie* that the browser
   *   drops when it closes (Flask calls this a non-permanent session; we say "volatile");
   * - 0: the browser deletes the cookie at once (RFC 6265 §5.2.2: zero or less means "expired");
   * - > 0: the browser keeps the cookie that many seconds, even across restarts ("permanent").
   * Negative numbers are refused: they mean the same as 0, and one spelling is easier to test.
   */
  readonly maxAge?: number;
  /** Absolute expiry, for old browsers that ignore `Max-Age` (which wins where both are known). */
  readonly expires?: Date;
  readonly domain?: string;
  readonly path?: string;
  readonly secure?: boolean;
  readonly httpOnly?: boolean;
  readonly sameSite?: SameSite;
  /** CHIPS: store the cookie per top-level site. Browsers require `Secure` with it. */
  readonly partitioned?: boolean;
}

/** A `SetCookie` that the grammar does not allow: the message names the field and the value. */
export class InvalidCookieError extends Error {
  override name = 'InvalidCookieError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A cookie a browser would silently drop because it is too large. Its own class, because the
 * session layer turns exactly this error into a page that tells the user what happened.
 */
export class CookieTooLargeError extends InvalidCookieError {
  override name = 'CookieTooLargeError';
  constructor(
    field: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(field, `cookie ${field} is ${bytes} bytes; browsers drop cookies whose ${field} exceeds ${limit} bytes`);
  }
}

// token = 1*tchar (RFC 9110 §5.6.2, which RFC 6265 §4.1.1 cites as RFC 2616 §2.2)
// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
//       / DIGIT / ALPHA
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )
// cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
//   (US-ASCII characters excluding CTLs, whitespace, DQUOTE, comma, semicolon and backslash)
const COOKIE_VALUE = /^(?:[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*|"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*")$/;

// domain-value = <subdomain> (RFC 1034 §3.5, as enhanced by RFC 1123 §2.1: labels may start with
// a digit). A leading dot is allowed: RFC 6265 §5.2.3 tells browsers to ignore it.
const DOMAIN = /^\.?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

// path-value = <any CHAR except CTLs or ";">. We also refuse a path that does not start with "/":
// RFC 6265 §5.2.4 makes a browser replace it with the default path, which is never what was meant.
const PATH = /^\/[\x20-\x3A\x3C-\x7E]*$/;

/**
 * Reads a `Cookie` request header into a map of cookie names to values.
 *
 * RFC 6265 §4.2.1: cookie-string = cookie-pair *( ";" SP cookie-pair ). We read it as leniently
 * as browsers write it: pairs are split on `;`, and names and values lose any spaces and tabs
 * around them (only those: see `trimWsp()`).
 * - A pair with no `=` or whose name is not a token is skipped, not fatal: one stray cookie set
 *   by some script on the same site must not make the whole header (and the session) unreadable.
 * - When a name repeats, the first value wins. RFC 6265 §5.4 step 2 has browsers send cookies
 *   with longer paths first, so the first is the most specific one; later ones are shadowed.
 * - Surrounding double quotes are removed (the quoted form of cookie-value); the value is
 *   otherwise returned as sent. Checking its contents is the job of whoever owns the cookie.
 */
export function parseCookieHeader(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header === undefined) return cookies;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals === -1) continue;
    const name = trimWsp(pair.slice(0, equals));
    if (!TOKEN.test(name) || cookies.has(name)) continue;
    cookies.set(name, cookieValue(pair.slice(equals + 1)));
  }
  return cookies;
}

/**
 * The value of one cookie in a `Cookie` header, read by the rules of `parseCookieHeader()` (the
 * first pair with that name wins, quotes are removed), or `undefined` if it was not sent.
 *
 * The session layer and the CSRF check each want one cookie of every request; building the whole
 * map for that took a tenth of a request's time (profile of GET / with a session, npm run bench).
 * This walks the header once and copies out only the value asked for. `name` must be a token, as
 * every cookie name we set is; a test checks both functions agree on every header in its table.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    // Looked for within the pair only: searching the rest of the header for each pair would
    // make a header of many `;` without `=` cost time quadratic in its length.
    const pair = header.slice(start, end);
    const equals = pair.indexOf('=');
    if (equals !== -1 && trimWsp(pair.slice(0, equals)) === name) return cookieValue(pair.slice(equals + 1));
    start = end + 1;
  }
  return undefined;
}

/** A value as sent, without the WSP around it or the double quotes of its quoted form (RFC 6265 §4.1.1). */
function cookieValue(sent: string): string {
  const value = trimWsp(sent);
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/**
 * `text` without the WSP at either end: RFC 6265 §5.2 has a browser remove "any leading or trailing
 * WSP characters" from a cookie's name and value, and WSP is SP / HTAB (RFC 5234 appendix B.1).
 *
 * Not `String.prototype.trim()`: it also removes U+00A0, U+FEFF, U+2028, U+3000, VT, FF and more.
 * Node reads header bytes as Latin-1, so a raw 0xA0 byte arrives as U+00A0. A browser stores
 * `Set-Cookie: \xA0__Host-session=…` even from plain HTTP, because to the browser that name does
 * not start with `__Host-`. `trim()` would read it back as `__Host-session`, and any page on the
 * same host (another port, plain HTTP) could log a visitor into the attacker's account: the
 * "cookie tossing" that the prefix exists to prevent (test/browser/cookie-tossing.test.ts).
 */
function trimWsp(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isWsp(text[start]!)) start++;
  while (end > start && isWsp(text[end - 1]!)) end--;
  return text.slice(start, end);
}

function isWsp(character: string): boolean {
  return character === ' ' || character === '\t';
}

/**
 * A date as `Expires` wants it: `toUTCString()`, which writes whole seconds. Every permanent cookie
 * sent within one second carries the same date, and formatting it took a tenth of re-signing a
 * permanent session (profile), so the last second's text is kept.
 */
function httpDate(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== lastHttpDate.second) lastHttpDate = { second, text: date.toUTCString() };
  return lastHttpDate.text;
}
let lastHttpDate = { second: NaN, text: '' };

/**
 * Writes one `Set-Cookie` header value, following RFC 6265 §4.1.1:
 *   set-cookie-string = cookie-pair *( ";" SP cookie-av )
 * Every part is checked before it is written; an invalid one throws `InvalidCookieError` (or
 * `CookieTooLargeError`) and nothing is returned, so a half-valid header can never be sent.
 */
export function serializeSetCookie(cookie: SetCookie): string {
  // cookie-pair = cookie-name "=" cookie-value
  if (!TOKEN.test(cookie.name)) {
    throw new InvalidCookieError('name', `cookie name must be an RFC 9110 token, got ${JSON.stringify(cookie.name)}`);
  }
  if (!COOKIE_VALUE.test(cookie.value)) {
    throw new InvalidCookieError(
      'value',
      `cookie value may hold only US-ASCII letters, digits and !#$%&'()*+-./:<=>?@[]^_\`{|}~, got ${JSON.stringify(cookie.value)}`,
    );
  }
  // Checked after the grammar, which guarantees ASCII, so string length equals byte length.
  // A browser drops an oversized cookie without a word, and the server would never learn that
  // the user's session was lost: refusing to send it is the only way to make the failure visible.
  const pairBytes = cookie.name.length + cookie.value.length;
  if (pairBytes > MAX_COOKIE_NAME_VALUE_BYTES) {
    throw new CookieTooLargeError('name and value', pairBytes, MAX_COOKIE_NAME_VALUE_BYTES);
  }
  checkNamePrefix(cookie);
  const parts = [`${cookie.name}=${cookie.value}`];

  if (cookie.maxAge !== undefined) {
    // max-age-av = "Max-Age=" non-zero-digit *DIGIT. We also allow 0, the standard way to delete
    // a cookie (RFC 6265 §5.2.2 defines what a browser does with it).
    if (!Number.isSafeInteger(cookie.maxAge) || cookie.maxAge < 0) {
      throw new InvalidCookieError('maxAge', `cookie maxAge must be a whole number of seconds >= 0, got ${cookie.maxAge}`);
    }
    parts.push(`Max-Age=${cookie.maxAge}`);
  }
  if (cookie.expires !== undefined) {
    // expires-av = "Expires=" sane-cookie-date, where sane-cookie-date = rfc1123-date (RFC 2616
    // §3.3.1), which is exactly what Date.prototype.toUTCString() produces.
    if (Number.isNaN(cookie.expires.getTime())) {
      throw new InvalidCookieError('expires', 'cookie expires must be a valid Date, got Invalid Date');
    }
    parts.push(`Expires=${httpDate(cookie.expires)}`);
  }
  if (cookie.domain !== undefined) {
    checkAttribute('domain', cookie.domain, DOMAIN, 'a host name such as example.com');
    parts.push(`Domain=${cookie.domain}`);
  }
  if (cookie.path !== undefined) {
    checkAttribute('path', cookie.path, PATH, 'a path that starts with "/" and has no ";" or control characters');
    parts.push(`Path=${cookie.path}`);
  }
  if (cookie.secure === true) parts.push('Secure');
  if (cookie.httpOnly === true) parts.push('HttpOnly');
  if (cookie.sameSite !== undefined) {
    if (cookie.sameSite !== 'Strict' && cookie.sameSite !== 'Lax' && cookie.sameSite !== 'None') {
      throw new InvalidCookieError('sameSite', `cookie sameSite must be Strict, Lax or None, got ${JSON.stringify(cookie.sameSite)}`);
    }
    // Browsers reject `SameSite=None` without `Secure` outright (RFC 6265bis §5.6.7.1 step 4).
    if (cookie.sameSite === 'None' && cookie.secure !== true) {
      throw new InvalidCookieError('sameSite', 'cookie sameSite None requires secure: true; browsers reject it otherwise');
    }
    parts.push(`SameSite=${cookie.sameSite}`);
  }
  if (cookie.partitioned === true) {
    if (cookie.secure !== true) {
      throw new InvalidCookieError('partitioned', 'cookie partitioned requires secure: true; browsers reject it otherwise');
    }
    parts.push('Partitioned');
  }
  return parts.join('; ');
}

/**
 * RFC 6265bis §4.1.3: browsers refuse a cookie named `__Secure-…` without `Secure`, and one named
 * `__Host-…` without `Secure`, with a `Domain`, or with a `Path` other than `/`. The prefix is a
 * promise a page script cannot fake, which is why it is worth using; we check it here so that a
 * misconfigured server fails at start instead of setting cookies that silently vanish.
 * Browsers compare the prefix case-insensitively.
 */
function checkNamePrefix(cookie: SetCookie): void {
  const name = cookie.name.toLowerCase();
  if (name.startsWith('__secure-') && cookie.secure !== true) {
    throw new InvalidCookieError('prefix', `cookie name ${JSON.stringify(cookie.name)} starts with __Secure-, which requires secure: true`);
  }
  if (name.startsWith('__host-') && (cookie.secure !== true || cookie.path !== '/' || cookie.domain !== undefined)) {
    throw new InvalidCookieError('prefix', `cookie name ${JSON.stringify(cookie.name)} starts with __Host-, which requires secure: true, path "/" and no domain`);
  }
}

function checkAttribute(field: string, value: string, grammar: RegExp, accepted: string): void {
  if (!grammar.test(value)) {
    throw new InvalidCookieError(field, `cookie ${field} must be ${accepted}, got ${JSON.stringify(value)}`);
  }
  if (value.length > MAX_COOKIE_ATTRIBUTE_VALUE_BYTES) {
    throw new CookieTooLargeError(field, value.length, MAX_COOKIE_ATTRIBUTE_VALUE_BYTES);
  }
}
