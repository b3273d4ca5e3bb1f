/**
 * Pages: the HTML of the demo, built from escaped pieces only.
 *
 * What: `indexPage()`, `loginPage()` and `errorPage()` return complete HTML documents. The index
 * page carries the *session inspector*: what the server saw in the session cookie of this request,
 * and the cookie itself, cut into its parts (cookie-parts.ts), each one explained and decoded.
 *
 * Why: the learner should see the mechanism, not only its effect. "Logged in as alice" is the
 * effect; the inspector shows the cookie's size against the 4096-byte limit, whether it is volatile
 * or permanent, when it expires, and the cookie's own bytes: the payload decoded to the very JSON the
 * server signed (which makes the point that a signed cookie is readable by its holder), the
 * timestamp as a date, and what the signature covers. For a rejected cookie, the part that failed.
 *
 * Every value that did not come from this file goes through `escapeHtml()` (the `html` tag of
 * html.ts), including data we think we control: the session's own JSON holds what a user typed,
 * and a rejected cookie holds whatever anyone sent.
 *
 * Showing the cookie's value in the page gives up part of what `HttpOnly` is for: a script running
 * in the page could read it from the text instead of from `document.cookie`. The demo can afford
 * that because its Content-Security-Policy lets no script run at all, and its pages are never
 * stored by a cache (`no-store`); an application that is not a lesson should not print its
 * session cookie.
 *
 * The fixed text is kept within ASCII (`&ldquo;` and `&middot;`, not “ and ·): a page that is all
 * ASCII is one byte per character in V8 and goes to the socket as it is, while a single `·` made
 * Node transcode the whole 2.4 KB page to UTF-8 on every response; the same page with the same
 * headers served 35,000 instead of 45,000 requests/s (wrk, one core). A test keeps it ASCII.
 *
 * These functions render every time they are called. Keeping whole index pages for a browser that
 * asks again is a separate module that wraps `indexPage()`: kept-pages.ts, in the last chapter.
 *
 * Spec: HTML Living Standard (forms §4.10, the `<input type=checkbox>` default value "on").
 *
 * Not here: templates, JavaScript (the pages work with scripts off), the cookie lab's page (lab-page.ts).
 *
 * Read next: lab.ts, the cookie lab these pages link to.
 */
import { formatSeconds, type IncomingCookie, type JsonValue, type SessionInspection } from '../index.js';
import { cookieKind, readCookieParts, type CookieKind, type CookiePart } from './cookie-parts.js';
import { html, Html, page } from './html.js';

/** A date as HTTP and people read it. */
function utcDate(date: Date): Html {
  return html`${date.toUTCString()}`;
}

/** A lifetime in seconds as people read it: "31 d". */
function lifetime(seconds: number): Html {
  return html`${formatSeconds(seconds)}`;
}

/**
 * Where the demo's pages point into the annotated source (source.ts finds each line by its code,
 * so the links follow the code when it moves). Absent when the server runs without its sources.
 */
export interface SourceLinks {
  /** The function that writes a `Set-Cookie` header. */
  readonly setCookie: string;
  /** The line that gives a permanent cookie `Max-Age` and a volatile one none. */
  readonly volatileOrPermanent: string;
  /** Where the session layer decides whether this response sends a cookie at all. */
  readonly whenToSend: string;
  /** The parser that read the login form. */
  readonly formParser: string;
}

export function codeLink(href: string, text: string): Html {
  return html`<a class="code-link" href="${href}">${text}</a>`;
}

export const SOURCE_NAV = html`<nav>How does this work? <a href="/source">Read the source</a>, in the order it is meant to be read.</nav>`;

/** What the inspector shows: everything here is read by the server from this request. */
export interface InspectorView {
  readonly cookieName: string;
  readonly incoming: IncomingCookie;
  /** The session cookie's value exactly as the server read it from the Cookie header; null when none was sent. */
  readonly cookieValue: string | null;
  /** SESSION_COOKIE_FORMAT: how a cookie session is written (Scratchpad's own, or Flask's). */
  readonly format: 'native' | 'flask';
  /** The request's time in whole seconds since the epoch: how old the cookie's timestamp is. */
  readonly nowSeconds: number;
  readonly permanent: boolean;
  readonly lifetimeSeconds: number;
  /** SESSION_ABSOLUTE_LIFETIME, counted from the login the payload records. */
  readonly absoluteLifetimeSeconds: number;
  /** Where the session is kept (server-side: the record as the store keeps it), and when the browser will drop the cookie. */
  readonly storage: SessionInspection;
  readonly data: Readonly<Record<string, JsonValue>>;
  /** Links to the code behind the inspector's rows; omitted without the source view. */
  readonly source?: SourceLinks | null;
}

