import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { annotate, proseLines } from '../../src/demo/annotate.js';
import { parseReadingOrder, SourceLibrary, SourceLinkError } from '../../src/demo/source.js';
import { HttpError } from '../../src/http/http-error.js';
import { Router } from '../../src/http/router.js';

const library = SourceLibrary.load()!;

test('SourceLibrary.load() finds src/ beside package.json, with every TypeScript module in it', () => {
  assert.ok(library !== null);
  for (const module of ['http/cookie.ts', 'session/stores/redis.ts', 'demo/annotate.ts', 'index.ts', 'server.ts']) {
    assert.ok(library.modules.includes(module), module);
  }
  assert.ok(library.modules.every((module) => module.endsWith('.ts') && !module.startsWith('/') && !module.includes('..')));
});

test('SourceLibrary.load() returns null where there are no sources', () => {
  assert.equal(SourceLibrary.load(null), null);
  assert.equal(SourceLibrary.load(mkdtempSync(join(tmpdir(), 'no-sources-'))), null);
});

// The docs cannot drift from the code: these two tests fail as soon as a module is added without
// its place in the reading order, or without the header every module opens with.
test('src/README.md lists every module in its reading order, and only modules that exist', () => {
  const listed = library.steps.flatMap((step) => step.modules);
  const unlisted = library.modules.filter((module) => !listed.includes(module) && module !== 'index.ts');
  assert.deepEqual(unlisted, [], 'modules missing from the reading order in src/README.md');
  assert.deepEqual(listed.filter((module) => !library.modules.includes(module)), [], 'listed modules that do not exist');
  assert.equal(new Set(listed).size, listed.length, 'a module listed twice');
  assert.deepEqual(library.steps.map((step) => step.number), library.steps.map((_, index) => index + 1), 'steps numbered 1, 2, 3, ...');
  assert.ok(library.steps.every((step) => /After (it|them), /.test(step.teaches)), 'every step says what the reader understands after it');
});

const HEADER_PARTS = ['What:', 'Why:', 'Spec:', 'Not here:', 'Read next:'];
for (const module of library.modules) {
  test(`src/${module} opens with the header shape: ${HEADER_PARTS.join(' ')}`, () => {
    const [first] = annotate(library.text(module)!);
    assert.ok(first !== undefined && first.comment[0]?.number === 1, 'the file starts with its header comment');
    const prose = proseLines(first.comment);
    const positions = HEADER_PARTS.map((part) => prose.findIndex((line) => line.startsWith(part)));
    assert.ok(positions.every((position) => position !== -1), `missing: ${HEADER_PARTS.filter((_, index) => positions[index] === -1).join(', ')}`);
    assert.deepEqual([...positions].sort((a, b) => a - b), positions, 'in this order');
    assert.ok(prose[1]!.trim().length > 0, 'a one-line summary comes first');
  });
}

test('every module renders without losing a line of code', () => {
  for (const module of library.modules) {
    const text = library.text(module)!;
    const html = library.page(module);
    const lines = text.replace(/\n$/, '').split('\n');
    for (const section of annotate(text)) {
      for (const { number, text: code } of section.code) {
        assert.ok(html.includes(`id="L${number}"`), `${module}:${number} has no anchor`);
        assert.equal(code, lines[number - 1]);
      }
    }
    assert.equal(library.page(module), html, 'rendered once and kept');
  }
});

// The comments carry the lessons, so every one of them must come out as written: a star left in
// the prose is emphasis the renderer missed, and a list line that is not an item (or a table line
// that is not a row) ran into a paragraph. The counts come from the comment text itself, not from
// the renderer's rules.
test('every module renders its comments as written: no *emphasis* markers left, no list item or table row lost', () => {
  const problems: string[] = [];
  for (const module of library.modules) {
    const sections = annotate(library.text(module)!);
    const chunks = library.page(module).split('<section class="chunk"').slice(1);
    assert.equal(chunks.length, sections.length, module);
    sections.forEach(({ comment }, index) => {
      const where = `${module}:${comment[0]?.number}`;
      const prose = /<div class="prose">([\s\S]*?)<\/div><div>/.exec(chunks[index]!)![1]!;
      const listLines = proseLines(comment).filter((line) => /^\s*(?:-|\d+\.) +\S/.test(line)).length;
      const items = prose.split('<li').length - 1;
      if (items !== listLines) problems.push(`${where}: ${listLines} list lines in the comment, ${items} items on the page`);
      // A table's rows, less the line that underlines its header.
      const tableLines = proseLines(comment).filter((line) => /^\|.*\|$/.test(line) && !/^\|[\s:|-]+\|$/.test(line)).length;
      const rows = prose.split('<tr>').length - 1;
      if (rows !== tableLines) problems.push(`${where}: ${tableLines} table rows in the comment, ${rows} on the page`);
      const text = prose.replace(/<pre>[\s\S]*?<\/pre>|<code>[\s\S]*?<\/code>/g, '').replace(/<[^>]*>/g, '');
      const marker = /(?<![\w*])\*{1,2}[A-Za-z][^*\n]*?[\w.!?)]\*{1,2}(?![\w*])/.exec(text);
      if (marker !== null) problems.push(`${where}: ${JSON.stringify(marker[0])} is shown with its stars`);
    });
  }
  assert.deepEqual(problems, []);
});

