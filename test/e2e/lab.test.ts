// The cookie lab over HTTP: GET and POST /lab on the real server, in every session mode. It shows
// the visitor's own cookie, checks edits step by step with the server's verdict, is a CSRF-protected
// form like any other, escapes what it shows, and never sends (or changes) the session cookie.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SourceLibrary } from '../../src/demo/source.js';
import { Signer } from '../../src/index.js';
import { get, postForm, sessionCookieFrom, startServer, TEST_SECRET_KEY, TestClock, type RunningServer } from '../helpers/server.js';

const clock = new TestClock();
let server: RunningServer;
before(async () => {
  server = await startServer({}, { now: clock.now });
});
after(() => server.close());

/** Logs in and returns the session cookie's `name=value`. */
async function logIn(url: string, username: string, remember = false): Promise<string> {
  return sessionCookieFrom(await postForm(`${url}/login`, { username, ...(remember ? { remember: 'on' } : {}) }))!;
}

function unescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** The fields of one section's form on a lab page, as a browser would send them. */
function labFields(page: string, format: 'native' | 'flask'): Record<string, string> {
  const section = page.slice(page.indexOf(`<section id="${format}">`));
  const form = section.slice(0, section.indexOf('</form>'));
  const fields: Record<string, string> = {};
  for (const [, name, value] of form.matchAll(/<input type="(?:hidden|text|number)" name="([^"]+)" value="([^"]*)"/g)) fields[name!] = unescape(value!);
  // A textarea's first newline is not part of its value (HTML §13.1.2.5).
  fields['payload'] = unescape(/<textarea name="payload"[^>]*>\n([\s\S]*?)<\/textarea>/.exec(form)![1]!);
  return fields;
}

/** The lab page for `cookie`, with the CSRF cookie it sets, ready to post back. */
async function openLab(url: string, cookie?: string): Promise<{ page: string; response: Response; cookies: string }> {
  const response = await get(`${url}/lab`, cookie);
  const csrf = response.headers.getSetCookie().find((line) => line.startsWith('session_csrf='))?.split(';')[0];
  return { page: await response.text(), response, cookies: [csrf, cookie].filter((part) => part !== undefined).join('; ') };
}

