/**
 * Source style: how the annotated source view (/source) lays out prose beside code.
 *
 * What: the CSS for source-pages.ts, joined into the one style block of html.ts.
 *
 * Why: its own file, so the view's layout is read and changed in one place. Its rules:
 * - No code is cut off. A source line too long for its column wraps, and goes on under its own
 *   first character: the number, the indentation and the code are three boxes side by side
 *   (annotate.ts), and only the last one wraps. A very long word (a regular expression) may break
 *   anywhere rather than overflow.
 * - A preformatted block in the prose (a grammar, a diagram) keeps its lines, or its columns would
 *   no longer line up: on a wide screen its prose column grows to hold it, up to a limit; past
 *   that, and on a phone, the block scrolls sideways.
 * - The prose stays beside its code. On a wide screen (two columns) the prose of a section sticks
 *   to the top of the window while its code scrolls past, as in Docco's pages, so a line reached
 *   from a link (`#L169`), however far down a long function, is shown with the comment about it.
 * - A linked line stops below the top of the window (`scroll-margin-top`), with the code before it
 *   in view: a fifth of the way down on a wide screen, nearly half on a narrow one (one column,
 *   the prose above its code), which leaves room for the comment just above the line.
 *
 * Spec: CSS Grid Layout Module Level 1 (`minmax(min-content, 1fr)`); CSS Text Module Level 3
 * (`white-space`, `overflow-wrap: anywhere`); CSS Positioned Layout Level 3 (`position: sticky`);
 * CSS Scroll Snap Module Level 1 (`scroll-margin`); Selectors Level 4 (`:target`).
 *
 * Not here: the markup (source-pages.ts, annotate.ts).
 *
 * Read next: html.ts.
 */

export const SOURCE_STYLE = `
  body.wide { max-width: 100rem; } ol.reading li { margin: .5rem 0; }
  nav.neighbours { display: flex; flex-wrap: wrap; justify-content: space-between; gap: .3rem 1rem; margin: .8rem 0; }
  .chunk { display: grid; grid-template-columns: minmax(min-content, 1fr) minmax(0, 2fr); gap: 1.5rem; border-top: 1px solid #eee; padding: .3rem 0; }
  .prose { font-size: .95rem; align-self: start; position: sticky; top: 0; overflow-wrap: anywhere; }
  .prose p { margin: .35rem 0; } .prose ul, .prose ol { margin: .35rem 0; padding-left: 1.4rem; } .prose li { margin: .15rem 0; }
  .prose pre { font-size: .75rem; white-space: pre; word-break: normal; overflow-x: auto; max-width: 46rem; }
  .prose table { font-size: .85rem; margin: .5rem 0; } .prose th { width: auto; } .prose th, .prose td { padding: .2rem .4rem; overflow-wrap: normal; }
  a.lines { font-size: .75rem; color: #888; }
  pre.code { margin: 0; background: #f8f8f8; font-size: .8rem; line-height: 1.45; white-space: pre; word-break: normal; padding: .3rem 0; }
  pre.code .line { display: flex; scroll-margin-top: 20vh; } pre.code .line:target { background: #fff0a8; }
  pre.code .line a { flex: none; box-sizing: border-box; width: 3.6rem; padding-right: .8rem; text-align: right; color: #999; text-decoration: none; }
  pre.code .indent { flex: none; } pre.code .text { flex: 1 1 0; min-width: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
  @media (max-width: 60rem) {
    .chunk { grid-template-columns: minmax(0, 1fr); gap: .5rem; }
    .prose { position: static; } .prose th, .prose td { overflow-wrap: anywhere; }
    pre.code .line { scroll-margin-top: 45vh; } pre.code .line a { width: 2.8rem; padding-right: .6rem; }
  }`;
