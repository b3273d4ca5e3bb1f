/**
 * The source library: Scratchpad's own `src/` files, in reading order, for the demo to show.
 *
 * What: `SourceLibrary.load()` reads every `.ts` file under `src/` and the reading order in
 * `src/README.md` once, at start-up. It renders a module as an annotated page (annotate.ts) between
 * links to the modules before and after it in the reading order, finds the line where a piece of
 * code is (`link()`, for the demo's "see the code" links), and finds the line that threw an error
 * (`locate()`, for the error page), mapping compiled JavaScript back to TypeScript with the source
 * maps `tsc` writes beside it.
 *
 * Why: a learner should be one click away from the code behind what they see. The links are found
 * by searching for the code itself, not written as line numbers, so they follow the code when it
 * moves; a link whose code has gone stops the server at start (and fails a test) instead of
 * pointing at the wrong line.
 *
 * Which files can be shown: exactly the `.ts` files found under `src/` at start-up. The demo makes
 * one exact route per file (`/source/http/cookie.ts`), so a path is never joined with a URL and
 * `/source/../package.json` is simply a page that does not exist (404).
 *
 * Spec: Source Map Revision 3 (decoded by Node's `module.SourceMap`); V8's stack trace format.
 *
 * Not here: HTML (annotate.ts, source-pages.ts), watching files (restart the server after an edit).
 *
 * Read next: source-style.ts, then html.ts, the frame around every page.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAnnotatedSource } from './annotate.js';
import { neighbourLinks } from './source-pages.js';

/** One numbered step of src/README.md: the modules it names and what the reader learns. */
export interface ReadingStep {
  readonly number: number;
  /** Paths relative to `src/`, such as `http/cookie.ts`. */
  readonly modules: readonly string[];
  /** The step's text after its links, in the README's Markdown (backticks for code). */
  readonly teaches: string;
}

/** A link into the source view that no longer finds its code: the docs drifted from the code. */
export class SourceLinkError extends Error {
  override name = 'SourceLinkError';
}