/** The index page; `csrfToken` goes into the log-out form. */
export function indexPage(username: string | null, inspector: InspectorView, csrfToken = ''): string {
  const greeting =
    username === null
      ? html`<p>You are not logged in</p><p><a href="/login">Log in</a></p>`
      : html`<p class="greeting">Logged in as <strong>${username}</strong></p>
<form class="inline" method="post" action="/logout"><input type="hidden" name="csrf_token" value="${csrfToken}"><button type="submit">Log out</button></form>
<span class="note">(or <a href="/logout">GET /logout</a>, as in Flask's example)</span>`;
  return page('Home', html`<h1>Scratchpad</h1>
${greeting}
${inspectorSection(inspector)}
${cookieSection(inspector)}
<p class="note">Change a cookie and watch the server check it, step by step: <a href="/lab">the cookie lab</a>.</p>
${inspector.source ? SOURCE_NAV : html``}`);
}

function inspectorSection(view: InspectorView): Html {
  const { incoming, storage, lifetimeSeconds } = view;
  const received = !incoming.present
    ? html`no: this browser sent no <code>${view.cookieName}</code> cookie`
    : incoming.rejection !== null
      ? html`yes, ${incoming.bytes} bytes, but <span class="error">rejected</span>: ${incoming.rejection}. The server treats it as no session.`
      : html`yes, ${incoming.bytes} of the 4096 bytes a browser keeps for one cookie`;
  const signed = incoming.signedAt === null ? html`` : html`<tr><th>Signed at</th><td>${utcDate(incoming.signedAt)}</td></tr>`;
  const kind = view.permanent
    ? html`<strong>permanent</strong>: <code>Max-Age=${lifetimeSeconds}</code> (${lifetime(lifetimeSeconds)}), so the browser keeps it until ${storage.cookieExpiry === null ? 'its lifetime ends' : utcDate(storage.cookieExpiry)}, across restarts`
    : html`<strong>volatile</strong>: no <code>Max-Age</code> or <code>Expires</code>, so the browser drops it when it closes (and the server refuses it after ${lifetime(lifetimeSeconds)} in any case)`;
  const code = view.source ? codeRow(view.source) : html``;
  return html`<h2>What the server sees</h2>
<table class="facts">
<tr><th>Session cookie</th><td>${received}</td></tr>
${signed}
<tr><th>Data kept</th><td>${storedCell(storage)}</td></tr>
<tr><th>Kind</th><td>${kind}</td></tr>
${dataRow(view)}
${code}
</table>
${inspectorNotes(lifetimeSeconds, storage)}`;
}

/**
 * The session's data as the server holds it: decoded (or decrypted) from the cookie, or, for a
 * server-side session, the record exactly as the store keeps it. Nothing is decoded from a cookie
 * that holds only an id, so that row must not say so.
 */
function dataRow(view: InspectorView): Html {
  if (view.storage.cookieHolds === 'id') {
    const record = view.storage.storedRecord === null
      ? html`none: the store has no session for this browser`
      : html`<pre>${view.storage.storedRecord}</pre><span class="note">The JSON text the <code>${view.storage.type}</code> store keeps under the session id${view.storage.type === 'filesystem' ? ' (its file holds it beside its time to live)' : ''}: <code>version</code> counts its writes (for compare-and-set), <code>createdAt</code> is the login.</span>`;
    return html`<tr><th>Record in the store</th><td>${record}</td></tr>`;
  }
  const label = view.storage.protection === 'encrypted' ? 'Decrypted data' : 'Decoded data';
  return html`<tr><th>${label}</th><td><pre>${JSON.stringify(view.data, null, 2)}</pre></td></tr>`;
}

/**
 * The cookie itself: its value exactly as the browser sent it, cut at its dots, each part explained
 * and decoded (cookie-parts.ts). For a rejected cookie, the part that failed says why.
 */
