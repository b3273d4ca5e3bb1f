/**
 * HTML: the one way the demo's pages are written, escaped by construction.
 *
 * What: the `html` template tag, which escapes every value it is given unless it is already `Html`;
 * `page()`, which wraps a body in a complete document; and `PAGE_STYLE`, the one style block.
 *
 * Why: a page built by concatenating strings needs every value escaped by hand, and one forgotten
 * call is a cross-site scripting hole. With the tag, forgetting is impossible: a value is text
 * unless it was itself built by the tag. One style block, and no script at all, is what lets the
 * Content-Security-Policy (../http/security-headers.ts) forbid everything else.
 *
 * Spec: HTML Living Standard §13.1 (the document's syntax); CSP Level 3 §2.3.1 (hash sources).
 *
 * Not here: the pages themselves (pages.ts, source-pages.ts), escaping itself (../http/escape.ts).
 *
 * Read next: source-pages.ts.
 */
import { escapeHtml } from '../index.js';
import { SOURCE_STYLE } from './source-style.js';

/** Escaped HTML: the only thing these functions concatenate. */
export class Html {
  constructor(readonly value: string) {}
}

/**
 * A template tag: `html\`<p>${name}</p>\`` escapes `name` unless it is already `Html`.
 * Forgetting to escape is then impossible by construction.
 */
export function html(strings: TemplateStringsArray, ...values: readonly (string | number | Html | readonly Html[])[]): Html {
  let out = strings[0]!;
  for (let index = 0; index < values.length; index += 1) out += render(values[index]!) + strings[index + 1]!;
  return new Html(out);
}

function render(value: string | number | Html | readonly Html[]): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map((item: Html) => item.value).join('');
  return escapeHtml(String(value));
}

/**
 * The demo's own pages. Text a user typed (a name, a cookie, its JSON) may be one very long word:
 * `overflow-wrap: anywhere` breaks such a word where it must, and only there, so a phone never
 * splits a short name like "bob" across two lines (as `word-break: break-all` would) and a long one
 * never widens the page. On a phone, a table of facts stacks each heading above its value.
 */
const BASE_STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.6rem; } h2 { font-size: 1.15rem; margin-top: 2rem; } h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; padding: .3rem .6rem; border-bottom: 1px solid #ddd; }
  th { width: 11rem; font-weight: 600; } pre { background: #f5f5f5; padding: .6rem; overflow-x: auto; white-space: pre-wrap; }
  td, pre, .greeting, .raw, .steps, .rules { overflow-wrap: anywhere; } td p, td ul { margin: .3rem 0; }
  .note { color: #555; font-size: .95rem; } .error { color: #a00; font-weight: 600; }
  form.inline { display: inline; } button { font: inherit; }
  label { display: block; margin: .6rem 0; } input[type=text] { font: inherit; width: 20rem; max-width: 100%; }
  form.lab textarea, form.lab input[type=text] { display: block; box-sizing: border-box; width: 100%; font: .85rem/1.4 ui-monospace, monospace; }
  form.lab input[type=number] { font: inherit; width: 5rem; } .buttons button { margin: .2rem .3rem .2rem 0; }
  .raw code { display: block; background: #f5f5f5; padding: .6rem; font-size: .85rem; }
  .part1 { color: #1a5fb4; } .part2 { color: #9a4f00; } .part3 { color: #26722a; } mark { background: #ffe58a; }
  tr.failed th, tr.failed td { background: #fff0f0; }
  ol.steps { padding-left: 1.6rem; } li.step { margin: .5rem 0; padding: .1rem .7rem; border-left: 4px solid #ccc; } li.step p { margin: .3rem 0; }
  li.passed { border-color: #26722a; } li.refused { border-color: #a00; background: #fff0f0; } li.skipped { color: #777; }
  .status { font-size: .85rem; font-weight: 600; } li.passed .status { color: #26722a; } li.refused .status { color: #a00; }
  .verdict.accepted strong { color: #26722a; } .verdict.refused strong { color: #a00; } ol.rules li { margin: .4rem 0; } ol.rules li.decides { background: #fff6cc; }
  .code-link { font-size: .85rem; } nav { margin-top: 2.5rem; font-size: .9rem; color: #555; }
  @media (max-width: 36rem) {
    body { margin: 1rem auto; }
    table.facts th, table.facts td { display: block; width: auto; } table.facts th { border-bottom: 0; padding-bottom: 0; }
  }`;

/** The one inline style block; app.ts allows exactly this text in its Content-Security-Policy. */
export const PAGE_STYLE = BASE_STYLE + SOURCE_STYLE;

/** A whole document. `wide` gives the source view room for two columns. */
export function page(title: string, body: Html, wide = false): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} &middot; Scratchpad</title>
<style>${new Html(PAGE_STYLE)}</style>
</head>
<body${wide ? html` class="wide"` : html``}>
${body}
</body>
</html>
`.value;
}
