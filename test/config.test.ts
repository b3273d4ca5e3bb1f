import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, DEVELOPMENT_KEY_FILE, loadConfig } from '../src/config.js';
import { makeCertificate } from './helpers/certificate.js';

const STRONG = 'k'.repeat(32);
const freshDir = () => mkdtempSync(join(tmpdir(), 'scratchpad-config-'));

test('loadConfig() defaults follow Flask and the issue', () => {
  const config = loadConfig({ SECRET_KEY: STRONG }, freshDir());
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 5000);
  assert.equal(config.accessLog, true);
  assert.equal(config.accessLogBuffer, true);
  assert.deepEqual(config.secretKeyFallbacks, []);
  assert.deepEqual(config.cookie, {
    name: 'session',
    path: '/',
    httpOnly: true,
    secure: false,
    sameSite: 'Lax',
    partitioned: false,
    lifetimeSeconds: 2678400,
    refreshEachRequest: true,
    absoluteLifetimeSeconds: 7776000,
  });
  assert.deepEqual(config.warnings, []);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.cookie));
});

test('loadConfig() reads every variable', () => {
  const config = loadConfig(
    {
      SECRET_KEY: STRONG,
      SECRET_KEY_FALLBACKS: ' old-1 , ,old-2,',
      PORT: '0',
      HOST: '::1',
      SESSION_COOKIE_NAME: '__app_session',
      SESSION_COOKIE_DOMAIN: 'example.com',
      SESSION_COOKIE_PATH: '/app',
      SESSION_COOKIE_HTTPONLY: 'false',
      SESSION_COOKIE_SECURE: 'TRUE',
      SESSION_COOKIE_SAMESITE: 'none',
      SESSION_COOKIE_PARTITIONED: 'true',
      PERMANENT_SESSION_LIFETIME: '60',
      SESSION_REFRESH_EACH_REQUEST: '0',
      SESSION_ABSOLUTE_LIFETIME: '120',
      ACCESS_LOG: '1',
    },
    freshDir(),
  );
  assert.equal(config.port, 0);
  assert.equal(config.host, '::1');
  assert.deepEqual(config.secretKeyFallbacks, ['old-1', 'old-2']);
  assert.deepEqual(config.cookie, {
    name: '__app_session',
    domain: 'example.com',
    path: '/app',
    httpOnly: false,
    secure: true,
    sameSite: 'None',
    partitioned: true,
    lifetimeSeconds: 60,
    refreshEachRequest: false,
    absoluteLifetimeSeconds: 120,
  });
});

test('loadConfig() reads ACCESS_LOG_BUFFER: false writes each access-log line at once', () => {
  assert.equal(loadConfig({ SECRET_KEY: STRONG, ACCESS_LOG_BUFFER: 'false' }, freshDir()).accessLogBuffer, false);
  assert.equal(loadConfig({ SECRET_KEY: STRONG, ACCESS_LOG_BUFFER: '' }, freshDir()).accessLogBuffer, true);
});

test('loadConfig() treats empty variables as unset', () => {
  const config = loadConfig({ SECRET_KEY: STRONG, PORT: '', SESSION_COOKIE_DOMAIN: '', SESSION_COOKIE_SECURE: '' }, freshDir());
  assert.equal(config.port, 5000);
  assert.equal(config.cookie.domain, undefined);
  assert.equal(config.cookie.secure, false);
});