function cookieSection(view: InspectorView): Html {
  if (view.cookieValue === null) return html``;
  const kind = cookieKind(view.format, view.storage);
  const parts = readCookieParts(view.cookieValue, kind);
  const failed = failedPart(view.incoming.rejection, kind, parts);
  const raw = parts.map((part, index) => html`${index === 0 ? '' : '.'}<span class="part${index + 1}">${part.text}</span>`);
  return html`<h2>The cookie itself</h2>
<p>Exactly as the browser sent it, after <code>${view.cookieName}=</code>:</p>
<p class="raw"><code>${raw}</code></p>
${failed === null && view.incoming.rejection !== null ? html`<p class="error">Refused as a whole: ${view.incoming.rejection}</p>` : html``}
<table class="facts parts">
${parts.map((part, index) => partRow(part, index, kind, view, failed === part.role))}
</table>`;
}

function partRow(part: CookiePart, index: number, kind: CookieKind, view: InspectorView, failed: boolean): Html {
  const problem = part.problem === null ? html`` : html`<p class="error">Does not decode: ${part.problem}.</p>`;
  const refusal = failed ? html`<p class="error">The server refused the cookie here: ${view.incoming.rejection ?? ''}</p>` : html``;
  return html`<tr${failed ? html` class="failed"` : html``}><th><span class="part${index + 1}">${index + 1}. ${PART_NAMES[part.role]}</span></th><td><code>${part.text}</code>
${partMeaning(part, kind, view)}${problem}${refusal}</td></tr>`;
}

const PART_NAMES: Readonly<Record<CookiePart['role'], string>> = {
  payload: 'Payload',
  id: 'Session id',
  timestamp: 'Timestamp',
  signature: 'Signature',
  version: 'Version',
  sealed: 'Sealed data',
  value: 'Value',
};

function partMeaning(part: CookiePart, kind: CookieKind, view: InspectorView): Html {
  switch (part.role) {
    case 'payload':
      // Decoded only once the server believed it: the library reads nothing from a refused cookie.
      if (view.incoming.rejection !== null) return html`<p>base64url of ${part.bytes ?? 0} bytes. Not decoded here: the server believes nothing in a cookie it refused. <a href="/lab">The lab</a> decodes it anyway, to show which check caught it.</p>`;
      return kind === 'flask' ? flaskPayload(part) : signedPayload(part, view);
    case 'id':
      return html`<p>base64url of ${part.bytes ?? 0} random bytes: the session's id, the key of its record in the store. Nobody can guess 256 random bits; the signature lets the server refuse a made-up id without asking the store.</p>`;
    case 'timestamp':
      return timestamp(part, kind, view);
    case 'signature':
      return kind === 'flask'
        ? html`<p>base64url of ${part.bytes ?? 0} bytes: HMAC-SHA1 over <code>PAYLOAD.TIMESTAMP</code>, keyed with HMAC-SHA1(SECRET_KEY, "cookie-session"), as Flask's itsdangerous computes it. Flask does not sign the cookie's name.${keyUsed(view)}</p>`
        : html`<p>base64url of ${part.bytes ?? 0} bytes: HMAC-SHA256 over <code>${view.cookieName}=PAYLOAD.TIMESTAMP</code> (the cookie's name, its ${kind === 'id' ? 'id' : 'payload'} and its timestamp), keyed with HMAC-SHA256(SECRET_KEY, "scratchpad.session"). Change one character of any of them and it no longer matches; making a new one takes the secret key.${keyUsed(view)}</p>`;
    case 'version':
      return html`<p>The format: AES-256-GCM with keys derived from SECRET_KEY through HKDF. The server refuses a format it does not know, so nothing can be downgraded to a weaker one.</p>`;
    case 'sealed':
      return sealedPieces(part);
    case 'value':
      return html``;
  }
}

