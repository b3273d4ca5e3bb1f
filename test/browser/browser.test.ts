// The browser is the judge: what headless Chromium does with our cookies. A volatile cookie dies with
// the browser, a permanent one survives a restart, an oversized one is never sent, and a username
// carrying script stays text. One browser for the whole file (restarted once, on the same profile).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Browser, type BrowserCookie, type Page } from '../helpers/cdp.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { skipUnlessInstalled } from '../helpers/tools.js';

const skip = skipUnlessInstalled('chromium', 'chromium');
const LIFETIME = 2678400;

/** Fills the login form of the current page and submits it with a real click. */
async function logIn(page: Page, server: RunningServer, username: string, remember: boolean): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.evaluate(`document.querySelector('input[name=username]').value = ${JSON.stringify(username)}`);
  if (remember) await page.evaluate(`document.querySelector('input[name=remember]').checked = true`);
  await page.navigateBy(`document.querySelector('form[action="/login"] button[type=submit]').click()`);
}

function cookieNamed(cookies: readonly BrowserCookie[], name: string): BrowserCookie | undefined {
  return cookies.find((cookie) => cookie.name === name);
}

describe('in headless Chromium', { skip }, () => {
  // Two servers on one host, each with its own cookie name: one user logs in without "Remember me",
  // the other with it, and the browser holds both cookies side by side.
  let volatileServer: RunningServer;
  let permanentServer: RunningServer;
  let browser: Browser;
  let page: Page;
  const started = Date.now();

  before(async () => {
    volatileServer = await startServer({ SESSION_COOKIE_NAME: 'volatile' });
    permanentServer = await startServer({ SESSION_COOKIE_NAME: 'remembered' });
    browser = await Browser.launch();
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await volatileServer?.close();
    await permanentServer?.close();
    console.log(`# browser tests took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  test('1. logging in without "Remember me" leaves a session cookie with no expiry', async () => {
    await logIn(page, volatileServer, 'alice', false);
    assert.match(await page.text(), /Logged in as alice/);
    const cookie = cookieNamed(await browser.cookies(), 'volatile');
    assert.ok(cookie !== undefined, 'the browser kept the cookie');
    assert.equal(cookie.session, true);
    assert.equal(cookie.expires, -1);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(await page.evaluate('document.cookie.includes("volatile=")'), false, 'HttpOnly: scripts cannot read it');
  });

  test('2. logging in with "Remember me" leaves a cookie that expires PERMANENT_SESSION_LIFETIME from now', async () => {
    await logIn(page, permanentServer, 'bob', true);
    assert.match(await page.text(), /Logged in as bob/);
    const cookie = cookieNamed(await browser.cookies(), 'remembered');
    assert.ok(cookie !== undefined);
    assert.equal(cookie.session, false);
    const expected = Date.now() / 1000 + LIFETIME;
    assert.ok(Math.abs(cookie.expires - expected) < 60, `expires ${cookie.expires}, expected ${expected} ± 60`);
  });

  test('3. after a clean restart on the same profile, the volatile login is gone and the permanent one remains', async () => {
    // Browser.close is a clean shutdown: Chromium writes its cookie store to disk before it exits,
    // which a kill would not do. Waiting for the exit (code 0) means the write has finished.
    assert.equal(await browser.close(), 0);
    // And the proof that it did: the cookie database on disk names the permanent cookie (names are
    // stored in clear; values are encrypted), before any new browser could have written it.
    const store = readFileSync(join(browser.userDataDir, 'Default', 'Cookies'));
    assert.ok(store.includes('remembered'), 'the permanent cookie is in the on-disk cookie store');
    browser = await Browser.launch(browser.userDataDir);
    page = await browser.newPage();
    const cookies = await browser.cookies();
    assert.equal(cookieNamed(cookies, 'volatile'), undefined, 'the session cookie died with the browser');
    assert.ok(cookieNamed(cookies, 'remembered') !== undefined, 'the permanent cookie was kept on disk');
    await page.goto(permanentServer.url);
    assert.match(await page.text(), /Logged in as bob/);
    await page.goto(volatileServer.url);
    assert.match(await page.text(), /You are not logged in/);
  });

  test('4. a username carrying script is shown as text and never runs', async () => {
    const attack = `<img src=x onerror="document.title='pwned';window.pwned=1"><script>window.pwned=2</script>`;
    await logIn(page, volatileServer, attack, false);
    assert.equal(await page.evaluate('document.title'), 'Home · Scratchpad');
    assert.equal(await page.evaluate('typeof window.pwned'), 'undefined');
    assert.equal(await page.evaluate('document.querySelectorAll("img, script").length'), 0);
    assert.ok((await page.text()).includes(`Logged in as ${attack}`), 'the markup is visible as text');
  });

  test('5. logging out through the page clears the cookie in the browser', async () => {
    await logIn(page, volatileServer, 'carol', false);
    assert.ok(cookieNamed(await browser.cookies(), 'volatile') !== undefined);
    await page.navigateBy(`document.querySelector('form[action="/logout"] button').click()`);
    assert.match(await page.text(), /You are not logged in/);
    assert.equal(cookieNamed(await browser.cookies(), 'volatile'), undefined);
  });

  test('6. a session too large for a cookie: a clear error page, and the user stays logged in as before', async () => {
    await logIn(page, volatileServer, 'dave', false);
    const before = cookieNamed(await browser.cookies(), 'volatile');
    await logIn(page, volatileServer, 'x'.repeat(2963), false);
    const text = await page.text();
    assert.match(text, /Error 413/);
    assert.match(text, /browsers silently drop cookies over 4096 bytes, so it was not saved; your previous session is unchanged/);
    assert.equal(cookieNamed(await browser.cookies(), 'volatile')?.value, before?.value, 'the browser kept the old cookie');
    await page.goto(volatileServer.url);
    assert.match(await page.text(), /Logged in as dave/);
  });

  test('7. screenshots of the index page after a permanent login and of the login form (written to SCREENSHOT_DIR when set)', async () => {
    const directory = process.env['SCREENSHOT_DIR'];
    await page.goto(permanentServer.url);
    assert.match(await page.text(), /Logged in as bob/);
    const index = await page.screenshot();
    await page.goto(`${permanentServer.url}/login`);
    const login = await page.screenshot();
    for (const png of [index, login]) assert.equal(png.subarray(1, 4).toString(), 'PNG');
    if (directory === undefined || directory === '') return;
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, 'index.png'), index);
    writeFileSync(join(directory, 'login.png'), login);
  });

  test('8. from the inspector, one click opens the annotated source at the line that decides volatile or permanent', async () => {
    await page.goto(permanentServer.url);
    await page.navigateBy(`[...document.querySelectorAll('a')].find((a) => a.textContent.startsWith('volatile or permanent')).click()`);
    assert.match(await page.evaluate<string>('location.pathname'), /^\/source\/session\/session-cookie\.ts$/);
    // The linked line is the :target, and it is the code that decides.
    assert.match(await page.evaluate<string>(`document.querySelector('.line:target').textContent`), /maxAge: permanent \?/);
    // Styled (the CSP lets the page's one style block through): prose and code side by side.
    assert.equal(await page.evaluate<string>(`getComputedStyle(document.querySelector('.chunk')).display`), 'grid');
    assert.equal(await page.evaluate<number>('document.scripts.length'), 0);
    const png = await page.screenshot();
    const directory = process.env['SCREENSHOT_DIR'];
    if (directory !== undefined && directory !== '') writeFileSync(join(directory, 'source.png'), png);
  });
});
