import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../src/http/http-error.js';

test('HttpError carries status, message and headers', () => {
  const error = new HttpError(405, '/login does not accept PUT', { Allow: 'GET' });
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'HttpError');
  assert.equal(error.status, 405);
  assert.equal(error.message, '/login does not accept PUT');
  assert.deepEqual(error.headers, { Allow: 'GET' });
});

test('HttpError has no extra headers by default', () => {
  assert.deepEqual(new HttpError(404, 'missing').headers, {});
});