/** Where the compiled JavaScript of this library lives (dist/ or .build/src/): two levels up from here. */
const COMPILED_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export class SourceLibrary {
  readonly #sourceRoot: string;
  readonly #files: ReadonlyMap<string, string>;
  readonly #pages = new Map<string, string>();
  readonly steps: readonly ReadingStep[];

  private constructor(sourceRoot: string, files: ReadonlyMap<string, string>, steps: readonly ReadingStep[]) {
    this.#sourceRoot = sourceRoot;
    this.#files = files;
    this.steps = steps;
  }

  /**
   * Loads `sourceRoot` (by default the `src/` beside the nearest package.json above this file),
   * or returns `null` when there is no such directory (a build installed without its sources).
   */
  static load(sourceRoot: string | null = findSourceRoot()): SourceLibrary | null {
    if (sourceRoot === null || !existsSync(join(sourceRoot, 'README.md'))) return null;
    const files = new Map<string, string>();
    for (const path of listTypeScript(sourceRoot, '')) files.set(path, readFileSync(join(sourceRoot, path), 'utf8'));
    return new SourceLibrary(sourceRoot, files, parseReadingOrder(readFileSync(join(sourceRoot, 'README.md'), 'utf8')));
  }

  /** Every module that can be shown, as paths relative to `src/`, sorted. */
  get modules(): readonly string[] {
    return [...this.#files.keys()];
  }

  text(path: string): string | undefined {
    return this.#files.get(path);
  }

  /** Every module in the order a reader meets them: the steps of src/README.md, then the rest. */
  get readingOrder(): readonly string[] {
    const listed = this.steps.flatMap((step) => step.modules).filter((module) => this.#files.has(module));
    return [...listed, ...this.modules.filter((module) => !listed.includes(module))];
  }

  /** The modules just before and after `path` in the reading order; `null` past either end. */
  neighbours(path: string): { readonly previous: string | null; readonly next: string | null } {
    const order = this.readingOrder;
    const index = order.indexOf(path);
    if (index === -1) throw new SourceLinkError(`src/${path} is not a module of this library`);
    return { previous: order[index - 1] ?? null, next: order[index + 1] ?? null };
  }

  /**
   * The annotated body of `path`, its file names linked to their modules, between links to its
   * neighbours in the reading order. Rendered once and kept: the files do not change while we run.
   */
  page(path: string): string {
    let rendered = this.#pages.get(path);
    if (rendered === undefined) {
      const text = this.#files.get(path);
      if (text === undefined) throw new SourceLinkError(`src/${path} is not a module of this library`);
      const neighbours = neighbourLinks(this.neighbours(path));
      rendered = `${neighbours}\n${renderAnnotatedSource(path, text, this.modules)}\n${neighbours}`;
      this.#pages.set(path, rendered);
    }
    return rendered;
  }

  /** `/source/<path>#L<n>`, where line n is the first that contains `code`. Throws SourceLinkError. */
  link(path: string, code: string): string {
    const text = this.#files.get(path);
    if (text === undefined) throw new SourceLinkError(`a demo link points into src/${path}, which does not exist`);
    const index = text.split('\n').findIndex((line) => line.includes(code));
    if (index === -1) throw new SourceLinkError(`a demo link looks for ${JSON.stringify(code)} in src/${path}, which no longer contains it`);
    return `/source/${path}#L${index + 1}`;
  }

  /**
   * The link to the TypeScript line that threw `error`: the first frame of its stack in this
   * library's compiled code (skipping the error class itself), mapped back through the source map.
   * `null` when the stack has no such frame or there is no map (then the page just has no link).
   */
  locate(error: Error): string | null {
    for (const frame of (error.stack ?? '').split('\n').slice(1)) {
      const match = /(file:\/\/\S+?|\/\S+?):(\d+):(\d+)\)?$/.exec(frame.trim());
      if (match === null) continue;
      const file = match[1]!.startsWith('file:') ? fileURLToPath(match[1]!) : match[1]!;
      if (!file.startsWith(COMPILED_ROOT + sep) || file.endsWith(`${sep}http-error.js`)) continue;
      const original = originalPosition(file, Number(match[2]) - 1, Number(match[3]) - 1);
      if (original === null) return null;
      const path = relative(this.#sourceRoot, original.file).split(sep).join('/');
      return this.#files.has(path) ? `/source/${path}#L${original.line + 1}` : null;
    }
    return null;
  }
}

/**
 * Source maps read so far, by compiled file (`null`: that file has none). Error pages are cheap for
 * a client to cause (any unknown URL), so each map is read and parsed once, not once per error:
 * reading it every time held a 404 flood to 3,800 requests/s, caching it lifts that to 10,000 (wrk, one
 * core). Bounded by the number of the library's own files.
 */
const sourceMaps = new Map<string, SourceMap | null>();

/** The line and file a compiled position came from (0-based line), or null without a source map. */
function originalPosition(compiledFile: string, line: number, column: number): { file: string; line: number } | null {
  const mapFile = `${compiledFile}.map`;
  let map = sourceMaps.get(compiledFile);
  if (map === undefined) {
    map = existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : null;
    sourceMaps.set(compiledFile, map);
  }
  if (map === null) return null;
  const entry = map.findEntry(line, column);
  // An entry without a source (an empty object) means the map says nothing about this position.
  if (!('originalSource' in entry)) return null;
  return { file: resolve(dirname(mapFile), entry.originalSource), line: entry.originalLine };
}

function findSourceRoot(): string | null {
  for (let directory = COMPILED_ROOT; ; directory = dirname(directory)) {
    if (existsSync(join(directory, 'package.json')) && existsSync(join(directory, 'src', 'README.md'))) return join(directory, 'src');
    if (dirname(directory) === directory) return null;
  }
}

function listTypeScript(root: string, under: string): string[] {
  const paths: string[] = [];
  for (const entry of readdirSync(join(root, under), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = under === '' ? entry.name : `${under}/${entry.name}`;
    if (entry.isDirectory()) paths.push(...listTypeScript(root, path));
    else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) paths.push(path);
  }
  return paths;
}

/**
 * The numbered steps of src/README.md: `6. [`a.ts`](a.ts) and [`b.ts`](b.ts): what it teaches.`
 * Each link names a module; the text after the last link is what the step teaches.
 */
export function parseReadingOrder(markdown: string): ReadingStep[] {
  const steps: ReadingStep[] = [];
  for (const line of markdown.split('\n')) {
    const step = /^(\d+)\.\s+(.*)$/.exec(line);
    if (step === null) continue;
    const links = [...step[2]!.matchAll(/\[`[^`]+`\]\(([^)]+)\)/g)];
    if (links.length === 0) continue;
    const last = links.at(-1)!;
    const teaches = step[2]!.slice(last.index! + last[0].length).replace(/^:\s*/, '');
    steps.push({ number: Number(step[1]), modules: links.map((link) => link[1]!), teaches });
  }
  return steps;
}
