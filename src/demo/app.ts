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
 * Why: it is the smallest program that needs a session, so it is the best place to watch one.
 * It imports only from ../index.js, as any other user of the library would.
 *
 * One request, in order (`application` below):
 *   1. open the session from the Cookie header (a bad cookie means an empty session);
 *   2. dispatch to the route's handler, which reads and writes `session` like a dictionary;
 *   3. turn an expected failure (HttpError) into an error page;
 *   4. commit the session onto the reply (Set-Cookie only when Flask's rules say so).
 *
 * Spec: Flask's quickstart, "Sessions" (https://flask.palletsprojects.com/en/stable/quickstart/#sessions).
 *
 * Not here: HTML (pages.ts), and every mechanism (the library).
 *
 * Read next: ../http/serve.ts, which serves any Application, then ../server.ts.
 */
import type { IncomingMessage } from 'node:http';
import {
  DEFAULT_FORM_LIMITS,
  HttpError,
  Router,
  htmlReply,
  readFormBody,
  redirectReply,
  requestPath,
  type Application,
  type FormLimits,
  type LoadedSession,
  type Reply,
  type Session,
  type SessionCookieSettings,
  type SessionInterface,
} from '../index.js';
import { errorPage, indexPage, loginPage } from './pages.js';

/**
 * Longest accepted username, in characters. Deliberately generous: a name of about 2900 ASCII
 * characters no longer fits in a 4096-byte cookie, so a learner can watch that limit bite
 * (the server then refuses to save the session and says why).
 */
export const USERNAME_MAX_CHARACTERS = 3000;

/** What every handler gets. */
interface RequestContext {
  readonly request: IncomingMessage;
  readonly session: Session;
  readonly loaded: LoadedSession;
}

export interface DemoOptions {
  /** Where sessions live: cookie or server-side, the routes below do not know (session/backend.ts). */
  readonly sessions: SessionInterface;
  /** The session cookie's settings, which the inspector explains. */
  readonly cookie: SessionCookieSettings;
  readonly formLimits?: FormLimits;
}

export function createDemoApp(options: DemoOptions): Application {
  const { sessions, cookie } = options;
  const formLimits = options.formLimits ?? DEFAULT_FORM_LIMITS;

  /** GET / — greet the user if the session knows them, and show what the server sees. */
  function index({ session, loaded }: RequestContext): Reply {
    const username = session.get('username');
    return htmlReply(
      200,
      indexPage(typeof username === 'string' ? username : null, {
        cookieName: cookie.name,
        incoming: loaded.incoming,
        permanent: session.permanent,
        lifetimeSeconds: cookie.lifetimeSeconds,
        storage: sessions.inspect(loaded),
        data: session.toObject(),
      }),
    );
  }

  /** GET /login — the form. It does not touch the session. */
  function showLogin(): Reply {
    return htmlReply(200, loginPage());
  }

  /** POST /login — remember the user, then redirect so that a reload does not post again. */
  async function login({ request, session }: RequestContext): Promise<Reply> {
    const form = await readFormBody(request, formLimits);
    const username = (form.get('username') ?? '').trim();
    // An unticked checkbox is simply absent from the form; a ticked one sends "on".
    const remember = form.get('remember') === 'on';
    const problem =
      username === ''
        ? 'Enter a username.'
        : [...username].length > USERNAME_MAX_CHARACTERS
          ? `A username can have at most ${USERNAME_MAX_CHARACTERS} characters.`
          : null;
    if (problem !== null) return htmlReply(422, loginPage({ message: problem, username, remember }));
    session.set('username', username);
    session.permanent = remember;
    // A new session id at login, so an id planted before it ("session fixation") is worthless.
    session.regenerate();
    return redirectReply('/');
  }

  /** GET or POST /logout — forget the user. An emptied session deletes its cookie. */
  async function logout({ request, session }: RequestContext): Promise<Reply> {
    // A POST is a form route like /login: its body is read (and limited) even though it is empty.
    if (request.method === 'POST') await readFormBody(request, formLimits);
    session.delete('username');
    return redirectReply('/');
  }

  const router = new Router<RequestContext>()
    .get('/', index)
    .get('/login', showLogin)
    .post('/login', login)
    .get('/logout', logout)
    .post('/logout', logout);

  return async function application(request: IncomingMessage): Promise<Reply> {
    // 1. Open. A bad cookie is an empty session; only a store that is down fails here (503).
    let loaded: LoadedSession;
    try {
      loaded = await sessions.open(request.headers.cookie);
    } catch (error) {
      return errorReply(error);
    }
    // 2. Dispatch, and 3. turn expected failures into pages.
    let reply: Reply;
    try {
      reply = await router.dispatch(request.method ?? 'GET', requestPath(request.url), { request, session: loaded.session, loaded });
    } catch (error) {
      reply = errorReply(error);
    }
    // 4. Commit. A session too large for a cookie (413) or a store that is down (503) becomes an
    //    error page without Set-Cookie, so the browser keeps the cookie it had.
    try {
      reply = await sessions.commit(loaded, reply);
    } catch (error) {
      reply = errorReply(error);
    }
    const rejection = loaded.incoming.rejection;
    return rejection === null ? reply : { ...reply, logNote: `session cookie rejected: ${rejection}` };
  };
}

/** An expected failure as a page; anything else is a bug, and goes on to become a 500. */
function errorReply(error: unknown): Reply {
  if (!(error instanceof HttpError)) throw error;
  return htmlReply(error.status, errorPage(error.status, error.message), { ...error.headers, 'cache-control': 'no-store' });
}
