// Cookie tossing, replayed in headless Chromium. The demo runs over HTTPS with the session cookie
// named __Host-session, which promises that only a secure page of this exact host set it. An
// attacker who controls any other page of the host (here: plain HTTP on another port of 127.0.0.1)
// sets "\xA0__Host-session" to a session of their own. The browser takes that as an ordinary
// cookie (its name does not start with "__Host-") and sends it to the demo too. A server that
// trimmed the name with String.prototype.trim() read it as __Host-session and logged the visitor
// in as the attacker (login CSRF); cookie.ts trims only SP and HTAB, so the cookie is ignored.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Browser, type BrowserCookie, type Page } from '../helpers/cdp.js';
import { makeCertificate } from '../helpers/certificate.js';
import { httpsRequest } from '../helpers/https.js';
import { sendRaw } from '../helpers/raw.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { skipUnlessInstalled } from '../helpers/tools.js';

const skip = skipUnlessInstalled('chromium', 'chromium');
const COOKIE_NAME = '__Host-session';
// U+00A0 as Node reads the byte 0xA0 of a header (Latin-1), and as Node writes it back out.
const TOSSED_NAME = `\u00a0${COOKIE_NAME}`;

/** The attacker logs in to the demo as `username`, like anyone may, and keeps the session cookie's value. */
async function sessionValueFor(server: RunningServer, ca: Buffer, username: string): Promise<string> {
  const form = await httpsRequest(`${server.url}/login`, ca);
  const token = /name="csrf_token" value="([^"]+)"/.exec(form.body)?.[1];
  const csrfCookie = form.setCookies[0]?.split(';')[0];
  assert.ok(token !== undefined && csrfCookie !== undefined, 'the login form carries a CSRF token and cookie');
  const login = await httpsRequest(`${server.url}/login`, ca, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie, origin: server.url },
    body: `username=${username}&csrf_token=${token}`,
  });
  const pair = login.setCookies.find((line) => line.startsWith(`${COOKIE_NAME}=`))?.split(';')[0];
  assert.ok(pair !== undefined, `logging in as ${username} sets ${COOKIE_NAME}`);
  return pair.slice(COOKIE_NAME.length + 1);
}

interface AttackerPage {
  readonly server: Server;
  readonly url: string;
  /** The Cookie header of each request the page received, as Node read it. */
  readonly cookieHeaders: (string | undefined)[];
}

/** A plain-HTTP page on another port of the same host that tosses `Set-Cookie: <0xA0>__Host-session=…`. */
async function startAttackerPage(value: string): Promise<AttackerPage> {
  const cookieHeaders: (string | undefined)[] = [];
  const server = createServer((request, response) => {
    cookieHeaders.push(request.headers.cookie);
    // Node writes header strings as Latin-1, so U+00A0 goes on the wire as the single byte 0xA0
    // (a test below reads the raw response to make sure of it).
    response.writeHead(200, { 'Content-Type': 'text/html', 'Set-Cookie': `${TOSSED_NAME}=${value}; Path=/` });
    response.end('<p>Nothing to see here</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, cookieHeaders, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe('cookie tossing in headless Chromium', { skip }, () => {
  let demo: RunningServer;
  let attacker: AttackerPage;
  let malloryValue: string;
  let browser: Browser;
  let page: Page;

  before(async () => {
    const files = makeCertificate();
    const ca = readFileSync(files.cert);
    demo = await startServer({ TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.key, SESSION_COOKIE_NAME: COOKIE_NAME });
    malloryValue = await sessionValueFor(demo, ca, 'mallory');
    attacker = await startAttackerPage(malloryValue);
    browser = await Browser.launch();
    // The demo's certificate is self-signed. The victim's browser must still treat the demo as a
    // secure origin, or it would refuse the demo's own __Host- cookies and test 3 would prove nothing.
    await browser.send('Security.setIgnoreCertificateErrors', { ignore: true });
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    if (attacker !== undefined) {
      await new Promise((resolve) => {
        attacker.server.close(resolve);
        attacker.server.closeAllConnections();
      });
    }
    await demo?.close();
  });

  test('1. Chromium stores "\\xA0__Host-session" from a plain-HTTP page on another port, and sends it back byte for byte', async () => {
    const raw = await sendRaw(attacker.url, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    assert.ok(raw.includes(`\r\nSet-Cookie: ${TOSSED_NAME}=${malloryValue}; Path=/\r\n`), 'the byte 0xA0 is on the wire, alone');
    await page.goto(attacker.url);
    // CDP reports names as UTF-8 and drops the lone byte 0xA0 (it is not UTF-8), so the list shows
    // "__Host-session". It is the tossed cookie all the same: mallory's value, and not Secure, which
    // a cookie really named __Host-session can never be.
    const stored = (await browser.cookies()).find((cookie) => cookie.value === malloryValue);
    assert.ok(stored !== undefined, 'Chromium refused the tossed cookie: this browser cannot replay the attack, so the test proves nothing');
    assert.ok(stored.name.endsWith(COOKIE_NAME), `stored as ${JSON.stringify(stored.name)}`);
    assert.equal(stored.secure, false);
    assert.equal(stored.domain, '127.0.0.1');
    // What the browser really stored, name bytes included: it sends it back to the attacker's page,
    // which reads the header as the demo would (Node, Latin-1).
    await page.goto(attacker.url);
    assert.equal(attacker.cookieHeaders.at(-1), `${TOSSED_NAME}=${malloryValue}`);
    // And it will send it to the demo over HTTPS: cookies are not separated by port or scheme.
    const { cookies } = (await browser.send('Network.getCookies', { urls: [demo.url] }, page.sessionId)) as { cookies: BrowserCookie[] };
    assert.ok(cookies.some((cookie) => cookie.value === malloryValue), 'the tossed cookie goes to the demo too');
  });

  test('2. the demo does not read it as its __Host-session cookie: the victim is not logged in as mallory', async () => {
    await page.goto(demo.url);
    const text = await page.text();
    assert.doesNotMatch(text, /Logged in as mallory/);
    assert.match(text, /You are not logged in/);
  });

  // Both cookies have Path=/, so Chromium sends the older one, the tossed cookie, first (RFC 6265
  // §5.4 step 2); a reader that trimmed its name would take it and never see the real one.
  test('3. the victim\'s own login works beside the tossed cookie, which does not shadow it', async () => {
    await page.goto(`${demo.url}/login`);
    await page.evaluate(`document.querySelector('input[name=username]').value = 'alice'`);
    await page.navigateBy(`document.querySelector('form[action="/login"] button[type=submit]').click()`);
    const text = await page.text();
    assert.doesNotMatch(text, /Logged in as mallory/);
    assert.match(text, /Logged in as alice/);
    const secureFlags = (await browser.cookies()).filter((cookie) => cookie.name.endsWith(COOKIE_NAME)).map((cookie) => cookie.secure);
    assert.deepEqual(secureFlags.sort(), [false, true], 'the browser holds both: the tossed cookie and the demo\'s Secure one');
  });
});
