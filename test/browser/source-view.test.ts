// The annotated source view as a reader sees it, in headless Chromium at a laptop's width (1280 px)
// and a phone's (390 px): no line of any module is cut off, a link to a line shows that line with
// the comment about it, and the comments read as written (lists, emphasis, preformatted blocks).
// With SCREENSHOT_DIR set, it also writes source-1280.png and source-390.png there.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { annotate } from '../../src/demo/annotate.js';
import { SourceLibrary } from '../../src/demo/source.js';
import { Browser, type Page } from '../helpers/cdp.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { skipUnlessInstalled } from '../helpers/tools.js';

const skip = skipUnlessInstalled('chromium', 'chromium');
const library = SourceLibrary.load()!;

const SCREENS: readonly { name: string; width: number; height: number; mobile: boolean; columns: number }[] = [
  { name: 'a laptop', width: 1280, height: 800, mobile: false, columns: 2 },
  { name: 'a phone', width: 390, height: 844, mobile: true, columns: 1 },
];

/**
 * In the page: each element of the annotated sections whose content is wider than its box, and the
 * page itself if it scrolls sideways. With `scrollingPre`, a preformatted block in the prose may
 * scroll: on a phone a diagram scrolls rather than lose its alignment (source-style.ts). Code never may.
 */
function clipped(scrollingPre: boolean): string {
  return `[...document.querySelectorAll('.chunk, .chunk *')]
  .filter((element) => element.clientWidth > 0 && element.scrollWidth > element.clientWidth)
  .filter((element) => !(${scrollingPre} && element.matches('.prose pre') && getComputedStyle(element).overflowX === 'auto'))
  .map((element) => (element.closest('[id]')?.id ?? '') + ' <' + element.tagName.toLowerCase() + ' class="' + element.className + '">: '
    + element.scrollWidth + ' px of content in ' + element.clientWidth + ' px')
  .concat(document.documentElement.scrollWidth > innerWidth ? ['the page scrolls sideways: ' + document.documentElement.scrollWidth + ' px'] : [])`;
}

/** In the page, once laid out: where the linked line (the `:target`) and its section's prose are. */
const TARGET = `new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => {
  const line = document.querySelector('.line:target');
  const prose = line.closest('.chunk').querySelector('.prose');
  const { top, bottom } = line.getBoundingClientRect();
  resolve({ line: { top, bottom }, proseTop: prose.getBoundingClientRect().top, proseText: prose.textContent.trim(), height: innerHeight });
})))`;

interface TargetPosition {
  readonly line: { readonly top: number; readonly bottom: number };
  readonly proseTop: number;
  readonly proseText: string;
  readonly height: number;
}

/** Loads `link` as a fresh page (a fragment change alone would not reload it). */
async function follow(page: Page, server: RunningServer, link: string): Promise<TargetPosition> {
  await page.goto('about:blank');
  await page.goto(`${server.url}${link}`);
  return page.evaluate<TargetPosition>(TARGET);
}

/** The links the demo's pages make into the source (pages.ts, app.ts): each lands on the first code line after a comment. */
const DEMO_LINKS = [
  library.link('session/cookie-session.ts', '#setCookieFor({'),
  library.link('session/session-cookie.ts', 'maxAge: permanent ?'),
  library.link('http/cookie.ts', 'export function serializeSetCookie('),
];

/** A line halfway down the longest stretch of code under one comment: far from the comment, as a line of a long function is. */
function deepLine(): string {
  let best = { module: '', code: [] as readonly { number: number }[] };
  for (const module of library.modules) {
    for (const { comment, code } of annotate(library.text(module)!)) {
      if (comment.length > 0 && code.length > best.code.length) best = { module, code };
    }
  }
  return `/source/${best.module}#L${best.code[Math.floor(best.code.length / 2)]!.number}`;
}

