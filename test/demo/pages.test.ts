import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorPage, indexPage, indexPageKey, loginPage, type InspectorView } from '../../src/demo/pages.js';

const anonymous: InspectorView = {
  cookieName: 'session',
  incoming: { present: false, bytes: 0, rejection: null, signedAt: null, keyIndex: null },
  permanent: false,
  lifetimeSeconds: 2678400,
  storage: { type: 'cookie', cookieHolds: 'data', protection: 'signed', storedBytes: null, cookieExpiry: null },
  data: {},
};

test('indexPage() says "You are not logged in" and links to the form without a user', () => {
  const html = indexPage(null, anonymous);
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<p>You are not logged in<\/p>/);
  assert.match(html, /<a href="\/login">Log in<\/a>/);
  assert.doesNotMatch(html, /Logged in as/);
  assert.match(html, /no: this browser sent no <code>session<\/code> cookie/);
  assert.match(html, /<strong>volatile<\/strong>/);
  assert.doesNotMatch(html, /<script/i, 'the pages need no JavaScript');
});

test('indexPage() greets the user, escaped, and offers both ways to log out', () => {
  const html = indexPage('<b>&amp;', anonymous, 'token-1');
  assert.match(html, /<input type="hidden" name="csrf_token" value="token-1"><button type="submit">Log out<\/button>/);
  assert.match(html, /Logged in as <strong>&lt;b&gt;&amp;amp;<\/strong>/);
  assert.match(html, /<form class="inline" method="post" action="\/logout">/);
  assert.match(html, /<a href="\/logout">GET \/logout<\/a>/);
});

test('indexPage() shows a permanent session with its Max-Age and expiry', () => {
  const expiry = new Date(Date.UTC(2026, 11, 26, 12));
  const html = indexPage('alice', {
    ...anonymous,
    incoming: { present: true, bytes: 130, rejection: null, signedAt: new Date(Date.UTC(2026, 10, 25, 12)), keyIndex: 0 },
    permanent: true,
    storage: { ...anonymous.storage, cookieExpiry: expiry },
    data: { username: 'alice' },
  });
  assert.match(html, /yes, 130 of the 4096 bytes/);
  assert.match(html, /<tr><th>Signed at<\/th><td>Wed, 25 Nov 2026 12:00:00 GMT<\/td><\/tr>/);
  assert.match(html, /<strong>permanent<\/strong>: <code>Max-Age=2678400<\/code> \(31 d\), so the browser keeps it until Sat, 26 Dec 2026 12:00:00 GMT/);
  assert.match(html, /<pre>\{\n {2}&quot;username&quot;: &quot;alice&quot;\n\}<\/pre>/);
});

test('indexPage() says where the data is kept: in the cookie, readable', () => {
  const html = indexPage(null, anonymous);
  assert.match(html, /<tr><th>Data kept<\/th><td>in the cookie itself \(<code>SESSION_TYPE=cookie<\/code>\), <strong>signed<\/strong>: it cannot be changed, but whoever holds the cookie can read it/);
  assert.match(html, /signed, not encrypted/);
});

test('indexPage() says when the cookie is encrypted, and drops the "readable" warning', () => {
  const html = indexPage(null, { ...anonymous, storage: { ...anonymous.storage, protection: 'encrypted' } });
  assert.match(html, /<strong>encrypted<\/strong> with AES-256-GCM \(<code>SESSION_COOKIE_ENCRYPT=true<\/code>\): the browser can neither read nor change it/);
  assert.doesNotMatch(html, /signed, not encrypted/);
});

test('indexPage() says where the data is kept: on the server, with its size', () => {
  const html = indexPage('alice', { ...anonymous, storage: { type: 'redis', cookieHolds: 'id', protection: 'signed', storedBytes: 57, cookieExpiry: null } });
  assert.match(html, /on the server, in the <code>redis<\/code> store \(57 bytes\); the cookie holds only a signed session id/);
  assert.match(html, /logging out deletes it there/);
  assert.doesNotMatch(html, /signed, not encrypted/);
});

test('indexPage() shows why a cookie was rejected, escaped', () => {
  const html = indexPage(null, { ...anonymous, incoming: { present: true, bytes: 9, rejection: 'BadSignature: <x>', signedAt: null, keyIndex: null } });
  assert.match(html, /yes, 9 bytes, but <span class="error">rejected<\/span>: BadSignature: &lt;x&gt;\. The server treats it as no session\./);
});

