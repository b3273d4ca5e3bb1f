/**
 * The cookie lab's page (/lab): two editable cookies, each checked step by step, and the rules for
 * what the server sends back.
 *
 * What: `labPage()` returns the HTML of GET and POST /lab from a `LabView`: for Scratchpad's signed
 * cookie and for Flask's, the form (lab-form.ts), the cookie as checked with the changed parts
 * marked, every step of the check (lab.ts) with its verdict and a link to its line in the annotated
 * source, the library's own verdict beside it; then Flask's rules for `Set-Cookie`, applied to the
 * visitor's session. `findLabLinks()` finds those lines once, at start, by their code; unlike the
 * other pages' links, a step whose code has moved away only loses its link (the server still starts).
 *
 * Why: a learner who changes `alice` to `admin` should see that the payload still decodes, that
 * the HMAC step refuses it, and the line of code that does; and, changing nothing, that the same
 * steps let their own cookie through.
 *
 * Everything shown goes through the `html` tag (html.ts), the cookie above all: it is whatever the
 * learner typed. The page has no script; its buttons are plain form submissions.
 *
 * Spec: HTML Living Standard §4.10 (forms: a button's name and value are sent only for the button
 * that submitted the form; a textarea's first newline is not part of its value).
 *
 * Not here: the checks (lab.ts), reading and rebuilding the form (lab-form.ts).
 *
 * Read next: username-limit.ts, then app.ts, which serves the lab.
 */
import { formatSeconds } from '../index.js';
import type { CookieKind } from './cookie-parts.js';
import { html, type Html, page } from './html.js';
import type { LabForm, LabSection } from './lab-form.js';
import type { CheckStep, ResponseRule, StepName, Walkthrough } from './lab.js';
import { codeLink, SOURCE_NAV } from './pages.js';
import { SourceLinkError, type SourceLibrary } from './source.js';

/** Lines of the annotated source behind each step; a step whose code could not be found has none. */
export interface LabLinks {
  readonly native: Partial<Record<StepName, string>>;
  readonly flask: Partial<Record<StepName, string>>;
  readonly whenToSend: string | null;
}

export interface LabView {
  readonly csrfToken: string;
  readonly cookieName: string;
  /** The session cookie this request carried (null: none), and why the server refused it (null: it did not). */
  readonly sent: { readonly value: string | null; readonly rejection: string | null };
  /** The kind of cookie this server writes. */
  readonly kind: CookieKind;
  readonly sections: readonly LabSection[];
  readonly rules: readonly ResponseRule[];
  readonly lifetimeSeconds: number;
  readonly links: LabLinks | null;
}

export function labPage(view: LabView): string {
  const sent =
    view.sent.value === null
      ? html`no session cookie`
      : view.sent.rejection === null
        ? html`a session cookie that the server accepted`
        : html`a session cookie that the server <span class="error">rejected</span> (${view.sent.rejection})`;
  return page('Cookie lab', html`<h1>Cookie lab</h1>
<p>Change a session cookie and watch the server check it, step by step, in the order its code does. Try to become <code>admin</code>: the signature is what stops you.</p>
<p>With this request your browser sent ${sent}. This page reads it and never sends one back: nothing you do here changes your session.</p>
${view.sections.map((section, index) => sectionHtml(section, index + 1, view))}
${rulesHtml(view)}
<p><a href="/">Back to the start page</a></p>
${view.links === null ? html`` : SOURCE_NAV}`);
}

function sectionHtml(section: LabSection, number: number, view: LabView): Html {
  const { form, cookie, walkthrough, checkedAt } = section;
  const marked = cookie.parts.map((part, index) => html`${index === 0 ? '' : '.'}${part.changed ? html`<mark>${part.text}</mark>` : html`${part.text}`}`);
  const changed = cookie.parts.some((part) => part.changed);
  const later = form.daysLater === 0 ? html`` : html`<p class="note">Checked as if it were ${new Date(checkedAt).toUTCString()}: ${form.daysLater} days from now.</p>`;
  return html`<section id="${form.format}">
<h2>${number}. ${form.format === 'native' ? 'Scratchpad\'s signed cookie' : 'Flask\'s cookie'}</h2>
${prose(whose(form, view.kind))}
${formHtml(form, view)}
<h3>${section.submitted ? 'The cookie you sent to the lab' : 'The cookie, as it is'}</h3>
<p class="raw"><code>${marked}</code></p>
${changed ? html`<p class="note">Highlighted: the parts you changed, encoded as the format encodes them; the others are exactly as they were.</p>` : html``}
${later}
<ol class="steps">
${walkthrough.steps.map((step) => stepHtml(step, view.links?.[form.format][step.name] ?? null))}
</ol>
${verdictHtml(section)}
</section>`;
}

