/**
 * The demo application: Flask's session example (index, login, logout) on Scratchpad's library.
 *
 * What: `createDemoApp({ sessions, cookie })` returns the `Application` that `server.ts` serves. It is the Flask
 * quickstart's session example, route for route:
 *
 *     @app.route('/')                    → index()
 *     @app.route('/login', GET, POST)    → showLogin(), login()
 *     @app.route('/logout')              → logout()  (and POST /logout, the safer form)
 *
 * and, not in Flask's example, GET /source and /source/<module>: this library's own code, annotated
 * (source.ts), which the pages link into; and GET and POST /lab, the cookie lab (lab.ts), where a
 * learner edits a session cookie and watches the server check it step by step.
 *
 * Why: it is the smallest program that needs a session, so it is the best place to watch one.
 * The session machinery comes only from ../index.js, as for any other user of the library; the
 * files beside this one are the demo's own (its HTML and its source view).
 *
 * One request, in order (`application` below):
 *   1. open the session from the Cookie header (a bad cookie means an empty session);
 *   2. dispatch to the route's handler, which reads and writes `session` like a dictionary;
 *   3. turn an expected failure (HttpError) into an error page;
 *   4. commit the session onto the reply (Set-Cookie only when Flask's rules say so); the lab only
 *      reads the session, and skips this step.
 *
 * Spec: Flask's quickstart, "Sessions" (https://flask.palletsprojects.com/en/stable/quickstart/#sessions).
 *
 * Not here: HTML (pages.ts, lab-page.ts), the lab's checks (lab.ts), keeping pages (kept-pages.ts),
 * and every mechanism (the library).
 *
 * Read next: ../http/serve.ts, which serves any Application, then ../server.ts.
 */
import type { IncomingMessage } from 'node:http';
import {
  createSessions,
  cspSourceHash,
  HttpError,
  htmlReply,
  localRedirectTarget,
  readCookie,
  redirectReply,
  requestPath,
  Router,
  securityHeaders,
  ServerSessionInterface,
  SessionTooLargeError,
  type Application,
  type Config,
  type FormLimits,
  type LoadedSession,
  type Reply,
  type Session,
  type SessionContext,
  type Sessions,
} from '../index.js';
import { cookieKind } from './cookie-parts.js';
import { PAGE_STYLE } from './html.js';
import { keepIndexPages } from './kept-pages.js';
import { CookieLab, readLabForm, type LabForm } from './lab-form.js';
import { findLabLinks, labPage } from './lab-page.js';
import { responseRules } from './lab.js';
import { errorPage, indexPage, loginPage, type InspectorView, type SourceLinks } from './pages.js';
import { sourceIndexPage, sourcePage } from './source-pages.js';
import { SourceLibrary } from './source.js';

/**
 * Longest accepted username, in characters. Deliberately generous: with the default settings a
 * name of more than 2962 ASCII letters no longer fits in a 4096-byte cookie (`longestUsernameThatFits()`
 * in username-limit.ts measures it), so a learner can watch that limit bite: the server then refuses
 * to save the session and says why.
 */
export const USERNAME_MAX_CHARACTERS = 3000;

/** What every route gets: the request, its session, and the library's context for it. */
interface RouteContext {
  readonly request: IncomingMessage;
  readonly session: Session;
  readonly context: SessionContext;
}

export interface DemoOptions {
  /** Sessions as any application gets them (session/sessions.ts): cookie or server-side, the routes below do not know. */
  readonly sessions: Sessions;
  /** Scratchpad's own sources, for /source and the pages' links into it; `null` leaves both out. */
  readonly source?: SourceLibrary | null;
  /** The secret keys, current first: the cookie lab checks cookies with them. Without them there is no /lab. */
  readonly secrets?: readonly string[];
  /** Milliseconds since the epoch: the clock of the sessions, which the inspector and the lab must share. */
  readonly now?: () => number;
  /**
   * Keep whole index pages and hand them out again for the same inputs (kept-pages.ts), and the one
   * page of visitors without a session: the default. `false` renders every page, which is the same
   * page, only slower.
   */
  readonly keepPages?: boolean;
}

