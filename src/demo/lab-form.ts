/**
 * The cookie lab's form: a cookie laid out as editable, decoded parts, and the learner's edits
 * turned back into a cookie value for lab.ts to check.
 *
 * What: `CookieLab.sections()` gives the two forms of /lab (Scratchpad's signed cookie, Flask's),
 * each with its cookie checked step by step and by the library. A form holds the cookie's parts
 * decoded (the payload as JSON text, the timestamp as seconds, the signature as it is) and the value
 * they came from; `cookieFromForm()` rebuilds a value from them: a part the learner left alone is
 * sent exactly as it was, a changed part is encoded the way its format encodes it, which is what an
 * attacker editing their own cookie would do. `readLabForm()` reads a posted form and applies the
 * shortcut its button asks for (username `admin`, the permanent flag flipped, one character of the
 * signature changed, the check run a lifetime later).
 *
 * Why: base64url is not something to edit by hand; JSON is. And the edits worth trying are the ones
 * the signature exists to stop.
 *
 * Whose cookie, and whose keys: the visitor's own cookie, checked with the server's keys, when the
 * server writes that format and the browser sent one; otherwise an example, made from the visitor's
 * session data (or for "alice"), and signed with keys of the lab's own, derived from the secret keys
 * but never the ones that sign sessions. The lab signs nothing that this server, or a Flask
 * application sharing its key, would accept as a session. Editing a form never signs anything.
 *
 * Spec: RFC 4648 §5 (base64url), RFC 1950 (zlib, as Flask compresses).
 *
 * Not here: the checks (lab.ts), HTML (lab-page.ts).
 *
 * Read next: lab-page.ts.
 */
import { createHmac } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { FlaskCookieCodec, HttpError, SESSION_SALT, Signer, type FormFields, type Session, type SessionCookieSettings } from '../index.js';
import { decodeBase64url, flaskSeconds, inflatePayload, splitFlaskValue, type CookieKind } from './cookie-parts.js';
import { libraryVerdict, walkFlaskCookie, walkSignedCookie, type LabSettings, type LibraryVerdict, type Walkthrough } from './lab.js';

export type LabFormat = 'native' | 'flask';
export type LabEdit = 'check' | 'admin' | 'permanent' | 'signature' | 'later';

export interface LabForm {
  readonly format: LabFormat;
  /** The visitor's own cookie (checked with the server's keys) or an example (the lab's keys). */
  readonly source: 'yours' | 'example';
  /** The value before any edit. */
  readonly original: string;
  /** The payload decoded to text: JSON. */
  readonly payload: string;
  /** Whole seconds since the epoch, in decimal. */
  readonly timestamp: string;
  readonly signature: string;
  /** Run the check this many days after now: how a genuine cookie grows too old. */
  readonly daysLater: number;
}

/** The rebuilt value, part by part, with the parts the learner changed marked. */
export interface BuiltCookie {
  readonly value: string;
  readonly parts: readonly { readonly text: string; readonly changed: boolean }[];
}

export interface LabSection {
  readonly form: LabForm;
  readonly cookie: BuiltCookie;
  readonly walkthrough: Walkthrough;
  readonly verdict: LibraryVerdict;
  /** The time the check ran at, in milliseconds since the epoch. */
  readonly checkedAt: number;
  /** Whether this section shows what the learner just sent. */
  readonly submitted: boolean;
}

type Field = 'payload' | 'timestamp' | 'signature';
type Parts = Readonly<Record<Field, string>>;
const FIELDS: readonly Field[] = ['payload', 'timestamp', 'signature'];
const MAX_DAYS_LATER = 3650;

/** A cookie value as the lab's form shows it. */
export function labForm(format: LabFormat, source: 'yours' | 'example', value: string, daysLater = 0): LabForm {
  const parts = partsOf(format, value);
  const fields = parts === null ? { payload: value, timestamp: '', signature: '' } : fieldsOf(format, parts);
  return { format, source, original: value, ...fields, daysLater };
}

