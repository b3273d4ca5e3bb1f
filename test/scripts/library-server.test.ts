// The two servers of the "library vs hand-written" benchmark row must serve the same thing, or the
// row compares two different pages: the same request gets the same status, headers and body.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { get, postForm, sessionCookieFrom, startServer, TEST_SECRET_KEY } from '../helpers/server.js';

const LIBRARY = fileURLToPath(new URL('../../scripts/library-server.js', import.meta.url));
const HANDWRITTEN = fileURLToPath(new URL('../../scripts/handwritten-server.js', import.meta.url));

/** Starts a script that prints its port on its first line. */
async function startScript(script: string, env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [script], { env: { PATH: process.env['PATH'] ?? '', SECRET_KEY: TEST_SECRET_KEY, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${chunk.toString().trim()}`, child };
}

/** `text` with the character at `index` replaced by another letter of the base64url alphabet. */
function withCharacterChanged(text: string, index: number): string {
  return text.slice(0, index) + (text[index] === 'A' ? 'B' : 'A') + text.slice(index + 1);
}

interface Answer {
  readonly status: number;
  /** Header names and values as sent, in order, without Date (which differs by the second). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

function ask(url: string, method: string, cookie: string | null): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request(url, { method, agent: false, headers: cookie === null ? {} : { cookie } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        const raw = response.rawHeaders;
        const headers = raw.flatMap((name, index) => (index % 2 === 0 && name.toLowerCase() !== 'date' ? [[name, raw[index + 1]!] as const] : []));
        resolve({ status: response.statusCode ?? 0, headers, body });
      });
    })
      .on('error', reject)
      .end();
  });
}

test('library-server.ts answers every request exactly as handwritten-server.ts does: status, headers and body', async () => {
  // Cookies as the demo signs them, with the key both scripts are given.
  const demo = await startServer();
  const login = async (fields: Record<string, string>) => sessionCookieFrom(await postForm(`${demo.url}/login`, fields))!;
  const volatile = await login({ username: 'alice' });
  const permanent = await login({ username: 'bob', remember: 'on' });
  const markup = await login({ username: `<b>"Tom" & 'Jerry'</b>` });
  // One character of the signature changed, ten from its end: the last character also carries two
  // unused bits, which a lenient base64url decoder (the hand-written server's) ignores, so changing
  // only those would not forge anything there.
  const forged = withCharacterChanged(volatile, volatile.length - 10);
  assert.match(await (await get(demo.url, volatile)).text(), /Logged in as <strong>alice<\/strong>/);
  await demo.close();

  const library = await startScript(LIBRARY);
  const handwritten = await startScript(HANDWRITTEN);
  try {
    const cases: readonly { name: string; path: string; method: string; cookie: string | null; want: RegExp }[] = [
      { name: 'a volatile session, page padded', path: '/8200', method: 'GET', cookie: volatile, want: /Logged in as <strong>alice<\/strong>/ },
      { name: 'a volatile session, with the CSRF cookie beside it', path: '/', method: 'GET', cookie: `${volatile}; session_csrf=x`, want: /Logged in as <strong>alice<\/strong>/ },
      { name: 'a permanent session', path: '/300', method: 'GET', cookie: permanent, want: /Logged in as <strong>bob<\/strong>/ },
      { name: 'a username with markup', path: '/', method: 'GET', cookie: markup, want: /&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;\/b&gt;/ },
      { name: 'no cookie', path: '/500', method: 'GET', cookie: null, want: /You are not logged in/ },
      { name: 'a forged cookie', path: '/', method: 'GET', cookie: forged, want: /You are not logged in/ },
      { name: 'HEAD', path: '/1000', method: 'HEAD', cookie: volatile, want: /^$/ },
    ];
    for (const { name, path, method, cookie, want } of cases) {
      const [ours, theirs] = await Promise.all([ask(`${library.url}${path}`, method, cookie), ask(`${handwritten.url}${path}`, method, cookie)]);
      assert.deepEqual(ours, theirs, name);
      assert.equal(ours.status, 200, name);
      assert.match(ours.body, want, name);
      assert.ok(!ours.headers.some(([header]) => header.toLowerCase() === 'set-cookie'), `${name}: no Set-Cookie`);
    }
  } finally {
    library.child.kill('SIGTERM');
    handwritten.child.kill('SIGTERM');
  }
});

test("handwritten-server.ts with SKIP_SESSION_CHECK=true (the bench's ceiling) serves the benchmark user's page as the checked server does, and trusts any cookie", async () => {
  const demo = await startServer();
  const cookie = sessionCookieFrom(await postForm(`${demo.url}/login`, { username: 'benchmark' }))!;
  await demo.close();
  const checked = await startScript(HANDWRITTEN);
  const unchecked = await startScript(HANDWRITTEN, { SKIP_SESSION_CHECK: 'true' });
  try {
    const [theirs, ceiling] = await Promise.all([ask(`${checked.url}/8200`, 'GET', cookie), ask(`${unchecked.url}/8200`, 'GET', cookie)]);
    assert.deepEqual(ceiling, theirs);
    assert.match(ceiling.body, /Logged in as <strong>benchmark<\/strong>/);
    assert.match((await ask(`${unchecked.url}/`, 'GET', 'session=forged')).body, /Logged in as <strong>benchmark<\/strong>/, 'it checks nothing');
    assert.match((await ask(`${checked.url}/`, 'GET', 'session=forged')).body, /You are not logged in/);
    assert.match((await ask(`${unchecked.url}/`, 'GET', null)).body, /You are not logged in/);
  } finally {
    checked.child.kill('SIGTERM');
    unchecked.child.kill('SIGTERM');
  }
});