export function createDemoApp(options: DemoOptions): Application {
  const { sessions } = options;
  const { cookie, format } = sessions;
  // Every page may use exactly one inline style block, the one pages.ts writes, and no script.
  const headers = securityHeaders([cspSourceHash(PAGE_STYLE)]);
  const library = options.source ?? null;
  const now = options.now ?? Date.now;
  // Found once, at start: a link whose code has moved away stops the server here (SourceLinkError).
  const serverSide = sessions.sessionInterface instanceof ServerSessionInterface;
  const links = library === null ? null : sourceLinks(library, serverSide);
  // The lab's links are found the same way, but a lost one only loses its link.
  const labLinks = library === null ? null : findLabLinks(library, serverSide);
  const keepPages = options.keepPages !== false;
  const renderIndex = keepPages ? keepIndexPages(indexPage) : indexPage;
  const lab = options.secrets === undefined ? null : new CookieLab({ cookie, secrets: options.secrets, now });

  /** The index page of a visitor without a session cookie, once the first such visitor came. */
  let anonymousIndex: string | undefined;

  /**
   * GET / — Flask: `if 'username' in session: return f'Logged in as {escape(session["username"])}'`.
   * Greet the user if the session knows them, and show what the server sees.
   * Why escape: the username is whatever someone typed into the form. Written into the page as it
   * is, `<script>…</script>` would run in the browser of whoever sees the page (cross-site
   * scripting). pages.ts escapes every value it did not write itself, as Flask's `escape()` does.
   */
  async function index({ request, session, context }: RouteContext): Promise<Reply> {
    const { loaded } = context;
    const username = session.get('username');
    const loggedIn = typeof username === 'string';
    // A visitor who sent no session cookie gets a page with nothing of the request in it: the same
    // bytes for every such visitor, so (with kept pages) it is rendered once, for the first of them.
    if (keepPages && !loaded.incoming.present && session.size === 0 && !session.permanent) {
      anonymousIndex ??= indexPage(null, await inspectorView(request, loaded, session), '');
      return htmlReply(200, anonymousIndex);
    }
    // The log-out button is a form, so it carries a CSRF token like the login form.
    const token = loggedIn ? context.csrfToken() : '';
    return htmlReply(200, renderIndex(loggedIn ? username : null, await inspectorView(request, loaded, session), token));
  }

  /** What the inspector on the index page shows about this request's session. */
  async function inspectorView(request: IncomingMessage, loaded: LoadedSession, session: Session): Promise<InspectorView> {
    const storage = sessions.inspect(loaded);
    const cookieValue = readCookie(request.headers.cookie, cookie.name) ?? null;
    return {
      cookieName: cookie.name,
      incoming: loaded.incoming,
      cookieValue,
      format,
      nowSeconds: Math.floor(now() / 1000),
      permanent: session.permanent,
      lifetimeSeconds: cookie.lifetimeSeconds,
      absoluteLifetimeSeconds: cookie.absoluteLifetimeSeconds,
      storage,
      data: session.toObject(),
      source: links,
    };
  }

  /**
   * GET /lab — the cookie lab: this browser's session cookie (or an example) as an editable form,
   * checked step by step. Like the login form, it carries a CSRF token, and holds this browser's own.
   */
  async function showLab({ request, context }: RouteContext, lab: CookieLab): Promise<Reply> {
    // The lab only reads the session: committing would re-send a permanent session's cookie, and
    // the lab promises to leave the learner's session as it is.
    context.leaveCookieAsIs();
    return htmlReply(200, await renderLab(lab, request, context.loaded, context.csrfToken(), null));
  }

  /** POST /lab — check the cookie the learner edited. A form post like any other: CSRF-checked first. */
  async function checkInLab({ request, context }: RouteContext, lab: CookieLab): Promise<Reply> {
    context.leaveCookieAsIs();
    // A form post like any other: context.form() refuses it (403) without this browser's CSRF token.
    const posted = readLabForm(await context.form(), cookie.lifetimeSeconds);
    return htmlReply(200, await renderLab(lab, request, context.loaded, context.csrfToken(), posted));
  }

  async function renderLab(lab: CookieLab, request: IncomingMessage, loaded: LoadedSession, csrfToken: string, posted: LabForm | null): Promise<string> {
    const sent = readCookie(request.headers.cookie, cookie.name);
    const { session, incoming } = loaded;
    const kind = cookieKind(format, sessions.inspect(loaded));
    const rules = responseRules({ holds: kind === 'id' ? 'id' : 'data', empty: session.size === 0, permanent: session.permanent, keyIndex: incoming.keyIndex, refreshEachRequest: cookie.refreshEachRequest });
    return labPage({
      csrfToken,
      cookieName: cookie.name,
      sent: { value: sent ?? null, rejection: incoming.rejection },
      kind,
      sections: await lab.sections(sent, session, posted, kind),
      rules,
      lifetimeSeconds: cookie.lifetimeSeconds,
      links: labLinks,
    });
  }

  /** GET /login — the form, with its CSRF token. It does not touch the session. */
  function showLogin({ request, context }: RouteContext): Reply {
    const next = new URL(request.url ?? '/', 'http://localhost').searchParams.get('next');
    return htmlReply(200, loginPage({ csrfToken: context.csrfToken(), next: localRedirectTarget(next), source: links }));
  }

  /**
   * POST /login — Flask: `session['username'] = request.form['username']`, then
   * `return redirect(url_for('index'))`.
   * Why redirect after POST: answering a POST with a page leaves that POST as the browser's last
   * request, so reloading (or going back) sends the form again. A 303 tells the browser to GET the
   * index instead: a reload then repeats a harmless GET. The cookie rides on the redirect itself.
   */
  async function login({ session, context }: RouteContext): Promise<Reply> {
    // Before anything changes: a post from another site, or without its token, is refused (403).
    const form = await context.form();
    const username = (form.get('username') ?? '').trim();
    // An unticked checkbox is simply absent from the form; a ticked one sends "on".
    const remember = form.get('remember') === 'on';
    // Only a path on this site: a crafted link must not turn our login into a jump to phishing.
    const next = localRedirectTarget(form.get('next'));
    const problem =
      username === ''
        ? 'Enter a username.'
        : [...username].length > USERNAME_MAX_CHARACTERS
          ? `A username can have at most ${USERNAME_MAX_CHARACTERS} characters.`
          : null;
    if (problem !== null) {
      const page = loginPage({ message: problem, username, remember, next, csrfToken: context.csrfToken(), source: links });
      return htmlReply(422, page);
    }
    session.set('username', username);
    session.permanent = remember;
    // A new session id at login, so an id planted before it ("session fixation") is worthless.
    session.regenerate();
    return redirectReply(next);
  }

  /**
   * GET or POST /logout — Flask: `session.pop('username', None)`, then redirect to the index.
   * Forget the user. An emptied session deletes its cookie.
   * GET is kept because Flask's example has it, and it shows why real applications do not: a GET
   * cannot carry a CSRF token, so any page on any site can log the visitor out with `<img src>`.
   */
  async function logout({ request, session, context }: RouteContext): Promise<Reply> {
    if (request.method === 'POST') await context.form();
    session.delete('username');
    return redirectReply('/');
  }

  const router = new Router<RouteContext>()
    .get('/', index)
    .get('/login', showLogin)
    .post('/login', login)
    .get('/logout', logout)
    .post('/logout', logout);
  if (lab !== null) router.get('/lab', (context) => showLab(context, lab)).post('/lab', (context) => checkInLab(context, lab));

  // Not in Flask's example: the annotated source, one exact route per module, so that no path
  // from a URL ever reaches the file system (source.ts).
  if (library !== null) {
    // The reading order, and after it the modules it does not number (index.ts): the same page for everyone.
    const listed = new Set(library.steps.flatMap((step) => step.modules));
    const readingOrder = sourceIndexPage(library.steps, library.modules.filter((module) => !listed.has(module)));
    router.get('/source', () => htmlReply(200, readingOrder));
    for (const module of library.modules) router.get(`/source/${module}`, () => htmlReply(200, sourcePage(module, library.page(module))));
  }
  // The library's own request path (session/sessions.ts): open, route, error pages, commit.
  return sessions.handle((request, session, context) => router.dispatch(request.method ?? 'GET', requestPath(request.url), { request, session, context }), {
    errorReply: (error) => errorReplyFor(error, library),
    headers,
  });
}

