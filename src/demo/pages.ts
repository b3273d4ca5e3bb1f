/**
 * Pages: the HTML of the demo, built from escaped pieces only.
 *
 * What: `indexPage()`, `loginPage()` and `errorPage()` return complete HTML documents. The index
 * page carries the *session inspector*: what the server saw in the session cookie of this request.
 *
 * Why: the learner should see the mechanism, not only its effect. "Logged in as alice" is the
 * effect; the inspector shows the cookie's size against the 4096-byte limit, whether it is volatile
 * or permanent, when it expires, and the decoded data, which makes the point that a signed
 * cookie is readable by its holder.
 *
 * Every value that did not come from this file goes through `escapeHtml()` (the `html` tag of
 * html.ts), including data we think we control: the session's own JSON holds what a user typed.
 *
 * The fixed text is kept within ASCII (`&ldquo;` and `&middot;`, not “ and ·): a page that is all
 * ASCII is one byte per character in V8 and goes to the socket as it is, while a single `·` made
 * Node transcode the whole 2.4 KB page to UTF-8 on every response; the same page with the same
 * headers served 35,000 instead of 45,000 requests/s (wrk, one core). A test keeps it ASCII.
 *
 * Spec: HTML Living Standard (forms §4.10, the `<input type=checkbox>` default value "on").
 *
 * Not here: templates, JavaScript. The pages work with scripts off.
 *
 * Read next: app.ts, which decides which page to show.
 */
import { BoundedMap, formatSeconds, type IncomingCookie, type JsonValue, type SessionInspection } from '../index.js';
import { html, Html, page } from './html.js';

/**
 * A date as HTTP and people read it. Neither this nor anything else in a page is kept on its own:
 * whole index pages are (indexPage), and a page is rendered again only for inputs not seen lately.
 */
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

function codeLink(href: string, text: string): Html {
  return html`<a class="code-link" href="${href}">${text}</a>`;
}

const SOURCE_NAV = html`<nav>How does this work? <a href="/source">Read the source</a>, in the order it is meant to be read.</nav>`;

/** What the inspector shows: everything here is read by the server from this request. */
export interface InspectorView {
  readonly cookieName: string;
  readonly incoming: IncomingCookie;
  readonly permanent: boolean;
  readonly lifetimeSeconds: number;
  /** Where the session is kept, and when the browser will drop the cookie. */
  readonly storage: SessionInspection;
  readonly data: Readonly<Record<string, JsonValue>>;
  /** Links to the code behind the inspector's rows; omitted without the source view. */
  readonly source?: SourceLinks | null;
}

/**
 * The index page; `csrfToken` goes into the log-out form.
 *
 * A browser with a session asks for this page again and again with the same cookies, so the same
 * page comes out: whole pages are kept, by everything they show (`indexPageKey`). Rendering one takes
 * about 6 µs, and Node then had to flatten the string of a hundred pieces before writing it, another
 * 1.7 µs (in-process timings); a kept page is flattened by its first write and stays flat. With
 * pages kept, the server answered 11 % more GET / with a session (this version and the one before
 * under the same wrk load at once, on one core, five runs each way). Bounded like every memo: the
 * largest page and key measured, for a username of 3,000 quotation marks (escaped in the greeting,
 * and again in the data) or of 3,000 emoji (two bytes a character), take about 55 KB together, so
 * the 256 kept pages hold under 15 MB at worst, and a few hundred KB for names of usual length.
 */
export function indexPage(username: string | null, inspector: InspectorView, csrfToken = ''): string {
  const key = indexPageKey(username, inspector, csrfToken);
  let kept = indexPages.get(key);
  if (kept === undefined) {
    kept = renderIndexPage(username, inspector, csrfToken);
    indexPages.set(key, kept);
  }
  return kept;
}

const indexPages = new BoundedMap<string, string>(256);

