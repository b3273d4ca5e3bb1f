/**
 * Configuration: environment variables in, one frozen and fully checked `Config` out.
 *
 * What: `loadConfig()` reads the variables in the table below, checks every one, and either
 * returns a `Config` or throws a `ConfigError` that names the variable and what it accepts.
 *
 * Why: a mistyped setting should stop the server at start, with a message that says how to fix
 * it, not surface an hour later as a confusing 500 or, worse, as a silently insecure default.
 * Everything is resolved here once, so the rest of the code takes plain typed values.
 *
 * Variable names follow Flask's config keys, so a Flask user recognises them:
 *
 * | variable                     | default        | accepts                                     |
 * |------------------------------|----------------|---------------------------------------------|
 * | PORT                         | 5000           | 0–65535 (0 picks a free port)               |
 * | HOST                         | 127.0.0.1      | a host name or IP address to listen on      |
 * | SECRET_KEY                   | (development)  | any string; at least 32 bytes in production |
 * | SECRET_KEY_FALLBACKS         | (none)         | comma-separated older keys that still verify |
 * | SESSION_COOKIE_NAME          | session        | an RFC 9110 token                           |
 * | SESSION_COOKIE_DOMAIN        | (none)         | a host name                                 |
 * | SESSION_COOKIE_PATH          | /              | a path starting with /                      |
 * | SESSION_COOKIE_HTTPONLY      | true           | true or false                               |
 * | SESSION_COOKIE_SECURE        | (see below)    | true or false; unset: true with TLS, per request with TRUST_PROXY, else false |
 * | SESSION_COOKIE_SAMESITE      | Lax            | Strict, Lax or None (None needs SECURE)     |
 * | PERMANENT_SESSION_LIFETIME   | 2678400 (31 d) | seconds, 1–34560000 (400 days)              |
 * | SESSION_REFRESH_EACH_REQUEST | true           | true or false                               |
 * | SESSION_TYPE                 | cookie         | cookie, memory, filesystem or redis         |
 * | SESSION_COOKIE_ENCRYPT       | false          | true: AES-256-GCM cookie sessions (unreadable) |
 * | SESSION_COOKIE_FORMAT        | native         | native, or flask: exactly Flask's signed cookie |
 * | SESSION_IDLE_LIFETIME        | 86400 (1 d)    | seconds a volatile server-side session lives unused |
 * | SESSION_MEMORY_MAX           | 10000          | most sessions the memory store keeps        |
 * | SESSION_LAZY_REFRESH         | true           | false: restart a server-side session's idle time on every request, not only once a tenth of it has passed |
 * | SESSION_MEMO                 | true           | false: no memos in the signer, sealer, cookie codec and memory store's records, an exact order of use in the memory store, files read whole, one write per Redis command (src/fast/; for benchmarks) |
 * | LIMIT_NEW_SESSIONS           | 100            | new server-side sessions per minute per client address (429 past it); 0: no limit |
 * | SESSION_FILE_DIR             | .scratchpad-sessions | directory of the filesystem store     |
 * | SESSION_REDIS_URL            | redis://127.0.0.1:6379/0 | redis://[[user]:password@]host[:port][/db]; rediss:// for TLS |
 * | SESSION_REDIS_CA_FILE        | (Node's CAs)   | rediss:// only: a PEM file of the CAs to trust instead of Node's store (which includes NODE_EXTRA_CA_CERTS) |
 * | SESSION_COOKIE_PARTITIONED   | false          | true or false (true needs Secure)           |
 * | SESSION_ABSOLUTE_LIFETIME    | 7776000 (90 d) | seconds from login, however often refreshed |
 * | TLS_CERT_FILE, TLS_KEY_FILE  | (none)         | PEM files: serve HTTPS; SECURE then defaults to true |
 * | TRUST_PROXY                  | false          | true: believe X-Forwarded-Proto (SECURE then defaults to per request) and X-Forwarded-For's last entry |
 * | LIMIT_BODY_BYTES             | 65536          | largest form body (413 past it)             |
 * | LIMIT_FORM_FIELDS            | 100            | most form fields (413)                      |
 * | LIMIT_FIELD_NAME_BYTES       | 256            | longest field name (413)                    |
 * | LIMIT_FIELD_VALUE_BYTES      | 16384          | longest field value (413)                   |
 * | LIMIT_HEADER_BYTES           | 16384          | request line plus headers (431)             |
 * | HEADERS_TIMEOUT_MS           | 10000          | time to send the headers (408)              |
 * | REQUEST_TIMEOUT_MS           | 30000          | time to send the whole request (408)        |
 * | KEEP_ALIVE_TIMEOUT_MS        | 5000           | idle time before a kept-alive connection closes |
 * | MAX_CONNECTIONS              | 1000           | open connections; more are closed at once   |
 * | MAX_CONNECTIONS_PER_CLIENT   | 100 (0 with TRUST_PROXY) | open connections from one client address (an IPv6 /64); 0: no limit |
 * | WORKERS                      | 1              | server processes on node:cluster, or auto (one per CPU); not with memory |
 * | ACCESS_LOG                   | true           | true or false                               |
 * | ACCESS_LOG_BUFFER            | true           | false: each access-log line made and written at once, without the batches of src/fast/buffered-log.ts (for benchmarks) |
 * | NODE_ENV                     | (none)         | "production" makes a weak SECRET_KEY fatal  |
 *
 * The secret key: without SECRET_KEY, and outside production, a random development key is made
 * once and kept in `.scratchpad-dev-key` in the working directory (mode 0600, git-ignored), so
 * logins survive a restart, and a warning says so. In production a missing or short key is fatal:
 * whoever knows the key can sign any session, and a short one can be guessed.
 *
 * Spec: none; Flask's configuration handling docs for the names and defaults.
 *
 * Not here: command-line flags; what a Redis URL may be (redis/redis-url.ts, which also reads
 * SESSION_REDIS_CA_FILE).
 *
 * Read next: server.ts, which turns a Config into a running server.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { InvalidCookieError, serializeSetCookie, type SameSite } from './http/cookie.js';
import { DEFAULT_FORM_LIMITS, type FormLimits } from './http/form.js';
import { SERVER_LIMITS, type ServerLimits } from './http/serve.js';
import type { SessionCookieSettings } from './session/session.js';
import { parseRedisUrl, RedisCaFileError, RedisUrlError } from './redis/redis-url.js';
import type { RedisSettings, StoreSettings } from './session/backend.js';

export interface Config {
  readonly host: string;
  readonly port: number;
  /** The key that signs; never logged. */
  readonly secretKey: string;
  /** Older keys that still verify (key rotation). */
  readonly secretKeyFallbacks: readonly string[];
  readonly cookie: SessionCookieSettings;
  /** Where sessions live: in the cookie, or in which server-side store. */
  readonly store: StoreSettings;
  readonly accessLog: boolean;
  /** ACCESS_LOG_BUFFER: write the access log in batches (fast/buffered-log.ts) rather than a line at a time. */
  readonly accessLogBuffer: boolean;
  /** TLS_CERT_FILE and TLS_KEY_FILE, read: the server then speaks HTTPS. */
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | null;
  /** TRUST_PROXY: believe X-Forwarded-Proto (only behind a proxy that sets it). */
  readonly trustProxy: boolean;
  /** WORKERS: server processes (node:cluster) sharing the port; 1 runs no cluster at all. */
  readonly workers: number;
  /** Every limit on what a client may send, and for how long. */
  readonly limits: { readonly form: FormLimits; readonly server: ServerLimits };
  /** Things the operator should know but that do not stop the server, such as a generated key. */
  readonly warnings: readonly string[];
}