/** Whose cookie a section shows, and why: the visitor's own, or an example. */
function whose(form: LabForm, kind: CookieKind): string {
  if (form.source === 'yours') return 'This is your own session cookie, exactly as your browser sent it with this request, checked with the server\'s keys.';
  const examples = ' Examples are signed with keys of the lab\'s own, derived from the secret key but never the keys that sign sessions: the lab makes nothing that this server, or a Flask application sharing its key, would accept as a session.';
  const ownFormat = kind === (form.format === 'native' ? 'signed' : 'flask');
  if (ownFormat) return `Your browser sent no session cookie, so this is an example. Log in to try your own.${examples}`;
  if (form.format === 'flask') return `This server does not write Flask's format (\`SESSION_COOKIE_FORMAT=flask\`), so this is your session as Flask would write it.${examples}`;
  const why = {
    id: 'Your own cookie holds only a signed session id (the data is in the store), so there is no username in it to change; it goes through steps 1 to 6 exactly as below, and then its id is looked up in the store.',
    sealed: 'Your own cookie is encrypted (`SESSION_COOKIE_ENCRYPT=true`): there is nothing readable in it to change, and changing any character makes AES-GCM\'s tag check refuse it.',
    flask: 'This server writes Flask\'s format (below).',
    signed: '',
  }[kind];
  return `${why} So this is your session as a signed cookie.${examples}`;
}

function formHtml(form: LabForm, view: LabView): Html {
  const days = Math.floor(view.lifetimeSeconds / 86400) + 1;
  return html`<form class="lab" method="post" action="/lab#${form.format}">
<input type="hidden" name="csrf_token" value="${view.csrfToken}">
<input type="hidden" name="format" value="${form.format}">
<input type="hidden" name="source" value="${form.source}">
<input type="hidden" name="original" value="${form.original}">
<label>Payload, decoded to JSON <textarea name="payload" rows="4" spellcheck="false">
${form.payload}</textarea></label>
<label>Timestamp, in seconds since 1970 <input type="text" name="timestamp" value="${form.timestamp}" spellcheck="false"></label>
<label>Signature <input type="text" name="signature" value="${form.signature}" spellcheck="false"></label>
<label>Check it <input type="number" name="days_later" value="${form.daysLater}" min="0" max="3650"> days from now</label>
<p class="note">The timestamp is signed too: changing it breaks the signature. To see the age check refuse a genuine cookie, let time pass instead.</p>
<p class="buttons"><button type="submit" name="edit" value="check">Check this cookie</button></p>
<p class="buttons">Or change one thing and check:
<button type="submit" name="edit" value="admin">username: admin</button>
<button type="submit" name="edit" value="permanent">permanent flipped</button>
<button type="submit" name="edit" value="signature">one signature character changed</button>
<button type="submit" name="edit" value="later">${days} days from now</button></p>
</form>`;
}

function stepHtml(step: CheckStep, link: string | null): Html {
  const status = step.status === 'refused' ? html`<span class="status">refused: ${step.error}</span>` : html`<span class="status">${step.status}</span>`;
  const found = step.found === '' ? html`` : html`<p class="found">${step.found}</p>`;
  const code = link === null ? html`` : html`<p>${codeLink(link, 'the code of this step')}</p>`;
  return html`<li class="step ${step.status === 'not reached' ? 'skipped' : step.status}"><p><strong>${step.title}</strong> ${status}</p>
<p>${prose(step.checks)}</p>
${found}${code}</li>`;
}