function signedPayload(part: CookiePart, view: InspectorView): Html {
  if (part.decodedText === null) return html``;
  const envelope = parseObject(part.decodedText);
  const created = envelope?.['created'];
  const fields = envelope === null
    ? html``
    : html`<ul>
<li><code>permanent</code>: ${String(envelope['permanent'])}: ${envelope['permanent'] === true ? 'a permanent session, sent with Max-Age' : 'a volatile session, gone when the browser closes'}</li>
<li><code>created</code>: ${typeof created === 'number' ? html`the login, ${utcDate(new Date(created * 1000))}; SESSION_ABSOLUTE_LIFETIME (${lifetime(view.absoluteLifetimeSeconds)}) counts from here` : 'the login time'}</li>
<li><code>data</code>: what the application reads and writes (<code>session.get('username')</code>)</li>
</ul>`;
  return html`<p>base64url of ${part.bytes ?? 0} bytes, which decode to this JSON: signed, not hidden, so anyone holding the cookie reads it.</p>
<pre>${part.decodedText}</pre>${fields}`;
}

function flaskPayload(part: CookiePart): Html {
  if (part.decodedText === null) return html``;
  return html`<p>base64url of ${part.bytes ?? 0} bytes${part.compressed ? ' of zlib data (the leading dot says so), which inflate' : ', which decode'} to this JSON, as Python's <code>json.dumps</code> writes it. <code>"_permanent": true</code> is how Flask marks a permanent session; the rest is the session's data.</p>
<pre>${part.decodedText}</pre>`;
}

function timestamp(part: CookiePart, kind: CookieKind, view: InspectorView): Html {
  if (part.seconds === null) return html``;
  const age = view.nowSeconds - part.seconds;
  const written = kind === 'flask' ? html`base64url of ${part.bytes ?? 0} bytes, a big-endian number: ${part.seconds} seconds` : html`${part.seconds} seconds`;
  const when = age >= 0 ? html`${lifetime(age)} before this request` : html`${lifetime(-age)} in the future`;
  const covered = kind === 'sealed' ? 'It is authenticated with the ciphertext, not encrypted: the server reads it before decrypting.' : 'The signature covers it, so it cannot be moved.';
  return html`<p>${written} since 1970-01-01 UTC: ${utcDate(new Date(part.seconds * 1000))}, ${when}. The server refuses the cookie once this is older than PERMANENT_SESSION_LIFETIME (${lifetime(view.lifetimeSeconds)}), whatever the browser does. ${covered}</p>`;
}

function sealedPieces(part: CookiePart): Html {
  if (part.pieces.length === 0) return html``;
  const meaning = { nonce: 'random, new for every cookie: a nonce is never used twice with one key', ciphertext: 'the session\'s JSON <code>{permanent, created, data}</code>, encrypted: unreadable without the key', tag: 'GCM\'s authentication tag over the ciphertext and, unencrypted, the cookie\'s name, version and timestamp: it plays the signature\'s role' };
  return html`<p>base64url of ${part.bytes ?? 0} bytes, three pieces (each shown here in base64url on its own):</p>
<ul>${part.pieces.map((piece) => html`<li>${piece.name} (${piece.bytes} bytes) <code>${piece.text}</code>: ${new Html(meaning[piece.name])}</li>`)}</ul>`;
}

function keyUsed(view: InspectorView): Html {
  const { keyIndex } = view.incoming;
  if (keyIndex === null) return html``;
  return keyIndex === 0 ? html` It matched with the current key.` : html` It matched with fallback key ${keyIndex} (SECRET_KEY_FALLBACKS), so the server re-signs it with the current key.`;
}

/**
 * Which part a refusal is about, from the library's typed error (the name before the colon):
 * `null` when it is about the cookie as a whole (too long, wrong number of parts).
 */