/** A variable with a value we cannot use. The message says which one and what would work. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    readonly accepted: string,
    readonly got: string | undefined,
  ) {
    super(`${variable} must be ${accepted}${got === undefined ? '' : `, got ${JSON.stringify(got)}`}`);
  }
}

export const DEVELOPMENT_KEY_FILE = '.scratchpad-dev-key';
/** 31 days, Flask's default PERMANENT_SESSION_LIFETIME. */
export const DEFAULT_LIFETIME_SECONDS = 31 * 24 * 60 * 60;
/** RFC 6265bis §5.6.2: browsers cap Max-Age at 400 days, so a longer lifetime would be a lie. */
export const MAX_LIFETIME_SECONDS = 400 * 24 * 60 * 60;
export const MIN_PRODUCTION_KEY_BYTES = 32;
/** 90 days from login: a remembered login must be renewed by logging in once a quarter (SECURITY.md). */
export const DEFAULT_ABSOLUTE_LIFETIME_SECONDS = 90 * 24 * 60 * 60;
export const MAX_ABSOLUTE_LIFETIME_SECONDS = 10 * 365 * 24 * 60 * 60;
/** A day: long enough for a working session with breaks, short enough that a forgotten one ends. */
export const DEFAULT_IDLE_LIFETIME_SECONDS = 24 * 60 * 60;
export const DEFAULT_MEMORY_MAX = 10_000;
/**
 * New server-side sessions per minute from one client address. A person logs in a few times a day;
 * a hundred people behind one office NAT all logging in at nine still fit in a minute's burst, and
 * then one new session every 0.6 s. A script creating sessions as fast as it can gets 100, then 429s.
 */