const invalidCases: readonly { env: Record<string, string>; variable: string; accepted: RegExp }[] = [
  { env: { PORT: '65536' }, variable: 'PORT', accepted: /a whole number from 0 to 65535, got "65536"/ },
  { env: { PORT: 'eighty' }, variable: 'PORT', accepted: /a whole number/ },
  { env: { PORT: '80.5' }, variable: 'PORT', accepted: /a whole number/ },
  { env: { PORT: '-1' }, variable: 'PORT', accepted: /a whole number/ },
  { env: { PERMANENT_SESSION_LIFETIME: '0' }, variable: 'PERMANENT_SESSION_LIFETIME', accepted: /from 1 to 34560000/ },
  // Browsers cap Max-Age at 400 days: a longer lifetime would not be honoured.
  { env: { PERMANENT_SESSION_LIFETIME: '34560001' }, variable: 'PERMANENT_SESSION_LIFETIME', accepted: /from 1 to 34560000/ },
  { env: { PERMANENT_SESSION_LIFETIME: '1e6' }, variable: 'PERMANENT_SESSION_LIFETIME', accepted: /whole number/ },
  { env: { SESSION_COOKIE_HTTPONLY: 'yes please' }, variable: 'SESSION_COOKIE_HTTPONLY', accepted: /true or false, got "yes please"/ },
  { env: { SESSION_COOKIE_SECURE: 'maybe' }, variable: 'SESSION_COOKIE_SECURE', accepted: /true or false/ },
  { env: { SESSION_REFRESH_EACH_REQUEST: '2' }, variable: 'SESSION_REFRESH_EACH_REQUEST', accepted: /true or false/ },
  { env: { ACCESS_LOG: 'off' }, variable: 'ACCESS_LOG', accepted: /true or false/ },
  { env: { ACCESS_LOG_BUFFER: 'later' }, variable: 'ACCESS_LOG_BUFFER', accepted: /true or false, got "later"/ },
  { env: { SESSION_MEMO: 'flase' }, variable: 'SESSION_MEMO', accepted: /true or false, got "flase"/ },
  { env: { SESSION_LAZY_REFRESH: 'sometimes' }, variable: 'SESSION_LAZY_REFRESH', accepted: /true or false, got "sometimes"/ },
  { env: { LIMIT_NEW_SESSIONS: 'lots' }, variable: 'LIMIT_NEW_SESSIONS', accepted: /a whole number from 0 to 1000000, got "lots"/ },
  { env: { LIMIT_NEW_SESSIONS: '-5' }, variable: 'LIMIT_NEW_SESSIONS', accepted: /a whole number from 0/ },
  { env: { MAX_CONNECTIONS_PER_CLIENT: '1.5' }, variable: 'MAX_CONNECTIONS_PER_CLIENT', accepted: /a whole number from 0 to 1000000/ },
  { env: { SESSION_COOKIE_SAMESITE: 'Loose' }, variable: 'SESSION_COOKIE_SAMESITE', accepted: /Strict, Lax or None, got "Loose"/ },
  { env: { SESSION_COOKIE_SAMESITE: 'None' }, variable: 'SESSION_COOKIE_SAMESITE', accepted: /SameSite=None without Secure/ },
  { env: { SESSION_COOKIE_SAMESITE: 'None', TRUST_PROXY: 'true' }, variable: 'SESSION_COOKIE_SAMESITE', accepted: /unless SESSION_COOKIE_SECURE=true or TLS is on/ },
  { env: { SESSION_COOKIE_PARTITIONED: 'true' }, variable: 'SESSION_COOKIE_PARTITIONED', accepted: /Partitioned without Secure/ },
  { env: { SESSION_COOKIE_PARTITIONED: 'yes' }, variable: 'SESSION_COOKIE_PARTITIONED', accepted: /true or false/ },
  // RFC 6265bis §4.1.3: browsers drop prefixed cookies that break the prefix's rules.
  { env: { SESSION_COOKIE_NAME: '__Host-session' }, variable: 'SESSION_COOKIE_NAME', accepted: /__Host- needs that, SESSION_COOKIE_PATH=\/ and no SESSION_COOKIE_DOMAIN, got "__Host-session"/ },
  { env: { SESSION_COOKIE_NAME: '__Host-session', SESSION_COOKIE_SECURE: 'true', SESSION_COOKIE_PATH: '/app' }, variable: 'SESSION_COOKIE_NAME', accepted: /__Host-/ },
  { env: { SESSION_COOKIE_NAME: '__Host-session', SESSION_COOKIE_SECURE: 'true', SESSION_COOKIE_DOMAIN: 'example.com' }, variable: 'SESSION_COOKIE_NAME', accepted: /no SESSION_COOKIE_DOMAIN/ },
  { env: { SESSION_COOKIE_NAME: '__secure-session' }, variable: 'SESSION_COOKIE_NAME', accepted: /__Secure- needs SESSION_COOKIE_SECURE=true/ },
  { env: { TLS_CERT_FILE: '/nonexistent/cert.pem' }, variable: 'TLS_KEY_FILE', accepted: /set together with TLS_CERT_FILE/ },
  { env: { TLS_KEY_FILE: '/nonexistent/key.pem' }, variable: 'TLS_CERT_FILE', accepted: /set together with TLS_KEY_FILE/ },
  { env: { TLS_CERT_FILE: '/nonexistent/cert.pem', TLS_KEY_FILE: '/nonexistent/key.pem' }, variable: 'TLS_CERT_FILE', accepted: /a readable PEM file \(ENOENT/ },
  { env: { TRUST_PROXY: 'sometimes' }, variable: 'TRUST_PROXY', accepted: /true or false/ },
  { env: { LIMIT_BODY_BYTES: '0' }, variable: 'LIMIT_BODY_BYTES', accepted: /from 1 to/ },
  { env: { LIMIT_HEADER_BYTES: '100' }, variable: 'LIMIT_HEADER_BYTES', accepted: /from 1024 to/ },
  { env: { MAX_CONNECTIONS: 'many' }, variable: 'MAX_CONNECTIONS', accepted: /whole number/ },
  { env: { HEADERS_TIMEOUT_MS: '5000', REQUEST_TIMEOUT_MS: '1000' }, variable: 'HEADERS_TIMEOUT_MS', accepted: /at most REQUEST_TIMEOUT_MS \(1000\), got "5000"/ },
  { env: { SESSION_COOKIE_NAME: 'my session' }, variable: 'SESSION_COOKIE_NAME', accepted: /RFC 9110 token.*got "my session"/ },
  { env: { SESSION_COOKIE_NAME: 'a=b' }, variable: 'SESSION_COOKIE_NAME', accepted: /token/ },
  { env: { SESSION_COOKIE_DOMAIN: 'exa mple.com' }, variable: 'SESSION_COOKIE_DOMAIN', accepted: /host name/ },
  { env: { SESSION_COOKIE_PATH: 'app' }, variable: 'SESSION_COOKIE_PATH', accepted: /starts with "\/"/ },
  { env: { SESSION_COOKIE_PATH: '/a;b' }, variable: 'SESSION_COOKIE_PATH', accepted: /no ";"/ },
];

for (const { env, variable, accepted } of invalidCases) {
  test(`loadConfig() stops on ${variable}=${JSON.stringify(Object.values(env)[0])} and names the variable`, () => {
    assert.throws(
      () => loadConfig({ SECRET_KEY: STRONG, ...env }, freshDir()),
      (error: unknown) => error instanceof ConfigError && error.variable === variable && error.message.startsWith(`${variable} must be `) && accepted.test(error.message),
    );
  });
}

test('loadConfig() in production refuses a missing SECRET_KEY and says how to make one', () => {
  assert.throws(
    () => loadConfig({ NODE_ENV: 'production' }, freshDir()),
    (error: unknown) => error instanceof ConfigError && error.variable === 'SECRET_KEY' && /at least 32 bytes/.test(error.message) && /randomBytes/.test(error.message),
  );
});

test('loadConfig() in production refuses a short SECRET_KEY without echoing it', () => {
  assert.throws(
    () => loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'short-secret-value' }, freshDir()),
    (error: unknown) => error instanceof ConfigError && error.variable === 'SECRET_KEY' && !error.message.includes('short-secret-value'),
  );
});