test('loginPage() is a POST form to /login with username, remember and a submit button', () => {
  const html = loginPage({ csrfToken: 'tok<en' });
  assert.match(html, /<form method="post" action="\/login">/);
  assert.match(html, /<input type="hidden" name="csrf_token" value="tok&lt;en">/);
  assert.match(html, /<input type="hidden" name="next" value="\/">/);
  assert.match(html, /<input type="text" name="username" value="" required autofocus>/);
  assert.match(html, /<input type="checkbox" name="remember"> Remember me/);
  assert.match(html, /<button type="submit">Log in<\/button>/);
  assert.doesNotMatch(html, /role="alert"/);
});

test('loginPage() re-shows what was typed, escaped, with the message', () => {
  const html = loginPage({ csrfToken: 't', next: '/a?b="c"', message: 'Enter a <username>.', username: '" autofocus onfocus="x', remember: true });
  assert.match(html, /name="next" value="\/a\?b=&quot;c&quot;"/);
  assert.match(html, /<p class="error" role="alert">Enter a &lt;username&gt;\.<\/p>/);
  assert.match(html, /value="&quot; autofocus onfocus=&quot;x"/);
  assert.match(html, /name="remember" checked>/);
});

test('errorPage() shows the status and the escaped message', () => {
  const html = errorPage(404, 'there is no page at /<x>');
  assert.match(html, /<title>Error 404 &middot; Scratchpad<\/title>/);
  assert.match(html, /<p>there is no page at \/&lt;x&gt;<\/p>/);
});

test('every page is pure ASCII when what it shows is (a single non-ASCII character makes Node transcode the whole page)', () => {
  const pages = [
    indexPage(null, anonymous),
    indexPage('alice', { ...anonymous, permanent: true }, 'token'),
    loginPage({ csrfToken: 'token', message: 'Enter a username.' }),
    errorPage(404, 'there is no page at /x', '/source/http/router.ts#L1'),
  ];
  for (const html of pages) assert.doesNotMatch(html, /[^\x00-\x7f]/);
});

test('indexPage() shows each visitor the page of their own settings, never a page kept for others', () => {
  // pages.ts keeps whole pages and reuses them by key. Pages for different lifetimes, stores, dates
  // and links, rendered in turn and again (the second time from the kept pages), must each show their own.
  const links = (line: number) => ({ setCookie: `/c#L${line}`, volatileOrPermanent: `/v#L${line}`, whenToSend: `/w#L${line}`, formParser: `/f#L${line}` });
  const views: { view: InspectorView; shows: RegExp }[] = [
    { view: { ...anonymous, lifetimeSeconds: 60 }, shows: /refuses it after 1 min in any case[\s\S]*survives restarts for 1 min\./ },
    { view: { ...anonymous, lifetimeSeconds: 7200 }, shows: /refuses it after 2 h in any case[\s\S]*survives restarts for 2 h\./ },
    { view: { ...anonymous, storage: { type: 'redis', cookieHolds: 'id', protection: 'signed', storedBytes: 57, cookieExpiry: null } }, shows: /in the <code>redis<\/code> store \(57 bytes\)/ },
    { view: { ...anonymous, storage: { type: 'redis', cookieHolds: 'id', protection: 'signed', storedBytes: 58, cookieExpiry: null } }, shows: /in the <code>redis<\/code> store \(58 bytes\)/ },
    { view: { ...anonymous, storage: { type: 'memory', cookieHolds: 'id', protection: 'signed', storedBytes: 57, cookieExpiry: null } }, shows: /in the <code>memory<\/code> store \(57 bytes\)/ },
    { view: { ...anonymous, storage: { ...anonymous.storage, protection: 'encrypted' } }, shows: /<strong>encrypted<\/strong>(?![\s\S]*signed, not encrypted)/ },
    { view: { ...anonymous, permanent: true, storage: { ...anonymous.storage, cookieExpiry: new Date(Date.UTC(2030, 0, 1, 0, 0, 1)) } }, shows: /until Tue, 01 Jan 2030 00:00:01 GMT/ },
    { view: { ...anonymous, permanent: true, storage: { ...anonymous.storage, cookieExpiry: new Date(Date.UTC(2030, 0, 1, 0, 0, 2)) } }, shows: /until Tue, 01 Jan 2030 00:00:02 GMT/ },
    { view: { ...anonymous, incoming: { present: true, bytes: 9, rejection: null, signedAt: new Date(Date.UTC(2031, 0, 1)), keyIndex: 0 } }, shows: /Signed at<\/th><td>Wed, 01 Jan 2031 00:00:00 GMT/ },
    { view: { ...anonymous, source: links(1) }, shows: /href="\/w#L1"[\s\S]*href="\/v#L1"[\s\S]*href="\/c#L1"/ },
    { view: { ...anonymous, source: links(2) }, shows: /href="\/w#L2"[\s\S]*href="\/v#L2"[\s\S]*href="\/c#L2"/ },
  ];
  for (let round = 0; round < 2; round += 1) {
    for (const [index, { view, shows }] of views.entries()) {
      const html = indexPage(null, view);
      assert.match(html, shows, `view ${index}, round ${round}`);
      for (const [other, { shows: theirs }] of views.entries()) {
        if (!theirs.test(html)) continue;
        // Only views that differ in nothing this one shows may match it (none do here).
        assert.equal(other, index, `view ${index} shows what view ${other} should, round ${round}`);
      }
    }
  }
});