export const DEFAULT_NEW_SESSIONS_PER_MINUTE = 100;
export const DEFAULT_FILE_DIR = '.scratchpad-sessions';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379/0';

type Environment = Readonly<Record<string, string | undefined>>;

/** Reads and checks the configuration. `cwd` is where the development key file lives. */
export function loadConfig(env: Environment = process.env, cwd: string = process.cwd()): Config {
  const warnings: string[] = [];
  const production = env['NODE_ENV'] === 'production';
  const tls = readTls(env);
  const trustProxy = readBoolean(env, 'TRUST_PROXY', false);
  const cookie = readCookieSettings(env, tls !== null, trustProxy);
  const { secretKey, secretKeyFallbacks } = readSecretKeys(env, production, cwd, warnings);
  const store = readStoreSettings(env, cwd);
  return Object.freeze({
    host: readString(env, 'HOST', '127.0.0.1'),
    port: readInteger(env, 'PORT', 5000, 0, 65535),
    secretKey,
    secretKeyFallbacks: Object.freeze(secretKeyFallbacks),
    cookie,
    store,
    accessLog: readBoolean(env, 'ACCESS_LOG', true),
    accessLogBuffer: readBoolean(env, 'ACCESS_LOG_BUFFER', true),
    tls,
    trustProxy,
    limits: readLimits(env, trustProxy),
    workers: readWorkers(env, store.type),
    warnings: Object.freeze(warnings),
  });
}

/** TLS_CERT_FILE and TLS_KEY_FILE: both or neither, readable, and a matching PEM pair. */
function readTls(env: Environment): Config['tls'] {
  const certFile = readString(env, 'TLS_CERT_FILE', '');
  const keyFile = readString(env, 'TLS_KEY_FILE', '');
  if (certFile === '' && keyFile === '') return null;
  if (certFile === '') throw new ConfigError('TLS_CERT_FILE', 'set together with TLS_KEY_FILE (a PEM certificate file)', undefined);
  if (keyFile === '') throw new ConfigError('TLS_KEY_FILE', 'set together with TLS_CERT_FILE (a PEM private key file)', undefined);
  const read = (variable: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ConfigError(variable, `a readable PEM file (${(error as Error).message})`, file);
    }
  };
  const tls = { cert: read('TLS_CERT_FILE', certFile), key: read('TLS_KEY_FILE', keyFile) };
  try {
    createSecureContext(tls);
  } catch (error) {
    throw new ConfigError('TLS_CERT_FILE', `a PEM certificate that matches the key in TLS_KEY_FILE (${(error as Error).message})`, certFile);
  }
  return Object.freeze(tls);
}

/** SESSION_COOKIE_SECURE when unset: on with TLS, per request behind a trusted proxy, else off. */
function readSecure(env: Environment, tls: boolean, trustProxy: boolean): boolean | 'auto' {
  if (readString(env, 'SESSION_COOKIE_SECURE', '') !== '') return readBoolean(env, 'SESSION_COOKIE_SECURE', false);
  if (tls) return true;
  return trustProxy ? 'auto' : false;
}