/** The demo as server.ts runs it, built from a configuration. */
export interface ConfiguredDemo {
  readonly application: Application;
  /** The sessions it serves, as createSessions() made them. */
  readonly sessions: Sessions;
  close(): Promise<void>;
}

/**
 * Wires the demo from a `Config`: the sessions SESSION_TYPE names, made by the same
 * `createSessions()` any application calls (CSRF tokens signed with the same secret keys, under
 * their own salt), and the application.
 *
 * The secret key — Flask: `app.secret_key = b'...'  # Keep this really secret!` Ours comes from
 * SECRET_KEY (config.ts), never from the code: anyone who has read the code, or the repository it
 * was committed to, could otherwise sign any session they like and be any user. It must be long
 * and random (config.ts requires 32 bytes in production): a cookie is an HMAC an attacker can try
 * keys against offline, as fast as their hardware allows, and only a key that cannot be guessed
 * makes that hopeless. `npm run new-secret-key` makes one.
 */
export async function createDemoFromConfig(
  config: Config,
  options: { now?: () => number; log?: (message: string) => void; formLimits?: FormLimits; source?: SourceLibrary | null; keepPages?: boolean } = {},
): Promise<ConfiguredDemo> {
  const secrets = [config.secretKey, ...config.secretKeyFallbacks];
  const clock = options.now === undefined ? {} : { now: options.now };
  const { store } = config;
  // Only the settings of this SESSION_TYPE: createSessions() refuses the ones that would do nothing.
  const serverSide = store.type !== 'cookie';
  if (serverSide && store.encrypt) options.log?.('sessions: SESSION_COOKIE_ENCRYPT has no effect here: the cookie holds only a random id, and the data stays on the server');
  const sessions = await createSessions({
    secretKey: secrets,
    // config.ts has already refused a short key in production, and warned about one elsewhere.
    allowShortSecretKey: true,
    store: store.type,
    cookie: config.cookie,
    format: store.format,
    ...(serverSide ? { idleLifetimeSeconds: store.idleLifetimeSeconds, newSessionsPerMinute: store.newSessionsPerMinute, lazyRefresh: store.lazyRefresh ?? true } : { encrypt: store.encrypt }),
    ...(store.type === 'memory' ? { memoryMax: store.memoryMax } : {}),
    ...(store.type === 'filesystem' ? { fileDirectory: store.fileDirectory } : {}),
    ...(store.type === 'redis' ? { redis: store.redis } : {}),
    memo: store.memo ?? true,
    trustProxy: config.trustProxy,
    formLimits: options.formLimits ?? config.limits.form,
    ...clock,
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const application = createDemoApp({
    sessions,
    // The sources beside this build (the package ships src/); without them, no /source pages.
    source: options.source === undefined ? SourceLibrary.load() : options.source,
    secrets,
    ...clock,
    ...(options.keepPages === undefined ? {} : { keepPages: options.keepPages }),
  });
  return { application, sessions, close: () => sessions.close() };
}

/**
 * An expected failure as a page, linking the line of the check that raised it when the sources
 * are at hand; anything else is a bug, and goes on to become a 500.
 */
function errorReplyFor(error: unknown, library: SourceLibrary | null): Reply {
  if (!(error instanceof HttpError)) throw error;
  const what = error instanceof SessionTooLargeError ? 'session too large' : error.status === 413 ? 'request too large' : null;
  return htmlReply(error.status, errorPage(error.status, error.message, library?.locate(error) ?? null, what), { ...error.headers, 'cache-control': 'no-store' });
}

/** The lines the demo's pages point at, found by their code (see SourceLinks in pages.ts). */
function sourceLinks(library: SourceLibrary, serverSide: boolean): SourceLinks {
  return {
    setCookie: library.link('http/cookie.ts', 'export function serializeSetCookie('),
    volatileOrPermanent: library.link('session/session-cookie.ts', 'maxAge: permanent ?'),
    whenToSend: serverSide ? library.link('session/server-session.ts', 'async #save(') : library.link('session/cookie-session.ts', '#setCookieFor({'),
    formParser: library.link('http/form.ts', 'export function parseUrlencoded('),
  };
}
