/**
 * Security headers: what every HTML response tells the browser about what the page may do.
 *
 * What: `securityHeaders()` returns the headers the demo adds to every response, and `cspSourceHash()`
 * the `'sha256-…'` source that lets one known inline `<style>` block through the Content-Security-Policy.
 *
 * Why: escaping (escape.ts) is the first defence against injected markup; these are the second, for
 * the day an escape is forgotten. The policy allows no script at all, so even injected `<script>`
 * or `onerror=` cannot run; the page cannot be framed (clickjacking a "Log out" button); the
 * browser may not guess a content type (sniffing text into HTML); and no URL of ours, which may
 * carry a `next` parameter, leaks to other sites in the Referer header (`same-origin`).
 *
 * Spec: CSP Level 3 (https://www.w3.org/TR/CSP3/, hash sources §2.3.1, `frame-ancestors` §6.4.2,
 * `form-action` §6.4.1); Fetch §3.5 (`X-Content-Type-Options: nosniff`); Referrer Policy §3
 * (`same-origin`); RFC 7034 (`X-Frame-Options`, for browsers without `frame-ancestors`).
 *
 * Not here: HSTS (it belongs to whoever terminates TLS, and pinning it on localhost is a trap),
 * CORS (nothing here is meant to be read cross-origin, and without CORS headers nothing is).
 *
 * Read next: ../signing/signer.ts.
 */
import { createHash } from 'node:crypto';

/** `'sha256-<base64>'` for an inline block whose exact text is `text`. */
export function cspSourceHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

/** The headers for every response; `styleSources` are the hashes of the inline styles the pages use. */
export function securityHeaders(styleSources: readonly string[]): Readonly<Record<string, string>> {
  const policy = [
    "default-src 'none'", // nothing loads unless listed below: no script, no plugin, no font
    // No inline style at all: 'none', since an empty source list is not valid CSP.
    `style-src ${styleSources.length === 0 ? "'none'" : styleSources.join(' ')}`,
    "form-action 'self'", // a form, even injected, can only post back to us
    "frame-ancestors 'none'",
    "base-uri 'none'", // an injected <base> cannot redirect relative links
  ].join('; ');
  return {
    'content-security-policy': policy,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // same-origin, not no-referrer: under no-referrer, browsers send `Origin: null` on form posts
    // (Fetch §3.1, "append a request Origin header"), and csrf.ts would refuse our own login form.
    // The real-browser test caught exactly that.
    'referrer-policy': 'same-origin',
  };
}
