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
 * comment, continues one (we are between its opening and closing markers), or starts with `//`.
 * Everything else, blank lines included, is code. A block comment followed by code on its closing
 * line is code, so nothing is ever hidden. This is a line classifier, not a TypeScript parser: a
 * template string whose line starts with `//` would be shown as prose, which Scratchpad's sources
 * never do (a test renders every module and checks that no code line is lost).
 *
 * How prose is written: in the part of Markdown that our comments use, because the lessons are in
 * it: rules numbered in order, the one word that matters in *emphasis*, a cookie's layout drawn in
 * monospace. Shown raw, the stars stay and each rule runs into the next. Blank lines separate
 * blocks; within a block, line by line:
 * - `- ` or `1. ` at the start of a line opens a list item, and the lines indented under it continue
 *   it; an item indented under another is nested in it. A number other than 1 continues a list but
 *   cannot start one inside a paragraph, so a sentence wrapped just before "3. " stays a sentence.
 * - An unindented line after a list ends the list (Markdown would continue the last item with it).
 * - Any other line indented by two spaces or more is preformatted, kept exactly as written: a
 *   cookie's layout, a diagram, an example. So is a grammar pasted from an RFC: two or more
 *   `rule = definition` lines in a row, with the indented lines that continue them.
 * - Lines that start and end with `|` are a table when the second one only underlines the
 *   first (`|---|---|`): the first row is the header, and each row's cells are split at `|`.
 * - Other lines run together into a paragraph.
 *
 * Inside paragraphs and list items, text in backticks is code, shown exactly as written;
 * `*emphasis*` and `**strong**` are marked up where the stars hug a word from outside (so
 * `1*tchar` and `*( ";" SP cookie-pair )` in a grammar keep their stars); and a module's file name
 * (`store.ts`, `../http/cookie.ts`, `session/stores/memory.ts`, `../index.js` as an import names it)
 * links to its annotated page. A name is looked up from the current module's folder, then from
 * `src/`; a name that is no module stays text.
 *
 * Spec: CommonMark 0.31.2, the sections "Indented code blocks", "List items", "Lists", "Code spans"
 * and "Emphasis and strong emphasis" (we follow them loosely, as said above). HTML Living Standard
 * §4.4.3 (`pre`), §4.4.5 (`ol start`), §7.4.6.4 (fragment identifiers: `#L42` scrolls to
 * `id="L42"`). Everything from the file is escaped (../http/escape.ts) before any markup is added.
 *
 * Not here: syntax colouring, the rest of Markdown (headings, links written as `[text](url)`,
 * quotes, aligned table columns), reading files (source.ts decides which files may be shown at
 * all), the page around the sections (source-pages.ts) and its layout (source-style.ts).
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

/** The text of comment lines without their markers, one string per line, indentation kept. */
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

/** Finds the module a file name in the prose refers to, or `null`: see `moduleLinker()`. */
export type ModuleLinker = (name: string) => string | null;

/**
 * The linker for prose in the module `from` (a path under `src/`, such as `session/store.ts`):
 * `name` is resolved against the folder of `from`, then against `src/` itself, and must be one
 * of `modules`. `.js`, the extension an import is written with, names the `.ts` it is built from.
 * A module never links to itself.
 */
export function moduleLinker(from: string, modules: readonly string[]): ModuleLinker {
  const known = new Set(modules);
  const folder = from.split('/').slice(0, -1);
  return (name) => {
    const typescript = name.replace(/\.js$/, '.ts');
    for (const base of [folder, []]) {
      const path = normalize([...base, ...typescript.split('/')]);
      if (path !== null && path !== from && known.has(path)) return path;
    }
    return null;
  };
}

/** `a/./b/../c` → `a/c`; `null` for a path that climbs out of `src/`. */
function normalize(parts: readonly string[]): string | null {
  const out: string[] = [];
  for (const part of parts) {
    if (part === '..') {
      if (out.pop() === undefined) return null;
    } else if (part !== '.' && part !== '') {
      out.push(part);
    }
  }
  return out.join('/');
}

const NO_LINKS: ModuleLinker = () => null;

// The block syntax, matched against one prose line. A list marker is indented by at most three
// spaces (more is an indented line); its content starts after the marker and its spaces.
const LIST_ITEM = /^( {0,3})(?:(-)|(\d{1,9})\.) +(?=\S)/;
const GRAMMAR_RULE = /^[A-Za-z][\w-]* += /;
const TABLE_ROW = /^\|.*\|$/;
const TABLE_UNDERLINE = /^\|(?: *:?-+:? *\|)+$/;

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

