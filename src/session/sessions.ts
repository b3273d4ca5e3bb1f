/**
 * Sessions for your own app: one call with Flask's defaults, and one that wraps a handler.
 *
 * What: `createSessions({ secretKey })` opens a session backend with every default Flask uses
 * (cookie `session`, 31-day permanent lifetime, HttpOnly, SameSite=Lax, refreshed on each request,
 * the 4096-byte check) plus CSRF tokens, and returns a `Sessions`. Its `listener(handler)` turns
 * `(request, session, context) => reply` into the function `node:http`'s `createServer()` takes:
 *
 *     import { createServer } from 'node:http';
 *     import { createSessions, htmlReply } from 'scratchpad';
 *     const sessions = await createSessions({ secretKey: process.env.SECRET_KEY });
 *     createServer(sessions.listener((request, session) => htmlReply(200, 'Hello'))).listen(8000);
 *
 * Why: everything between `open()` and `commit()` is the same in every application, and each step
 * is easy to get subtly wrong when written again: a store that is down must be a 503 page rather
 * than a crash; a session too big for a cookie a 413 that keeps the old cookie; a page with a CSRF
 * token must never be cached; HEAD needs the headers without the body; a failure in one request
 * must not end the process. `handle()` does those steps in order, once:
 *   1. open the session from the Cookie header (a bad cookie is an empty session; a store that is
 *      down is a 503 and the handler never runs);
 *   2. run the handler with the session and a context (`form()` and `json()` read the body and
 *      refuse cross-site requests, `csrfToken()` gives the token for a form);
 *   3. turn an expected failure (`HttpError`: 4xx, 503) into an error page;
 *   4. commit the session onto the reply (Set-Cookie only when Flask's rules say so), unless the
 *      handler asked to leave the cookie as it is.
 * The demo (../demo/app.ts) is served through this same path, which is how we know it works.
 *
 * Where the sessions live, `store`, works as Flask-Session's SESSION_TYPE: `'cookie'` (default),
 * `'memory'`, `'filesystem'`, `'redis'`, a `redis://` or `rediss://` URL, or a `SessionStore` of
 * your own (store.ts says what it must do; `scratchpad/testing` checks it).
 *
 * Spec: none; Flask's defaults (flask/app.py `default_config`) and Flask-Session's SESSION_TYPE.
 *
 * Not here: the mechanisms (everything before this in the reading order), routing (../http/router.ts),
 * server limits and an access log (../http/serve.ts's `createHttpServer()`, which serves `handle()`).
 *
 * Read next: the demo: ../demo/annotate.ts and ../demo/source.ts (the source view its pages link
 * into), ../demo/pages.ts, then ../demo/app.ts, where three routes use a session without knowing
 * where it lives.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_ABSOLUTE_LIFETIME_SECONDS, DEFAULT_FILE_DIR, DEFAULT_IDLE_LIFETIME_SECONDS, DEFAULT_LIFETIME_SECONDS, DEFAULT_MEMORY_MAX, DEFAULT_NEW_SESSIONS_PER_MINUTE } from '../config.js';
import { clientAddress, clientKey } from '../http/client-address.js';
import { InvalidCookieError, serializeSetCookie } from '../http/cookie.js';
import { escapeHtml } from '../http/escape.js';
import { DEFAULT_FORM_LIMITS, readFormBody, type FormFields, type FormLimits } from '../http/form.js';
import { HttpError } from '../http/http-error.js';
import { DEFAULT_JSON_LIMITS, readJsonBody, type JsonLimits, type ParsedJson } from '../http/json-body.js';
import { requestOrigin, type RequestOrigin } from '../http/origin.js';
import { htmlReply, jsonReply, withHeaders, type HeaderValue, type Reply } from '../http/reply.js';
import { escapeForLog, requestListener, type Application } from '../http/serve.js';
import { parseRedisUrl, RedisCaFileError, RedisUrlError, redactPassword } from '../redis/redis-url.js';
import { openSessionBackend, type RedisSettings, type SessionBackend, type SessionType, type StoreSettings } from './backend.js';
import { checkSameOrigin, CsrfProtection } from './csrf.js';
import type { LoadedSession, Session, SessionCookieSettings, SessionInspection, SessionInspector, SessionInterface } from './session.js';
import type { SessionStore } from './store.js';

/** Everything `createSessions()` accepts. Only `secretKey` is required. */
export interface SessionsOptions {
  /**
   * The secret key that signs every cookie, at least 32 bytes (`npm run new-secret-key` makes one);
   * or a list: the current key first, then older keys that still verify (key rotation).
   */
  readonly secretKey: string | readonly string[] | undefined;
  /**
   * Accept a current key shorter than 32 bytes. Only for development and tests (the demo's
   * configuration allows it outside production, with a warning): a short key can be guessed
   * offline from any one cookie, and then every session forged.
   */
  readonly allowShortSecretKey?: boolean;
  /** `'cookie'` (default), `'memory'`, `'filesystem'`, `'redis'`, a `redis://` / `rediss://` URL, or your own store. */
  readonly store?: string | SessionStore;
  /** The session cookie: any of its settings, each defaulting to Flask's (see SESSION_DEFAULTS). */
  readonly cookie?: Partial<SessionCookieSettings>;
  /** Cookie sessions only: seal the data with AES-256-GCM, so that the user cannot read it. */
  readonly encrypt?: boolean;
  /** Cookie sessions only: `'flask'` writes and reads exactly Flask's cookie (../session/flask-codec.ts). */
  readonly format?: 'native' | 'flask';
  /** Server-side sessions: how long a volatile session lives unused. Default one day. */
  readonly idleLifetimeSeconds?: number;
  /** `store: 'memory'`: the most sessions kept. */
  readonly memoryMax?: number;
  /** `store: 'filesystem'`: the directory, created if missing. */
  readonly fileDirectory?: string;
  /** `store: 'redis'` or a Redis URL: a CA certificate file (PEM) to trust for `rediss://`. */
  readonly redisCaFile?: string;
  /** `store: 'redis'`: the connection, already parsed (what the demo's configuration holds). */
  readonly redis?: RedisSettings;
  /** Server-side sessions: new sessions per minute per client address (429 past it); 0: no limit. */
  readonly newSessionsPerMinute?: number;
  /**
   * Server-side sessions: restart an unchanged session's idle time only once a tenth of it has
   * passed (default `true`, one store read per request); `false` restarts it on every request.
   */
  readonly lazyRefresh?: boolean;
  /** Issue and check CSRF tokens (`context.csrfToken()`, `context.form()`). Default `true`. */
  readonly csrf?: boolean;
  /** Behind a reverse proxy: believe its X-Forwarded-Proto and X-Forwarded-For. Default `false`. */
  readonly trustProxy?: boolean;
  /** Limits for `context.form()`. */
  readonly formLimits?: FormLimits;
  /** Limits for `context.json()`. */
  readonly jsonLimits?: JsonLimits;
  /** The memos of ../fast/, its stat check of session files and its batched Redis writes (default `true`); `false` runs without them. */
  readonly memo?: boolean;
  /** Milliseconds since the epoch; tests pass a clock they control. */
  readonly now?: () => number;
  /** Start-up notes and store events (Redis lost and back). Default: standard error, one line each. */
  readonly log?: (message: string) => void;
}