/**
 * Every input of the index page, in one string: two keys are equal only if everything the page
 * shows is. Text is written as its length and itself (`5:alice`), so no value can run into the next
 * one whatever it contains; numbers, flags and dates cannot contain the space between fields.
 * (JSON.stringify of the same list took 1 µs, half of what rendering takes.) A field added to
 * `InspectorView` must be added here: a test changes each field of a view in turn and checks that
 * the key changes with it.
 */
export function indexPageKey(username: string | null, view: InspectorView, csrfToken: string): string {
  const { incoming, storage, source } = view;
  const links = source ? `${text(source.setCookie)}${text(source.volatileOrPermanent)}${text(source.whenToSend)}${text(source.formParser)}` : '-';
  return `${text(username)} ${text(csrfToken)} ${text(view.cookieName)} ${incoming.present} ${incoming.bytes} ${text(incoming.rejection)} ${time(incoming.signedAt)} ${incoming.keyIndex} ${view.permanent} ${view.lifetimeSeconds} ${text(storage.type)} ${storage.cookieHolds} ${storage.protection} ${storage.storedBytes} ${time(storage.cookieExpiry)} ${text(JSON.stringify(view.data))} ${links}`;
}

function text(value: string | null): string {
  return value === null ? '-' : `${value.length}:${value}`;
}

function time(date: Date | null): string {
  return date === null ? '-' : String(date.getTime());
}

function renderIndexPage(username: string | null, inspector: InspectorView, csrfToken: string): string {
  const greeting =
    username === null
      ? html`<p>You are not logged in</p><p><a href="/login">Log in</a></p>`
      : html`<p>Logged in as <strong>${username}</strong></p>
<form class="inline" method="post" action="/logout"><input type="hidden" name="csrf_token" value="${csrfToken}"><button type="submit">Log out</button></form>
<span class="note">(or <a href="/logout">GET /logout</a>, as in Flask's example)</span>`;
  return page('Home', html`<h1>Scratchpad</h1>
${greeting}
${inspectorSection(inspector)}
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
  const stored = storedCell(storage);
  const kind = view.permanent
    ? html`<strong>permanent</strong>: <code>Max-Age=${lifetimeSeconds}</code> (${lifetime(lifetimeSeconds)}), so the browser keeps it until ${storage.cookieExpiry === null ? 'its lifetime ends' : utcDate(storage.cookieExpiry)}, across restarts`
    : html`<strong>volatile</strong>: no <code>Max-Age</code> or <code>Expires</code>, so the browser drops it when it closes (and the server refuses it after ${lifetime(lifetimeSeconds)} in any case)`;
  const source = view.source;
  const code = source ? codeRow(source) : html``;
  const notes = inspectorNotes(lifetimeSeconds, storage);
  return html`<h2>What the server sees</h2>
<table>
<tr><th>Session cookie</th><td>${received}</td></tr>
${signed}
<tr><th>Data kept</th><td>${stored}</td></tr>
<tr><th>Kind</th><td>${kind}</td></tr>
<tr><th>Decoded data</th><td><pre>${JSON.stringify(view.data, null, 2)}</pre></td></tr>
${code}
</table>
${notes}`;
}

function codeRow(source: SourceLinks): Html {
  return html`<tr><th>The code</th><td>${codeLink(source.whenToSend, 'when a response sends the cookie')} &middot; ${codeLink(source.volatileOrPermanent, 'volatile or permanent: the line that decides')} &middot; ${codeLink(source.setCookie, 'how the Set-Cookie header is written')}</td></tr>`;
}

function storedCell(storage: SessionInspection): Html {
  if (storage.cookieHolds === 'id') {
    return html`on the server, in the <code>${storage.type}</code> store (${storage.storedBytes ?? 0} bytes); the cookie holds only a signed session id`;
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

/** `raisedAt`: a link to the line of the check that refused the request, when it is known. */
export function errorPage(status: number, message: string, raisedAt: string | null = null): string {
  return page(`Error ${status}`, html`<h1>Error ${status}</h1>
<p>${message}</p>
${raisedAt === null ? html`` : html`<p class="note">${codeLink(raisedAt, 'The check that refused this request')}, in the annotated source.</p>`}
<p><a href="/">Back to the start page</a></p>`);
}
