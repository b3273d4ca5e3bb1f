/**
 * Session backends: from SESSION_TYPE to a ready `SessionInterface`.
 *
 * What: `openSessionBackend()` builds the signer from the secret keys, opens the store SESSION_TYPE
 * names (none for `cookie`), and returns the session interface with a `close()` for shutdown.
 *
 * Why: the application must not change when the storage does. Flask's example works the same on a
 * signed cookie or, with Flask-Session, on Redis; here too the three routes in ../demo/app.ts are the
 * same code in every mode, and this module is the only place that knows the modes exist.
 *
 * Which to choose:
 * - `cookie`: no server state at all, any number of servers. Data readable by the user, at most
 *   4 KB, and a session cannot be revoked before it expires.
 * - `memory`: server-side, fastest, but one process only, and lost on restart. For development.
 * - `filesystem`: server-side, survives restarts, shared by processes on one machine.
 * - `redis`: server-side, shared by every server that reaches the Redis; what production uses.
 *
 * The secret key: it signs every cookie (data or id). Whoever knows it can forge any session, which
 * is why it must be long, random, and kept out of the code (config.ts reads it from the environment).
 *
 * Speed: this is the one place that uses the last chapter of the reading order (../fast/). By
 * default the signer, the sealer, the cookie codec and the memory store's record codec are their
 * memoized versions, files are read through the stat check, and the Redis client writes the
 * commands of a turn together, which give the same answers faster, and the memory store moves a
 * record it reads to the recent end at most once a minute (../fast/coarse-recency.ts: a record in
 * use is still never demoted before one that is not); `memo: false`
 * (SESSION_MEMO=false, read by ../config.ts) builds the plain modules alone, which is how the
 * benchmark measures what they are worth. A store that can tell when a record expires is wrapped
 * in the lazy touch, which skips most restarts of idle time, at the price its header states;
 * `lazyRefresh: false` (SESSION_LAZY_REFRESH=false) leaves it out.
 *
 * Spec: none.
 *
 * Not here: the stores (stores/), the configuration (../config.ts).
 *
 * Read next: sessions.ts, which puts Flask's defaults and the request's four steps around this.
 */
import { MemoizedCookieCodec } from '../fast/memoized-cookie-codec.js';
import { MemoizedSealer } from '../fast/memoized-sealer.js';
import { MemoizedSigner } from '../fast/memoized-signer.js';
import { writeInBatches } from '../fast/batched-redis-writes.js';
import { canTellExpiry, LazyTouchStore } from '../fast/lazy-touch-store.js';
import { MemoizedRecordCodec } from '../fast/memoized-record-codec.js';
import { CoarseRecency } from '../fast/coarse-recency.js';
import { StatCheckedFileStore } from '../fast/stat-checked-file-store.js';
import { RateLimiter } from '../http/rate-limit.js';
import { Sealer } from '../signing/sealer.js';
import { Signer, type SignerOptions } from '../signing/signer.js';
import { RedisClient, type RedisClientOptions } from '../redis/client.js';
import { CookieSessionInterface, NativeCookieCodec } from './cookie-session.js';
import { FlaskCookieCodec } from './flask-codec.js';
import { ServerSessionInterface } from './server-session.js';
import type { SessionCookieSettings, SessionInspector, SessionInterface } from './session.js';
import { PLAIN_RECORD_CODEC, type RecordCodec, type SessionStore } from './store.js';
import { FileSessionStore } from './stores/filesystem.js';
import { EXACT_RECENCY, MemorySessionStore } from './stores/memory.js';
import { RedisSessionStore } from './stores/redis.js';

export type SessionType = 'cookie' | 'memory' | 'filesystem' | 'redis';

/** Where the Redis store connects, and how: ../redis/client.ts's options, less the log (the backend's own) and the write (chosen here). */
export type RedisSettings = Omit<RedisClientOptions, 'log' | 'write'>;

/** The store settings of the configuration (see ../config.ts for the variables and defaults). */
export interface StoreSettings {
  readonly type: SessionType;
  /** SESSION_COOKIE_ENCRYPT: seal cookie sessions with AES-256-GCM instead of only signing them. */
  readonly encrypt: boolean;
  /** SESSION_COOKIE_FORMAT: Scratchpad's own cookie, or exactly Flask's (flask-codec.ts). */
  readonly format: 'native' | 'flask';
  readonly idleLifetimeSeconds: number;
  readonly memoryMax: number;
  /** LIMIT_NEW_SESSIONS: new server-side sessions per minute per client address; 0: no limit. */
  readonly newSessionsPerMinute: number;
  readonly fileDirectory: string;
  readonly redis: RedisSettings;
  /**
   * SESSION_MEMO: the memos, the coarse recency, the stat check of files and the batched Redis
   * writes of ../fast/ (on when absent); `false` builds the plain signer, sealer, cookie codec,
   * record codec (for the memory store and the inspector), memory store order, file store and Redis client.
   */
  readonly memo?: boolean;
  /**
   * Server-side sessions: restart an unchanged session's time to live only once a tenth of it has
   * passed (../fast/lazy-touch-store.ts, on when absent, for a store with `getWithExpiry`), so that
   * most requests cost the store one read; `false` restarts it on every request (server-session.ts,
   * rule 2).
   */
  readonly lazyRefresh?: boolean;
}

