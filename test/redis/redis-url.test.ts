import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseRedisUrl, RedisCaFileError, redactPassword, RedisUrlError, type RedisConnection } from '../../src/redis/redis-url.js';
import { makeCertificate } from '../helpers/certificate.js';

/** Every form parseRedisUrl() accepts, and the connection it means. */
const accepted: readonly { url: string; want: RedisConnection }[] = [
  { url: 'redis://localhost', want: { host: 'localhost', port: 6379, db: 0 } },
  { url: 'redis://localhost/', want: { host: 'localhost', port: 6379, db: 0 } },
  { url: 'redis://127.0.0.1:7000/3', want: { host: '127.0.0.1', port: 7000, db: 3 } },
  // The scheme is case-insensitive (WHATWG URL lowercases it); an empty port is the default one.
  { url: 'REDIS://cache.internal:/1', want: { host: 'cache.internal', port: 6379, db: 1 } },
  { url: 'redis://redis_1.compose-net', want: { host: 'redis_1.compose-net', port: 6379, db: 0 } },
  // A password alone is the AUTH of Redis before 6 (and of its default user since).
  { url: 'redis://:secret@127.0.0.1:6379/0', want: { host: '127.0.0.1', port: 6379, db: 0, password: 'secret' } },
  // User and password: Redis 6 ACLs. Both are percent-decoded (RFC 3986 §3.2.1).
  { url: 'redis://app:p%40ss%3Aw%2Fo%3Frd%23%25@host:6380/2', want: { host: 'host', port: 6380, db: 2, username: 'app', password: 'p@ss:w/o?rd#%' } },
  { url: 'redis://%C3%A9l%C3%A8ve:mot%20de%20passe@host', want: { host: 'host', port: 6379, db: 0, username: 'élève', password: 'mot de passe' } },
  // "redis://:@host" is the same URL as "redis://host" to the parser: no AUTH.
  { url: 'redis://:@host', want: { host: 'host', port: 6379, db: 0 } },
  // IPv6 in brackets, as RFC 3986 §3.2.2 writes it; node:net wants it bare.
  { url: 'redis://[::1]:6379/3', want: { host: '::1', port: 6379, db: 3 } },
  { url: 'redis://[2001:DB8::1]', want: { host: '2001:db8::1', port: 6379, db: 0 } },
  { url: 'redis://:pw@[::1]:7001/15', want: { host: '::1', port: 7001, db: 15, password: 'pw' } },
  // rediss: TLS, with Node's CA store unless a CA file is given.
  { url: 'rediss://cache.example.com', want: { host: 'cache.example.com', port: 6379, db: 0, tls: {} } },
  { url: 'rediss://default:secret@cache.example.com:6380/1', want: { host: 'cache.example.com', port: 6380, db: 1, username: 'default', password: 'secret', tls: {} } },
  { url: 'rediss://[::1]:6380', want: { host: '::1', port: 6380, db: 0, tls: {} } },
];

for (const { url, want } of accepted) {
  test(`parseRedisUrl() reads ${url}`, () => {
    const connection = parseRedisUrl(url);
    assert.deepEqual(connection, want);
    assert.ok(Object.isFrozen(connection));
  });
}