test('every link in the prose of every module leads to a module that exists', () => {
  for (const module of library.modules) {
    for (const [, target] of library.page(module).matchAll(/href="\/source\/([^"#]*)"/g)) {
      assert.ok(library.modules.includes(target!), `${module} links to ${target}`);
    }
  }
});

test('readingOrder is every module once: the steps of src/README.md in order, then the modules they leave out', () => {
  const listed = library.steps.flatMap((step) => step.modules);
  assert.deepEqual(library.readingOrder.slice(0, listed.length), listed);
  assert.deepEqual([...library.readingOrder].sort(), [...library.modules].sort());
});

test('neighbours() gives the modules before and after one in the reading order, and page() links them above and below', () => {
  const order = library.readingOrder;
  assert.deepEqual(library.neighbours(order[0]!), { previous: null, next: order[1] });
  assert.deepEqual(library.neighbours(order[1]!), { previous: order[0], next: order[2] });
  assert.deepEqual(library.neighbours(order.at(-1)!), { previous: order.at(-2), next: null });
  assert.throws(() => library.neighbours('no/such/module.ts'), SourceLinkError);
  const page = library.page(order[1]!);
  const nav = `<nav class="neighbours" aria-label="Reading order"><a href="/source/${order[0]}" rel="prev">&larr; previous: <code>${order[0]}</code></a><span><a href="/source/${order[2]}" rel="next">next: <code>${order[2]}</code> &rarr;</a></span></nav>`;
  assert.ok(page.startsWith(`${nav}\n`) && page.endsWith(`\n${nav}`));
  assert.match(library.page(order[0]!), /^<nav class="neighbours" aria-label="Reading order"><a href="\/source" rel="prev">&larr; the reading order<\/a>/);
  assert.match(library.page(order.at(-1)!), /<a href="\/source" rel="next">the reading order &rarr;<\/a><\/span><\/nav>$/);
});

test('link() points at the first line containing the code, and fails loudly when the code is gone', () => {
  const link = library.link('session/session-cookie.ts', 'maxAge: permanent ?');
  const line = Number(/#L(\d+)$/.exec(link)![1]);
  assert.match(link, /^\/source\/session\/session-cookie\.ts#L\d+$/);
  assert.match(library.text('session/session-cookie.ts')!.split('\n')[line - 1]!, /maxAge: permanent \?/);
  assert.throws(() => library.link('session/session-cookie.ts', 'code that is not there'), SourceLinkError);
  assert.throws(() => library.link('no/such/module.ts', 'x'), SourceLinkError);
  assert.throws(() => library.page('../package.json'), SourceLinkError);
});

test('locate() maps an error back to the TypeScript line that threw it', () => {
  let thrown: unknown;
  try {
    new Router().match('GET', '/nowhere');
  } catch (error) {
    thrown = error;
  }
  const link = library.locate(thrown as HttpError)!;
  assert.match(link, /^\/source\/http\/router\.ts#L\d+$/);
  const line = Number(/#L(\d+)$/.exec(link)![1]);
  assert.match(library.text('http/router.ts')!.split('\n')[line - 1]!, /throw new HttpError\(404/);
});

test('locate() gives null for an error raised outside the library, or without a stack', () => {
  assert.equal(library.locate(new HttpError(400, 'made in a test')), null);
  const bare = new HttpError(400, 'no stack');
  bare.stack = undefined;
  assert.equal(library.locate(bare), null);
});

const readingOrderCases: readonly { name: string; markdown: string; want: ReturnType<typeof parseReadingOrder> }[] = [
  {
    name: 'one module',
    markdown: '1. [`a.ts`](a.ts): the first step. After it, you know a.',
    want: [{ number: 1, modules: ['a.ts'], teaches: 'the first step. After it, you know a.' }],
  },
  {
    name: 'several modules in one step',
    markdown: '2. [`x/b.ts`](x/b.ts) and [`x/c.ts`](x/c.ts): two at once.',
    want: [{ number: 2, modules: ['x/b.ts', 'x/c.ts'], teaches: 'two at once.' }],
  },
  { name: 'prose and unnumbered links are not steps', markdown: '# Reading order\n\nIntro [`index.ts`](index.ts).\n- [`y.ts`](y.ts)', want: [] },
  { name: 'a numbered line without a module link', markdown: '3. just text', want: [] },
];
for (const { name, markdown, want } of readingOrderCases) {
  test(`parseReadingOrder(): ${name}`, () => {
    assert.deepEqual(parseReadingOrder(markdown), want);
  });
}

test('every /source link in the READMEs names a module that exists', async () => {
  const { readFileSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const links = [...readme.matchAll(/http:\/\/127\.0\.0\.1:5000\/source\/([\w./-]+\.ts)/g)].map((match) => match[1]!);
  assert.ok(links.length >= 10, `only ${links.length} annotated links in README.md`);
  assert.deepEqual(links.filter((module) => !library.modules.includes(module)), []);
});
