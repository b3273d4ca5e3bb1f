/**
 * The longest username that fits: where the browser's 4096-byte cookie limit bites on the demo's login.
 *
 * What: `longestUsernameThatFits()` finds the most characters a username can have before the
 * session cookie of a login no longer fits in 4096 bytes, by doing what a login does: it signs a
 * session holding that username and asks the session layer to write its cookie, which refuses a
 * cookie that is too large (SessionTooLargeError). No arithmetic on base64 here: the number comes
 * from the code that will enforce it.
 *
 * Why: USERNAME_MAX_CHARACTERS (app.ts) is deliberately larger than this, so that a learner can
 * watch the limit bite: a name that is valid as a name, and too large as a cookie. For the default
 * configuration (a cookie named `session`, a volatile session, ASCII letters, a timestamp of ten
 * digits, as until the year 2286) the answer is 2962: `'x'.repeat(2962)` logs in, `'x'.repeat(2963)`
 * gets the 413 page. It moves with everything in the cookie: a longer cookie name, a letter that JSON
 * escapes (`"` takes two bytes) or UTF-8 widens (`é` takes two), or an encrypted cookie.
 *
 * Spec: RFC 6265 §6.1 (user agents should store cookies of at least 4096 bytes, name and value).
 *
 * Not here: the limit itself (../http/cookie.ts), or the session's format (../session/cookie-session.ts).
 *
 * Read next: app.ts.
 */
import { CookieSessionInterface, htmlReply, loadConfig, NO_COOKIE, Session, SESSION_SALT, SessionTooLargeError, Signer } from '../index.js';

export interface UsernameLimitOptions {
  /** SESSION_COOKIE_NAME; default `session`. */
  readonly cookieName?: string;
  /** "Remember me": `true` writes `"permanent":true`, a byte shorter than `false`. Default false. */
  readonly permanent?: boolean;
  /** The character the name is made of; default `x`. */
  readonly character?: string;
  /** The time of the login, in milliseconds since the epoch; default now. */
  readonly now?: number;
}

/** The most characters a username can have and still fit the login's session cookie, signed as the server signs it. */
export async function longestUsernameThatFits(options: UsernameLimitOptions = {}): Promise<number> {
  // The default configuration, as the server reads it from an environment that sets only a key.
  const { cookie } = loadConfig({ SECRET_KEY: 'a key only for measuring, never for signing a real session', SESSION_COOKIE_NAME: options.cookieName ?? 'session' });
  const now = (): number => options.now ?? Date.now();
  const sessions = new CookieSessionInterface(cookie, new Signer({ secrets: ['measuring'], salt: SESSION_SALT, now }), now);
  const fits = async (characters: number): Promise<boolean> => {
    // What POST /login does: set the name, the flag, and a fresh login.
    const session = new Session();
    session.set('username', (options.character ?? 'x').repeat(characters));
    session.permanent = options.permanent ?? false;
    session.regenerate();
    try {
      await sessions.commit({ session, incoming: NO_COOKIE, secureRequest: false }, htmlReply(200, ''));
      return true;
    } catch (error) {
      if (error instanceof SessionTooLargeError) return false;
      throw error;
    }
  };
  // Binary search between a name that fits (none at all) and one that cannot (a cookie's worth).
  let fitting = 0;
  let tooLong = 4096;
  while (tooLong - fitting > 1) {
    const middle = Math.floor((fitting + tooLong) / 2);
    if (await fits(middle)) fitting = middle;
    else tooLong = middle;
  }
  return fitting;
}
