// HTTPS and proxies end to end: the Secure attribute follows how the browser reached us.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createHttpServer } from '../../src/http/serve.js';
import { makeCertificate } from '../helpers/certificate.js';
import { httpsRequest } from '../helpers/https.js';
import { csrfFor, get, postForm, sessionCookieFrom, startServer } from '../helpers/server.js';

test('with TLS_CERT_FILE and TLS_KEY_FILE the server speaks HTTPS, and cookies are Secure (__Host- allowed)', async () => {
  const files = makeCertificate();
  const ca = readFileSync(files.cert);
  const server = await startServer({ TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.key, SESSION_COOKIE_NAME: '__Host-session' });
  try {
    assert.match(server.url, /^https:\/\//);
    const form = await httpsRequest(`${server.url}/login`, ca);
    const token = /name="csrf_token" value="([^"]+)"/.exec(form.body)![1]!;
    const csrfCookie = form.setCookies[0]!;
    assert.match(csrfCookie, /^__Host-session_csrf=[^;]+; Path=\/; Secure; HttpOnly; SameSite=Strict$/);
    const login = await httpsRequest(`${server.url}/login`, ca, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie.split(';')[0]!, origin: server.url },
      body: `username=alice&csrf_token=${token}`,
    });
    assert.equal(login.status, 303);
    assert.match(login.setCookies[0]!, /^__Host-session=[^;]+; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
    const index = await httpsRequest(server.url, ca, { headers: { cookie: login.setCookies[0]!.split(';')[0]! } });
    assert.match(index.body, /Logged in as <strong>alice<\/strong>/);
  } finally {
    await server.close();
  }
});

test('plain HTTP to a TLS server is refused, not answered in clear', async () => {
  const files = makeCertificate();
  const server = await startServer({ TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.key });
  try {
    await assert.rejects(fetch(server.url.replace('https:', 'http:')));
  } finally {
    await server.close();
  }
});

test('behind TRUST_PROXY, X-Forwarded-Proto decides Secure and the expected Origin', async () => {
  const server = await startServer({ TRUST_PROXY: 'true' });
  try {
    const csrf = await csrfFor(server.url);
    const { port } = new URL(server.url);
    const post = (proto: string) =>
      fetch(`${server.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: csrf.cookie,
          'x-forwarded-proto': proto,
          origin: `${proto}://127.0.0.1:${port}`,
        },
        body: `username=alice&csrf_token=${csrf.token}`,
      });
    const overHttps = await post('https');
    assert.equal(overHttps.status, 303);
    assert.match(overHttps.headers.getSetCookie()[0]!, /; Secure;/);
    const overHttp = await post('http');
    assert.equal(overHttp.status, 303);
    assert.doesNotMatch(overHttp.headers.getSetCookie()[0]!, /Secure/);
  } finally {
    await server.close();
  }
});

test('without TRUST_PROXY, a forged X-Forwarded-Proto changes nothing', async () => {
  const server = await startServer();
  try {
    const csrf = await csrfFor(server.url);
    const response = await fetch(`${server.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrf.cookie, 'x-forwarded-proto': 'https' },
      body: `username=alice&csrf_token=${csrf.token}`,
    });
    assert.doesNotMatch(response.headers.getSetCookie()[0]!, /Secure/);
    assert.match(await (await get(server.url, sessionCookieFrom(response)!)).text(), /Logged in as/);
  } finally {
    await server.close();
  }
});

test('MAX_CONNECTIONS: a connection beyond the limit is closed at once, and the others keep working', async () => {
  const server = createHttpServer(async () => ({ status: 200, headers: {}, body: 'ok' }), { accessLog: null, errorLog: () => {}, limits: { maxConnections: 2 } });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const open = () => new Promise<ReturnType<typeof connect>>((resolve) => { const socket = connect(port, '127.0.0.1', () => resolve(socket)); });
  const held = [await open(), await open()];
  await new Promise((resolve) => setTimeout(resolve, 50));
  const third = await open();
  const closed = await new Promise<boolean>((resolve) => {
    third.on('close', () => resolve(true));
    third.on('error', () => {});
    third.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    setTimeout(() => resolve(false), 2000);
  });
  assert.equal(closed, true);
  const answer = await new Promise<string>((resolve) => {
    held[0]!.once('data', (chunk) => resolve(chunk.toString()));
    held[0]!.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  });
  assert.match(answer, /^HTTP\/1\.1 200 OK/);
  for (const socket of held) socket.destroy();
  server.close();
});

test('the demo answers every page with the security headers', async () => {
  const server = await startServer();
  try {
    for (const path of ['/', '/login', '/missing']) {
      const response = await get(`${server.url}${path}`);
      assert.match(response.headers.get('content-security-policy') ?? '', /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      assert.equal(response.headers.get('referrer-policy'), 'same-origin');
    }
    // The hash must be that of the page's one <style> block, or the browser would drop the CSS.
    const page = await (await get(server.url)).text();
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1]!;
    const hash = createHash('sha256').update(style).digest('base64');
    assert.ok((await get(server.url)).headers.get('content-security-policy')!.includes(`'sha256-${hash}'`));
    assert.doesNotMatch(page, /<script/i);
    const login = await postForm(`${server.url}/login`, { username: 'a' });
    assert.equal(login.headers.get('x-frame-options'), 'DENY', 'redirects too');
  } finally {
    await server.close();
  }
});
