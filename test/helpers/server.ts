// Starts the real demo server on a free port, in this process, for end-to-end tests.
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDemoFromConfig } from '../../src/demo/app.js';
import type { SourceLibrary } from '../../src/demo/source.js';
import { createHttpServer, loadConfig, type Config, type FormLimits, type SessionStore } from '../../src/index.js';

export const TEST_SECRET_KEY = 'test-secret-key-that-is-at-least-32-bytes-long';

export interface RunningServer {
  readonly url: string;
  readonly config: Config;
  /** The server-side store, or null in cookie mode. */
  readonly store: SessionStore | null;
  readonly accessLog: string[];
  readonly errorLog: string[];
  close(): Promise<void>;
}

export interface StartOptions {
  /** Milliseconds since the epoch: a TestClock's `now` freezes time for the whole server. */
  readonly now?: () => number;
  readonly formLimits?: FormLimits;
  /** The sources for /source; `null` runs the demo as a build installed without them. */
  readonly source?: SourceLibrary | null;
}

/**
 * Starts the demo exactly as server.ts does (configuration from an environment, the session
 * backend it names, the demo app), on a free port of 127.0.0.1, in this process.
 */
export async function startServer(env: Record<string, string> = {}, options: StartOptions = {}): Promise<RunningServer> {
  const config = loadConfig({ SECRET_KEY: TEST_SECRET_KEY, ...env }, mkdtempSync(join(tmpdir(), 'scratchpad-test-')));
  const accessLog: string[] = [];
  const errorLog: string[] = [];
  const demo = await createDemoFromConfig(config, options);
  const server = createHttpServer(demo.application, {
    accessLog: (line) => accessLog.push(line),
    errorLog: (message) => errorLog.push(message),
    limits: config.limits.server,
    tls: config.tls,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${config.tls === null ? 'http' : 'https'}://127.0.0.1:${port}`,
    config,
    store: demo.sessions.store,
    accessLog,
    errorLog,
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      await demo.close();
    },
  };
}

/** A frozen clock that a test moves by hand: expiry is tested without sleeping. */
export class TestClock {
  constructor(public milliseconds = Date.UTC(2026, 10, 25, 12, 0, 0)) {}
  readonly now = (): number => this.milliseconds;
  advanceSeconds(seconds: number): void {
    this.milliseconds += seconds * 1000;
  }
}

/** The session cookie's `name=value` from a response, or null; for sending back in `Cookie`. */
export function sessionCookieFrom(response: Response, name = 'session'): string | null {
  const header = response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
  return header === undefined ? null : header.split(';')[0]!;
}

/**
 * Fetches the login form, as a browser would before posting, and returns its CSRF token and the
 * `name=value` of the CSRF cookie that must go back with it.
 */
export async function csrfFor(url: string): Promise<{ token: string; cookie: string }> {
  const response = await fetch(`${new URL(url).origin}/login`);
  const token = /name="csrf_token" value="([^"]*)"/.exec(await response.text())?.[1];
  const cookie = response.headers.getSetCookie().find((line) => /^[^=]+_csrf=/.test(line))?.split(';')[0];
  if (token === undefined || cookie === undefined) throw new Error('the login form carries no CSRF token');
  return { token, cookie };
}

/**
 * Posts an urlencoded body without following the redirect, as a browser's first hop. Unless the
 * body already has a csrf_token, it first fetches the form for one, as a browser would have.
 */
export async function postBody(url: string, body: string, cookie?: string): Promise<Response> {
  const cookies = cookie === undefined ? [] : [cookie];
  let fullBody = body;
  if (!/(^|&)csrf_token=/.test(body)) {
    const csrf = await csrfFor(url);
    fullBody = `${body}${body === '' ? '' : '&'}csrf_token=${csrf.token}`;
    cookies.unshift(csrf.cookie);
  }
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookies.length === 0 ? {} : { cookie: cookies.join('; ') }) },
    body: fullBody,
  });
}

/** Posts form fields (see postBody). */
export function postForm(url: string, fields: Record<string, string>, cookie?: string): Promise<Response> {
  return postBody(url, new URLSearchParams(fields).toString(), cookie);
}

/** GETs a page with an optional Cookie header, without following redirects. */
export function get(url: string, cookie?: string, method = 'GET'): Promise<Response> {
  return fetch(url, { method, redirect: 'manual', headers: cookie === undefined ? {} : { cookie } });
}