/** The value the form stands for: unchanged parts exactly as they were, changed ones encoded. */
export function cookieFromForm(form: LabForm): BuiltCookie {
  const parts = partsOf(form.format, form.original);
  if (parts === null && form.payload === form.original && form.timestamp === '' && form.signature === '') {
    return { value: form.original, parts: [{ text: form.original, changed: false }] };
  }
  const fields = parts === null ? null : fieldsOf(form.format, parts);
  const built = FIELDS.map((field) =>
    parts !== null && fields![field] === form[field] ? { text: parts[field], changed: false } : { text: encodePart(form.format, field, form[field]), changed: true },
  );
  return { value: built.map((part) => part.text).join('.'), parts: built };
}

/** A posted lab form, with the shortcut of the button that sent it applied. Throws HttpError 400 for a form no lab page writes. */
export function readLabForm(fields: FormFields, lifetimeSeconds: number): LabForm {
  const format = fields.get('format');
  const source = fields.get('source');
  const days = fields.get('days_later') ?? '0';
  if (format !== 'native' && format !== 'flask') throw new HttpError(400, 'the lab form\'s format must be native or flask');
  if (source !== 'yours' && source !== 'example') throw new HttpError(400, 'the lab form\'s source must be yours or example');
  if (!/^[0-9]{0,4}$/.test(days) || Number(days) > MAX_DAYS_LATER) throw new HttpError(400, `days later must be a whole number from 0 to ${MAX_DAYS_LATER}`);
  const form: LabForm = {
    format,
    source,
    original: fields.get('original') ?? '',
    payload: fields.get('payload') ?? '',
    timestamp: fields.get('timestamp') ?? '',
    signature: fields.get('signature') ?? '',
    daysLater: Number(days),
  };
  const edit = fields.get('edit') ?? 'check';
  return isEdit(edit) ? applyEdit(form, edit, lifetimeSeconds) : form;
}

/** The shortcut edits: each one is something the signature or the age check must stop. */
export function applyEdit(form: LabForm, edit: LabEdit, lifetimeSeconds: number): LabForm {
  switch (edit) {
    case 'check':
      return form;
    case 'admin':
      return {
        ...form,
        payload: editJson(form, (session) => {
          session['username'] = 'admin';
        }),
      };
    case 'permanent':
      return {
        ...form,
        payload: editJson(form, (session, envelope) => {
          // Natively the flag is the envelope's `permanent`; Flask carries it in the data, as `_permanent`.
          if (form.format === 'native') envelope['permanent'] = envelope['permanent'] !== true;
          else if (session['_permanent'] === true) delete session['_permanent'];
          else session['_permanent'] = true;
        }),
      };
    case 'signature':
      return { ...form, signature: `${form.signature.startsWith('A') ? 'B' : 'A'}${form.signature.slice(1)}` };
    case 'later':
      return { ...form, daysLater: Math.floor(lifetimeSeconds / 86400) + 1 };
  }
}

function isEdit(edit: string): edit is LabEdit {
  return ['check', 'admin', 'permanent', 'signature', 'later'].includes(edit);
}

/** The payload with `change` applied to its session data (and, natively, its envelope); unchanged if it is not such JSON. */
function editJson(form: LabForm, change: (session: Record<string, unknown>, envelope: Record<string, unknown>) => void): string {
  let envelope: unknown;
  try {
    envelope = JSON.parse(form.payload);
  } catch {
    return form.payload;
  }
  if (!isObject(envelope)) return form.payload;
  const session = form.format === 'native' ? envelope['data'] : envelope;
  if (!isObject(session)) return form.payload;
  change(session, envelope);
  return JSON.stringify(envelope);
}

function partsOf(format: LabFormat, value: string): Parts | null {
  if (format === 'flask') return splitFlaskValue(value);
  const pieces = value.split('.');
  return pieces.length === 3 ? { payload: pieces[0]!, timestamp: pieces[1]!, signature: pieces[2]! } : null;
}

/** The parts decoded for editing; a part that does not decode is shown as it is. */
function fieldsOf(format: LabFormat, parts: Parts): Parts {
  if (format === 'native') return { payload: decodeBase64url(parts.payload)?.toString('utf8') ?? parts.payload, timestamp: parts.timestamp, signature: parts.signature };
  const compressed = parts.payload.startsWith('.');
  const bytes = decodeBase64url(compressed ? parts.payload.slice(1) : parts.payload);
  const json = bytes === null ? null : compressed ? inflatePayload(bytes) : bytes;
  const timestampBytes = decodeBase64url(parts.timestamp);
  const seconds = timestampBytes === null ? null : flaskSeconds(timestampBytes);
  return { payload: json?.toString('utf8') ?? parts.payload, timestamp: seconds === null ? parts.timestamp : String(seconds), signature: parts.signature };
}