/** Flask's defaults for the session cookie, with SameSite=Lax and Secure decided per request. */
export const SESSION_DEFAULTS: SessionCookieSettings = Object.freeze({
  name: 'session',
  path: '/',
  httpOnly: true,
  // Secure exactly when the request came over HTTPS: a cookie set over TLS never leaks over plain
  // HTTP, and `node app.js` on http://localhost still works while developing.
  secure: 'auto',
  sameSite: 'Lax',
  partitioned: false,
  lifetimeSeconds: DEFAULT_LIFETIME_SECONDS,
  refreshEachRequest: true,
  absoluteLifetimeSeconds: DEFAULT_ABSOLUTE_LIFETIME_SECONDS,
});

/** The shortest current secret key accepted: 256 bits, as long as the HMAC-SHA256 key it becomes. */
export const MIN_SECRET_KEY_BYTES = 32;

/** An option `createSessions()` cannot use; the message names it and says what it accepts. */
export class SessionsOptionError extends TypeError {
  override name = 'SessionsOptionError';
  constructor(
    readonly option: string,
    readonly accepted: string,
    got: string,
  ) {
    super(`createSessions(): ${option} must be ${accepted}; got ${got}`);
  }
}

/** What a handler gets besides the request and the session. */
export interface SessionContext {
  /** The session as opened, with what the server knew about its cookie (why it was refused, say). */
  readonly loaded: LoadedSession;
  /** Whether the request came over HTTPS, and our origin as the browser sees it. */
  readonly origin: RequestOrigin;
  /**
   * The form fields of the request body (application/x-www-form-urlencoded). With CSRF on, a form
   * that does not carry this browser's token, or comes from another site, is refused (403) first.
   */
  form(): Promise<FormFields>;
  /**
   * The request body as JSON. Only `application/json` is accepted (415 otherwise), which another
   * site cannot send without our permission; with CSRF on, a request another site made is refused (403).
   */
  json(): Promise<ParsedJson>;
  /**
   * Refuses (403) a request whose `Origin` or `Sec-Fetch-Site` says another site made it: for a
   * request that changes the session without a body to check (DELETE, a POST with no fields).
   * `form()` and `json()` do it themselves. Nothing to do with CSRF off.
   */
  requireSameOrigin(): void;
  /** The token to put in a form's hidden `csrf_token` field. Its cookie rides on this reply. */
  csrfToken(): string;
  /** Leave the session cookie as it came: this reply only looks at the session. */
  leaveCookieAsIs(): void;
}

