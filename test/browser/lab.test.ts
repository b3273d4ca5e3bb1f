// The cookie lab and the inspector as a learner uses them, in headless Chromium: open the lab from
// the index page, make yourself admin (refused at the HMAC step), change nothing (accepted), let a
// month pass (refused at the age step), and see the cookie itself on the index page. Both pages fit
// a laptop (1280 px) and a phone (390 px) without scrolling sideways or splitting a short name.
// With SCREENSHOT_DIR set, it writes index-1280.png, index-390.png, lab-1280.png and lab-390.png there.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Browser, type Page } from '../helpers/cdp.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { skipUnlessInstalled } from '../helpers/tools.js';

const skip = skipUnlessInstalled('chromium', 'chromium');

async function logIn(page: Page, server: RunningServer, username: string): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.evaluate(`document.querySelector('input[name=username]').value = ${JSON.stringify(username)}`);
  await page.navigateBy(`document.querySelector('form[action="/login"] button[type=submit]').click()`);
}

/** Submits the native section's form with the button whose `edit` value is given. */
function check(page: Page, edit = 'check'): Promise<void> {
  return page.navigateBy(`document.querySelector('#native form button[value="${edit}"]').click()`);
}

/** The native section's verdict as the page shows it: the refused step's title, or "accepted". */
function verdict(page: Page): Promise<string> {
  return page.evaluate<string>(`(() => {
    const refused = document.querySelector('#native li.step.refused strong');
    return refused ? refused.textContent : document.querySelector('#native .verdict.accepted') ? 'accepted' : 'nothing';
  })()`);
}

/** A PNG of the whole page, not only the viewport. */
async function fullScreenshot(page: Page, width: number): Promise<Buffer> {
  const height = await page.evaluate<number>('document.documentElement.scrollHeight');
  const { data } = (await page.browser.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width, height, scale: 1 } }, page.sessionId)) as { data: string };
  return Buffer.from(data, 'base64');
}

/** Elements wider than the page, and the page if it scrolls sideways. */
const OVERFLOWING = `[...document.querySelectorAll('body *')]
  .filter((element) => element.getBoundingClientRect().right > innerWidth + 1)
  .map((element) => element.tagName.toLowerCase() + '.' + element.className + ' ends at ' + Math.round(element.getBoundingClientRect().right))
  .concat(document.documentElement.scrollWidth > innerWidth ? ['the page scrolls sideways: ' + document.documentElement.scrollWidth + ' px'] : [])`;

describe('the cookie lab in headless Chromium', { skip }, () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    server = await startServer();
    browser = await Browser.launch();
    page = await browser.newPage();
    await page.setViewport(1280, 900);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('1. the inspector shows the cookie itself: the value the browser holds, cut into payload, timestamp and signature', async () => {
    await logIn(page, server, 'alice');
    const cookie = (await browser.cookies()).find((each) => each.name === 'session')!;
    assert.equal(await page.evaluate<string>(`document.querySelector('.raw code').textContent`), cookie.value);
    const rows = await page.evaluate<string[]>(`[...document.querySelectorAll('table.parts th')].map((th) => th.textContent)`);
    assert.deepEqual(rows, ['1. Payload', '2. Timestamp', '3. Signature']);
    assert.deepEqual(
      await page.evaluate<string[]>(`[...document.querySelectorAll('table.parts td > code')].map((code) => code.textContent)`),
      cookie.value.split('.'),
    );
    const payload = await page.evaluate<string>(`document.querySelector('table.parts td pre').textContent`);
    assert.deepEqual(JSON.parse(payload).data, { username: 'alice' });
    assert.match(await page.text(), /HMAC-SHA256 over session=PAYLOAD\.TIMESTAMP/);
  });

  test('2. opened from the index page, the lab shows the learner\'s own cookie, and editing the payload to admin is refused at the HMAC step', async () => {
    const before = (await browser.cookies()).find((each) => each.name === 'session')!.value;
    await page.navigateBy(`document.querySelector('a[href="/lab"]').click()`);
    assert.equal(await page.evaluate<string>('location.pathname'), '/lab');
    assert.match(await page.text(), /This is your own session cookie/);
    assert.equal(await verdict(page), 'accepted');
    await page.evaluate(`(() => { const payload = document.querySelector('#native textarea[name=payload]'); payload.value = payload.value.replace('"alice"', '"admin"'); })()`);
    await check(page);
    assert.equal(await verdict(page), 'Signature (HMAC)');
    assert.match(await page.text(), /refused: BadSignature/);
    assert.match(await page.evaluate<string>(`document.querySelector('#native textarea[name=payload]').value`), /"admin"/, 'the form keeps the edit');
    assert.equal((await browser.cookies()).find((each) => each.name === 'session')!.value, before, 'the real session cookie is untouched');
  });

  test('3. changing nothing is accepted; a month later, the same cookie is refused at the age step', async () => {
    await page.goto(`${server.url}/lab`);
    await check(page);
    assert.equal(await verdict(page), 'accepted');
    await page.evaluate(`document.querySelector('#native input[name=days_later]').value = '40'`);
    await check(page);
    assert.equal(await verdict(page), 'Age');
    assert.match(await page.text(), /refused: SignatureExpired/);
    // The shortcut buttons do the same with one click.
    await page.goto(`${server.url}/lab`);
    await check(page, 'signature');
    assert.equal(await verdict(page), 'Signature (HMAC)');
  });

  test('4. from the refusing step, one click opens the line of code that refused', async () => {
    await page.goto(`${server.url}/lab`);
    await check(page, 'admin');
    await page.navigateBy(`document.querySelector('#native li.step.refused a.code-link').click()`);
    assert.equal(await page.evaluate<string>('location.pathname'), '/source/signing/signer.ts');
    assert.match(await page.evaluate<string>(`document.querySelector('.line:target').textContent`), /timingSafeEqual\(/);
  });

  test('5. at 1280 px and at 390 px, the index page and the lab fit the screen, and a short name is never split', async () => {
    const shots: [string, Buffer][] = [];
    for (const [width, height, mobile] of [[1280, 900, false], [390, 844, true]] as const) {
      await page.setViewport(width, height, mobile);
      await logIn(page, server, 'bob');
      assert.deepEqual(await page.evaluate<string[]>(OVERFLOWING), [], `index at ${width} px`);
      assert.equal(await page.evaluate<number>(`document.querySelector('.greeting strong').getClientRects().length`), 1, `"bob" on one line at ${width} px`);
      shots.push([`index-${width}.png`, await fullScreenshot(page, width)]);
      await page.goto(`${server.url}/lab`);
      await check(page, 'admin');
      assert.deepEqual(await page.evaluate<string[]>(OVERFLOWING), [], `lab at ${width} px`);
      shots.push([`lab-${width}.png`, await fullScreenshot(page, width)]);
      // A name far longer than a line wraps inside the page instead of widening it.
      await logIn(page, server, 'x'.repeat(400));
      assert.deepEqual(await page.evaluate<string[]>(OVERFLOWING), [], `a 400-letter name at ${width} px`);
    }
    await page.setViewport(1280, 900);
    for (const [, png] of shots) assert.equal(png.subarray(1, 4).toString(), 'PNG');
    const directory = process.env['SCREENSHOT_DIR'];
    if (directory === undefined || directory === '') return;
    mkdirSync(directory, { recursive: true });
    for (const [name, png] of shots) writeFileSync(join(directory, name), png);
  });
});
