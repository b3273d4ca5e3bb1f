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

/**
 * Escapes `text` for use as HTML text content or as a quoted attribute value.
 *
 * A single pass replaces each character exactly once, so an `&` produced by a replacement is never
 * escaped a second time (the bug a chain of `.replace()` calls gets when `&` is not first).
 */
export function escapeHtml(text: string): string {
  // The regular expression finds each special character in turn (natively, so long runs of plain
  // text cost little); the text between them is copied as it is. Most text (a username, a date, a
  // number) has none, and is returned without building a new string. The version before, one
  // `replace()` calling a function per match, took about twice as long on the index page's JSON
  // and on short markup (npm run bench:micro: 1.0× the chained-replace reference then, 1.9× now).
  SPECIAL_CHARACTER.lastIndex = 0;
  if (!SPECIAL_CHARACTER.test(text)) return text;
  let escaped = '';
  let copiedUpTo = 0;
  do {
    // `test()` with the `g` flag leaves `lastIndex` just after the character it found.
    const index = SPECIAL_CHARACTER.lastIndex - 1;
    escaped += text.slice(copiedUpTo, index) + replacementFor(text.charCodeAt(index));
    copiedUpTo = index + 1;
  } while (SPECIAL_CHARACTER.test(text));
  return escaped + text.slice(copiedUpTo);
}

// With the `g` flag, so that each `test()` continues from where the last one stopped. It is shared,
// so escapeHtml() sets `lastIndex` to 0 before using it (it runs to the end without yielding).
const SPECIAL_CHARACTER = /[&<>"']/g;

function replacementFor(code: number): string {
  switch (code) {
    // `&` must be replaced so that text which already looks like a character reference (`&lt;`)
    // comes out as those letters, not as `<`.
    case 0x26: return '&amp;'; // &
    case 0x3c: return '&lt;'; // <
    case 0x3e: return '&gt;'; // >
    case 0x22: return '&quot;'; // "
    // `&#39;` rather than `&apos;`: HTML 4 and some old mail clients do not know `&apos;`.
    default: return '&#39;'; // ', the only other character SPECIAL_CHARACTER matches
  }
}
