/**
 * HTML escaping: turn any string into text that a browser shows, never runs.
 *
 * What: `escapeHtml()` replaces the five characters that can end a text node or a quoted attribute
 * value (`& < > " '`) with character references.
 *
 * Why: a session holds what a user typed. If the index page printed a username such as
 * `<img src=x onerror=alert(1)>` as it came, the browser would run it with the page's cookies and
 * origin: a stored cross-site scripting hole. Flask gets this from Jinja's autoescaping (and its
 * session example calls `escape()` by hand); here every page is built through this one function.
 *
 * Spec: HTML Living Standard §13.1.3 (text) and §13.1.2.3 (attribute values) say which characters
 * end those contexts; escaping all five makes one function safe for both, provided attribute values
 * are always quoted (pages.ts always quotes them).
 *
 * Not here: escaping for JavaScript, CSS or URLs (the demo never puts user data there), and
 * sanitising (keeping "safe" markup): we show user data as text, always.
 *
 * Read next: cookie.ts, which does the same job for the `Set-Cookie` header.
 */

const REPLACEMENTS: Readonly<Record<string, string>> = {
  // `&` must be one of the replaced characters so that text which already looks like a character
  // reference (`&lt;`) comes out as those letters, not as `<`.
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  // `&#39;` rather than `&apos;`: HTML 4 and some old mail clients do not know `&apos;`.
  "'": '&#39;',
};

/**
 * Escapes `text` for use as HTML text content or as a quoted attribute value.
 *
 * A single pass with one regular expression replaces each character exactly once, so an `&`
 * produced by a replacement is never escaped a second time (the bug a chain of `.replace()`
 * calls gets when `&` is not first).
 */
export function escapeHtml(text: string): string {
  // Most text (a username, a date, a number) has nothing to escape: looking first returns it
  // without building a new string or calling a function per match.
  if (!NEEDS_ESCAPING.test(text)) return text;
  // The pattern matches only keys of REPLACEMENTS, so the lookup always succeeds.
  return text.replace(/[&<>"']/g, (character) => REPLACEMENTS[character]!);
}

// Without the `g` flag: a global pattern's `test()` remembers where it stopped (`lastIndex`).
const NEEDS_ESCAPING = /[&<>"']/;