/** An application's request handler: the request and its session in, one reply out. */
export type SessionHandler = (request: IncomingMessage, session: Session, context: SessionContext) => Reply | Promise<Reply>;

/** How `handle()` and `listener()` finish every reply. */
export interface HandleOptions {
  /**
   * How an expected failure (HttpError: 403, 413, 503…) is shown. Default: a short page, or JSON
   * when the client asked for JSON; for a 5xx only a generic sentence (see defaultErrorReply).
   */
  readonly errorReply?: (error: HttpError, request: IncomingMessage) => Reply;
  /**
   * Receives why the server answered 5xx without a bug (a store that is down, and its reason), which
   * the default error page keeps from the visitor. The access log's line carries it too.
   */
  readonly serverErrorLog?: (message: string) => void;
  /** Headers for every reply, error pages included (security headers, say). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What `listener()` adds: where its two logs go. */
export interface ListenOptions extends HandleOptions {
  /** One line per request; default none. */
  readonly accessLog?: ((line: string) => void) | null;
  /** Unexpected errors (bugs) with their stack, and the causes of 5xx answers; default `console.error`. */
  readonly errorLog?: (message: string) => void;
}

export class Sessions {
  /** The backend's two steps, for code that wants to call them itself. */
  readonly sessionInterface: SessionInterface;
  /** The store of server-side sessions; `null` for cookie sessions. */
  readonly store: SessionStore | null;
  readonly cookie: SessionCookieSettings;
  /** `null` when CSRF is off. */
  readonly csrf: CsrfProtection | null;
  /** How cookie sessions are written: Scratchpad's own cookie, or Flask's. */
  readonly format: 'native' | 'flask';
  readonly trustProxy: boolean;
  readonly #inspector: SessionInspector;
  readonly #backend: SessionBackend;
  readonly #formLimits: FormLimits;
  readonly #jsonLimits: JsonLimits;

  /** Use `createSessions()`, which opens the backend. */
  constructor(backend: SessionBackend, settings: { cookie: SessionCookieSettings; csrf: CsrfProtection | null; format: 'native' | 'flask'; trustProxy: boolean; formLimits: FormLimits; jsonLimits: JsonLimits }) {
    this.#backend = backend;
    this.#inspector = backend.sessions;
    this.sessionInterface = backend.sessions;
    this.store = backend.store;
    this.cookie = settings.cookie;
    this.csrf = settings.csrf;
    this.format = settings.format;
    this.trustProxy = settings.trustProxy;
    this.#formLimits = settings.formLimits;
    this.#jsonLimits = settings.jsonLimits;
  }