test('loadConfig() in production refuses a short fallback key', () => {
  assert.throws(
    () => loadConfig({ NODE_ENV: 'production', SECRET_KEY: STRONG, SECRET_KEY_FALLBACKS: `${STRONG},weak` }, freshDir()),
    (error: unknown) => error instanceof ConfigError && error.variable === 'SECRET_KEY_FALLBACKS' && !error.message.includes('weak'),
  );
});

test('loadConfig() in production accepts a 32-byte key and makes no key file', () => {
  const dir = freshDir();
  const config = loadConfig({ NODE_ENV: 'production', SECRET_KEY: STRONG, SECRET_KEY_FALLBACKS: STRONG }, dir);
  assert.equal(config.secretKey, STRONG);
  assert.throws(() => statSync(join(dir, DEVELOPMENT_KEY_FILE)));
});

test('loadConfig() outside production accepts a short SECRET_KEY', () => {
  assert.equal(loadConfig({ SECRET_KEY: 'dev' }, freshDir()).secretKey, 'dev');
});

test('loadConfig() without SECRET_KEY creates a development key file with mode 0600, and warns', () => {
  const dir = freshDir();
  const config = loadConfig({}, dir);
  const file = join(dir, DEVELOPMENT_KEY_FILE);
  assert.equal(readFileSync(file, 'utf8').trim(), config.secretKey);
  assert.ok(config.secretKey.length >= 32);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(config.warnings.length, 1);
  assert.match(config.warnings[0]!, /SECRET_KEY is not set: using the development key in .*\.scratchpad-dev-key/);
});