describe('the annotated source view in headless Chromium', { skip }, () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    server = await startServer();
    browser = await Browser.launch();
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('screenshots: the top of cookie-session.ts at 1280 px, and the line the inspector links to at 390 px (written to SCREENSHOT_DIR when set)', async () => {
    // First, before the other tests visit pages and turn their links the colour of visited ones.
    // The top shows the header's prose (a list, emphasis, the cookie's layout, links) beside the
    // code; the linked line shows, on a phone, the comment above it and long lines wrapping.
    const shots: [string, Buffer][] = [];
    for (const [{ width, height, mobile }, link] of [
      [SCREENS[0]!, '/source/session/cookie-session.ts'],
      [SCREENS[1]!, DEMO_LINKS[0]!],
    ] as const) {
      await page.setViewport(width, height, mobile);
      await page.goto('about:blank');
      await page.goto(`${server.url}${link}`);
      shots.push([`source-${width}.png`, await page.screenshot()]);
    }
    for (const [, png] of shots) assert.equal(png.subarray(1, 4).toString(), 'PNG');
    const directory = process.env['SCREENSHOT_DIR'];
    if (directory === undefined || directory === '') return;
    mkdirSync(directory, { recursive: true });
    for (const [name, png] of shots) writeFileSync(join(directory, name), png);
  });

  for (const screen of SCREENS) {
    test(`on ${screen.name} (${screen.width} px), every module's prose and code fit: long lines wrap, no code is cut off`, async () => {
      await page.setViewport(screen.width, screen.height, screen.mobile);
      for (const module of library.modules) {
        await page.goto(`${server.url}/source/${module}`);
        assert.deepEqual(await page.evaluate<string[]>(clipped(screen.columns === 1)), [], module);
      }
      // The layout the widths are for: prose beside code, or above it.
      const columns = await page.evaluate<string>(`getComputedStyle(document.querySelector('.chunk')).gridTemplateColumns`);
      assert.equal(columns.split(' ').length, screen.columns, columns);
    });

    test(`on ${screen.name} (${screen.width} px), a link to a line shows the line and, above or beside it, its comment`, async () => {
      await page.setViewport(screen.width, screen.height, screen.mobile);
      // On a phone the prose is above the code, so only a line just under its comment can show both
      // (the demo's links are such lines); on a wide screen the prose stays beside any line of its code.
      for (const link of screen.columns === 2 ? [...DEMO_LINKS, deepLine()] : DEMO_LINKS) {
        const { line, proseTop, proseText, height } = await follow(page, server, link);
        assert.ok(line.top >= 0 && line.bottom <= height, `${link}: the line is at ${line.top}–${line.bottom} px, the window ${height} px high`);
        assert.ok(proseTop >= 0 && proseTop < line.top, `${link}: its comment starts at ${proseTop} px, the line at ${line.top} px`);
        assert.ok(proseText.length > 0, `${link}: the line has a comment`);
      }
    });
  }

  test('the comments read as written: a numbered list, emphasis, a preformatted block, and links between modules', async () => {
    await page.setViewport(1280, 800);
    await page.goto(`${server.url}/source/session/server-session.ts`);
    // The four rules of the module header, each an item of its own.
    assert.equal(await page.evaluate<number>(`document.querySelector('.prose ol').children.length`), 4);
    assert.equal(await page.evaluate<string>(`document.querySelector('.prose em').textContent`), 'destroyed');
    assert.equal(await page.evaluate<boolean>(`[...document.querySelectorAll('.prose')].some((prose) => /\\*\\w+\\*/.test(prose.innerText))`), false);
    // The layout of a cookie stays on a line of its own, in the font of code.
    await page.goto(`${server.url}/source/session/cookie-session.ts`);
    assert.match(await page.evaluate<string>(`document.querySelector('.prose pre').textContent`), /^base64url\(JSON .* HMAC-SHA256 signature$/);
    // "Read next: flask-codec.ts" is a link, and so is the next step of the reading order.
    await page.navigateBy(`[...document.querySelectorAll('.prose a')].find((a) => a.textContent === 'flask-codec.ts').click()`);
    assert.equal(await page.evaluate<string>('location.pathname'), '/source/session/flask-codec.ts');
    const next = library.neighbours('session/flask-codec.ts').next!;
    await page.navigateBy(`document.querySelector('nav.neighbours a[rel=next]').click()`);
    assert.equal(await page.evaluate<string>('location.pathname'), `/source/${next}`);
  });

});
