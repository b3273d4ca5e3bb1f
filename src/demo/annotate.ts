/**
 * Annotated source: a TypeScript file as a page where the comments read as prose beside the code.
 *
 * What: `annotate()` splits a file into sections, each a run of comment lines (the prose) and the
 * code lines that follow it; `renderAnnotatedSource()` turns them into HTML with every line
 * numbered and linkable (`#L42`). Comment markers (`/**`, ` * `, `//`) are removed from the prose;
 * comments at the end of a code line stay in the code.
 *
 * Why: Scratchpad's comments explain *why*; read beside the code they describe, a module reads as a
 * story. This is the tradition of literate "annotated source" pages (Docco and its followers),
 * served by the demo itself so a learner can go from what the page shows to the line that did it.
 *
 * How a line is classified: it is prose if, once indented space is removed, it starts a block
 * comment (`/*`), continues one (we are between `/*` and `*\/`), or starts with `//`. Everything else,
 * blank lines included, is code. A block comment followed by code on its closing line is code, so
 * nothing is ever hidden. This is a line classifier, not a TypeScript parser: a template string
 * whose line starts with `//` would be shown as prose, which Scratchpad's sources never do (a test
 * renders every module and checks that no code line is lost).
 *
 * Spec: HTML Living Standard §4.4.3 (`pre`), §7.4.6.4 (fragment identifiers: `#L42` scrolls to
 * `id="L42"`). Everything from the file is escaped (../http/escape.ts).
 *
 * Not here: syntax colouring, Markdown (only `code` in backticks becomes `<code>`), reading files
 * (source.ts decides which files may be shown at all).
 *
 * Read next: source.ts, which serves these pages.
 */
import { escapeHtml } from '../index.js';

/** One source line, numbered from 1 as editors and stack traces do. */
export interface SourceLine {
  readonly number: number;
  readonly text: string;
}

/** Prose (comment lines, markers kept) and the code it describes; either may be empty. */
export interface Section {
  readonly comment: readonly SourceLine[];
  readonly code: readonly SourceLine[];
}

export function annotate(source: string): Section[] {
  const lines = source.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  const sections: Section[] = [];
  let comment: SourceLine[] = [];
  let code: SourceLine[] = [];
  let inBlockComment = false;
  lines.forEach((text, index) => {
    const line = { number: index + 1, text };
    const trimmed = text.trim();
    let isComment: boolean;
    if (inBlockComment || trimmed.startsWith('/*')) {
      const close = trimmed.indexOf('*/', inBlockComment ? 0 : 2);
      inBlockComment = close === -1;
      // Code after the closing marker makes the whole line code, so that it is never lost.
      isComment = close === -1 || trimmed.slice(close + 2).trim() === '';
    } else {
      isComment = trimmed.startsWith('//');
    }
    if (isComment) {
      // A comment after code starts the next section.
      if (code.length > 0) {
        sections.push({ comment, code });
        comment = [];
        code = [];
      }
      comment.push(line);
    } else {
      code.push(line);
    }
  });
  if (comment.length > 0 || code.length > 0) sections.push({ comment, code });
  return sections;
}

/** The text of comment lines without their markers, one string per line. */
export function proseLines(comment: readonly SourceLine[]): string[] {
  return comment.map(({ text }) =>
    text
      .trim()
      .replace(/^\/\*\*?/, '')
      .replace(/\*\/$/, '')
      .replace(/^\/\/\s?/, '')
      .replace(/^\*(?!\/)\s?/, '')
      .replace(/\s+$/, ''),
  );
}

/**
 * Prose as HTML: blank lines separate blocks; a block whose lines are all indented (an example in
 * a comment) stays preformatted; otherwise lines starting with `- ` open list items (indented lines
 * after one continue it) and other lines run together into paragraphs.
 */
function renderProse(comment: readonly SourceLine[]): string {
  const blocks: string[][] = [[]];
  for (const line of proseLines(comment)) {
    if (line.trim() === '') blocks.push([]);
    else blocks.at(-1)!.push(line);
  }
  return blocks
    .filter((block) => block.length > 0)
    .map((block) => (block.every((line) => /^\s{2,}/.test(line)) ? `<pre>${escapeHtml(block.join('\n'))}</pre>` : renderBlock(block)))
    .join('\n');
}

/** One block of prose: runs of list items become `<ul>`, runs of other lines `<p>`. */
function renderBlock(block: readonly string[]): string {
  // Group the lines: each group is a paragraph (one string) or a list (several items).
  const groups: { kind: 'p' | 'ul'; parts: string[] }[] = [];
  for (const line of block) {
    const last = groups.at(-1);
    if (/^\s*- /.test(line)) {
      const item = line.replace(/^\s*- /, '');
      if (last?.kind === 'ul') last.parts.push(item);
      else groups.push({ kind: 'ul', parts: [item] });
    } else if (last?.kind === 'ul' && /^\s/.test(line)) {
      last.parts[last.parts.length - 1] += ` ${line.trim()}`;
    } else if (last?.kind === 'p') {
      last.parts[0] += ` ${line.trim()}`;
    } else {
      groups.push({ kind: 'p', parts: [line.trim()] });
    }
  }
  return groups
    .map((group) => (group.kind === 'p' ? `<p>${inline(group.parts[0]!)}</p>` : `<ul>${group.parts.map((item) => `<li>${inline(item)}</li>`).join('')}</ul>`))
    .join('\n');
}

/**
 * Escapes, then turns `backticked` spans into `<code>`: the only markup our prose uses (comments
 * here, the steps of src/README.md on the reading-order page). Escaping first means the markup is ours.
 */
export function inline(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function renderCode(code: readonly SourceLine[]): string {
  // No newline between lines: each is a block of its own, and a newline inside <pre> would add a
  // blank line after each.
  return code.map(({ number, text }) => `<span class="line" id="L${number}"><a href="#L${number}">${number}</a>${escapeHtml(text)}</span>`).join('');
}

/**
 * The annotated page's body for the file `path` (shown in the heading). Comment lines have no
 * number column, but each keeps its anchor, so `#L12` works for any line of the file.
 */
export function renderAnnotatedSource(path: string, source: string): string {
  return annotate(source)
    .map(({ comment, code }) => {
      const anchors = comment.map(({ number }) => `<span id="L${number}"></span>`).join('');
      const first = comment[0]?.number;
      const last = comment.at(-1)?.number;
      const range = first === undefined ? '' : `<a class="lines" href="#L${first}">${first === last ? `line ${first}` : `lines ${first}&ndash;${last}`}</a>`;
      const prose = comment.length === 0 ? '' : `${anchors}${range}\n${renderProse(comment)}`;
      const listing = code.length === 0 ? '' : `<pre class="code">${renderCode(code)}</pre>`;
      return `<section class="chunk" aria-label="${escapeHtml(path)}"><div class="prose">${prose}</div><div>${listing}</div></section>`;
    })
    .join('\n');
}