function failedPart(rejection: string | null, kind: CookieKind, parts: readonly CookiePart[]): CookiePart['role'] | null {
  if (rejection === null) return null;
  const error = rejection.slice(0, rejection.indexOf(':'));
  const roles = new Set(parts.map((part) => part.role));
  const inside = kind === 'sealed' ? 'sealed' : kind === 'id' ? 'id' : 'payload';
  const byError: Record<string, CookiePart['role']> = {
    BadSignature: kind === 'sealed' ? 'sealed' : 'signature',
    SignatureExpired: 'timestamp',
    SignatureFromTheFuture: 'timestamp',
    MalformedSessionPayload: inside,
    MalformedSessionId: 'id',
    UnknownSession: 'id',
    SessionTooOld: inside,
  };
  const role = byError[error] ?? parts.find((part) => part.problem !== null)?.role ?? null;
  return role !== null && roles.has(role) ? role : null;
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function codeRow(source: SourceLinks): Html {
  return html`<tr><th>The code</th><td>${codeLink(source.whenToSend, 'when a response sends the cookie')} &middot; ${codeLink(source.volatileOrPermanent, 'volatile or permanent: the line that decides')} &middot; ${codeLink(source.setCookie, 'how the Set-Cookie header is written')}</td></tr>`;
}

function storedCell(storage: SessionInspection): Html {
  if (storage.cookieHolds === 'id') {
    const size = storage.storedBytes === null ? html`` : html` (${storage.storedBytes} bytes)`;
    return html`on the server, in the <code>${storage.type}</code> store${size}; the cookie holds only a signed session id`;
  }
  return storage.protection === 'encrypted'
    ? html`in the cookie itself (<code>SESSION_TYPE=cookie</code>), <strong>encrypted</strong> with AES-256-GCM (<code>SESSION_COOKIE_ENCRYPT=true</code>): the browser can neither read nor change it; only the server can`
    : html`in the cookie itself (<code>SESSION_TYPE=cookie</code>), <strong>signed</strong>: it cannot be changed, but whoever holds the cookie can read it`;
}

function inspectorNotes(lifetimeSeconds: number, storage: SessionInspection): Html {
  return html`<p class="note">A <em>volatile</em> session lives in a cookie without an expiry date: the browser forgets it when it closes.
Tick &ldquo;Remember me&rdquo; to make it <em>permanent</em>: the cookie then carries <code>Max-Age</code> and survives restarts for ${lifetime(lifetimeSeconds)}.</p>
${storage.cookieHolds === 'data' && storage.protection === 'signed' ? html`<p class="note">The data is signed, not encrypted: anyone holding the cookie can read it, but nobody without the secret key can change it.</p>` : html`<p class="note">The data never leaves the server, and logging out deletes it there: a copy of the old cookie is then worthless.</p>`}`;
}

export interface LoginForm {
  /** Goes into the hidden `csrf_token` field (see ../session/csrf.ts). */
  readonly csrfToken: string;
  readonly message?: string;
  readonly username?: string;
  readonly remember?: boolean;
  /** A local path to go to after login. */
  readonly next?: string;
  /** Links into the source view; omitted without it. */
  readonly source?: SourceLinks | null;
}

export function loginPage(form: LoginForm): string {
  const message = form.message === undefined ? html`` : html`<p class="error" role="alert">${form.message}</p>`;
  const checked = form.remember === true ? html` checked` : html``;
  return page('Log in', html`<h1>Log in</h1>
${message}
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="${form.csrfToken}">
<input type="hidden" name="next" value="${form.next ?? '/'}">
<label>Username <input type="text" name="username" value="${form.username ?? ''}" required autofocus></label>
<label><input type="checkbox" name="remember"${checked}> Remember me</label>
<button type="submit">Log in</button>
</form>
<p class="note">Without &ldquo;Remember me&rdquo; the session is volatile: it ends when the browser closes. With it, the session is permanent.</p>
${form.source ? html`<p class="note">When you press the button, the browser sends the form as <code>application/x-www-form-urlencoded</code>; ${codeLink(form.source.formParser, 'this is the parser that reads it')}.</p>` : html``}
<p><a href="/">Back</a></p>
${form.source ? SOURCE_NAV : html``}`);
}

/**
 * `raisedAt`: a link to the line of the check that refused the request, when it is known; `what`
 * names the failure after the status ("Error 413: session too large").
 */
export function errorPage(status: number, message: string, raisedAt: string | null = null, what: string | null = null): string {
  const heading = what === null ? `Error ${status}` : `Error ${status}: ${what}`;
  // The library words its messages to be embedded ("the session would be …", no final period); a
  // 413 page is read by someone whose login just failed, so it gets whole sentences.
  const text = status === 413 ? asSentence(message) : message;
  return page(heading, html`<h1>${heading}</h1>
<p>${text}</p>
${raisedAt === null ? html`` : html`<p class="note">${codeLink(raisedAt, 'The check that refused this request')}, in the annotated source.</p>`}
<p><a href="/">Back to the start page</a></p>`);
}

/** "the x; y" → "The x; y.": a capital first letter and a final full stop. */
function asSentence(message: string): string {
  const capitalised = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}