  /** Where and how a session is kept, for a page that explains it. */
  inspect(loaded: LoadedSession): SessionInspection {
    return this.#inspector.inspect(loaded);
  }

  /**
   * `handler` as an `Application`: request in, finished reply out (the four steps of the header).
   * Serve it with ../http/serve.ts's `createHttpServer()`, which adds limits and an access log.
   */
  handle(handler: SessionHandler, options: HandleOptions = {}): Application {
    const errorReply = options.errorReply ?? defaultErrorReply;
    const everyReply = options.headers ?? {};
    // Only expected failures become pages; anything else is a bug, and serve.ts makes it a 500.
    const failure = (error: unknown, request: IncomingMessage): Reply => {
      if (!(error instanceof HttpError)) throw error;
      const reply = withHeaders(errorReply(error, request), { 'Cache-Control': 'no-store' });
      if (error.status < 500) return reply;
      // The cause is for the operator: the visitor's page (by default) does not show it.
      options.serverErrorLog?.(escapeForLog(`${request.method} ${request.url}: ${error.name}: ${error.message}`));
      return { ...reply, logNote: `${error.name}: ${error.message}` };
    };
    return async (request) => {
      // 1. Open. A bad cookie is an empty session; only a store that is down fails here (503).
      const origin = requestOrigin(request, this.trustProxy);
      // Only server-side sessions count new sessions per client address (LIMIT_NEW_SESSIONS): a
      // cookie session has no use for the address, and not working it out (an IPv6 address to its
      // /64) served 5 % more requests (docs/performance.md).
      const client = this.store === null ? null : clientKey(clientAddress(request, this.trustProxy));
      let loaded: LoadedSession;
      try {
        loaded = await this.sessionInterface.open(request.headers.cookie, origin.secure, client);
      } catch (error) {
        return withHeaders(failure(error, request), everyReply);
      }
      // 2. The handler, and 3. expected failures as pages.
      const context = new RequestContext(request, loaded, origin, this.csrf, this.#formLimits, this.#jsonLimits);
      let reply: Reply;
      try {
        reply = await handler(request, loaded.session, context);
        if (typeof reply !== 'object' || reply === null) throw new TypeError(`the handler returned ${reply === null ? 'null' : typeof reply}, not a Reply: return one, such as htmlReply(200, '…')`);
      } catch (error) {
        reply = failure(error, request);
      }
      reply = context.withToken(reply);
      // 4. Commit. A session too large for a cookie (413) or a store that is down (503) becomes an
      //    error page without Set-Cookie, so the browser keeps the cookie it had.
      if (!context.cookieLeftAsIs) {
        try {
          reply = await this.sessionInterface.commit(loaded, reply);
        } catch (error) {
          reply = failure(error, request);
        }
      }
      reply = withHeaders(reply, everyReply);
      const rejection = loaded.incoming.rejection;
      if (rejection === null) return reply;
      const note = `session cookie rejected: ${rejection}`;
      return { ...reply, logNote: reply.logNote === undefined ? note : `${reply.logNote}; ${note}` };
    };
  }

  /**
   * `handler` as the request listener `http.createServer()` (or `https.createServer()`) takes:
   * `handle()`, then the reply written (HEAD without its body), every failure caught and answered.
   */
  listener(handler: SessionHandler, options: ListenOptions = {}): (request: IncomingMessage, response: ServerResponse) => void {
    const errorLog = options.errorLog ?? ((message: string) => console.error(message));
    return requestListener(this.handle(handler, { serverErrorLog: errorLog, ...options }), { accessLog: options.accessLog ?? null, errorLog });
  }

  /** Closes the store's connection or timers: call it when the server stops. */
  close(): Promise<void> {
    return this.#backend.close();
  }
}

/** The context of one request (see SessionContext). */
class RequestContext implements SessionContext {
  #form: Promise<FormFields> | null = null;
  #json: Promise<ParsedJson> | null = null;
  #issuedCookie: string | null = null;
  #tokenIssued = false;
  cookieLeftAsIs = false;