function verdictHtml({ form, walkthrough, verdict }: LabSection): Html {
  const refused = walkthrough.refusedAt;
  const number = walkthrough.steps.findIndex((step) => step.name === refused) + 1;
  const mine = refused === null
    ? html`<p class="verdict accepted"><strong>Accepted</strong>: every step passed.</p>`
    : html`<p class="verdict refused"><strong>Refused</strong> at step ${number}: ${walkthrough.steps[number - 1]!.title}.</p>`;
  const library = form.format === 'native' ? html`<code>Signer.verify()</code>, then <code>CookieSessionInterface.open()</code>` : html`<code>FlaskCookieCodec.decode()</code>`;
  const theirs = verdict.accepted
    ? html`accepted, opening a session that holds <code>${JSON.stringify(verdict.data)}</code>`
    : html`refused (${verdict.reason ?? ''})`;
  const disagree = agrees(walkthrough, verdict.accepted)
    ? html``
    : html`<p class="error">The walkthrough and the library disagree: that is a bug in lab.ts. The library's verdict is the one the server acts on.</p>`;
  return html`${mine}
<p class="note">The library's own verdict, from ${library}: ${theirs}.</p>
${disagree}`;
}

function agrees(walkthrough: Walkthrough, accepted: boolean): boolean {
  return (walkthrough.refusedAt === null) === accepted;
}

function rulesHtml(view: LabView): Html {
  const store = view.kind === 'id';
  return html`<section id="response">
<h2>3. What the server sends back</h2>
<p>The other half of a session: after the handler, the server decides whether the response carries <code>Set-Cookie</code>. These are Flask's rules, in order; the first that applies decides. Marked: the one that decides for your session as it is now, on a request that changes nothing (as <code>GET /</code> does).</p>
<ol class="rules">
${view.rules.map((rule) => html`<li${rule.decides ? html` class="decides"` : html``}><strong>${rule.when}</strong> ${rule.then}${rule.decides ? html` <em>(your session now)</em>` : html``}</li>`)}
</ol>
<p class="note">${store ? 'With a server-side session the cookie holds only the id, so it changes at login (a new id) and at logout (deleted); the record in the store changes with the data.' : 'With a cookie session, every change to the data is a new cookie.'} This page is the exception to the rules: it only reads your session and never saves it, so it sends no session cookie at all.</p>
${view.links?.whenToSend ? html`<p>${codeLink(view.links.whenToSend, 'The code that applies these rules')}.</p>` : html``}
<p class="note">The lifetime these pages check against: PERMANENT_SESSION_LIFETIME, ${formatSeconds(view.lifetimeSeconds)}.</p>
</section>`;
}

/** Text with `backticks` around code, as the lab's fixed texts are written (never text from a cookie). */
function prose(text: string): Html {
  return html`${text.split('`').map((piece, index) => (index % 2 === 1 ? html`<code>${piece}</code>` : html`${piece}`))}`;
}

/**
 * The lines behind the lab's steps, found by code that names the step itself (the constant-time
 * comparison, the age check), so that they survive the code moving around them. A step whose code
 * is no longer found loses its link and nothing else: the lab is a guide, not a check on the docs.
 */
export function findLabLinks(library: SourceLibrary, serverSide: boolean): LabLinks {
  const find = (path: string, code: string): string | undefined => {
    try {
      return library.link(path, code);
    } catch (error) {
      if (error instanceof SourceLinkError) return undefined;
      throw error;
    }
  };
  const steps = (path: string, codes: Partial<Record<StepName, string>>): Partial<Record<StepName, string>> =>
    Object.fromEntries(Object.entries(codes).flatMap(([step, code]) => {
      const link = find(path, code);
      return link === undefined ? [] : [[step, link]];
    }));
  const signer = steps('signing/signer.ts', {
    length: 'value.length > MAX_SIGNED_VALUE_LENGTH',
    split: "value.split('.')",
    timestamp: 'TIMESTAMP_PATTERN.test(',
    decode: 'export function decodeCanonicalBase64url(',
    signature: 'timingSafeEqual(',
    age: 'export function checkAge(',
  });
  return {
    native: { ...signer, ...steps('session/cookie-session.ts', { payload: 'function decodePayload(' }), ...steps('session/session.ts', { absolute: 'export function absoluteLifetimeExceeded(' }) },
    flask: steps('session/flask-codec.ts', {
      length: 'value.length > MAX_COOKIE_LENGTH',
      split: "value.lastIndexOf('.', signatureDot - 1)",
      decode: 'decodeCanonicalBase64url(value.slice(signatureDot + 1)',
      signature: 'timingSafeEqual(',
      age: 'if (age > maxAgeSeconds)',
      payload: 'function parseSessionJson(',
    }),
    whenToSend: (serverSide ? find('session/server-session.ts', 'async #save(') : find('session/cookie-session.ts', '#setCookieFor({')) ?? null,
  };
}