function readLimits(env: Environment, trustProxy: boolean): Config['limits'] {
  const form: FormLimits = Object.freeze({
    maxBodyBytes: readInteger(env, 'LIMIT_BODY_BYTES', DEFAULT_FORM_LIMITS.maxBodyBytes, 1, 1 << 30),
    maxFields: readInteger(env, 'LIMIT_FORM_FIELDS', DEFAULT_FORM_LIMITS.maxFields, 1, 1_000_000),
    maxNameBytes: readInteger(env, 'LIMIT_FIELD_NAME_BYTES', DEFAULT_FORM_LIMITS.maxNameBytes, 1, 1 << 30),
    maxValueBytes: readInteger(env, 'LIMIT_FIELD_VALUE_BYTES', DEFAULT_FORM_LIMITS.maxValueBytes, 1, 1 << 30),
  });
  const server: ServerLimits = Object.freeze({
    maxHeaderSize: readInteger(env, 'LIMIT_HEADER_BYTES', SERVER_LIMITS.maxHeaderSize, 1024, 1 << 20),
    headersTimeoutMs: readInteger(env, 'HEADERS_TIMEOUT_MS', SERVER_LIMITS.headersTimeoutMs, 1, 3_600_000),
    requestTimeoutMs: readInteger(env, 'REQUEST_TIMEOUT_MS', SERVER_LIMITS.requestTimeoutMs, 1, 3_600_000),
    keepAliveTimeoutMs: readInteger(env, 'KEEP_ALIVE_TIMEOUT_MS', SERVER_LIMITS.keepAliveTimeoutMs, 1, 3_600_000),
    timeoutCheckIntervalMs: SERVER_LIMITS.timeoutCheckIntervalMs,
    maxConnections: readInteger(env, 'MAX_CONNECTIONS', SERVER_LIMITS.maxConnections, 1, 1_000_000),
    // Behind a proxy every connection comes from the proxy's address: a per-client limit there
    // would limit everybody together, so it is off unless set (the proxy is the place for it).
    maxConnectionsPerClient: readInteger(env, 'MAX_CONNECTIONS_PER_CLIENT', trustProxy ? 0 : SERVER_LIMITS.maxConnectionsPerClient, 0, 1_000_000),
  });
  // Node refuses a headers timeout longer than the request timeout: say so in our words.
  if (server.headersTimeoutMs > server.requestTimeoutMs) {
    throw new ConfigError('HEADERS_TIMEOUT_MS', `at most REQUEST_TIMEOUT_MS (${server.requestTimeoutMs})`, String(server.headersTimeoutMs));
  }
  return Object.freeze({ form, server });
}

function readCookieSettings(env: Environment, tls: boolean, trustProxy: boolean): SessionCookieSettings {
  const domain = env['SESSION_COOKIE_DOMAIN'];
  const settings: SessionCookieSettings = Object.freeze({
    name: readString(env, 'SESSION_COOKIE_NAME', 'session'),
    ...(domain === undefined || domain === '' ? {} : { domain }),
    path: readString(env, 'SESSION_COOKIE_PATH', '/'),
    httpOnly: readBoolean(env, 'SESSION_COOKIE_HTTPONLY', true),
    secure: readSecure(env, tls, trustProxy),
    sameSite: readSameSite(env),
    partitioned: readBoolean(env, 'SESSION_COOKIE_PARTITIONED', false),
    lifetimeSeconds: readInteger(env, 'PERMANENT_SESSION_LIFETIME', DEFAULT_LIFETIME_SECONDS, 1, MAX_LIFETIME_SECONDS),
    refreshEachRequest: readBoolean(env, 'SESSION_REFRESH_EACH_REQUEST', true),
    absoluteLifetimeSeconds: readInteger(env, 'SESSION_ABSOLUTE_LIFETIME', DEFAULT_ABSOLUTE_LIFETIME_SECONDS, 1, MAX_ABSOLUTE_LIFETIME_SECONDS),
  });
  checkCookieSettings(settings);
  return settings;
}

/**
 * Serializes a sample cookie with these settings, so the cookie grammar is checked by the same
 * code that will write every real cookie, and maps a failure back to the variable responsible.
 */
function checkCookieSettings(settings: SessionCookieSettings): void {
  try {
    // 'auto' counts as not Secure: prefixes, SameSite=None and Partitioned need it on every request.
    serializeSetCookie({ ...settings, secure: settings.secure === true, value: '', maxAge: 0 });
  } catch (error) {
    if (!(error instanceof InvalidCookieError)) throw error;
    const problem = COOKIE_SETTING_PROBLEMS[error.field];
    if (problem === undefined) throw error;
    throw new ConfigError(problem.variable, problem.accepted, problem.got(settings));
  }
}

/** For each SetCookie field that a setting controls: the variable, and what it accepts. */
const COOKIE_SETTING_PROBLEMS: Readonly<
  Record<string, { variable: string; accepted: string; got: (settings: SessionCookieSettings) => string | undefined }>