  constructor(
    readonly request: IncomingMessage,
    readonly loaded: LoadedSession,
    readonly origin: RequestOrigin,
    readonly csrf: CsrfProtection | null,
    readonly formLimits: FormLimits,
    readonly jsonLimits: JsonLimits,
  ) {}

  // A body can be read once: a second call gets the same answer.
  form(): Promise<FormFields> {
    this.#form ??= this.#readForm();
    return this.#form;
  }

  async #readForm(): Promise<FormFields> {
    const form = await readFormBody(this.request, this.formLimits);
    this.csrf?.check(this.request, form, this.origin.origin);
    return form;
  }

  json(): Promise<ParsedJson> {
    this.#json ??= this.#readJson();
    return this.#json;
  }

  async #readJson(): Promise<ParsedJson> {
    // Before the body: a request another site made is refused without reading it.
    this.requireSameOrigin();
    return readJsonBody(this.request, this.jsonLimits);
  }

  requireSameOrigin(): void {
    if (this.csrf !== null) checkSameOrigin(this.request, this.origin.origin);
  }

  csrfToken(): string {
    if (this.csrf === null) throw new Error('csrfToken(): CSRF is off (createSessions({ csrf: false }))');
    const issued = this.csrf.issue(this.request.headers.cookie, this.origin.secure);
    this.#tokenIssued = true;
    this.#issuedCookie ??= issued.setCookie;
    return issued.token;
  }

  leaveCookieAsIs(): void {
    this.cookieLeftAsIs = true;
  }

