import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorPage, indexPage, loginPage, type InspectorView } from '../../src/demo/pages.js';
import { FlaskCookieCodec, Sealer, Signer } from '../../src/index.js';
import { anonymousView } from '../helpers/fixtures.js';

const anonymous: InspectorView = anonymousView(1764072000);

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
  const html = indexPage('alice', { ...anonymous, storage: { type: 'redis', cookieHolds: 'id', protection: 'signed', storedBytes: 57, storedRecord: null, cookieExpiry: null } });
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

test('errorPage() gives a 413 a heading that names it, and its message as a sentence', () => {
  const html = errorPage(413, 'the session would be a 5000-byte cookie, so it was not saved; your previous session is unchanged. To keep larger sessions, store them on the server', null, 'session too large');
  assert.match(html, /<title>Error 413: session too large &middot; Scratchpad<\/title>/);
  assert.match(html, /<h1>Error 413: session too large<\/h1>/);
  assert.match(html, /<p>The session would be a 5000-byte cookie, so it was not saved; your previous session is unchanged\. To keep larger sessions, store them on the server\.<\/p>/);
  assert.match(errorPage(404, 'there is no page at /x'), /<p>there is no page at \/x<\/p>/, 'other pages keep the message as it is');
});

// A cookie of each kind, made by the library itself at a frozen time, and the view the inspector gets for it.
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const SIGNED_AT = NOW - 5000;
const SECRET = 'a-secret-key-for-the-inspector-tests-only';
const signedAt = () => SIGNED_AT;
const signedCookie = new Signer({ secrets: [SECRET], salt: 'scratchpad.session', now: signedAt }).sign('session', JSON.stringify({ permanent: false, created: SIGNED_AT / 1000, data: { username: 'alice' } }));

function viewOf(value: string, changes: Partial<InspectorView> = {}): InspectorView {
  return {
    ...anonymous,
    nowSeconds: NOW / 1000,
    incoming: { present: true, bytes: 'session'.length + value.length, rejection: null, signedAt: new Date(SIGNED_AT), keyIndex: 0 },
    cookieValue: value,
    data: { username: 'alice' },
    ...changes,
  };
}