> = {
  name: {
    variable: 'SESSION_COOKIE_NAME',
    accepted: "an RFC 9110 token (letters, digits and !#$%&'*+-.^_`|~)",
    got: (settings) => settings.name,
  },
  domain: {
    variable: 'SESSION_COOKIE_DOMAIN',
    accepted: 'a host name such as example.com, at most 1024 bytes',
    got: (settings) => settings.domain,
  },
  path: {
    variable: 'SESSION_COOKIE_PATH',
    accepted: 'a path that starts with "/" and has no ";" or control characters, at most 1024 bytes',
    got: (settings) => settings.path,
  },
  sameSite: {
    variable: 'SESSION_COOKIE_SAMESITE',
    accepted: 'Strict or Lax unless SESSION_COOKIE_SECURE=true or TLS is on (browsers reject SameSite=None without Secure)',
    got: (settings) => settings.sameSite,
  },
  partitioned: {
    variable: 'SESSION_COOKIE_PARTITIONED',
    accepted: 'false unless SESSION_COOKIE_SECURE=true or TLS is on (browsers reject Partitioned without Secure)',
    got: (settings) => String(settings.partitioned),
  },
  prefix: {
    variable: 'SESSION_COOKIE_NAME',
    accepted:
      'a name whose prefix rules hold: __Secure- needs SESSION_COOKIE_SECURE=true (or TLS); __Host- needs that, SESSION_COOKIE_PATH=/ and no SESSION_COOKIE_DOMAIN',
    got: (settings) => settings.name,
  },
};

function readStoreSettings(env: Environment, cwd: string): StoreSettings {
  const types = ['cookie', 'memory', 'filesystem', 'redis'] as const;
  const type = readString(env, 'SESSION_TYPE', 'cookie');
  const match = types.find((option) => option === type.trim().toLowerCase());
  if (match === undefined) throw new ConfigError('SESSION_TYPE', 'cookie, memory, filesystem or redis', type);
  return Object.freeze({
    type: match,
    encrypt: readBoolean(env, 'SESSION_COOKIE_ENCRYPT', false),
    format: readFormat(env, match),
    idleLifetimeSeconds: readInteger(env, 'SESSION_IDLE_LIFETIME', DEFAULT_IDLE_LIFETIME_SECONDS, 1, MAX_LIFETIME_SECONDS),
    memoryMax: readInteger(env, 'SESSION_MEMORY_MAX', DEFAULT_MEMORY_MAX, 1, 100_000_000),
    memo: readBoolean(env, 'SESSION_MEMO', true),
    lazyRefresh: readBoolean(env, 'SESSION_LAZY_REFRESH', true),
    newSessionsPerMinute: readInteger(env, 'LIMIT_NEW_SESSIONS', DEFAULT_NEW_SESSIONS_PER_MINUTE, 0, 1_000_000),
    fileDirectory: resolve(cwd, readString(env, 'SESSION_FILE_DIR', DEFAULT_FILE_DIR)),
    redis: readRedisUrl(env),
  });
}

/** WORKERS: a number, or `auto` for one per CPU; more than one cannot share a memory store. */
function readWorkers(env: Environment, sessionType: string): number {
  const value = readString(env, 'WORKERS', '1').trim().toLowerCase();
  const workers = value === 'auto' ? availableParallelism() : Number(value);
  if (!/^(auto|[0-9]+)$/.test(value) || workers < 1 || workers > 256) throw new ConfigError('WORKERS', 'a whole number from 1 to 256, or auto (one per CPU)', value);
  if (workers > 1 && sessionType === 'memory') {
    throw new ConfigError(
      'WORKERS',
      '1 when SESSION_TYPE=memory: each worker would keep its own sessions, so a user logged in on one would be logged out on the next; use SESSION_TYPE=filesystem or redis to share them',
      value,
    );
  }
  return workers;
}

/** SESSION_COOKIE_FORMAT: native, or flask (which only cookie sessions, signed, can use). */
function readFormat(env: Environment, type: string): 'native' | 'flask' {
  const format = readString(env, 'SESSION_COOKIE_FORMAT', 'native').trim().toLowerCase();
  if (format !== 'native' && format !== 'flask') throw new ConfigError('SESSION_COOKIE_FORMAT', 'native or flask', format);
  if (format === 'flask' && type !== 'cookie') {
    throw new ConfigError('SESSION_COOKIE_FORMAT', 'native unless SESSION_TYPE=cookie (Flask keeps its session in the cookie)', format);
  }
  if (format === 'flask' && readBoolean(env, 'SESSION_COOKIE_ENCRYPT', false)) {
    throw new ConfigError('SESSION_COOKIE_FORMAT', 'native when SESSION_COOKIE_ENCRYPT=true (Flask cannot read an encrypted cookie)', format);
  }
  return format;
}