  /**
   * A reply that holds this browser's CSRF token: with the token's cookie if it is new, and never
   * kept by a shared cache. The token is this browser's alone; a proxy that kept the page and
   * handed it to the next visitor would hand them someone else's token (`Vary: Cookie` says the
   * page depends on the cookie, `no-store` that no cache may keep it at all).
   */
  withToken(reply: Reply): Reply {
    if (!this.#tokenIssued) return reply;
    const headers: Record<string, string> = { 'Cache-Control': 'no-store', Vary: 'Cookie' };
    if (this.#issuedCookie !== null) headers['Set-Cookie'] = this.#issuedCookie;
    return withHeaders(reply, headers);
  }
}

/**
 * An expected failure as a reply: JSON `{ "error": message }` for a client that asked for JSON
 * (and not for HTML), otherwise a short HTML page. A 4xx says what was wrong with the request, in
 * the error's own words, escaped. A 5xx says only that the server cannot answer now: its cause
 * ("redis at 10.0.0.5:6379: WRONGPASS…") describes the inside of the system, which is the
 * operator's business (it goes to the logs, see `serverErrorLog`), not every visitor's.
 */
export function defaultErrorReply(error: HttpError, request: IncomingMessage): Reply {
  const accept = request.headers.accept ?? '';
  const headers: Record<string, HeaderValue> = { ...error.headers };
  const message = error.status < 500 ? error.message : 'the server cannot answer this request right now; try again in a moment';
  if (accept.includes('application/json') && !accept.includes('text/html')) return jsonReply(error.status, { error: message }, headers);
  const page = `<!doctype html>\n<meta charset="utf-8">\n<title>${error.status}</title>\n<h1>${error.status}</h1>\n<p>${escapeHtml(message)}</p>\n`;
  return htmlReply(error.status, page, headers);
}

/**
 * Opens the session backend `options` describe, with Flask's defaults for everything not given.
 * Throws `SessionsOptionError` for an option it cannot use, naming the option and what it accepts.
 */
export async function createSessions(options: SessionsOptions): Promise<Sessions> {
  const secrets = readSecretKey(options.secretKey, options.allowShortSecretKey ?? false);
  const cookie = readCookieSettings(options.cookie ?? {});
  const format = options.format ?? 'native';
  const { type, redis, customStore } = readStore(options);
  refuseUnusedOptions(options, customStore === null ? type : 'custom');
  if (format === 'flask' && (type !== 'cookie' || options.encrypt === true)) {
    throw new SessionsOptionError('format', "'native' unless the store is 'cookie' and encrypt is false (Flask's cookie is signed, not sealed)", `'flask' with store ${describeStore(options.store)}`);
  }
  const store: StoreSettings = {
    type,
    encrypt: options.encrypt ?? false,
    format,
    idleLifetimeSeconds: positiveInteger('idleLifetimeSeconds', options.idleLifetimeSeconds, DEFAULT_IDLE_LIFETIME_SECONDS),
    memoryMax: positiveInteger('memoryMax', options.memoryMax, DEFAULT_MEMORY_MAX),
    newSessionsPerMinute: positiveInteger('newSessionsPerMinute', options.newSessionsPerMinute, DEFAULT_NEW_SESSIONS_PER_MINUTE, 0),
    fileDirectory: options.fileDirectory ?? DEFAULT_FILE_DIR,
    redis,
    memo: options.memo ?? true,
    lazyRefresh: options.lazyRefresh ?? true,
  };
  const clock = options.now === undefined ? {} : { now: options.now };
  // Store events (Redis lost, Redis back) are the operator's only sign of an outage: said by default.
  const log = options.log ?? ((message: string) => console.error(`scratchpad: ${escapeForLog(message)}`));
  const backend = await openSessionBackend({ cookie, store, secrets, customStore, log, ...clock });
  const csrf =
    options.csrf === false
      ? null
      : new CsrfProtection({ secrets, sessionCookieName: cookie.name, path: cookie.path, secure: cookie.secure, maxAgeSeconds: cookie.lifetimeSeconds, newSigner: backend.newSigner, ...clock });
  return new Sessions(backend, {
    cookie,
    csrf,
    format,
    trustProxy: options.trustProxy ?? false,
    formLimits: options.formLimits ?? DEFAULT_FORM_LIMITS,
    jsonLimits: options.jsonLimits ?? DEFAULT_JSON_LIMITS,
  });
}

function readSecretKey(secretKey: SessionsOptions['secretKey'], allowShort: boolean): string[] {
  const accepted = `a string of at least ${MIN_SECRET_KEY_BYTES} random bytes (make one with: node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"), or a list of keys with the current one first`;
  const keys = typeof secretKey === 'string' ? [secretKey] : Array.isArray(secretKey) ? [...(secretKey as readonly unknown[])] : null;
  if (keys === null || keys.length === 0) throw new SessionsOptionError('secretKey', accepted, secretKey === undefined ? 'nothing (is SECRET_KEY set?)' : typeof secretKey);
  if (!keys.every((key): key is string => typeof key === 'string' && key !== '')) throw new SessionsOptionError('secretKey', accepted, 'a list with an empty or non-string key');
  // Never the key itself in the message: it ends up in logs.
  const bytes = Buffer.byteLength(keys[0]!);
  if (bytes < MIN_SECRET_KEY_BYTES && !allowShort) throw new SessionsOptionError('secretKey', accepted, `a key of ${bytes} bytes`);
  return keys;
}

/** The cookie settings with Flask's defaults filled in, checked by writing a sample cookie. */
function readCookieSettings(given: Partial<SessionCookieSettings>): SessionCookieSettings {
  const settings: SessionCookieSettings = Object.freeze({ ...SESSION_DEFAULTS, ...definedOnly(given) });
  positiveInteger('cookie.lifetimeSeconds', settings.lifetimeSeconds, DEFAULT_LIFETIME_SECONDS);
  positiveInteger('cookie.absoluteLifetimeSeconds', settings.absoluteLifetimeSeconds, DEFAULT_ABSOLUTE_LIFETIME_SECONDS);
  try {
    // 'auto' counts as not Secure: prefixes, SameSite=None and Partitioned need it on every request.
    serializeSetCookie({ ...settings, secure: settings.secure === true, value: '', maxAge: 0 });
  } catch (error) {
    if (!(error instanceof InvalidCookieError)) throw error;
    throw new SessionsOptionError(`cookie.${error.field === 'prefix' ? 'name' : error.field}`, 'a setting the cookie rules allow', error.message);
  }
  return settings;
}

/**
 * Refuses an option that does nothing with this store (`encrypt` with Redis, say): silently
 * ignored, it would leave its author believing something that is not so.
 */
function refuseUnusedOptions(options: SessionsOptions, store: SessionType | 'custom'): void {
  const serverSide = store !== 'cookie';
  const rules: [keyof SessionsOptions, boolean, string][] = [
    ['encrypt', !serverSide || options.encrypt !== true, "false unless the store is 'cookie' (a server-side session's cookie holds only an id, and the data never leaves the server)"],
    ['idleLifetimeSeconds', serverSide, 'unset with cookie sessions (a cookie session has no idle lifetime; cookie.lifetimeSeconds is its limit)'],
    ['newSessionsPerMinute', serverSide, 'unset with cookie sessions (they cost the server nothing to create)'],
    ['lazyRefresh', serverSide, 'unset with cookie sessions (they have no store to refresh)'],
    ['memoryMax', store === 'memory', "unset unless the store is 'memory'"],
    ['fileDirectory', store === 'filesystem', "unset unless the store is 'filesystem'"],
    ['redis', store === 'redis', "unset unless the store is 'redis'"],
  ];
  for (const [option, applies, accepted] of rules) {
    if (!applies && options[option] !== undefined) throw new SessionsOptionError(option, accepted, `it set with store ${describeStore(options.store)}`);
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}

const STORE_TYPES: readonly SessionType[] = ['cookie', 'memory', 'filesystem', 'redis'];
/** What every SessionStore has (getWithExpiry is optional). */
const STORE_METHODS = ['get', 'set', 'destroy', 'touch', 'close'];
/** Redis on this machine, database 0: what `store: 'redis'` means, as in Flask-Session. */
const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379/0';
const STORE_ACCEPTED = "'cookie', 'memory', 'filesystem', 'redis', a redis:// or rediss:// URL, or a SessionStore";

function readStore(options: SessionsOptions): { type: SessionType; redis: RedisSettings; customStore: SessionStore | null } {
  const given = options.store ?? 'cookie';
  const caFile = options.redisCaFile === undefined ? {} : { caFile: options.redisCaFile };
  if (typeof given === 'object' && given !== null) {
    // All of it, now: a missing touch() would otherwise be a 500 on the first unchanged session.
    const missing = STORE_METHODS.filter((method) => typeof (given as unknown as Record<string, unknown>)[method] !== 'function');
    if (typeof given.name !== 'string' || given.name === '') missing.unshift('name');
    if (missing.length > 0) throw new SessionsOptionError('store', STORE_ACCEPTED, `an object without ${missing.join(', ')} (store.ts says what each must do)`);
    return { type: 'memory', redis: parseRedisUrl(LOCAL_REDIS_URL), customStore: given };
  }
  if (typeof given !== 'string') throw new SessionsOptionError('store', STORE_ACCEPTED, typeof given);
  // Anything with "://" in it is meant as a URL: parsed (and refused) as one, so that what an error
  // quotes of it never shows a password.
  const url = given.includes('://') ? given : given === 'redis' ? LOCAL_REDIS_URL : null;
  if (url !== null) {
    try {
      return { type: 'redis', redis: options.redis ?? parseRedisUrl(url, caFile), customStore: null };
    } catch (error) {
      if (error instanceof RedisUrlError) throw new SessionsOptionError('store', STORE_ACCEPTED, error.message);
      if (error instanceof RedisCaFileError) throw new SessionsOptionError('redisCaFile', error.accepted, JSON.stringify(error.file));
      throw error;
    }
  }
  const type = STORE_TYPES.find((name) => name === given);
  if (type === undefined) throw new SessionsOptionError('store', STORE_ACCEPTED, JSON.stringify(escapeForLog(redactPassword(given))));
  if (options.redisCaFile !== undefined) throw new SessionsOptionError('redisCaFile', 'unset unless the store is a rediss:// URL', JSON.stringify(options.redisCaFile));
  return { type, redis: parseRedisUrl(LOCAL_REDIS_URL), customStore: null };
}

function describeStore(store: SessionsOptions['store']): string {
  return typeof store === 'string' ? `'${redactPassword(store)}'` : store === undefined ? "'cookie'" : 'a SessionStore';
}

function positiveInteger(option: string, value: number | undefined, fallback: number, minimum = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < minimum) throw new SessionsOptionError(option, `a whole number of at least ${minimum}`, String(value));
  return value;
}
