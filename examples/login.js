// @ts-check
// Flask's session example (https://flask.palletsprojects.com/en/stable/quickstart/#sessions) on node:http:
// an index that greets you, a login form, a logout button. Run it: node examples/login.js
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createSessions, escapeHtml, HttpError, htmlReply, redirectReply } from 'scratchpad';

// The key that signs the session cookie: whoever knows it can forge a cookie and be any user.
const secretKey = process.env.SECRET_KEY || randomBytes(32).toString('base64url');
if (!process.env.SECRET_KEY) console.warn('warning: SECRET_KEY is not set, so a random key is used: sessions will not survive a restart');
// Where sessions live, as Flask-Session's SESSION_TYPE: cookie (the default), memory, filesystem, redis.
const type = process.env.SESSION_TYPE ?? 'cookie'; // for redis, SESSION_REDIS_URL says where (default 127.0.0.1:6379)
const sessions = await createSessions({ secretKey, store: type === 'redis' ? (process.env.SESSION_REDIS_URL ?? 'redis') : type });

/** @param {string} body */
const page = (body) => htmlReply(200, `<!doctype html>\n<meta charset="utf-8">\n<title>Login example</title>\n${body}\n`);

const app = sessions.listener(async (request, session, context) => {
  // One request in, one reply out. HEAD is answered like GET; the library leaves the body out.
  const route = `${request.method === 'HEAD' ? 'GET' : request.method} ${(request.url ?? '/').split('?')[0]}`;
  if (route === 'GET /') {
    const username = session.get('username'); // Flask: session['username']
    if (typeof username !== 'string') return page('<p>You are not logged in. <a href="/login">Log in</a></p>');
    // Escaped: the name is whatever someone typed, and a <script> in it must not run here. Logging
    // out is a POST with the token, not Flask's GET: with GET, any site's <img src=…/logout> would do it.
    return page(`<p>Logged in as ${escapeHtml(username)}</p>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="${context.csrfToken()}"><button>Log out</button></form>`);
  }
  if (route === 'GET /login') {
    return page(`<form method="post" action="/login"><input type="hidden" name="csrf_token" value="${context.csrfToken()}">
<p><label>Username <input name="username" required></label> <label><input type="checkbox" name="remember"> Remember me</label>
<p><button>Log in</button></form>`);
  }
  if (route === 'POST /login') {
    const form = await context.form(); // checks the hidden csrf_token first: a post from elsewhere gets 403
    const username = form.get('username')?.trim();
    if (!username) throw new HttpError(400, 'enter a username');
    session.set('username', username);
    // Remember me: a permanent session's cookie lasts 31 days; otherwise it ends with the browser.
    session.permanent = form.get('remember') === 'on';
    // A new session at login, so that one planted in this browser beforehand is worthless (fixation).
    session.regenerate();
    return redirectReply('/'); // 303 See Other: reloading the next page does not post the form again
  }
  if (route === 'POST /logout') {
    await context.form(); // the same check: another site cannot log you out either
    session.delete('username'); // the session is now empty, so its cookie is deleted
    return redirectReply('/');
  }
  throw new HttpError(404, 'there is no such page'); // the library turns an HttpError into a page
});

const host = process.env.HOST ?? '127.0.0.1';
const server = createServer(app).listen(Number(process.env.PORT ?? 8000), host, () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`listening on http://${host}:${port}`);
});
// Stop cleanly: finish the requests in flight, then close the store's connection (Redis) or timers.
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => server.close(() => sessions.close()));