test('indexPage() shows the signed cookie itself: the JSON with its envelope, the timestamp as a date and an age, and what the signature covers', () => {
  const [payload, timestamp, signature] = signedCookie.split('.') as [string, string, string];
  const html = indexPage('alice', viewOf(signedCookie));
  assert.match(html, /<h2>The cookie itself<\/h2>/);
  assert.ok(html.includes(`<p class="raw"><code><span class="part1">${payload}</span>.<span class="part2">${timestamp}</span>.<span class="part3">${signature}</span></code></p>`));
  assert.match(html, /1\. Payload[\s\S]*<pre>\{&quot;permanent&quot;:false,&quot;created&quot;:1795607995,&quot;data&quot;:\{&quot;username&quot;:&quot;alice&quot;\}\}<\/pre>/);
  assert.match(html, /<code>permanent<\/code>: false: a volatile session/);
  assert.match(html, /<code>created<\/code>: the login, Wed, 25 Nov 2026 11:59:55 GMT; SESSION_ABSOLUTE_LIFETIME \(90 d\) counts from here/);
  assert.match(html, /signed, not hidden, so anyone holding the cookie reads it/);
  assert.match(html, /2\. Timestamp[\s\S]*1795607995 seconds since 1970-01-01 UTC: Wed, 25 Nov 2026 11:59:55 GMT, 5 s before this request\. The server refuses the cookie once this is older than PERMANENT_SESSION_LIFETIME \(31 d\)/);
  assert.match(html, /3\. Signature[\s\S]*base64url of 32 bytes: HMAC-SHA256 over <code>session=PAYLOAD\.TIMESTAMP<\/code> \(the cookie's name, its payload and its timestamp\)/);
  assert.match(html, /It matched with the current key\./);
  assert.match(html, /<a href="\/lab">the cookie lab<\/a>/);
  assert.doesNotMatch(html, /class="failed"/);
});

test('indexPage() names a fallback key that verified the cookie', () => {
  const html = indexPage('alice', viewOf(signedCookie, { incoming: { present: true, bytes: 100, rejection: null, signedAt: new Date(SIGNED_AT), keyIndex: 1 } }));
  assert.match(html, /It matched with fallback key 1 \(SECRET_KEY_FALLBACKS\), so the server re-signs it with the current key\./);
});

test('indexPage() shows an encrypted cookie as its version, nonce, ciphertext and tag, and its data as decrypted', () => {
  const sealed = new Sealer({ secrets: [SECRET], now: signedAt }).seal('session', JSON.stringify({ permanent: false, created: SIGNED_AT / 1000, data: { username: 'alice' } }));
  const html = indexPage('alice', viewOf(sealed, { storage: { ...anonymous.storage, protection: 'encrypted' } }));
  assert.match(html, /1\. Version<\/span><\/th><td><code>v1<\/code>/);
  assert.match(html, /2\. Timestamp[\s\S]*authenticated with the ciphertext, not encrypted/);
  assert.match(html, /3\. Sealed data[\s\S]*<li>nonce \(12 bytes\) <code>[A-Za-z0-9_-]{16}<\/code>[\s\S]*<li>ciphertext \(\d+ bytes\)[\s\S]*<li>tag \(16 bytes\) <code>[A-Za-z0-9_-]{22}<\/code>: GCM's authentication tag/);
  assert.match(html, /<th>Decrypted data<\/th>/);
  assert.doesNotMatch(html.slice(html.indexOf('The cookie itself')), /alice|username/, 'the cookie itself shows nothing of the data');
});

test('indexPage() shows a Flask cookie: a compressed payload inflated, the timestamp\'s bytes as a date, the HMAC-SHA1', () => {
  const codec = new FlaskCookieCodec({ secrets: [SECRET], now: signedAt });
  const compressed = codec.encode('session', { permanent: true, created: null, data: { username: 'a'.repeat(200) } });
  assert.ok(compressed.startsWith('.'));
  const html = indexPage('alice', viewOf(compressed, { format: 'flask' }));
  assert.match(html, /of zlib data \(the leading dot says so\), which inflate to this JSON/);
  assert.match(html, /<pre>\{&quot;_permanent&quot;:true,&quot;username&quot;:&quot;a{200}&quot;\}<\/pre>/);
  assert.match(html, /base64url of 4 bytes, a big-endian number: 1795607995 seconds since 1970-01-01 UTC: Wed, 25 Nov 2026 11:59:55 GMT, 5 s before this request/);
  assert.match(html, /base64url of 20 bytes: HMAC-SHA1 over <code>PAYLOAD\.TIMESTAMP<\/code>[\s\S]*Flask does not sign the cookie's name/);
  const plain = indexPage('bob', viewOf(codec.encode('session', { permanent: false, created: null, data: { username: 'bob' } }), { format: 'flask' }));
  assert.match(plain, /base64url of \d+ bytes, which decode to this JSON/);
});

test('indexPage() shows a server-side session\'s signed id and the record as the store keeps it, and decodes no data from the cookie', () => {
  const idCookie = new Signer({ secrets: [SECRET], salt: 'scratchpad.session', now: signedAt }).sign('session', Buffer.alloc(32, 7));
  const record = '{"version":3,"createdAt":1795608000,"permanent":false,"data":{"username":"<b>alice</b>"}}';
  const storage = { type: 'memory', cookieHolds: 'id', protection: 'signed', storedBytes: 80, storedRecord: record, cookieExpiry: null } as const;
  const html = indexPage('alice', viewOf(idCookie, { storage }));
  assert.match(html, /1\. Session id[\s\S]*base64url of 32 random bytes: the session's id/);
  assert.match(html, /HMAC-SHA256 over <code>session=PAYLOAD\.TIMESTAMP<\/code> \(the cookie's name, its id and its timestamp\)/);
  assert.match(html, /<th>Record in the store<\/th><td><pre>\{&quot;version&quot;:3,&quot;createdAt&quot;:1795608000,&quot;permanent&quot;:false,&quot;data&quot;:\{&quot;username&quot;:&quot;&lt;b&gt;alice&lt;\/b&gt;&quot;\}\}<\/pre>/);
  assert.match(html, /The JSON text the <code>memory<\/code> store keeps under the session id/);
  assert.doesNotMatch(html, /Decoded data|Decrypted data/);
  assert.match(indexPage(null, viewOf(idCookie, { storage: { ...storage, storedRecord: null } })), /<th>Record in the store<\/th><td>none: the store has no session for this browser/);
});

test('indexPage() marks the part of a rejected cookie that failed, with the reason', () => {
  const rejected = (value: string, rejection: string) => indexPage(null, viewOf(value, { incoming: { present: true, bytes: 9, rejection, signedAt: null, keyIndex: null }, data: {} }));
  const forged = rejected(signedCookie.replace('alice', 'admin'), 'BadSignature: signature matches none of the 1 configured key(s)');
  assert.match(forged, /<tr class="failed"><th><span class="part3">3\. Signature<\/span><\/th>[\s\S]*The server refused the cookie here: BadSignature: signature matches none/);
  assert.equal(forged.match(/class="failed"/g)?.length, 1);
  assert.match(forged, /Not decoded here: the server believes nothing in a cookie it refused/);
  assert.doesNotMatch(forged, /admin/, 'what a refused cookie claims is not shown as if it were read');
  const expired = rejected(signedCookie, 'SignatureExpired: signature expired 3 d ago');
  assert.match(expired, /<tr class="failed"><th><span class="part2">2\. Timestamp/);
  const broken = rejected('abc.def', 'MalformedSignature: signed value has 2 dot-separated parts, not 3');
  assert.match(broken, /<tr class="failed"><th><span class="part1">1\. Value<\/span><\/th><td><code>abc\.def<\/code>\n<p class="error">Does not decode: 2 dot-separated parts, where this format has 3\.<\/p>/);
  const bad64 = rejected('a!b.1.c', 'MalformedSignature: signed value has a payload that is not canonical base64url');
  assert.match(bad64, /<tr class="failed"><th><span class="part1">1\. Payload/);
  const tooLong = rejected(`${'a'.repeat(5000)}.1.${'A'.repeat(43)}`, 'MalformedSignature: signed value is 5051 characters');
  assert.match(tooLong, /<p class="error">Refused as a whole: MalformedSignature: signed value is 5051 characters<\/p>/);
  assert.doesNotMatch(tooLong, /class="failed"/);
  const sealed = indexPage(null, viewOf('v1.1.' + 'A'.repeat(40), { storage: { ...anonymous.storage, protection: 'encrypted' }, incoming: { present: true, bytes: 9, rejection: 'BadSignature: sealed value opens with none of the 1 configured key(s)', signedAt: null, keyIndex: null } }));
  assert.match(sealed, /<tr class="failed"><th><span class="part3">3\. Sealed data/);
});

test('indexPage() escapes a cookie whatever it holds', () => {
  const attack = '<script>alert(1)</script>.1.x';
  const html = indexPage(null, viewOf(attack, { incoming: { present: true, bytes: 9, rejection: 'MalformedSignature: <script>', signedAt: null, keyIndex: null }, data: {} }));
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /<span class="part1">&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/span>/);
  const payload = Buffer.from('{"permanent":false,"created":1,"data":{"username":"<img src=x onerror=alert(1)>"}}').toString('base64url');
  const decoded = indexPage(null, viewOf(`${payload}.1.x`));
  assert.doesNotMatch(decoded, /<img/);
  assert.match(decoded, /&lt;img src=x onerror=alert\(1\)&gt;/);
});

test('every page is pure ASCII when what it shows is (a single non-ASCII character makes Node transcode the whole page)', () => {
  const idCookie = new Signer({ secrets: [SECRET], salt: 'scratchpad.session', now: signedAt }).sign('session', Buffer.alloc(32, 7));
  const pages = [
    indexPage(null, anonymous),
    indexPage('alice', { ...anonymous, permanent: true }, 'token'),
    indexPage('alice', viewOf(signedCookie), 'token'),
    indexPage('alice', viewOf(new Sealer({ secrets: [SECRET], now: signedAt }).seal('session', '{}'), { storage: { ...anonymous.storage, protection: 'encrypted' } })),
    indexPage('alice', viewOf(new FlaskCookieCodec({ secrets: [SECRET], now: signedAt }).encode('session', { permanent: false, created: null, data: { username: 'alice' } }), { format: 'flask' })),
    indexPage('alice', viewOf(idCookie, { storage: { type: 'redis', cookieHolds: 'id', protection: 'signed', storedBytes: 9, storedRecord: '{"version":1}', cookieExpiry: null } })),
    indexPage(null, viewOf('a.b', { incoming: { present: true, bytes: 9, rejection: 'MalformedSignature: x', signedAt: null, keyIndex: null } })),
    loginPage({ csrfToken: 'token', message: 'Enter a username.' }),
    errorPage(404, 'there is no page at /x', '/source/http/router.ts#L1'),
    errorPage(413, 'the session would be too large', null, 'session too large'),
  ];
  for (const html of pages) assert.doesNotMatch(html, /[^\x00-\x7f]/);
});