test('loadConfig() reuses the development key, so sessions survive a restart', () => {
  const dir = freshDir();
  assert.equal(loadConfig({}, dir).secretKey, loadConfig({}, dir).secretKey);
});

test('loadConfig() warns when the development key file is readable by others', () => {
  const dir = freshDir();
  loadConfig({}, dir);
  chmodSync(join(dir, DEVELOPMENT_KEY_FILE), 0o644);
  assert.match(loadConfig({}, dir).warnings.join('\n'), /can be read by other users; run: chmod 600/);
});

test('loadConfig() refuses a development key file that holds too short a key', () => {
  const dir = freshDir();
  writeFileSync(join(dir, DEVELOPMENT_KEY_FILE), 'short\n', { mode: 0o600 });
  assert.throws(() => loadConfig({}, dir), (error: unknown) => error instanceof ConfigError && /delete it to get a new one/.test(error.message));
});

test('loadConfig() says so when the development key file cannot be written', () => {
  assert.throws(
    () => loadConfig({}, join(freshDir(), 'missing', 'dir')),
    (error: unknown) => error instanceof ConfigError && error.variable === 'SECRET_KEY' && /must be writable/.test(error.message),
  );
});

test('loadConfig() defaults to cookie sessions with documented store settings', () => {
  const dir = freshDir();
  const { store } = loadConfig({ SECRET_KEY: STRONG }, dir);
  assert.deepEqual(store, {
    type: 'cookie',
    encrypt: false,
    format: 'native',
    idleLifetimeSeconds: 86400,
    memoryMax: 10000,
    memo: true,
    newSessionsPerMinute: 100,
    fileDirectory: join(dir, '.scratchpad-sessions'),
    lazyRefresh: true,
    redis: { host: '127.0.0.1', port: 6379, db: 0 },
  });
});

test('loadConfig() reads the store settings', () => {
  const { store } = loadConfig(
    {
      SECRET_KEY: STRONG,
      SESSION_TYPE: 'Redis',
      SESSION_COOKIE_ENCRYPT: 'true',
      SESSION_IDLE_LIFETIME: '600',
      SESSION_MEMORY_MAX: '5',
      LIMIT_NEW_SESSIONS: '0',
      SESSION_MEMO: 'false',
      SESSION_LAZY_REFRESH: 'false',
      SESSION_FILE_DIR: '/var/lib/sessions',
      SESSION_REDIS_URL: 'redis://app:p%40ss@redis.internal:6380/2',
    },
    freshDir(),
  );
  assert.deepEqual(store, {
    type: 'redis',
    encrypt: true,
    format: 'native',
    idleLifetimeSeconds: 600,
    memoryMax: 5,
    memo: false,
    lazyRefresh: false,
    newSessionsPerMinute: 0,
    fileDirectory: '/var/lib/sessions',
    redis: { host: 'redis.internal', port: 6380, db: 2, username: 'app', password: 'p@ss' },
  });
});