/** A changed field encoded as its format writes that part. */
function encodePart(format: LabFormat, field: Field, text: string): string {
  if (field === 'signature' || (field === 'timestamp' && format === 'native')) return text;
  if (field === 'timestamp') return /^[0-9]{1,16}$/.test(text) && text !== '0' ? bigEndian(BigInt(text)).toString('base64url') : text;
  const json = Buffer.from(text, 'utf8');
  if (format === 'native') return json.toString('base64url');
  // Flask compresses when that saves at least 2 bytes, and marks it with a leading dot.
  const compressed = deflateSync(json);
  return compressed.length < json.length - 1 ? `.${compressed.toString('base64url')}` : json.toString('base64url');
}

function bigEndian(value: bigint): Buffer {
  const bytes: number[] = [];
  for (let rest = value; rest > 0n; rest >>= 8n) bytes.unshift(Number(rest & 0xffn));
  return Buffer.from(bytes);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface CookieLabOptions {
  readonly cookie: SessionCookieSettings;
  /** The server's secret keys, current first. */
  readonly secrets: readonly string[];
  readonly now: () => number;
}

export class CookieLab {
  readonly #options: CookieLabOptions;
  /** Keys for examples: derived from the secret keys, so the same in every worker, but never a session key. */
  readonly #exampleSecrets: readonly string[];

  constructor(options: CookieLabOptions) {
    this.#options = options;
    this.#exampleSecrets = options.secrets.map((secret) => createHmac('sha256', secret).update('scratchpad.lab-examples').digest('base64url'));
  }

  /**
   * The lab's two sections, Scratchpad's format first. `sent` is the session cookie of the request,
   * `kind` the kind of cookie the server writes (cookie-parts.ts); `posted`, a form the learner sent,
   * replaces the section of its format.
   */
  async sections(sent: string | undefined, session: Session, posted: LabForm | null, kind: CookieKind): Promise<LabSection[]> {
    const formats: readonly LabFormat[] = ['native', 'flask'];
    return Promise.all(formats.map((format) => (posted?.format === format ? this.#check(posted, true) : this.#check(this.#start(format, sent, session, kind), false))));
  }

  /** The form a section starts with: the visitor's own cookie where the server writes that format, else an example. */
  #start(format: LabFormat, sent: string | undefined, session: Session, kind: CookieKind): LabForm {
    const own = kind === (format === 'native' ? 'signed' : 'flask');
    if (own && sent !== undefined) return labForm(format, 'yours', sent);
    const now = this.#options.now;
    const data = session.size > 0 ? session.toObject() : { username: 'alice' };
    const created = session.createdAt ?? Math.floor(now() / 1000);
    const example =
      format === 'native'
        ? new Signer({ secrets: this.#exampleSecrets, salt: SESSION_SALT, now }).sign(this.#options.cookie.name, JSON.stringify({ permanent: session.permanent, created, data }))
        : new FlaskCookieCodec({ secrets: this.#exampleSecrets, now }).encode(this.#options.cookie.name, { permanent: session.permanent, created: null, data });
    return labForm(format, 'example', example);
  }

  async #check(form: LabForm, submitted: boolean): Promise<LabSection> {
    const cookie = cookieFromForm(form);
    const checkedAt = this.#options.now() + form.daysLater * 86400 * 1000;
    const settings: LabSettings = { cookie: this.#options.cookie, secrets: form.source === 'yours' ? this.#options.secrets : this.#exampleSecrets, now: checkedAt };
    const walkthrough = form.format === 'native' ? walkSignedCookie(cookie.value, settings) : walkFlaskCookie(cookie.value, settings);
    return { form, cookie, walkthrough, verdict: await libraryVerdict(form.format, cookie.value, settings), checkedAt, submitted };
  }
}