test('indexPageKey() changes with every input of the index page, so a kept page is never shown for another', () => {
  // A view with every field set, so that each one can be changed in turn. Its type is InspectorView,
  // so a field added there must be added here, and is then checked below.
  const full: InspectorView = {
    cookieName: 'session',
    incoming: { present: true, bytes: 130, rejection: null, signedAt: new Date(Date.UTC(2026, 10, 25)), keyIndex: 0 },
    permanent: false,
    lifetimeSeconds: 2678400,
    storage: { type: 'cookie', cookieHolds: 'data', protection: 'signed', storedBytes: null, cookieExpiry: null },
    data: { username: 'alice' },
    source: { setCookie: '/c#L1', volatileOrPermanent: '/v#L1', whenToSend: '/w#L1', formParser: '/f#L1' },
  };
  // null becomes a value of the field's other type: a date, a size, or text.
  const changed = (value: unknown, field: string): unknown =>
    value instanceof Date ? new Date(value.getTime() + 1000)
    : value === null ? ({ cookieExpiry: new Date(0), storedBytes: 0 } as Record<string, unknown>)[field] ?? 'x'
    : typeof value === 'string' ? `${value}x`
    : typeof value === 'number' ? value + 1
    : typeof value === 'boolean' ? !value
    : { ...(value as object), extra: 1 };
  const base = indexPageKey('alice', full, 'token');
  const keys = new Set([base]);
  let fields = 0;
  for (const [name, value] of Object.entries(full)) {
    const variants: InspectorView[] =
      value !== null && typeof value === 'object' && !(value instanceof Date) && name !== 'data'
        ? Object.entries(value).map(([inner, innerValue]) => ({ ...full, [name]: { ...value, [inner]: changed(innerValue, inner) } }))
        : [{ ...full, [name]: changed(value, name) }];
    for (const variant of variants) {
      fields += 1;
      const key = indexPageKey('alice', variant, 'token');
      assert.ok(!keys.has(key), `changing ${name} (variant ${fields}) left the key as it was: ${key}`);
      keys.add(key);
    }
  }
  assert.ok(fields >= 17, `${fields} fields checked`);
  // The two arguments beside the view, and text that tries to run into the next field.
  for (const key of [indexPageKey('bob', full, 'token'), indexPageKey(null, full, 'token'), indexPageKey('alice', full, 'token2'), indexPageKey('alice 5:token', full, '')]) {
    assert.ok(!keys.has(key), key);
    keys.add(key);
  }
  assert.equal(indexPageKey('alice', { ...full, source: null }, 'token') === indexPageKey('alice', { ...full, source: undefined }, 'token'), true, 'no links is no links');
});

test('indexPage() gives a kept page only for the same inputs, and the same page as rendering it again', () => {
  const view = (name: string): InspectorView => ({ ...anonymous, incoming: { present: true, bytes: 40, rejection: null, signedAt: null, keyIndex: 0 }, data: { username: name } });
  const first = indexPage('alice', view('alice'), 't1');
  assert.equal(indexPage('alice', view('alice'), 't1'), first);
  const bob = indexPage('bob', view('bob'), 't1');
  assert.match(bob, /Logged in as <strong>bob<\/strong>/);
  assert.doesNotMatch(bob, /alice/);
  assert.match(indexPage('alice', view('alice'), 't2'), /value="t2"/);
  // More pages than are kept: the first is rendered again, identical.
  for (let index = 0; index < 300; index += 1) indexPage(`user${index}`, view(`user${index}`), 't1');
  assert.equal(indexPage('alice', view('alice'), 't1'), first);
});