const redisUrlCases: readonly { url: string; want: Record<string, unknown> }[] = [
  { url: 'redis://localhost', want: { host: 'localhost', port: 6379, db: 0 } },
  { url: 'redis://:secret@127.0.0.1:7000', want: { host: '127.0.0.1', port: 7000, db: 0, password: 'secret' } },
  { url: 'redis://[::1]:6379/3', want: { host: '::1', port: 6379, db: 3 } },
  // rediss: TLS, verified against Node's CA store when SESSION_REDIS_CA_FILE is unset.
  { url: 'rediss://default:secret@cache.example.com:6380/1', want: { host: 'cache.example.com', port: 6380, db: 1, username: 'default', password: 'secret', tls: {} } },
];

for (const { url, want } of redisUrlCases) {
  test(`loadConfig() reads SESSION_REDIS_URL=${url}`, () => {
    assert.deepEqual(loadConfig({ SECRET_KEY: STRONG, SESSION_REDIS_URL: url }, freshDir()).store.redis, want);
  });
}

const badStoreCases: readonly { env: Record<string, string>; variable: string; message: RegExp }[] = [
  { env: { SESSION_TYPE: 'mongo' }, variable: 'SESSION_TYPE', message: /cookie, memory, filesystem or redis, got "mongo"/ },
  { env: { SESSION_IDLE_LIFETIME: '0' }, variable: 'SESSION_IDLE_LIFETIME', message: /from 1 to/ },
  { env: { SESSION_MEMORY_MAX: 'lots' }, variable: 'SESSION_MEMORY_MAX', message: /whole number/ },
  { env: { SESSION_REDIS_URL: 'http://127.0.0.1:6379' }, variable: 'SESSION_REDIS_URL', message: /redis:\/\/127\.0\.0\.1:6379\/0/ },
  { env: { SESSION_REDIS_URL: 'not a url' }, variable: 'SESSION_REDIS_URL', message: /got "not a url"/ },
  { env: { SESSION_REDIS_URL: 'redis://host/db' }, variable: 'SESSION_REDIS_URL', message: /URL like/ },
  { env: { SESSION_REDIS_URL: 'redis://host/0?x=1' }, variable: 'SESSION_REDIS_URL', message: /URL like/ },
  { env: { SESSION_REDIS_URL: 'rediss://host/0?ssl_cert_reqs=none' }, variable: 'SESSION_REDIS_URL', message: /rediss:\/\/.*no \?query/ },
  { env: { SESSION_REDIS_URL: 'redis+tls://host' }, variable: 'SESSION_REDIS_URL', message: /scheme must be redis: or rediss:/ },
  { env: { SESSION_REDIS_URL: 'redis://user@host' }, variable: 'SESSION_REDIS_URL', message: /a user name needs a password/ },
];

for (const { env, variable, message } of badStoreCases) {
  test(`loadConfig() stops on ${variable}=${JSON.stringify(Object.values(env)[0])}`, () => {
    assert.throws(
      () => loadConfig({ SECRET_KEY: STRONG, ...env }, freshDir()),
      (error: unknown) => error instanceof ConfigError && error.variable === variable && message.test(error.message),
    );
  });
}

test('loadConfig() never prints the Redis password in an error', () => {
  assert.throws(
    () => loadConfig({ SECRET_KEY: STRONG, SESSION_REDIS_URL: 'redis://user:hunter2@host/x' }, freshDir()),
    (error: unknown) => error instanceof ConfigError && !error.message.includes('hunter2') && error.message.includes('user:***@'),
  );
});

test('loadConfig() reads SESSION_REDIS_CA_FILE at start: the CAs a rediss:// connection trusts', () => {
  const { cert } = makeCertificate();
  const store = loadConfig({ SECRET_KEY: STRONG, SESSION_REDIS_URL: 'rediss://localhost:6380', SESSION_REDIS_CA_FILE: cert }, freshDir()).store;
  assert.deepEqual(store.redis, { host: 'localhost', port: 6380, db: 0, tls: { ca: readFileSync(cert) } });
  // Empty is unset, as for every variable: Node's CA store.
  assert.deepEqual(loadConfig({ SECRET_KEY: STRONG, SESSION_REDIS_URL: 'rediss://localhost', SESSION_REDIS_CA_FILE: '' }, freshDir()).store.redis.tls, {});
});

