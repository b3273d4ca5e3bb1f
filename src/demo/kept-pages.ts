/**
 * Kept pages: whole index pages remembered by every input they show, so that a browser asking for
 * the same page again gets it without rendering.
 *
 * What: `keepIndexPages(render)` wraps a renderer with the signature of `indexPage()` (pages.ts)
 * and returns one with the same signature: the first call with given inputs renders the page and
 * keeps it, later calls with the same inputs return the kept string. `indexPageKey()` is the key:
 * every input of the page in one string. app.ts uses it unless `keepPages: false`, which serves
 * every page straight from pages.ts.
 *
 * Why: a browser with a session asks for the index page again and again with the same cookies, and
 * the same page comes out. Rendering one took about 6 µs, and Node then had to flatten the string of
 * a hundred pieces before writing it, another 1.7 µs (in-process timings); a kept page is flattened
 * by its first write and stays flat. With pages kept, the server answered 11 % more GET / with a
 * session (the two versions under the same wrk load at once, on one core, five runs each way). The
 * page shows how old the cookie is, so it is a new page every second; a second under load holds
 * thousands of requests for it.
 *
 * The rule it must keep: a kept page only for identical inputs. Every field of `InspectorView`, and
 * the username and the CSRF token beside it, is in the key, so two requests share a page only if
 * everything the page shows is the same for both. A field added to the view must be added to the
 * key: a test changes each field of a view in turn and requires the key to change with it
 * (test/demo/kept-pages.test.ts). Text is written as its length and itself (`5:alice`), so no value
 * can run into the next whatever it contains; numbers, flags and dates cannot contain the space
 * between fields. (JSON.stringify of the same list took 1 µs, half of what rendering took.)
 *
 * Bounded like every memo (../fast/bounded-map.ts): at most KEPT_PAGES, the oldest dropped first.
 * Measured on the page as it is (the cookie shown whole and in parts, a server-side record): the
 * largest page with its key is a server-side session whose username is 3,000 emoji (two bytes a
 * character in V8, in the greeting, the data and the record), about 75 KB; 3,000 quotation marks
 * (escaped, six characters each) take 61 KB, and the largest cookie a cookie session can hold about
 * 60 KB. So the kept pages hold under 20 MB at worst, and about 2 MB for names of usual length
 * (8 KB a page).
 *
 * Spec: none.
 *
 * Not here: HTML (pages.ts renders; this module only remembers).
 *
 * Read next: ../fast/mac-memo.ts and ../fast/memoized-signer.ts, the memo in front of the HMAC.
 */
import { BoundedMap } from '../index.js';
import type { InspectorView } from './pages.js';

/** The shape of `indexPage()`: a pure function of its arguments, which is what makes keeping its result safe. */
export type IndexRenderer = (username: string | null, inspector: InspectorView, csrfToken?: string) => string;

/** How many whole pages are kept: the browsers active in the last few seconds. */
export const KEPT_PAGES = 256;

/** `render`, remembering up to `entries` pages by `indexPageKey()`. */
export function keepIndexPages(render: IndexRenderer, entries = KEPT_PAGES): IndexRenderer {
  const kept = new BoundedMap<string, string>(entries);
  return (username, inspector, csrfToken = '') => {
    const key = indexPageKey(username, inspector, csrfToken);
    let page = kept.get(key);
    if (page === undefined) {
      page = render(username, inspector, csrfToken);
      kept.set(key, page);
    }
    return page;
  };
}

/** Every input of the index page, in one string: two keys are equal only if everything the page shows is. */
export function indexPageKey(username: string | null, view: InspectorView, csrfToken: string): string {
  const { incoming, storage, source } = view;
  const links = source ? `${text(source.setCookie)}${text(source.volatileOrPermanent)}${text(source.whenToSend)}${text(source.formParser)}` : '-';
  return `${text(username)} ${text(csrfToken)} ${text(view.cookieName)} ${incoming.present} ${incoming.bytes} ${text(incoming.rejection)} ${time(incoming.signedAt)} ${incoming.keyIndex} ${text(view.cookieValue)} ${view.format} ${view.nowSeconds} ${view.permanent} ${view.lifetimeSeconds} ${view.absoluteLifetimeSeconds} ${text(storage.type)} ${storage.cookieHolds} ${storage.protection} ${storage.storedBytes} ${text(storage.storedRecord)} ${time(storage.cookieExpiry)} ${text(JSON.stringify(view.data))} ${links}`;
}

function text(value: string | null): string {
  return value === null ? '-' : `${value.length}:${value}`;
}

function time(date: Date | null): string {
  return date === null ? '-' : String(date.getTime());
}
