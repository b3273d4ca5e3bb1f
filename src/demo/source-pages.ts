/**
 * Source pages: the reading order (GET /source) and one annotated module (GET /source/<module>).
 *
 * What: `sourceIndexPage()` and `sourcePage()` return complete documents around what annotate.ts
 * renders.
 *
 * Why: the demo's pages link into the code behind them; these are the pages they land on.
 *
 * Spec: none.
 *
 * Not here: turning a module into prose and code (annotate.ts), finding the files (source.ts).
 *
 * Read next: pages.ts.
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

/** GET /source/<module>: `annotated` is annotate.ts's output, escaped there. */
export function sourcePage(module: string, annotated: string): string {
  return page(module, html`<p><a href="/source">&larr; Reading order</a> &middot; <a href="/">The demo</a></p>
<h1><code>src/${module}</code></h1>
${new Html(annotated)}
<p><a href="/source">&larr; Reading order</a></p>`, true);
}
