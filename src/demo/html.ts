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

const BASE_STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.6rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; padding: .3rem .6rem; border-bottom: 1px solid #ddd; }
  th { width: 11rem; font-weight: 600; } pre { background: #f5f5f5; padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
  .note { color: #555; font-size: .95rem; } .error { color: #a00; font-weight: 600; }
  form.inline { display: inline; } button { font: inherit; }
  label { display: block; margin: .6rem 0; } input[type=text] { font: inherit; width: 20rem; max-width: 100%; }
  .code-link { font-size: .85rem; } nav { margin-top: 2.5rem; font-size: .9rem; color: #555; }`;

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
