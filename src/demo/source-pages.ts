/**
 * Source pages: the reading order (GET /source) and one annotated module (GET /source/<module>).
 *
 * What: `sourceIndexPage()` and `sourcePage()` return complete documents around what annotate.ts
 * renders; `neighbourLinks()` is the "previous / next" line that walks a module page through the
 * reading order.
 *
 * Why: the demo's pages link into the code behind them; these are the pages they land on. From
 * there, a reader goes on as the reading order goes, one module to the next, as through a book.
 *
 * Spec: none.
 *
 * Not here: turning a module into prose and code (annotate.ts), finding the files (source.ts).
 *
 * Read next: cookie-parts.ts, the cookie cut into the parts the index page explains.
 */
import { inline } from './annotate.js';
import { html, Html, page } from './html.js';
import type { ReadingStep } from './source.js';

/** GET /source: the modules in reading order, one line each on what the step teaches. */
export function sourceIndexPage(steps: readonly ReadingStep[], others: readonly string[]): string {
  const items = steps.map(
    (step) => html`<li value="${step.number}">${step.modules.map((module, index) => html`${index === 0 ? '' : ', '}<a href="/source/${module}"><code>${module}</code></a>`)}: ${new Html(inline(step.teaches))}</li>`,
  );
  const rest = others.map((module, index) => html`${index === 0 ? '' : ', '}<a href="/source/${module}"><code>${module}</code></a>`);
  return page('Source', html`<h1>Read the source</h1>
<p>Scratchpad is written to be read, bottom-up, in this order (the order of <code>src/README.md</code>). Each module opens with what it is, why it exists, the spec it follows, what it leaves out, and what to read next; its comments then tell the story beside the code. Every line is numbered: link one with <code>#L42</code>.</p>
<ol class="reading">
${items}
</ol>
${others.length === 0 ? html`` : html`<p>Also: ${rest}.</p>`}
<p><a href="/">Back to the demo</a></p>`);
}

/**
 * The line above and below a module's annotated body (SourceLibrary.page() puts it there): the
 * modules before and after it in the reading order. At either end, the reading order itself.
 */
export function neighbourLinks({ previous, next }: { readonly previous: string | null; readonly next: string | null }): string {
  const before = previous === null ? html`<a href="/source" rel="prev">&larr; the reading order</a>` : html`<a href="/source/${previous}" rel="prev">&larr; previous: <code>${previous}</code></a>`;
  const after = next === null ? html`<a href="/source" rel="next">the reading order &rarr;</a>` : html`<a href="/source/${next}" rel="next">next: <code>${next}</code> &rarr;</a>`;
  return html`<nav class="neighbours" aria-label="Reading order">${before}<span>${after}</span></nav>`.value;
}

/** GET /source/<module>: `annotated` is SourceLibrary.page(), escaped there. */
export function sourcePage(module: string, annotated: string): string {
  return page(module, html`<p><a href="/source">&larr; Reading order</a> &middot; <a href="/">The demo</a></p>
<h1><code>src/${module}</code></h1>
${new Html(annotated)}
<p><a href="/source">&larr; Reading order</a></p>`, true);
}
