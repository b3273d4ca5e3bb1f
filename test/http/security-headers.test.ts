import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { cspSourceHash, securityHeaders } from '../../src/http/security-headers.js';

test('cspSourceHash() is the base64 SHA-256 of the exact text, quoted as CSP wants', () => {
  assert.equal(cspSourceHash('body{}'), `'sha256-${createHash('sha256').update('body{}').digest('base64')}'`);
});

test('securityHeaders() forbids scripts, framing, sniffing and referrers', () => {
  const headers = securityHeaders(["'sha256-abc'"]);
  assert.equal(headers['content-security-policy'], "default-src 'none'; style-src 'sha256-abc'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  assert.doesNotMatch(headers['content-security-policy']!, /script-src|unsafe-inline/);
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['x-frame-options'], 'DENY');
  // Not no-referrer: that makes browsers send Origin: null on our own form posts.
  assert.equal(headers['referrer-policy'], 'same-origin');
});
