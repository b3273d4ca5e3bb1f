/**
 * The session cookie: how every session backend writes it, deletes it, and marks the response.
 *
 * What: `sessionCookie()` (the attributes of a volatile or permanent session cookie),
 * `deletionCookie()`, `cookieExpiry()` (when the browser will drop it), and `withSessionHeaders()`
 * (`Set-Cookie`, `Vary: Cookie`, `Cache-Control: no-store` on the reply).
 *
 * Why: whether the cookie carries the data (cookie-session.ts) or only an id (server-session.ts),
 * the browser-facing rules are the same, and they are where the volatile/permanent lesson lives:
 * - volatile: no `Max-Age`, no `Expires`. The browser drops the cookie when it closes.
 * - permanent: `Max-Age=<PERMANENT_SESSION_LIFETIME>` and the matching `Expires`, for browsers that
 *   predate `Max-Age`; the cookie survives restarts until then.
 * - deleting: the same name, `Path` and `Domain` (or the browser treats it as another cookie),
 *   an empty value, `Max-Age=0` and an `Expires` in 1970.
 * - caching: a response that read the session differs per cookie; one that sets a cookie must never
 *   be replayed to someone else. Both get `no-store`; the first also `Vary: Cookie`.
 *
 * Spec: RFC 6265 §4.1.2 (attributes), §3.1 (deleting by expiring); RFC 9111 §5.2.2.5 (no-store);
 * RFC 9110 §12.5.5 (Vary).
 *
 * Not here: the cookie's value (each backend makes its own), header syntax (../http/cookie.ts).
 *
 * Read next: cookie-session.ts.
 */
import type { SetCookie } from '../http/cookie.js';
import { withHeaders, type Reply } from '../http/reply.js';
import type { LoadedSession, SessionCookieSettings } from './session.js';

/**
 * The session cookie carrying `value`, volatile or permanent. Every attribute is written out in one
 * object literal rather than spread from a shared one: this runs on every request of a permanent
 * session, and the spreads cost more than the HMAC (npm run bench:micro, session cost rows).
 */
export function sessionCookie(settings: SessionCookieSettings, value: string, permanent: boolean, now: number, secureRequest: boolean): SetCookie {
  return {
    name: settings.name,
    value,
    // Volatile: neither attribute, so the browser keeps the cookie only until it closes.
    maxAge: permanent ? settings.lifetimeSeconds : undefined,
    expires: permanent ? new Date(wholeSecond(now) + settings.lifetimeSeconds * 1000) : undefined,
    domain: settings.domain,
    path: settings.path,
    httpOnly: settings.httpOnly,
    secure: settings.secure === 'auto' ? secureRequest : settings.secure,
    sameSite: settings.sameSite,
    partitioned: settings.partitioned,
  };
}

/** A cookie is deleted by setting it again, same name, path and domain, already expired. */
export function deletionCookie(settings: SessionCookieSettings, secureRequest: boolean): SetCookie {
  return { ...sessionCookie(settings, '', false, 0, secureRequest), maxAge: 0, expires: new Date(0) };
}

/**
 * When the browser will drop a permanent session's cookie after this response; `null` while
 * volatile. A changed or refreshed cookie is re-sent now; otherwise it keeps its signing date.
 */
export function cookieExpiry({ session, incoming }: LoadedSession, settings: SessionCookieSettings, now: number): Date | null {
  if (!session.permanent) return null;
  const resent = session.modified || settings.refreshEachRequest || incoming.signedAt === null;
  const from = resent ? wholeSecond(now) : incoming.signedAt!.getTime();
  return new Date(from + settings.lifetimeSeconds * 1000);
}

/**
 * `now` without its milliseconds. An HTTP date has whole seconds (RFC 9110 §5.6.7), and so does a
 * signing date; an expiry with milliseconds would also make the index page a different page every
 * millisecond, so that no kept page (../demo/kept-pages.ts) would ever be shown twice.
 */
function wholeSecond(now: number): number {
  return Math.floor(now / 1000) * 1000;
}

/**
 * Adds what the session requires to a reply. `accessed` must be read from the session *before*
 * the backend encodes it, since encoding reads the session too.
 */
export function withSessionHeaders(reply: Reply, accessed: boolean, setCookie: string | null): Reply {
  if (!accessed && setCookie === null) return reply;
  // One copy of the reply for all three headers (withHeaders), not one per header.
  const added: Record<string, string> = accessed ? { vary: 'Cookie', 'cache-control': 'no-store' } : { 'cache-control': 'no-store' };
  if (setCookie !== null) added['set-cookie'] = setCookie;
  return withHeaders(reply, added);
}