export interface BackendOptions {
  readonly cookie: SessionCookieSettings;
  readonly store: StoreSettings;
  /** The current secret key first, then the fallbacks that still verify. */
  readonly secrets: readonly string[];
  readonly now?: () => number;
  /** Start-up notes and store events (Redis lost and back). */
  readonly log?: (message: string) => void;
  /** A store of your own (store.ts's contract): server-side sessions in it, whatever `store.type` says. */
  readonly customStore?: SessionStore | null;
}

export interface SessionBackend {
  /** Both of Scratchpad's session interfaces can also describe their sessions (`inspect()`). */
  readonly sessions: SessionInterface & SessionInspector;
  /** The store behind server-side sessions; `null` for cookie sessions. */
  readonly store: SessionStore | null;
  /**
   * A signer for another purpose (its own salt), memoized or plain as the session's own is. For
   * values that come back with every request as the session cookie does, such as CSRF tokens.
   */
  newSigner(options: SignerOptions): Signer;
  close(): Promise<void>;
}

/** The salt session cookies are signed under: a signature made for any other purpose never verifies as one. */
export const SESSION_SALT = 'scratchpad.session';

export async function openSessionBackend(options: BackendOptions): Promise<SessionBackend> {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const memo = options.store.memo ?? true;
  const newSigner = (signerOptions: SignerOptions): Signer => (memo ? new MemoizedSigner(signerOptions) : new Signer(signerOptions));
  const signer = newSigner({ secrets: options.secrets, salt: SESSION_SALT, now });
  if (options.store.type === 'cookie' && !options.customStore) {
    if (options.store.format === 'flask') {
      log('sessions: Flask-compatible cookies (SESSION_COOKIE_FORMAT=flask); Flask cookies carry no login time, so SESSION_ABSOLUTE_LIFETIME is not enforced');
      const codec = new FlaskCookieCodec({ secrets: options.secrets, now });
      return { sessions: new CookieSessionInterface(options.cookie, codec, now), store: null, newSigner, close: async () => {} };
    }
    const sealerOptions = { secrets: options.secrets, now };
    const protector = options.store.encrypt ? (memo ? new MemoizedSealer(sealerOptions) : new Sealer(sealerOptions)) : signer;
    const codec = memo ? new MemoizedCookieCodec(protector) : new NativeCookieCodec(protector);
    return { sessions: new CookieSessionInterface(options.cookie, codec, now), store: null, newSigner, close: async () => {} };
  }
  if (options.store.encrypt) log('sessions: SESSION_COOKIE_ENCRYPT has no effect here: the cookie holds only a random id, and the data stays on the server');
  // One codec for the memory store and for inspect(), so that the record a request read is written
  // out again from what the memo kept (../fast/memoized-record-codec.ts).
  const records = memo ? new MemoizedRecordCodec() : PLAIN_RECORD_CODEC;
  const store = options.customStore ?? (await openStore(options.store, now, log, memo, records));
  const perMinute = options.store.newSessionsPerMinute;
  const newSessionLimit = perMinute > 0 ? new RateLimiter({ perMinute, now }) : null;
  const lazy = (options.store.lazyRefresh ?? true) && canTellExpiry(store);
  const sessions = new ServerSessionInterface({
    settings: options.cookie,
    idleLifetimeSeconds: options.store.idleLifetimeSeconds,
    store: lazy ? new LazyTouchStore(store, { now }) : store,
    signer,
    now,
    newSessionLimit,
    records,
  });
  return { sessions, store, newSigner, close: () => store.close() };
}

async function openStore(settings: StoreSettings, now: () => number, log: (message: string) => void, memo: boolean, records: RecordCodec): Promise<SessionStore> {
  switch (settings.type) {
    case 'memory':
      log(`sessions: memory store (at most ${settings.memoryMax}); it belongs to this process alone and is lost on restart`);
      return new MemorySessionStore({ maxEntries: settings.memoryMax, now, records, recency: memo ? new CoarseRecency() : EXACT_RECENCY });
    case 'filesystem': {
      log(`sessions: filesystem store in ${settings.fileDirectory}`);
      const files = await FileSessionStore.open({ directory: settings.fileDirectory, now });
      return memo ? new StatCheckedFileStore(files, { now }) : files;
    }
    case 'redis': {
      const client = new RedisClient({ ...settings.redis, log, ...(memo ? { write: writeInBatches } : {}) });
      log(`sessions: redis store at ${client.address}, database ${settings.redis.db}`);
      // Not fatal: the server starts, requests that need a session get a 503, and it recovers by itself.
      await client.command(['PING']).catch((error: Error) => log(`sessions: redis is not reachable yet (${error.message}); requests with a session get 503 until it is`));
      return new RedisSessionStore(client);
    }
    default:
      throw new TypeError(`no session store is called ${JSON.stringify(settings.type)}`);
  }
}