function isBlank(line: string | undefined): boolean {
  return line === undefined || line.trim() === '';
}

/** Where a grammar starts: this line and the next are both rules. */
function startsGrammar(lines: readonly string[], index: number): boolean {
  return GRAMMAR_RULE.test(lines[index]!) && GRAMMAR_RULE.test(lines[index + 1] ?? '');
}

/** Where a table starts: a row, underlined by the next line. */
function startsTable(lines: readonly string[], index: number): boolean {
  return TABLE_ROW.test(lines[index]!) && TABLE_UNDERLINE.test(lines[index + 1] ?? '');
}

/** Can `line` end the paragraph above it? Any other line continues that paragraph. */
function interruptsParagraph(lines: readonly string[], index: number): boolean {
  const line = lines[index]!;
  const item = LIST_ITEM.exec(line);
  if (item !== null) return item[2] === '-' || item[3] === '1';
  return indentOf(line) >= 2 || startsGrammar(lines, index) || startsTable(lines, index);
}

/**
 * Prose lines as HTML blocks. In a list item (`tight`), a paragraph is not wrapped in `<p>`, so
 * the item reads as one line of text like the comment it came from.
 */
function renderBlocks(lines: readonly string[], link: ModuleLinker, tight: boolean): string {
  const blocks: string[] = [];
  let index = 0;
  // Takes lines from `index` while `belongs` says so (never a blank one) and returns them.
  const take = (belongs: (line: string, at: number) => boolean): string[] => {
    const taken: string[] = [];
    while (!isBlank(lines[index]) && (taken.length === 0 || belongs(lines[index]!, index))) taken.push(lines[index++]!);
    return taken;
  };
  while (index < lines.length) {
    if (isBlank(lines[index])) {
      index += 1;
    } else if (LIST_ITEM.test(lines[index]!)) {
      const list = parseList(lines, index);
      index = list.end;
      blocks.push(renderList(list, link));
    } else if (startsTable(lines, index)) {
      blocks.push(renderTable(take((line) => TABLE_ROW.test(line)), link));
    } else if (startsGrammar(lines, index)) {
      blocks.push(preformatted(take((line) => GRAMMAR_RULE.test(line) || indentOf(line) >= 2)));
    } else if (indentOf(lines[index]!) >= 2) {
      blocks.push(preformatted(take((line) => indentOf(line) >= 2)));
    } else {
      const text = inline(take((_, at) => !interruptsParagraph(lines, at)).map((line) => line.trim()).join(' '), link);
      blocks.push(tight ? text : `<p>${text}</p>`);
    }
  }
  return blocks.join('\n');
}

/** Lines kept as written, less the indentation they all share. */
function preformatted(lines: readonly string[]): string {
  const shared = Math.min(...lines.map(indentOf));
  return `<pre>${escapeHtml(lines.map((line) => line.slice(shared)).join('\n'))}</pre>`;
}

/** A table: the first row is its header, the second (the underline) is dropped. */
function renderTable(rows: readonly string[], link: ModuleLinker): string {
  const cells = (row: string, tag: 'th' | 'td'): string =>
    row
      .slice(1, -1)
      .split('|')
      .map((cell) => `<${tag}>${inline(cell.trim(), link)}</${tag}>`)
      .join('');
  const [header, , ...body] = rows;
  return `<table><thead><tr>${cells(header!, 'th')}</tr></thead><tbody>${body.map((row) => `<tr>${cells(row, 'td')}</tr>`).join('')}</tbody></table>`;
}

interface List {
  readonly ordered: boolean;
  /** Each item's lines, less the indentation of its content: what the item holds, as prose. */
  readonly items: readonly { readonly number: number; readonly lines: readonly string[] }[];
  /** The index of the first line after the list. */
  readonly end: number;
}

/**
 * The list whose first item is `lines[start]`: items with the same marker kind and indentation,
 * each with the lines indented further than its marker (its continuation, and any nested list).
 */
function parseList(lines: readonly string[], start: number): List {
  const first = LIST_ITEM.exec(lines[start]!)!;
  const ordered = first[2] === undefined;
  const markerIndent = first[1]!.length;
  const items: { number: number; lines: string[] }[] = [];
  let index = start;
  for (let item: RegExpExecArray | null = first; item !== null; item = LIST_ITEM.exec(lines[index] ?? '')) {
    if (item[1]!.length !== markerIndent || (item[2] === undefined) !== ordered) break;
    const content = item[0].length;
    const itemLines = [lines[index]!.slice(content)];
    index += 1;
    while (!isBlank(lines[index]) && indentOf(lines[index]!) > markerIndent) {
      const line = lines[index]!;
      itemLines.push(line.slice(Math.min(indentOf(line), content)));
      index += 1;
    }
    items.push({ number: Number(item[3] ?? 0), lines: itemLines });
  }
  return { ordered, items, end: index };
}

