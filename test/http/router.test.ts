import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../src/http/http-error.js';
import type { Reply } from '../../src/http/reply.js';
import { Router, requestPath } from '../../src/http/router.js';

const says = (text: string) => (): Reply => ({ status: 200, headers: {}, body: text });

function demoRouter(): Router<null> {
  return new Router<null>()
    .get('/', says('index'))
    .get('/login', says('form'))
    .post('/login', says('login'))
    .add('put', '/thing', says('put'));
}

const dispatchCases: readonly { name: string; method: string; path: string; want: string }[] = [
  { name: 'dispatches GET to the GET route', method: 'GET', path: '/', want: 'index' },
  { name: 'dispatches by method on a shared path (GET)', method: 'GET', path: '/login', want: 'form' },
  { name: 'dispatches by method on a shared path (POST)', method: 'POST', path: '/login', want: 'login' },
  { name: 'upper-cases methods given to add()', method: 'PUT', path: '/thing', want: 'put' },
  // RFC 9110 §9.3.2: HEAD is answered as GET; serve.ts drops the body.
  { name: 'answers HEAD with the GET handler', method: 'HEAD', path: '/login', want: 'form' },
];

for (const { name, method, path, want } of dispatchCases) {
  test(`Router.dispatch() ${name}`, async () => {
    assert.equal((await demoRouter().dispatch(method, path, null)).body, want);
  });
}

test('Router.dispatch() answers 404 for an unknown path', async () => {
  await assert.rejects(demoRouter().dispatch('GET', '/nope', null), (error: unknown) => error instanceof HttpError && error.status === 404);
});

test('Router.dispatch() matches paths exactly (no trailing-slash or case folding)', async () => {
  for (const path of ['/login/', '/LOGIN', '/%6Cogin']) {
    await assert.rejects(demoRouter().dispatch('GET', path, null), (error: unknown) => error instanceof HttpError && error.status === 404);
  }
});

test('Router.dispatch() answers 405 with Allow listing the path\'s methods', async () => {
  await assert.rejects(demoRouter().dispatch('DELETE', '/login', null), (error: unknown) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 405);
    assert.equal(error.headers['Allow'], 'GET, HEAD, POST, OPTIONS');
    assert.match(error.message, /\/login does not accept DELETE/);
    return true;
  });
});

test('Router.dispatch() answers 405 for HEAD on a path without GET', async () => {
  await assert.rejects(demoRouter().dispatch('HEAD', '/thing', null), (error: unknown) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.headers['Allow'], 'PUT, OPTIONS');
    return true;
  });
});

test('Router.dispatch() answers OPTIONS with 204 and Allow', async () => {
  const reply = await demoRouter().dispatch('OPTIONS', '/login', null);
  assert.equal(reply.status, 204);
  assert.equal(reply.headers['allow'], 'GET, HEAD, POST, OPTIONS');
});

test('Router.dispatch() uses an explicit HEAD route over GET', async () => {
  const router = new Router<null>().get('/', says('get')).add('HEAD', '/', says('head'));
  assert.equal((await router.dispatch('HEAD', '/', null)).body, 'head');
});

test('Router.dispatch() gives the handler its context and the first matching route wins', async () => {
  const router = new Router<{ user: string }>()
    .get('/', (context) => ({ status: 200, headers: {}, body: context.user }))
    .get('/', says('second'));
  assert.equal((await router.dispatch('GET', '/', { user: 'alice' })).body, 'alice');
});

const pathCases: readonly { target: string | undefined; want: string }[] = [
  { target: '/', want: '/' },
  { target: '/login?next=/', want: '/login' },
  { target: '/login#top', want: '/login' },
  { target: '/a%20b', want: '/a%20b' },
  { target: undefined, want: '/' },
];

for (const { target, want } of pathCases) {
  test(`requestPath() reads ${JSON.stringify(target)} as ${want}`, () => {
    assert.equal(requestPath(target), want);
  });
}
