import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { requestOrigin } from '../../src/http/origin.js';

function request(headers: Record<string, string>, encrypted = false): IncomingMessage {
  return { headers, socket: { encrypted } } as unknown as IncomingMessage;
}

const cases: readonly { name: string; request: IncomingMessage; trustProxy: boolean; want: { secure: boolean; origin: string | null } }[] = [
  { name: 'plain HTTP', request: request({ host: 'localhost:5000' }), trustProxy: false, want: { secure: false, origin: 'http://localhost:5000' } },
  { name: 'TLS', request: request({ host: 'example.com' }, true), trustProxy: false, want: { secure: true, origin: 'https://example.com' } },
  // Any client can send X-Forwarded-Proto: it counts only behind a trusted proxy.
  { name: 'a forged X-Forwarded-Proto without TRUST_PROXY', request: request({ host: 'example.com', 'x-forwarded-proto': 'https' }), trustProxy: false, want: { secure: false, origin: 'http://example.com' } },
  { name: 'X-Forwarded-Proto: https behind a trusted proxy', request: request({ host: 'example.com', 'x-forwarded-proto': 'https' }), trustProxy: true, want: { secure: true, origin: 'https://example.com' } },
  { name: 'the first of several forwarded schemes', request: request({ host: 'example.com', 'x-forwarded-proto': 'HTTP, https' }), trustProxy: true, want: { secure: false, origin: 'http://example.com' } },
  { name: 'TRUST_PROXY without the header falls back to the socket', request: request({ host: 'example.com' }, true), trustProxy: true, want: { secure: true, origin: 'https://example.com' } },
  { name: 'a Host in capitals', request: request({ host: 'Example.COM' }), trustProxy: false, want: { secure: false, origin: 'http://example.com' } },
  { name: 'no Host header', request: request({}), trustProxy: false, want: { secure: false, origin: null } },
];

for (const { name, request: incoming, trustProxy, want } of cases) {
  test(`requestOrigin() reads ${name}`, () => {
    assert.deepEqual(requestOrigin(incoming, trustProxy), want);
  });
}
