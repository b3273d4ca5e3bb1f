// From the demo's pages to the lines that made them: the annotated-source view, over HTTP.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SourceLibrary } from '../../src/demo/source.js';
import { get, postForm, sessionCookieFrom, startServer, type RunningServer } from '../helpers/server.js';
import { sendRaw } from '../helpers/raw.js';

let server: RunningServer;
const library = SourceLibrary.load()!;
before(async () => {
  server = await startServer();
});
after(() => server.close());

/** Follows a `/source/<module>#L<n>` link and returns the text of line n as the page shows it. */
async function lineBehind(link: string): Promise<string> {
  const [path, anchor] = link.split('#') as [string, string];
  const response = await get(`${server.url}${path}`);
  assert.equal(response.status, 200, link);
  const page = await response.text();
  // A line is its number, then its indentation and its code, each in a span of its own.
  const shown = new RegExp(`<span class="line" id="${anchor}"><a href="#${anchor}">\\d+</a><span class="indent">(.*?)</span><span class="text">(.*?)</span></span>`).exec(page);
  assert.ok(shown !== null, `${link}: no such code line on the page`);
  return (shown[1]! + shown[2]!).replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

function linksIn(page: string): string[] {
  return [...page.matchAll(/href="(\/source[^"]*)"/g)].map((match) => match[1]!);
}

test('GET /source lists every module, in the order of src/README.md, each linking to its page', async () => {
  const response = await get(`${server.url}/source`);
  assert.equal(response.status, 200);
  const page = await response.text();
  const linked = linksIn(page).map((link) => link.replace('/source/', ''));
  const inOrder = library.steps.flatMap((step) => step.modules);
  assert.deepEqual(linked.slice(0, inOrder.length), inOrder);
  assert.deepEqual([...linked].sort(), [...library.modules].sort());
  for (const link of linksIn(page)) assert.equal((await get(`${server.url}${link}`)).status, 200, link);
});

test('after logging in, the inspector links the lines that decide and write the cookie', async () => {
  const login = await postForm(`${server.url}/login`, { username: 'alice', remember: 'on' });
  const cookie = sessionCookieFrom(login)!;
  const page = await (await get(`${server.url}/`, cookie)).text();
  const links = linksIn(page).filter((link) => link.includes('#L'));
  assert.equal(links.length, 3);
  const [whenToSend, volatileOrPermanent, setCookie] = await Promise.all(links.map(lineBehind));
  assert.match(whenToSend!, /#setCookieFor\(\{/);
  assert.match(volatileOrPermanent!, /maxAge: permanent \? settings\.lifetimeSeconds : undefined/);
  assert.match(setCookie!, /export function serializeSetCookie\(/);
  assert.ok(linksIn(page).includes('/source'), 'and the reading order');
});

test('with server-side sessions, the inspector links the store-backed save instead', async () => {
  const memory = await startServer({ SESSION_TYPE: 'memory' });
  try {
    const page = await (await get(`${memory.url}/`)).text();
    const link = linksIn(page).find((href) => href.includes('server-session.ts'));
    assert.ok(link !== undefined);
  } finally {
    await memory.close();
  }
});

test('the login form links the parser that will read it', async () => {
  const page = await (await get(`${server.url}/login`)).text();
  const link = linksIn(page).find((href) => href.startsWith('/source/http/form.ts#L'));
  assert.ok(link !== undefined);
  assert.match(await lineBehind(link), /export function parseUrlencoded\(/);
});

const errorCases: readonly { name: string; send: () => Promise<Response>; status: number; line: RegExp }[] = [
  { name: 'a page that does not exist', send: () => get(`${server.url}/nowhere`), status: 404, line: /throw new HttpError\(404/ },
  { name: 'a method the page does not accept', send: () => get(`${server.url}/login`, undefined, 'DELETE'), status: 405, line: /throw new HttpError\(405/ },
  {
    name: 'a login post without its CSRF token',
    send: () => fetch(`${server.url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=a' }),
    status: 403,
    line: /throw new HttpError\(403/,
  },
  {
    name: 'a login post that is not a form',
    send: () => fetch(`${server.url}/login`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
    status: 415,
    line: /throw new HttpError\(415/,
  },
];
for (const { name, send, status, line } of errorCases) {
  test(`the error page for ${name} (${status}) links the check that raised it`, async () => {
    const response = await send();
    assert.equal(response.status, status);
    const link = linksIn(await response.text()).find((href) => href.includes('#L'));
    assert.ok(link !== undefined, 'no link to the check');
    assert.match(await lineBehind(link), line);
  });
}

test('"next" links walk every module page in the reading order, and "previous" links walk back', async () => {
  const nextOf = new Map<string, string>();
  const previousOf = new Map<string, string>();
  for (const module of library.modules) {
    const page = await (await get(`${server.url}/source/${module}`)).text();
    const [next, previous] = ['next', 'prev'].map((rel) => [...page.matchAll(new RegExp(`<a href="/source/?([^"]*)" rel="${rel}">`, 'g'))].map((match) => match[1]!));
    // The same line above and below the module.
    assert.equal(next!.length, 2, module);
    assert.equal(new Set(next).size, 1, module);
    nextOf.set(module, next![0]!);
    previousOf.set(module, previous![0]!);
  }
  // From the reading order (`''`, /source itself) to the first module, and on to the last.
  const walked: string[] = [];
  for (let module = library.readingOrder[0]!; module !== ''; module = nextOf.get(module)!) walked.push(module);
  assert.deepEqual(walked, library.readingOrder);
  const back: string[] = [];
  for (let module = walked.at(-1)!; module !== ''; module = previousOf.get(module)!) back.push(module);
  assert.deepEqual(back, [...walked].reverse());
});

test('file names in a module\'s comments link to the annotated pages of those modules', async () => {
  const page = await (await get(`${server.url}/source/session/cookie-session.ts`)).text();
  const prose = [...page.matchAll(/<div class="prose">([\s\S]*?)<\/div><div>/g)].map((match) => match[1]!).join('\n');
  // "see store.ts" and "Read next: flask-codec.ts", in the header.
  assert.match(prose, /see <a href="\/source\/session\/store\.ts">store\.ts<\/a>/);
  assert.match(prose, /Read next: <a href="\/source\/session\/flask-codec\.ts">flask-codec\.ts<\/a>/);
  for (const link of new Set(linksIn(prose).filter((href) => !href.includes('#')))) assert.equal((await get(`${server.url}${link}`)).status, 200, link);
});

// Only files under src/ can be shown: every other path is simply a page that does not exist.
const traversalCases: readonly string[] = [
  '/source/../package.json',
  '/source/%2e%2e/package.json',
  '/source/..%2fpackage.json',
  '/source/http/../../package.json',
  '/source/http/..%2f..%2fpackage.json',
  '/source//etc/passwd',
  '/source/%2fetc%2fpasswd',
  '/source/README.md',
  '/source/http/cookie.js',
  '/source/http/cookie.ts.map',
  '/source/http%2fcookie.ts',
  '/source/HTTP/COOKIE.TS',
  '/source/http/cookie.ts/',
  '/source/http/cookie.ts%00',
  '/source/../../../../etc/passwd',
  '/source/',
];
for (const path of traversalCases) {
  test(`GET ${path} is a 404 that shows no file`, async () => {
    const answer = await sendRaw(server.url, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 404 /);
    assert.doesNotMatch(answer, /"devDependencies"|root:x:0|class="line"/);
  });
}

test('a source page works without JavaScript and escapes the code it shows', async () => {
  const response = await get(`${server.url}/source/http/escape.ts`);
  const page = await response.text();
  assert.doesNotMatch(page, /<script/i);
  assert.match(response.headers.get('content-security-policy')!, /default-src 'none'/);
  // escape.ts holds the characters it escapes: they appear escaped, inside code lines
  // (the source line is `case 0x3c: return '&lt;'; // <`).
  assert.match(page, /case 0x3c: return &#39;&amp;lt;&#39;; \/\/ &lt;/);
});

test('without its sources (a build installed without src/), the demo has no /source pages and no links to them', async () => {
  const bare = await startServer({}, { source: null });
  try {
    assert.equal((await get(`${bare.url}/source`)).status, 404);
    assert.equal((await get(`${bare.url}/source/http/cookie.ts`)).status, 404);
    for (const path of ['/', '/login', '/nowhere']) assert.deepEqual(linksIn(await (await get(`${bare.url}${path}`)).text()), [], path);
  } finally {
    await bare.close();
  }
});