function postLab(url: string, fields: Record<string, string>, cookies: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/lab`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies, ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/** The section of a lab page for one format, and the step it says refused the cookie ("" when accepted). */
function verdictOf(page: string, format: 'native' | 'flask'): { section: string; refused: string } {
  const start = page.indexOf(`<section id="${format}">`);
  const section = page.slice(start, page.indexOf('</section>', start));
  return { section, refused: /<li class="step refused"><p><strong>([^<]+)<\/strong>/.exec(section)?.[1] ?? '' };
}

test('GET /lab without a session: an example, CSRF token and cookie, and no session cookie', async () => {
  const { page, response } = await openLab(server.url);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.equal(response.headers.get('vary'), 'Cookie');
  const cookies = response.headers.getSetCookie();
  assert.equal(cookies.length, 1);
  assert.match(cookies[0]!, /^session_csrf=/);
  assert.match(page, /<h1>Cookie lab<\/h1>/);
  assert.match(page, /With this request your browser sent no session cookie/);
  assert.match(page, /Your browser sent no session cookie, so this is an example/);
  assert.match(page, /&quot;username&quot;:&quot;alice&quot;/);
  assert.equal(verdictOf(page, 'native').refused, '', 'an example checks out');
  assert.equal(verdictOf(page, 'flask').refused, '');
  assert.match(page, /<h2>3\. What the server sends back<\/h2>/);
  assert.match(page, /<li class="decides"><strong>The session is empty\.<\/strong>/);
  assert.doesNotMatch(page, /[^\x00-\x7f]/, 'pure ASCII, like every page (pages.ts says why)');
  // Linked from the index page.
  assert.match(await (await get(server.url)).text(), /<a href="\/lab">the cookie lab<\/a>/);
});

test('GET /lab shows the visitor their own cookie, accepted at every step, and links each step to its code', async () => {
  const cookie = await logIn(server.url, 'alice');
  const { page } = await openLab(server.url, cookie);
  assert.match(page, /With this request your browser sent a session cookie that the server accepted/);
  assert.match(page, /This is your own session cookie, exactly as your browser sent it/);
  const fields = labFields(page, 'native');
  assert.equal(fields['original'], cookie.slice('session='.length));
  assert.equal(JSON.parse(fields['payload']!).data.username, 'alice');
  const { section, refused } = verdictOf(page, 'native');
  assert.equal(refused, '');
  assert.match(section, /<strong>Accepted<\/strong>: every step passed\./);
  assert.match(section, /The library's own verdict, from <code>Signer\.verify\(\)<\/code>, then <code>CookieSessionInterface\.open\(\)<\/code>: accepted/);
  assert.equal(section.match(/<li class="step passed">/g)?.length, 8);
  // Every step links to the line that takes it; the HMAC step to the constant-time comparison.
  assert.equal(section.match(/the code of this step/g)?.length, 8);
  const hmac = /Signature \(HMAC\)[\s\S]*?href="(\/source\/signing\/signer\.ts#L\d+)"/.exec(section)![1]!;
  const line = Number(hmac.split('#L')[1]);
  assert.match(readFileSync('src/signing/signer.ts', 'utf8').split('\n')[line - 1]!, /timingSafeEqual\(/);
});

test('POST /lab: username admin is refused at the HMAC step, an unchanged cookie is accepted, a month later at the age step', async () => {
  const cookie = await logIn(server.url, 'bob');
  const { page, cookies } = await openLab(server.url, cookie);
  const fields = labFields(page, 'native');
  const admin = await postLab(server.url, { ...fields, payload: fields['payload']!.replace('"bob"', '"admin"') }, cookies);
  assert.equal(admin.status, 200);
  const refused = await admin.text();
  assert.equal(verdictOf(refused, 'native').refused, 'Signature (HMAC)');
  assert.match(refused, /refused: BadSignature/);
  assert.match(refused, /<mark>[A-Za-z0-9_-]+<\/mark>\.\d+\.[A-Za-z0-9_-]+<\/code>/, 'the changed payload is marked');
  assert.match(refused, /The library's own verdict, from [\s\S]*?: refused \(BadSignature: signature matches none/);
  // The shortcut button does the same.
  assert.equal(verdictOf(await (await postLab(server.url, { ...fields, edit: 'admin' }, cookies)).text(), 'native').refused, 'Signature (HMAC)');
  assert.equal(verdictOf(await (await postLab(server.url, { ...fields, edit: 'signature' }, cookies)).text(), 'native').refused, 'Signature (HMAC)');
  assert.equal(verdictOf(await (await postLab(server.url, { ...fields, edit: 'permanent' }, cookies)).text(), 'native').refused, 'Signature (HMAC)');
  assert.equal(verdictOf(await (await postLab(server.url, { ...fields, timestamp: String(Number(fields['timestamp']) + 1) }, cookies)).text(), 'native').refused, 'Signature (HMAC)');
  // Nothing changed: accepted, as the server itself accepts it.
  const same = await (await postLab(server.url, fields, cookies)).text();
  assert.equal(verdictOf(same, 'native').refused, '');
  assert.match(same, /<strong>Accepted<\/strong>: every step passed\./);
  assert.match(await (await get(server.url, cookie)).text(), /Logged in as <strong>bob<\/strong>/, 'as the server itself accepts it');
  // A genuine cookie grows too old: the age step refuses it.
  const later = await (await postLab(server.url, { ...fields, edit: 'later' }, cookies)).text();
  assert.equal(verdictOf(later, 'native').refused, 'Age');
  assert.match(later, /refused: SignatureExpired/);
  assert.match(later, /Checked as if it were \w{3}, [^<]+ GMT: 32 days from now\./);
});

test('POST /lab never shows the signature that would make an edit pass', async () => {
  const cookie = await logIn(server.url, 'carol');
  const { page, cookies } = await openLab(server.url, cookie);
  const fields = labFields(page, 'native');
  const payload = fields['payload']!.replace('"carol"', '"admin"');
  const body = await (await postLab(server.url, { ...fields, payload }, cookies)).text();
  const forgery = new Signer({ secrets: [TEST_SECRET_KEY], salt: 'scratchpad.session', now: () => Number(fields['timestamp']) * 1000 }).sign('session', payload).split('.')[2]!;
  assert.ok(!body.includes(forgery));
});

test('POST /lab is a form post like any other: without its CSRF token, or from another origin, it is refused (403)', async () => {
  const cookie = await logIn(server.url, 'dave');
  const { page, cookies } = await openLab(server.url, cookie);
  const fields = labFields(page, 'native');
  const { csrf_token: _token, ...withoutToken } = fields;
  const missing = await postLab(server.url, withoutToken, cookies);
  assert.equal(missing.status, 403);
  assert.match(await missing.text(), /the form has no csrf_token field/);
  assert.equal((await postLab(server.url, fields, cookie)).status, 403, 'without the CSRF cookie');
  assert.equal((await postLab(server.url, fields, cookies, { origin: 'https://evil.example' })).status, 403);
  assert.equal((await postLab(server.url, fields, cookies, { 'sec-fetch-site': 'cross-site' })).status, 403);
  assert.deepEqual(missing.headers.getSetCookie(), []);
  const bad = await postLab(server.url, { ...fields, format: 'yaml' }, cookies);
  assert.equal(bad.status, 400);
});

test('/lab sends no session cookie, even where every other page re-sends a permanent one', async () => {
  const cookie = await logIn(server.url, 'erin', true);
  clock.advanceSeconds(5);
  const index = await get(server.url, cookie);
  assert.ok(sessionCookieFrom(index) !== null, 'GET / refreshes a permanent session (SESSION_REFRESH_EACH_REQUEST)');
  const { page, response, cookies } = await openLab(server.url, cookie);
  assert.equal(sessionCookieFrom(response), null);
  assert.match(page, /<li class="decides"><strong>The session is permanent and SESSION_REFRESH_EACH_REQUEST is true\.<\/strong>/);
  const posted = await postLab(server.url, { ...labFields(page, 'native'), edit: 'admin' }, cookies);
  assert.equal(posted.status, 200);
  assert.deepEqual(posted.headers.getSetCookie(), []);
  // And the real session is as it was.
  assert.match(await (await get(server.url, cookie)).text(), /Logged in as <strong>erin<\/strong>/);
});

test('/lab escapes everything it shows: a username carrying script, and script typed into the form', async () => {
  const attack = '<script>alert(1)</script>"\'&';
  const cookie = await logIn(server.url, attack);
  const { page, cookies } = await openLab(server.url, cookie);
  assert.doesNotMatch(page, /<script/i);
  assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  const fields = labFields(page, 'native');
  assert.equal(JSON.parse(fields['payload']!).data.username, attack, 'the form gives back exactly what it shows');
  const body = await (await postLab(server.url, { ...fields, payload: '<script>alert(2)</script>', signature: '"><img src=x onerror=alert(3)>', timestamp: '<b>' }, cookies)).text();
  assert.doesNotMatch(body, /<script|<img|<b>/i);
  assert.equal(verdictOf(body, 'native').refused, 'Timestamp');
});

test('the index page shows the cookie itself, split into its parts', async () => {
  const cookie = await logIn(server.url, 'frank');
  const [payload, timestamp, signature] = cookie.slice('session='.length).split('.') as [string, string, string];
  const page = await (await get(server.url, cookie)).text();
  assert.ok(page.includes(`<span class="part1">${payload}</span>.<span class="part2">${timestamp}</span>.<span class="part3">${signature}</span>`));
  assert.match(page, /&quot;data&quot;:\{&quot;username&quot;:&quot;frank&quot;\}/);
  assert.match(page, /seconds since 1970-01-01 UTC: \w{3}, 25 Nov 2026 [\d:]+ GMT, \d+ s before this request/);
});

test('a session too large for a cookie: "Error 413: session too large", in sentences', async () => {
  const response = await postForm(`${server.url}/login`, { username: 'x'.repeat(2990) });
  assert.equal(response.status, 413);
  const page = await response.text();
  assert.match(page, /<h1>Error 413: session too large<\/h1>/);
  assert.match(page, /<p>The session would be a \d+-byte cookie[^<]*redis \(createSessions\(\{ store \}\) in an application\)\.<\/p>/);
});

describe('the lab and the inspector in the other session modes', () => {
  test('SESSION_TYPE=memory: the inspector shows the signed id and the record as the store keeps it; the lab an example', async () => {
    const memory = await startServer({ SESSION_TYPE: 'memory' });
    try {
      const cookie = await logIn(memory.url, '<i>gina</i>');
      const page = await (await get(memory.url, cookie)).text();
      assert.match(page, /1\. Session id/);
      assert.match(page, /<th>Record in the store<\/th><td><pre>\{&quot;version&quot;:1,&quot;createdAt&quot;:\d+,&quot;permanent&quot;:false,&quot;data&quot;:\{&quot;username&quot;:&quot;&lt;i&gt;gina&lt;\/i&gt;&quot;\}\}<\/pre>/);
      assert.doesNotMatch(page, /Decoded data/);
      const lab = await openLab(memory.url, cookie);
      assert.match(lab.page, /Your own cookie holds only a signed session id/);
      assert.equal(verdictOf(lab.page, 'native').refused, '');
      assert.match(lab.page, /the store restarts the record&#39;s time to live/);
      assert.equal(sessionCookieFrom(lab.response), null);
    } finally {
      await memory.close();
    }
  });

  test('SESSION_COOKIE_ENCRYPT=true: the inspector shows version, nonce, ciphertext and tag', async () => {
    const sealed = await startServer({ SESSION_COOKIE_ENCRYPT: 'true' });
    try {
      const cookie = await logIn(sealed.url, 'hank');
      const page = await (await get(sealed.url, cookie)).text();
      assert.match(page, /1\. Version[\s\S]*nonce \(12 bytes\)[\s\S]*ciphertext \(\d+ bytes\)[\s\S]*tag \(16 bytes\)/);
      assert.match(page, /<th>Decrypted data<\/th>/);
      assert.match((await openLab(sealed.url, cookie)).page, /Your own cookie is encrypted/);
    } finally {
      await sealed.close();
    }
  });

  test('SESSION_COOKIE_FORMAT=flask: the Flask section is the visitor\'s own cookie, and an edit is refused at its HMAC', async () => {
    const flask = await startServer({ SESSION_COOKIE_FORMAT: 'flask' });
    try {
      const cookie = await logIn(flask.url, 'ida');
      assert.match(await (await get(flask.url, cookie)).text(), /HMAC-SHA1 over <code>PAYLOAD\.TIMESTAMP<\/code>/);
      const { page, cookies } = await openLab(flask.url, cookie);
      assert.match(verdictOf(page, 'flask').section, /This is your own session cookie/);
      assert.equal(verdictOf(page, 'flask').refused, '');
      const fields = labFields(page, 'flask');
      assert.equal(verdictOf(await (await postLab(flask.url, fields, cookies)).text(), 'flask').refused, '');
      const admin = await (await postLab(flask.url, { ...fields, edit: 'admin' }, cookies)).text();
      assert.equal(verdictOf(admin, 'flask').refused, 'Signature (HMAC)');
      assert.match(verdictOf(admin, 'flask').section, /<code>FlaskCookieCodec\.decode\(\)<\/code>: refused \(BadSignature/);
    } finally {
      await flask.close();
    }
  });
});

test('a lab step whose code has moved loses its link, and the server still starts', async () => {
  const root = mkdtempSync(join(tmpdir(), 'scratchpad-moved-'));
  cpSync('src', root, { recursive: true });
  const signer = join(root, 'signing', 'signer.ts');
  writeFileSync(signer, readFileSync(signer, 'utf8').replaceAll('timingSafeEqual(', 'timingSafeEqual ('));
  const moved = await startServer({}, { source: SourceLibrary.load(root) });
  try {
    const { page } = await openLab(moved.url, await logIn(moved.url, 'jo'));
    const { section } = verdictOf(page, 'native');
    assert.equal(section.match(/the code of this step/g)?.length, 7, 'every step but the HMAC keeps its link');
    assert.doesNotMatch(/Signature \(HMAC\)[\s\S]*?<\/li>/.exec(section)![0], /the code of this step/);
  } finally {
    await moved.close();
  }
});
