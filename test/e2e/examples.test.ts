// The examples (examples/*.js) as a reader runs them: `node examples/login.js` in a child process,
// on a free port, tested over HTTP. They import 'scratchpad', which Node resolves to this
// repository's dist/ through the package's self-reference ("exports" in package.json), so this
// tests the built library exactly as an application sees it. `npm test` builds dist/ first.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { repositoryRoot, startListening, type ListeningProgram } from '../helpers/repository.js';
import { skipUnlessInstalled } from '../helpers/tools.js';

const REPOSITORY = repositoryRoot();
const SECRET_KEY = 'examples-test-secret-key-of-at-least-32-bytes';

/** Runs `node examples/<file>` from the repository with PORT=0; only PATH of the test's environment is passed on. */
function startExample(file: string, env: Record<string, string> = {}): Promise<ListeningProgram> {
  return startListening(join('examples', file), REPOSITORY, { PATH: process.env['PATH'] ?? '', PORT: '0', SECRET_KEY, ...env });
}

/** The `name=value` part of the Set-Cookie line for `name`, or null. */
function cookiePair(response: Response, name = 'session'): string | null {
  return response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`))?.split(';')[0] ?? null;
}

function setCookieLine(response: Response, name = 'session'): string | undefined {
  return response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
}

/** The hidden csrf_token of the first form on a page. */
function csrfTokenIn(html: string): string {
  const token = /<input type="hidden" name="csrf_token" value="([^"]+)">/.exec(html)?.[1];
  if (token === undefined) throw new Error(`no csrf_token field in: ${html}`);
  return token;
}

/** A browser's first step: GET /login, for the token and the CSRF cookie that goes with it. */
async function loginForm(url: string): Promise<{ token: string; csrfCookie: string }> {
  const response = await fetch(`${url}/login`);
  assert.equal(response.status, 200);
  const csrfCookie = cookiePair(response, 'session_csrf');
  assert.ok(csrfCookie !== null, 'GET /login sets the CSRF cookie');
  return { token: csrfTokenIn(await response.text()), csrfCookie };
}

/** Posts a form without following the redirect. */
function post(url: string, fields: Record<string, string>, cookies: readonly string[]): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies.join('; ') },
    body: new URLSearchParams(fields).toString(),
  });
}

/** Logs in as a browser does; returns the response and the cookies the browser then holds. */
async function logIn(url: string, fields: Record<string, string>): Promise<{ response: Response; cookies: string[] }> {
  const { token, csrfCookie } = await loginForm(url);
  const response = await post(`${url}/login`, { ...fields, csrf_token: token }, [csrfCookie]);
  const session = cookiePair(response);
  return { response, cookies: session === null ? [csrfCookie] : [csrfCookie, session] };
}

function get(url: string, cookies: readonly string[] = [], method = 'GET'): Promise<Response> {
  return fetch(url, { method, redirect: 'manual', headers: cookies.length === 0 ? {} : { cookie: cookies.join('; ') } });
}

const redisSkip = skipUnlessInstalled('redis-server', 'redis-server');

const modes: readonly { type: 'cookie' | 'redis'; skip: string | false }[] = [
  { type: 'cookie', skip: false },
  { type: 'redis', skip: redisSkip },
];

for (const mode of modes) {
  describe(`examples/login.js with SESSION_TYPE=${mode.type}`, { skip: mode.skip }, () => {
    let redis: RedisServer | null = null;
    let example: ListeningProgram;
    let env: Record<string, string> = {};
    before(async () => {
      if (mode.type === 'redis') {
        redis = await startRedis();
        env = { SESSION_TYPE: 'redis', SESSION_REDIS_URL: redis.url };
      }
      example = await startExample('login.js', env);
    });
    after(async () => {
      await example?.stop();
      await redis?.stop();
    });

    test('GET /login is a form with a hidden csrf_token, a "Remember me" checkbox, and the token\'s cookie', async () => {
      const response = await fetch(`${example.url}/login`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('cache-control') ?? '', /no-store/, 'a page with a token is never cached');
      const page = await response.text();
      assert.match(page, /<form method="post" action="\/login"><input type="hidden" name="csrf_token" value="[A-Za-z0-9_-]{43}">/);
      assert.match(page, /<input type="checkbox" name="remember"> Remember me/);
      assert.match(setCookieLine(response, 'session_csrf') ?? '', /^session_csrf=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
      assert.equal(cookiePair(response), null, 'the form starts no session');
    });

    test('POST /login: 303 to / with a session cookie that ends with the browser (no Max-Age)', async () => {
      const { response } = await logIn(example.url, { username: 'alice' });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get('location'), '/');
      const line = setCookieLine(response);
      assert.ok(line !== undefined, 'the login sets the session cookie');
      assert.doesNotMatch(line, /Max-Age|Expires/i);
      assert.match(line, /; Path=\/; HttpOnly; SameSite=Lax$/);
    });

    test('POST /login with remember=on: a permanent session, Max-Age=2678400 (31 days)', async () => {
      const { response } = await logIn(example.url, { username: 'alice', remember: 'on' });
      assert.equal(response.status, 303);
      assert.match(setCookieLine(response) ?? '', /; Max-Age=2678400; /);
    });

    test('GET / says who is logged in, escaped; without a session it links to the login form', async () => {
      const { cookies } = await logIn(example.url, { username: 'alice' });
      assert.match(await (await get(example.url, cookies)).text(), /<p>Logged in as alice<\/p>/);
      const bold = await logIn(example.url, { username: '<b>bob</b>' });
      const page = await (await get(example.url, bold.cookies)).text();
      assert.match(page, /Logged in as &lt;b&gt;bob&lt;\/b&gt;/);
      assert.doesNotMatch(page, /<b>/);
      assert.match(await (await get(example.url)).text(), /You are not logged in\. <a href="\/login">Log in<\/a>/);
    });

    test('POST /logout (with the token from the index page) deletes the session cookie', async () => {
      const { cookies } = await logIn(example.url, { username: 'alice' });
      const index = await (await get(example.url, cookies)).text();
      assert.match(index, /<form method="post" action="\/logout">/);
      const logout = await post(`${example.url}/logout`, { csrf_token: csrfTokenIn(index) }, cookies);
      assert.equal(logout.status, 303);
      assert.equal(logout.headers.get('location'), '/');
      assert.match(setCookieLine(logout) ?? '', /^session=; Max-Age=0; /);
      assert.match(await (await get(example.url, [cookies[0]!])).text(), /You are not logged in/, 'the browser, its session cookie gone');
    });

    test('a POST without the csrf_token, or with another browser\'s, is refused with 403 and changes nothing', async () => {
      const bare = await post(`${example.url}/login`, { username: 'mallory' }, []);
      assert.equal(bare.status, 403);
      assert.equal(cookiePair(bare), null);
      const mine = await loginForm(example.url);
      const theirs = await loginForm(example.url);
      const mixed = await post(`${example.url}/login`, { username: 'mallory', csrf_token: theirs.token }, [mine.csrfCookie]);
      assert.equal(mixed.status, 403);
      assert.equal(cookiePair(mixed), null);
      const { cookies } = await logIn(example.url, { username: 'alice' });
      const logout = await post(`${example.url}/logout`, {}, cookies);
      assert.equal(logout.status, 403, 'another site cannot log the user out');
      assert.match(await (await get(example.url, cookies)).text(), /Logged in as alice/);
    });

    test('HEAD / answers with the headers of GET / and no body', async () => {
      const { cookies } = await logIn(example.url, { username: 'alice' });
      const [head, full] = [await get(example.url, cookies, 'HEAD'), await get(example.url, cookies)];
      assert.equal(head.status, 200);
      assert.equal(await head.text(), '');
      assert.equal(head.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(head.headers.get('content-length'), full.headers.get('content-length'));
    });

    test('an unknown page is a 404 page; GET /logout is not a way to log out', async () => {
      assert.equal((await get(`${example.url}/nowhere`)).status, 404);
      const { cookies } = await logIn(example.url, { username: 'alice' });
      assert.equal((await get(`${example.url}/logout`, cookies)).status, 404);
      assert.match(await (await get(example.url, cookies)).text(), /Logged in as alice/);
    });

    if (mode.type === 'redis') {
      test('the cookie holds only a signed id; after logout the old cookie leads nowhere', async () => {
        const { cookies } = await logIn(example.url, { username: 'alice' });
        assert.match(cookies[1]!, /^session=[A-Za-z0-9_-]{43}\.\d+\.[A-Za-z0-9_-]{43}$/);
        const index = await (await get(example.url, cookies)).text();
        await post(`${example.url}/logout`, { csrf_token: csrfTokenIn(index) }, cookies);
        assert.match(await (await get(example.url, cookies)).text(), /You are not logged in/, 'the record is gone from Redis');
      });

      test('sessions survive a restart of the app (same SECRET_KEY, same Redis)', async () => {
        const { cookies } = await logIn(example.url, { username: 'alice' });
        const second = await startExample('login.js', env);
        try {
          assert.match(await (await get(second.url, cookies)).text(), /Logged in as alice/);
        } finally {
          assert.equal(await second.stop(), 0);
        }
      });
    } else {
      test('a cookie session cannot be revoked: the cookie from before logout still works (why stores exist)', async () => {
        const { cookies } = await logIn(example.url, { username: 'alice' });
        const index = await (await get(example.url, cookies)).text();
        await post(`${example.url}/logout`, { csrf_token: csrfTokenIn(index) }, cookies);
        assert.match(await (await get(example.url, cookies)).text(), /Logged in as alice/);
      });
    }

    test('prints exactly one line on stdout, and SIGTERM closes it with exit code 0', async () => {
      const own = await startExample('login.js', env);
      assert.match(own.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.doesNotMatch(own.url, /:0$/, 'PORT=0 became a real port');
      assert.equal((await get(own.url)).status, 200);
      assert.equal(await own.stop(), 0);
      assert.equal(own.stdout(), `listening on ${own.url}\n`);
      // Standard error holds only the library's own notes (where the sessions live), one line each.
      assert.match(own.stderr(), mode.type === 'redis' ? /^scratchpad: sessions: redis store at 127\.0\.0\.1:\d+, database 0\n$/ : /^$/);
    });
  });
}

test('examples/login.js without SECRET_KEY makes a random key and warns that sessions will not survive a restart', async () => {
  const first = await startExample('login.js', { SECRET_KEY: '' });
  let cookies: string[];
  try {
    assert.match(first.stderr(), /SECRET_KEY is not set.*sessions will not survive a restart/);
    cookies = (await logIn(first.url, { username: 'alice' })).cookies;
    assert.match(await (await get(first.url, cookies)).text(), /Logged in as alice/);
  } finally {
    assert.equal(await first.stop(), 0);
  }
  const second = await startExample('login.js', { SECRET_KEY: '' });
  try {
    assert.match(await (await get(second.url, cookies)).text(), /You are not logged in/, 'another key: the old cookie is refused');
  } finally {
    assert.equal(await second.stop(), 0);
  }
});

describe('examples/cart-api.js', () => {
  let example: ListeningProgram;
  before(async () => {
    example = await startExample('cart-api.js');
  });
  after(() => example?.stop());

  /** A client that keeps its session cookie, as a browser does. */
  class Client {
    cookie: string | null = null;
    async send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; response: Response }> {
      const response = await fetch(`${example.url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.cookie === null ? {} : { cookie: this.cookie }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const line = setCookieLine(response);
      if (line !== undefined) this.cookie = /; Max-Age=0(;|$)/.test(line) ? null : line.split(';')[0]!;
      const text = await response.text();
      return { status: response.status, json: text === '' ? null : (JSON.parse(text) as unknown), response };
    }
  }

  test('POST /cart/items adds items, GET /cart lists them in the order added, and the same sku adds up', async () => {
    const client = new Client();
    assert.deepEqual((await client.send('GET', '/cart')).json, { items: [] });
    assert.deepEqual((await client.send('POST', '/cart/items', { sku: 'tea-1', quantity: 2 })).json, { items: [{ sku: 'tea-1', quantity: 2 }] });
    await client.send('POST', '/cart/items', { sku: 'mug', quantity: 1 });
    const again = await client.send('POST', '/cart/items', { sku: 'tea-1', quantity: 3 });
    assert.equal(again.status, 200);
    assert.equal(again.response.headers.get('content-type'), 'application/json; charset=utf-8');
    const listed = await client.send('GET', '/cart');
    assert.deepEqual(listed.json, { items: [{ sku: 'tea-1', quantity: 5 }, { sku: 'mug', quantity: 1 }] });
  });

  test('DELETE /cart/items/<sku> removes it; a sku not in the cart is a 404', async () => {
    const client = new Client();
    await client.send('POST', '/cart/items', { sku: 'tea-1', quantity: 2 });
    await client.send('POST', '/cart/items', { sku: 'mug', quantity: 1 });
    assert.deepEqual((await client.send('DELETE', '/cart/items/tea-1')).json, { items: [{ sku: 'mug', quantity: 1 }] });
    const missing = await client.send('DELETE', '/cart/items/tea-1');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { error: 'tea-1 is not in the cart' });
    assert.deepEqual((await client.send('GET', '/cart')).json, { items: [{ sku: 'mug', quantity: 1 }] });
  });

  test('POST /cart/checkout returns what was bought and empties the cart; an empty cart is a 409', async () => {
    const client = new Client();
    await client.send('POST', '/cart/items', { sku: 'tea-1', quantity: 2 });
    const checkout = await client.send('POST', '/cart/checkout', {});
    assert.equal(checkout.status, 200);
    assert.deepEqual(checkout.json, { bought: [{ sku: 'tea-1', quantity: 2 }] });
    assert.match(setCookieLine(checkout.response) ?? '', /^session=; Max-Age=0; /, 'the emptied session deletes its cookie');
    assert.deepEqual((await client.send('GET', '/cart')).json, { items: [] });
    const again = await client.send('POST', '/cart/checkout', {});
    assert.equal(again.status, 409);
    assert.deepEqual(again.json, { error: 'the cart is empty' });
  });

  // Each row: a body that is not an item, and the start of the message that says what to send.
  const badItems: readonly { name: string; body: unknown; error: RegExp }[] = [
    { name: 'not an object', body: 'tea', error: /^send an object/ },
    { name: 'an array', body: [{ sku: 'tea', quantity: 1 }], error: /^send an object/ },
    { name: 'null', body: null, error: /^send an object/ },
    { name: 'no sku', body: { quantity: 1 }, error: /^sku must be/ },
    { name: 'a sku with a space', body: { sku: 'tea 1', quantity: 1 }, error: /^sku must be/ },
    { name: 'a sku with a slash', body: { sku: 'tea/1', quantity: 1 }, error: /^sku must be/ },
    { name: 'an empty sku', body: { sku: '', quantity: 1 }, error: /^sku must be/ },
    { name: 'a sku of 33 characters', body: { sku: 'x'.repeat(33), quantity: 1 }, error: /^sku must be/ },
    { name: 'a sku that is a number', body: { sku: 42, quantity: 1 }, error: /^sku must be/ },
    { name: 'no quantity', body: { sku: 'tea' }, error: /^quantity must be/ },
    { name: 'quantity 0', body: { sku: 'tea', quantity: 0 }, error: /^quantity must be/ },
    { name: 'quantity 100', body: { sku: 'tea', quantity: 100 }, error: /^quantity must be/ },
    { name: 'quantity -1', body: { sku: 'tea', quantity: -1 }, error: /^quantity must be/ },
    { name: 'quantity 1.5', body: { sku: 'tea', quantity: 1.5 }, error: /^quantity must be/ },
    { name: 'quantity "2", a string', body: { sku: 'tea', quantity: '2' }, error: /^quantity must be/ },
  ];
  for (const { name, body, error } of badItems) {
    test(`POST /cart/items refuses ${name} with a 400 JSON error`, async () => {
      const client = new Client();
      const response = await client.send('POST', '/cart/items', JSON.stringify(body));
      assert.equal(response.status, 400);
      assert.equal(response.response.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.match((response.json as { error: string }).error, error);
      assert.equal(client.cookie, null, 'no session was started');
    });
  }

  test('POST /cart/items refuses JSON that does not parse (400), more than 99 of one item, and a 21st item', async () => {
    const client = new Client();
    assert.equal((await client.send('POST', '/cart/items', '{"sku": ')).status, 400);
    await client.send('POST', '/cart/items', { sku: 'tea', quantity: 99 });
    const tooMany = await client.send('POST', '/cart/items', { sku: 'tea', quantity: 1 });
    assert.equal(tooMany.status, 400);
    assert.deepEqual(tooMany.json, { error: 'at most 99 of one item' });
    for (let index = 2; index <= 20; index++) assert.equal((await client.send('POST', '/cart/items', { sku: `item-${index}`, quantity: 1 })).status, 200);
    const twentyFirst = await client.send('POST', '/cart/items', { sku: 'item-21', quantity: 1 });
    assert.equal(twentyFirst.status, 400);
    assert.deepEqual(twentyFirst.json, { error: 'at most 20 different items' });
    assert.equal(((await client.send('GET', '/cart')).json as { items: unknown[] }).items.length, 20);
  });

  test('a form post is refused with 415: only application/json, which another site cannot send', async () => {
    const client = new Client();
    const form = await client.send('POST', '/cart/items', 'sku=tea&quantity=1', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
    assert.match((form.json as { error: string }).error, /^send JSON as application\/json/);
    const plain = await client.send('POST', '/cart/checkout', '{}', { 'content-type': 'text/plain' });
    assert.equal(plain.status, 415, 'checkout too');
  });

  test('a request from another origin is refused with 403, and the cart is left alone', async () => {
    const client = new Client();
    await client.send('POST', '/cart/items', { sku: 'tea', quantity: 1 });
    const evil = await client.send('POST', '/cart/items', { sku: 'evil', quantity: 1 }, { origin: 'https://evil.example' });
    assert.equal(evil.status, 403);
    assert.deepEqual(evil.json, { error: 'requests from another origin are refused (Origin: https://evil.example)' });
    const crossSite = await client.send('POST', '/cart/checkout', {}, { 'sec-fetch-site': 'cross-site' });
    assert.equal(crossSite.status, 403);
    assert.deepEqual((await client.send('GET', '/cart')).json, { items: [{ sku: 'tea', quantity: 1 }] });
    assert.equal((await client.send('POST', '/cart/items', { sku: 'mug', quantity: 1 }, { origin: example.url })).status, 200, 'our own origin is fine');
  });

  test('the cart survives between requests only with its cookie', async () => {
    const client = new Client();
    await client.send('POST', '/cart/items', { sku: 'tea', quantity: 1 });
    assert.ok(client.cookie !== null);
    assert.deepEqual((await client.send('GET', '/cart')).json, { items: [{ sku: 'tea', quantity: 1 }] });
    assert.deepEqual((await new Client().send('GET', '/cart')).json, { items: [] }, 'without the cookie, no cart');
    const forged = new Client();
    // One character of the signature changed, in the middle, where every bit counts.
    const at = client.cookie.length - 20;
    forged.cookie = `${client.cookie.slice(0, at)}${client.cookie[at] === 'A' ? 'B' : 'A'}${client.cookie.slice(at + 1)}`;
    assert.deepEqual((await forged.send('GET', '/cart')).json, { items: [] }, 'a changed cookie is no cookie');
  });

  test('HEAD /cart has the headers of GET; an unknown route is a 404 JSON error', async () => {
    const client = new Client();
    await client.send('POST', '/cart/items', { sku: 'tea', quantity: 1 });
    const head = await client.send('HEAD', '/cart');
    assert.equal(head.status, 200);
    assert.equal(head.json, null);
    assert.equal(head.response.headers.get('content-length'), String(JSON.stringify({ items: [{ sku: 'tea', quantity: 1 }] }).length));
    const unknown = await client.send('GET', '/basket');
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json, { error: 'no GET /basket here' });
  });
});
