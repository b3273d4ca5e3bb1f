/**
 * Source style: how the annotated source view (/source) lays out prose beside code.
 *
 * What: the CSS for source-pages.ts, joined into the one style block of html.ts.
 *
 * Why: its own file, so the view's layout (two columns on a wide screen, one on a narrow one,
 * numbered lines that can be linked to) is read and changed in one place.
 *
 * Spec: CSS Grid Layout Module Level 1; the `:target` pseudo-class (Selectors Level 4 §9.3).
 *
 * Not here: the markup (source-pages.ts, annotate.ts).
 *
 * Read next: html.ts.
 */

export const SOURCE_STYLE = `
  body.wide { max-width: 92rem; } ol.reading li { margin: .5rem 0; }
  .chunk { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); gap: 1.5rem; border-top: 1px solid #eee; padding: .3rem 0; }
  .prose { font-size: .95rem; } .prose p { margin: .35rem 0; } .prose pre { font-size: .85rem; } a.lines { font-size: .75rem; color: #888; }
  pre.code { margin: 0; background: #f8f8f8; font-size: .82rem; line-height: 1.45; white-space: pre; word-break: normal; padding: .3rem 0; }
  pre.code .line { display: block; } pre.code .line:target { background: #fff0a8; }
  pre.code .line a { display: inline-block; width: 3rem; padding-right: .8rem; text-align: right; color: #999; text-decoration: none; }
  @media (max-width: 60rem) { .chunk { grid-template-columns: minmax(0, 1fr); } }`;