const redisCaCases: readonly { name: string; env: () => Record<string, string>; accepted: RegExp }[] = [
  { name: 'a file that does not exist', env: () => ({ SESSION_REDIS_URL: 'rediss://localhost', SESSION_REDIS_CA_FILE: '/nonexistent/ca.pem' }), accepted: /a readable PEM file of the CA certificates to trust \(ENOENT.*, got "\/nonexistent\/ca\.pem"$/ },
  { name: 'a private key instead of a certificate', env: () => ({ SESSION_REDIS_URL: 'rediss://localhost', SESSION_REDIS_CA_FILE: makeCertificate().key }), accepted: /a PEM file of CA certificates \(-----BEGIN CERTIFICATE----- blocks\), and this one holds none/ },
  { name: 'a CA with a redis:// URL, which has no TLS', env: () => ({ SESSION_REDIS_URL: 'redis://localhost', SESSION_REDIS_CA_FILE: makeCertificate().cert }), accepted: /unset unless the Redis URL starts with rediss:\/\// },
  { name: 'a CA with the default URL, which is redis://', env: () => ({ SESSION_REDIS_CA_FILE: makeCertificate().cert }), accepted: /unset unless the Redis URL starts with rediss:\/\// },
];

for (const { name, env, accepted } of redisCaCases) {
  test(`loadConfig() stops on SESSION_REDIS_CA_FILE: ${name}`, () => {
    assert.throws(
      () => loadConfig({ SECRET_KEY: STRONG, ...env() }, freshDir()),
      (error: unknown) => error instanceof ConfigError && error.variable === 'SESSION_REDIS_CA_FILE' && error.message.startsWith('SESSION_REDIS_CA_FILE must be ') && accepted.test(error.message),
    );
  });
}

test('loadConfig() accepts a __Host- cookie name with Secure, Path=/ and no Domain', () => {
  const config = loadConfig({ SECRET_KEY: STRONG, SESSION_COOKIE_NAME: '__Host-session', SESSION_COOKIE_SECURE: 'true' }, freshDir());
  assert.equal(config.cookie.name, '__Host-session');
});

test('loadConfig() makes SESSION_COOKIE_SECURE per request behind a trusted proxy, unless it is set', () => {
  assert.equal(loadConfig({ SECRET_KEY: STRONG, TRUST_PROXY: 'true' }, freshDir()).cookie.secure, 'auto');
  assert.equal(loadConfig({ SECRET_KEY: STRONG, TRUST_PROXY: 'true', SESSION_COOKIE_SECURE: 'false' }, freshDir()).cookie.secure, false);
  assert.equal(loadConfig({ SECRET_KEY: STRONG }, freshDir()).trustProxy, false);
});

test('loadConfig() reads the limits, with documented defaults', () => {
  const defaults = loadConfig({ SECRET_KEY: STRONG }, freshDir()).limits;
  assert.deepEqual(defaults.form, { maxBodyBytes: 65536, maxFields: 100, maxNameBytes: 256, maxValueBytes: 16384 });
  assert.deepEqual(defaults.server, { maxHeaderSize: 16384, headersTimeoutMs: 10000, requestTimeoutMs: 30000, keepAliveTimeoutMs: 5000, timeoutCheckIntervalMs: 1000, maxConnections: 1000, maxConnectionsPerClient: 100 });
  const custom = loadConfig(
    {
      SECRET_KEY: STRONG,
      LIMIT_BODY_BYTES: '1024',
      LIMIT_FORM_FIELDS: '5',
      LIMIT_FIELD_NAME_BYTES: '16',
      LIMIT_FIELD_VALUE_BYTES: '512',
      LIMIT_HEADER_BYTES: '8192',
      HEADERS_TIMEOUT_MS: '2000',
      REQUEST_TIMEOUT_MS: '4000',
      KEEP_ALIVE_TIMEOUT_MS: '1000',
      MAX_CONNECTIONS: '10',
      MAX_CONNECTIONS_PER_CLIENT: '3',
    },
    freshDir(),
  ).limits;
  assert.deepEqual(custom.form, { maxBodyBytes: 1024, maxFields: 5, maxNameBytes: 16, maxValueBytes: 512 });
  assert.deepEqual(custom.server, { maxHeaderSize: 8192, headersTimeoutMs: 2000, requestTimeoutMs: 4000, keepAliveTimeoutMs: 1000, timeoutCheckIntervalMs: 1000, maxConnections: 10, maxConnectionsPerClient: 3 });
});

test('loadConfig(): behind a proxy (TRUST_PROXY) there is no per-client connection limit unless one is set', () => {
  // Every connection then comes from the proxy: a limit per address would limit all clients together.
  assert.equal(loadConfig({ SECRET_KEY: STRONG, TRUST_PROXY: 'true' }, freshDir()).limits.server.maxConnectionsPerClient, 0);
  assert.equal(loadConfig({ SECRET_KEY: STRONG, TRUST_PROXY: 'true', MAX_CONNECTIONS_PER_CLIENT: '500' }, freshDir()).limits.server.maxConnectionsPerClient, 500);
});

test('loadConfig() reads a TLS certificate and key, and then defaults SESSION_COOKIE_SECURE to true', () => {
  const { cert, key } = makeCertificate();
  const config = loadConfig({ SECRET_KEY: STRONG, TLS_CERT_FILE: cert, TLS_KEY_FILE: key, SESSION_COOKIE_NAME: '__Host-s' }, freshDir());
  assert.ok(config.tls !== null);
  assert.match(config.tls.cert.toString(), /BEGIN CERTIFICATE/);
  assert.equal(config.cookie.secure, true);
});

test('loadConfig() refuses a certificate that does not match its key', () => {
  const first = makeCertificate();
  const second = makeCertificate();
  assert.throws(
    () => loadConfig({ SECRET_KEY: STRONG, TLS_CERT_FILE: first.cert, TLS_KEY_FILE: second.key }, freshDir()),
    (error: unknown) => error instanceof ConfigError && error.variable === 'TLS_CERT_FILE' && /matches the key in TLS_KEY_FILE/.test(error.message),
  );
});

const formatCases: readonly { env: Record<string, string>; accepted: RegExp }[] = [
  { env: { SESSION_COOKIE_FORMAT: 'django' }, accepted: /native or flask, got "django"/ },
  { env: { SESSION_COOKIE_FORMAT: 'flask', SESSION_TYPE: 'redis' }, accepted: /native unless SESSION_TYPE=cookie/ },
  { env: { SESSION_COOKIE_FORMAT: 'flask', SESSION_COOKIE_ENCRYPT: 'true' }, accepted: /Flask cannot read an encrypted cookie/ },
];

for (const { env, accepted } of formatCases) {
  test(`loadConfig() stops on SESSION_COOKIE_FORMAT with ${JSON.stringify(env)}`, () => {
    assert.throws(() => loadConfig({ SECRET_KEY: STRONG, ...env }, freshDir()), (error: unknown) => error instanceof ConfigError && error.variable === 'SESSION_COOKIE_FORMAT' && accepted.test(error.message));
  });
}

test('loadConfig() reads SESSION_COOKIE_FORMAT=flask', () => {
  assert.equal(loadConfig({ SECRET_KEY: STRONG, SESSION_COOKIE_FORMAT: 'Flask' }, freshDir()).store.format, 'flask');
});

test('loadConfig() reads WORKERS, with auto meaning one per CPU', async () => {
  const { availableParallelism } = await import('node:os');
  assert.equal(loadConfig({ SECRET_KEY: STRONG }, freshDir()).workers, 1);
  assert.equal(loadConfig({ SECRET_KEY: STRONG, WORKERS: '3' }, freshDir()).workers, 3);
  assert.equal(loadConfig({ SECRET_KEY: STRONG, WORKERS: 'auto' }, freshDir()).workers, availableParallelism());
  for (const value of ['0', 'many', '1.5', '257']) {
    assert.throws(() => loadConfig({ SECRET_KEY: STRONG, WORKERS: value }, freshDir()), (error: unknown) => error instanceof ConfigError && error.variable === 'WORKERS');
  }
  assert.equal(loadConfig({ SECRET_KEY: STRONG, WORKERS: '2', SESSION_TYPE: 'redis' }, freshDir()).workers, 2);
});
