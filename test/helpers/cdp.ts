// A small Chrome DevTools Protocol client (test support, not the product): it starts Debian's
// headless Chromium with --remote-debugging-pipe and speaks CDP over the two pipes Chromium opens on
// file descriptors 3 (commands in) and 4 (replies and events out). Each message is one JSON object
// followed by a NUL byte. Only what the browser tests need: pages, navigation, evaluation, cookies,
// screenshots, and a clean close.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { findTool } from './tools.js';

interface Pending {
  readonly resolve: (result: Record<string, unknown>) => void;
  readonly reject: (error: Error) => void;
}

type EventListener = (params: Record<string, unknown>, sessionId: string | undefined) => void;

/** A cookie as Storage.getCookies reports it. */
export interface BrowserCookie {
  readonly name: string;
  readonly value: string;
  readonly domain: string;
  readonly path: string;
  /** Seconds since the epoch; -1 for a session cookie. */
  readonly expires: number;
  readonly session: boolean;
  readonly httpOnly: boolean;
  readonly secure: boolean;
  readonly sameSite?: string;
}

export class Browser {
  readonly #process: ChildProcess;
  readonly #input: Writable;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<{ method: string; listener: EventListener }>();
  readonly exited: Promise<number | null>;
  /** The profile directory: pass it to `launch()` again to restart on the same profile. */
  readonly userDataDir: string;

  private constructor(child: ChildProcess, userDataDir: string) {
    this.#process = child;
    this.userDataDir = userDataDir;
    this.#input = child.stdio[3] as Writable;
    const output = child.stdio[4] as Readable;
    let buffered = '';
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      buffered += chunk;
      let end: number;
      while ((end = buffered.indexOf('\0')) !== -1) {
        this.#dispatch(JSON.parse(buffered.slice(0, end)) as Record<string, unknown>);
        buffered = buffered.slice(end + 1);
      }
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    void this.exited.then(() => {
      for (const { reject } of this.#pending.values()) reject(new Error('the browser exited'));
      this.#pending.clear();
    });
  }

  /** Starts headless Chromium on `userDataDir` (a fresh temporary profile by default). */
  static async launch(userDataDir = mkdtempSync(join(tmpdir(), 'scratchpad-chromium-'))): Promise<Browser> {
    const chromium = findTool('chromium');
    if (chromium === null) throw new Error('chromium is not installed (apt-get install chromium)');
    const child = spawn(
      chromium,
      [
        '--headless',
        '--remote-debugging-pipe',
        `--user-data-dir=${userDataDir}`,
        // A sandboxed machine with no network: no sandbox (we run as root), no GPU, and none of
        // the background connections Chromium would otherwise try at every start.
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--no-default-browser-check',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--disable-features=Translate,MediaRouter,OptimizationHints',
        '--window-size=1000,900',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
    );
    const browser = new Browser(child, userDataDir);
    await browser.send('Target.setDiscoverTargets', { discover: true });
    return browser;
  }

  /** Sends one command and resolves with its result; `sessionId` addresses a page. */
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    const message = JSON.stringify({ id, method, params, ...(sessionId === undefined ? {} : { sessionId }) });
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#input.write(`${message}\0`);
    });
  }

  /** Resolves with the params of the next `method` event (for `sessionId`, if given). */
  waitFor(method: string, sessionId?: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const entry = {
        method,
        listener: (params: Record<string, unknown>, from: string | undefined) => {
          if (sessionId !== undefined && from !== sessionId) return;
          this.#listeners.delete(entry);
          clearTimeout(timer);
          resolve(params);
        },
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(entry);
        reject(new Error(`no ${method} event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#listeners.add(entry);
    });
  }

  /** Opens a tab and attaches to it. */
  async newPage(): Promise<Page> {
    const { targetId } = (await this.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    await this.send('Page.enable', {}, sessionId);
    await this.send('Runtime.enable', {}, sessionId);
    return new Page(this, sessionId);
  }

  /** Every cookie the browser holds. */
  async cookies(): Promise<BrowserCookie[]> {
    return ((await this.send('Storage.getCookies')) as { cookies: BrowserCookie[] }).cookies;
  }

  /** Asks Chromium to shut down cleanly (which writes its cookie store to disk), and waits for it. */
  async close(): Promise<number | null> {
    await this.send('Browser.close').catch(() => {});
    return this.exited;
  }

  #dispatch(message: Record<string, unknown>): void {
    if (typeof message['id'] === 'number') {
      const pending = this.#pending.get(message['id']);
      if (pending === undefined) return;
      this.#pending.delete(message['id']);
      const error = message['error'] as { message: string } | undefined;
      if (error !== undefined) pending.reject(new Error(`CDP: ${error.message}`));
      else pending.resolve((message['result'] ?? {}) as Record<string, unknown>);
      return;
    }
    for (const { method, listener } of [...this.#listeners]) {
      if (method === message['method']) listener((message['params'] ?? {}) as Record<string, unknown>, message['sessionId'] as string | undefined);
    }
  }
}

export class Page {
  constructor(
    readonly browser: Browser,
    readonly sessionId: string,
  ) {}

  /** Loads `url` and waits for its load event. */
  async goto(url: string): Promise<void> {
    const loaded = this.browser.waitFor('Page.loadEventFired', this.sessionId);
    await this.browser.send('Page.navigate', { url }, this.sessionId);
    await loaded;
  }

  /** Evaluates `expression` in the page and returns its value. */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const result = (await this.browser.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, this.sessionId)) as {
      result: { value?: T };
      exceptionDetails?: { text: string };
    };
    if (result.exceptionDetails !== undefined) throw new Error(`page script failed: ${result.exceptionDetails.text}`);
    return result.result.value as T;
  }

  /** Runs `expression` (which submits a form or clicks a link) and waits for the next page to load. */
  async navigateBy(expression: string): Promise<void> {
    const loaded = this.browser.waitFor('Page.loadEventFired', this.sessionId);
    await this.evaluate(expression);
    await loaded;
  }

  /**
   * Makes the page's window `width` × `height` CSS pixels, as a screen of that size would (one
   * device pixel per CSS pixel). `mobile` also makes the page's `<meta name="viewport">` count,
   * as on a phone.
   */
  async setViewport(width: number, height: number, mobile = false): Promise<void> {
    await this.browser.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile }, this.sessionId);
  }

  /** The page's visible text. */
  text(): Promise<string> {
    return this.evaluate<string>('document.body.innerText');
  }

  /** A PNG of the viewport. */
  async screenshot(): Promise<Buffer> {
    const { data } = (await this.browser.send('Page.captureScreenshot', { format: 'png' }, this.sessionId)) as { data: string };
    return Buffer.from(data, 'base64');
  }
}
