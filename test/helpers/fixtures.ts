// Settings and views that several test files start from, so that a new field is added in one place.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InspectorView } from '../../src/demo/pages.js';
import type { StoreSettings } from '../../src/session/backend.js';
import type { SessionCookieSettings } from '../../src/session/session.js';

/** A session cookie's settings as a test wants them: an hour's lifetime, 90 days absolute. */
export const TEST_COOKIE_SETTINGS: SessionCookieSettings = Object.freeze({
  name: 'session',
  path: '/',
  httpOnly: true,
  secure: false,
  sameSite: 'Lax',
  partitioned: false,
  lifetimeSeconds: 3600,
  refreshEachRequest: true,
  absoluteLifetimeSeconds: 86400 * 90,
});

/** Store settings for openSessionBackend(): cookie sessions, no per-client limit, a fresh directory. */
export function testStoreSettings(settings: Partial<StoreSettings> = {}): StoreSettings {
  return {
    type: 'cookie',
    encrypt: false,
    format: 'native',
    idleLifetimeSeconds: 60,
    memoryMax: 10,
    newSessionsPerMinute: 0,
    fileDirectory: join(mkdtempSync(join(tmpdir(), 'scratchpad-backend-')), 'sessions'),
    redis: { host: '127.0.0.1', port: 6379, db: 0 },
    ...settings,
  };
}

/** What the inspector sees of a visitor who sent no session cookie, at `nowSeconds`. */
export function anonymousView(nowSeconds: number): InspectorView {
  return {
    cookieName: 'session',
    incoming: { present: false, bytes: 0, rejection: null, signedAt: null, keyIndex: null },
    cookieValue: null,
    format: 'native',
    nowSeconds,
    permanent: false,
    lifetimeSeconds: 2678400,
    absoluteLifetimeSeconds: 7776000,
    storage: { type: 'cookie', cookieHolds: 'data', protection: 'signed', storedBytes: null, storedRecord: null, cookieExpiry: null },
    data: {},
  };
}