function renderList({ ordered, items }: List, link: ModuleLinker): string {
  const first = items[0]!.number;
  const open = !ordered ? '<ul>' : first === 1 ? '<ol>' : `<ol start="${first}">`;
  const rendered = items.map(({ number, lines }, index) => {
    // A number out of sequence is shown as written, not as the browser would count.
    const value = ordered && number !== first + index ? ` value="${number}"` : '';
    return `<li${value}>${renderBlocks(lines, link, true)}</li>`;
  });
  return `${open}${rendered.join('')}${ordered ? '</ol>' : '</ul>'}`;
}

// The inline syntax. A star opens only after the start, a space or punctuation and before a
// non-space, and closes only after a non-space and before the end, a space or punctuation.
const STRONG = /(^|[^\w*])\*\*([^\s*](?:[^*]*[^\s*])?)\*\*(?![\w*])/g;
const EMPHASIS = /(^|[^\w*])\*([^\s*](?:[^*]*[^\s*])?)\*(?![\w*])/g;
// A file name: path segments ending in `.ts` or `.js`, not part of a longer name or address.
const FILE_NAME = /(?<![\w./-])((?:\.\.?\/)*[\w-]+(?:\/[\w.-]+)*\.[tj]s)(?![\w/-])/g;
const CODE_SPAN = /`([^`]+)`/g;

/**
 * One paragraph or item as HTML. Code spans are set aside first (nothing inside them is markup),
 * then the rest is escaped, so every tag in the result is one that this function wrote.
 */
export function inline(text: string, link: ModuleLinker = NO_LINKS): string {
  const codes: string[] = [];
  // U+0000 marks where a code span was; any in the text itself (it has no place in prose) goes first.
  const rest = text.replace(/\u0000/g, '').replace(CODE_SPAN, (_, code: string) => {
    const module = link(code);
    codes.push(module === null ? `<code>${escapeHtml(code)}</code>` : `<a href="/source/${escapeHtml(module)}"><code>${escapeHtml(code)}</code></a>`);
    return `\u0000${codes.length - 1}\u0000`;
  });
  return escapeHtml(rest)
    .replace(FILE_NAME, (name: string) => {
      const module = link(name);
      return module === null ? name : `<a href="/source/${escapeHtml(module)}">${name}</a>`;
    })
    .replace(STRONG, '$1<strong>$2</strong>')
    .replace(EMPHASIS, '$1<em>$2</em>')
    .replace(/\u0000(\d+)\u0000/g, (_, index: string) => codes[Number(index)]!);
}

function renderCode(code: readonly SourceLine[]): string {
  // No newline between lines: each is a block of its own, and a newline inside <pre> would add a
  // blank line after each. The number, the indentation and the rest are boxes side by side, so a
  // line too long for the screen wraps under its own first character (source-style.ts).
  return code
    .map(({ number, text }) => {
      const indent = text.length - text.trimStart().length;
      return `<span class="line" id="L${number}"><a href="#L${number}">${number}</a><span class="indent">${escapeHtml(text.slice(0, indent))}</span><span class="text">${escapeHtml(text.slice(indent))}</span></span>`;
    })
    .join('');
}

/**
 * The annotated page's body for the file `path` (shown in the heading). Comment lines have no
 * number column, but each keeps its anchor, so `#L12` works for any line of the file. File names
 * in the prose link to the pages of `modules` (none when not given).
 */
export function renderAnnotatedSource(path: string, source: string, modules: readonly string[] = []): string {
  const link = moduleLinker(path, modules);
  return annotate(source)
    .map(({ comment, code }) => {
      const anchors = comment.map(({ number }) => `<span id="L${number}"></span>`).join('');
      const first = comment[0]?.number;
      const last = comment.at(-1)?.number;
      const range = first === undefined ? '' : `<a class="lines" href="#L${first}">${first === last ? `line ${first}` : `lines ${first}&ndash;${last}`}</a>`;
      const prose = comment.length === 0 ? '' : `${anchors}${range}\n${renderBlocks(proseLines(comment), link, false)}`;
      const listing = code.length === 0 ? '' : `<pre class="code">${renderCode(code)}</pre>`;
      return `<section class="chunk" aria-label="${escapeHtml(path)}"><div class="prose">${prose}</div><div>${listing}</div></section>`;
    })
    .join('\n');
}