/**
 * SESSION_REDIS_URL, and SESSION_REDIS_CA_FILE for rediss://, read by redis/redis-url.ts (the CA
 * file now, at start: a missing file is a setting to fix, not an outage to discover later).
 */
function readRedisUrl(env: Environment): RedisSettings {
  const text = readString(env, 'SESSION_REDIS_URL', DEFAULT_REDIS_URL);
  const caFile = readString(env, 'SESSION_REDIS_CA_FILE', '');
  try {
    return parseRedisUrl(text, caFile === '' ? {} : { caFile });
  } catch (error) {
    if (error instanceof RedisUrlError) throw new ConfigError('SESSION_REDIS_URL', error.accepted, error.url);
    if (error instanceof RedisCaFileError) throw new ConfigError('SESSION_REDIS_CA_FILE', error.accepted, error.file);
    throw error;
  }
}

function readSecretKeys(
  env: Environment,
  production: boolean,
  cwd: string,
  warnings: string[],
): { secretKey: string; secretKeyFallbacks: string[] } {
  const secretKeyFallbacks = (env['SECRET_KEY_FALLBACKS'] ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
  const strongKey = `a random string of at least ${MIN_PRODUCTION_KEY_BYTES} bytes when NODE_ENV=production (make one with: node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))")`;
  if (production) {
    for (const fallback of secretKeyFallbacks) {
      if (Buffer.byteLength(fallback) < MIN_PRODUCTION_KEY_BYTES) throw new ConfigError('SECRET_KEY_FALLBACKS', `a list of keys, each ${strongKey}`, undefined);
    }
  }
  const secretKey = env['SECRET_KEY'];
  if (secretKey !== undefined && secretKey !== '') {
    // The key itself is never echoed in a message: error output ends up in logs.
    if (production && Buffer.byteLength(secretKey) < MIN_PRODUCTION_KEY_BYTES) throw new ConfigError('SECRET_KEY', strongKey, undefined);
    return { secretKey, secretKeyFallbacks };
  }
  if (production) throw new ConfigError('SECRET_KEY', strongKey, undefined);
  const file = resolve(cwd, DEVELOPMENT_KEY_FILE);
  warnings.push(`SECRET_KEY is not set: using the development key in ${file}. Set SECRET_KEY (and NODE_ENV=production) for real use`);
  return { secretKey: developmentKey(file, warnings), secretKeyFallbacks };
}

/** Reads the development key, creating it on first use. `wx` makes two starting servers agree. */
function developmentKey(file: string, warnings: string[]): string {
  try {
    writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ConfigError('SECRET_KEY', `set, or the development key file ${file} must be writable (${(error as Error).message})`, undefined);
    }
  }
  const key = readFileSync(file, 'utf8').trim();
  if (Buffer.byteLength(key) < MIN_PRODUCTION_KEY_BYTES) {
    throw new ConfigError('SECRET_KEY', `set, or ${file} must hold a key of at least ${MIN_PRODUCTION_KEY_BYTES} bytes (delete it to get a new one)`, undefined);
  }
  if ((statSync(file).mode & 0o077) !== 0) warnings.push(`${file} can be read by other users; run: chmod 600 ${file}`);
  return key;
}

function readString(env: Environment, variable: string, fallback: string): string {
  const value = env[variable];
  return value === undefined || value === '' ? fallback : value;
}

function readInteger(env: Environment, variable: string, fallback: number, min: number, max: number): number {
  const value = env[variable];
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!/^[0-9]+$/.test(value.trim()) || number < min || number > max) {
    throw new ConfigError(variable, `a whole number from ${min} to ${max}`, value);
  }
  return number;
}

function readBoolean(env: Environment, variable: string, fallback: boolean): boolean {
  const value = env[variable];
  if (value === undefined || value === '') return fallback;
  const normalized = value.trim().toLowerCase();
  if (normalized === 'true' || normalized === '1') return true;
  if (normalized === 'false' || normalized === '0') return false;
  throw new ConfigError(variable, 'true or false', value);
}

function readSameSite(env: Environment): SameSite {
  const value = readString(env, 'SESSION_COOKIE_SAMESITE', 'Lax');
  const match = (['Strict', 'Lax', 'None'] as const).find((option) => option.toLowerCase() === value.trim().toLowerCase());
  if (match === undefined) throw new ConfigError('SESSION_COOKIE_SAMESITE', 'Strict, Lax or None', value);
  return match;
}