/** Every form parseRedisUrl() refuses, with the words its message must contain. */
const refused: readonly { url: string; problem: RegExp }[] = [
  { url: '', problem: /this is not a URL/ },
  { url: 'not a url', problem: /this is not a URL/ },
  { url: 'localhost:6379', problem: /scheme must be redis: or rediss:, not localhost:/ },
  // Other schemes, including other clients' spellings of TLS and Unix sockets.
  { url: 'http://127.0.0.1:6379', problem: /scheme must be redis: or rediss:, not http:/ },
  { url: 'redis+tls://host', problem: /not redis\+tls:/ },
  { url: 'unix:///run/redis.sock', problem: /not unix:/ },
  { url: 'redis-sentinel://host:26379', problem: /not redis-sentinel:/ },
  // No host: "redis:host" is an opaque path to the URL parser, not a host.
  { url: 'redis://', problem: /the host is missing/ },
  { url: 'redis:///0', problem: /the host is missing/ },
  { url: 'redis:host', problem: /the host is missing/ },
  // An opaque host would keep these as percent-encoded text, which no resolver knows.
  { url: 'redis://ho%20st', problem: /the host ho%20st is not a host name/ },
  { url: 'redis://bücher.example', problem: /xn-- form/ },
  // IPv6 without brackets: the port could not be told from the address.
  { url: 'redis://::1:6379', problem: /this is not a URL/ },
  // Ports: the URL parser refuses what is past 65535 or not a number; nothing listens on 0.
  { url: 'redis://host:0', problem: /port must be from 1 to 65535/ },
  { url: 'redis://host:65536', problem: /this is not a URL/ },
  { url: 'redis://host:port', problem: /this is not a URL/ },
  // The database: one whole number.
  { url: 'redis://host/db', problem: /database after the host must be a whole number/ },
  { url: 'redis://host/-1', problem: /whole number/ },
  { url: 'redis://host/1.5', problem: /whole number/ },
  { url: 'redis://host/0/', problem: /whole number/ },
  { url: 'redis://host/0/1', problem: /whole number/ },
  { url: 'redis://host/123456', problem: /whole number/ },
  // Query and fragment: other clients read options there, which this one would silently ignore.
  { url: 'redis://host/0?x=1', problem: /no \?query or #fragment/ },
  { url: 'rediss://host?ssl_cert_reqs=none', problem: /no \?query/ },
  { url: 'redis://host?', problem: /no \?query/ },
  { url: 'redis://host/0#top', problem: /#fragment/ },
  { url: 'redis://host#', problem: /#fragment/ },
  // Credentials: AUTH needs a password; a % must start a percent-encoded byte.
  { url: 'redis://user@host', problem: /a user name needs a password/ },
  { url: 'redis://user:@host', problem: /a user name needs a password/ },
  { url: 'redis://:100%@host', problem: /write % as %25/ },
  { url: 'redis://:%FF@host', problem: /percent-encoded UTF-8/ },
  // An unencoded "/" ends the authority: what follows the password is read as the path.
  { url: 'redis://:pa/ss@host', problem: /this is not a URL|host is missing/ },
];

for (const { url, problem } of refused) {
  test(`parseRedisUrl() refuses ${JSON.stringify(url)} and says what is accepted`, () => {
    assert.throws(
      () => parseRedisUrl(url),
      (error: unknown) =>
        error instanceof RedisUrlError &&
        problem.test(error.message) &&
        error.message.includes('a URL like redis://127.0.0.1:6379/0') &&
        error.message.includes('rediss://') &&
        error.url === redactPassword(url) &&
        error.message.endsWith(`got ${JSON.stringify(redactPassword(url))}`),
    );
  });
}

test('parseRedisUrl() never shows the password in a refusal, whatever is wrong with the URL', () => {
  for (const url of ['redis://user:hunter2@host/x', 'http://:hunter2@host', 'redis://:hunter2@host?ssl=true', 'redis://:hunt/er2@host', 'redis://hunter2@host', 'redis:hunter2@host']) {
    assert.throws(
      () => parseRedisUrl(url),
      (error: unknown) => error instanceof RedisUrlError && !error.message.includes('hunter2') && !error.message.includes('hunt') && error.message.includes('***@'),
      url,
    );
  }
});

/** redactPassword(): everything between the scheme and the last @ is user information. */
const redactions: readonly { text: string; want: string }[] = [
  { text: 'redis://host:6379/0', want: 'redis://host:6379/0' },
  { text: 'redis://user:hunter2@host/x', want: 'redis://user:***@host/x' },
  { text: 'redis://:hunter2@host', want: 'redis://:***@host' },
  // Without ":" the part before @ may be a password written where the user name goes.
  { text: 'redis://hunter2@host', want: 'redis://***@host' },
  // A raw @ or / in a password: the last @ still ends it.
  { text: 'redis://u:p@ss/w@host/0', want: 'redis://u:***@host/0' },
  { text: 'redis:hunter2@host', want: 'redis:***@host' },
  { text: 'hunter2@host', want: '***@host' },
];

for (const { text, want } of redactions) {
  test(`redactPassword(${JSON.stringify(text)}) is ${JSON.stringify(want)}`, () => {
    assert.equal(redactPassword(text), want);
  });
}

const directory = mkdtempSync(join(tmpdir(), 'scratchpad-redis-url-'));
const { cert, key } = makeCertificate();

test('parseRedisUrl() with caFile reads the PEM file, for rediss://', () => {
  assert.deepEqual(parseRedisUrl('rediss://localhost:6380', { caFile: cert }), { host: 'localhost', port: 6380, db: 0, tls: { ca: readFileSync(cert) } });
});

test('parseRedisUrl() with caFile accepts a bundle of several certificates with text between them', () => {
  const bundle = join(directory, 'bundle.pem');
  writeFileSync(bundle, `# Our CA\n${readFileSync(cert, 'utf8')}\n# The old one\n${readFileSync(makeCertificate().cert, 'utf8')}`);
  assert.deepEqual(parseRedisUrl('rediss://localhost', { caFile: bundle }).tls, { ca: readFileSync(bundle) });
});

const badCaFiles: readonly { name: string; file: () => string; url?: string; accepted: RegExp }[] = [
  { name: 'a CA file for a redis:// URL (no TLS, so it would be ignored)', file: () => cert, url: 'redis://localhost', accepted: /unset unless the Redis URL starts with rediss:\/\// },
  { name: 'a file that does not exist', file: () => join(directory, 'missing.pem'), accepted: /a readable PEM file of the CA certificates to trust \(ENOENT/ },
  { name: 'a directory', file: () => directory, accepted: /a readable PEM file .*EISDIR/ },
  { name: 'a private key instead of a certificate', file: () => key, accepted: /-----BEGIN CERTIFICATE----- blocks\), and this one holds none/ },
  {
    name: 'a file that is not PEM at all',
    file: () => {
      const file = join(directory, 'notes.txt');
      writeFileSync(file, 'the CA is on the wiki\n');
      return file;
    },
    accepted: /holds none/,
  },
  {
    name: 'a certificate block whose contents are not a certificate',
    file: () => {
      const file = join(directory, 'broken.pem');
      writeFileSync(file, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
      return file;
    },
    accepted: /each one readable/,
  },
];

for (const { name, file, url, accepted: acceptedText } of badCaFiles) {
  test(`parseRedisUrl() refuses ${name}, naming the file`, () => {
    const caFile = file();
    assert.throws(
      () => parseRedisUrl(url ?? 'rediss://localhost', { caFile }),
      (error: unknown) => error instanceof RedisCaFileError && error.file === caFile && acceptedText.test(error.accepted) && error.message.endsWith(`got ${JSON.stringify(caFile)}`),
    );
  });
}

test('parseRedisUrl() checks the URL before the CA file', () => {
  assert.throws(() => parseRedisUrl('redis://host/db', { caFile: join(directory, 'missing.pem') }), RedisUrlError);
});
