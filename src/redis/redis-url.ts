/**
 * Redis URLs: `redis://` and `rediss://` text in, the options of a Redis connection out.
 *
 * What: `parseRedisUrl('rediss://:secret@cache.internal:6380/2')` checks a Redis URL and returns
 * where to connect (host, port, database), with what credentials, and whether over TLS; a refused
 * URL throws `RedisUrlError`, which says what is accepted and quotes the URL without its password.
 *
 * Why: a Redis URL carries a password, and whether the password crosses the network in the clear
 * depends on one letter of it. So there is one parser, used by ../config.ts and by anything else
 * that turns a URL into a connection, and it refuses whatever it does not understand instead of
 * guessing: a query such as `?ssl=true` that another client would honour but this one would
 * ignore, a user name without a password, a database that is not a number. Its errors end up in
 * logs, so no message ever shows the password.
 *
 * The accepted form:
 *
 *     redis[s]://[[user]:password@]host[:port][/db]
 *
 * - `rediss://` is Redis over TLS; `redis://` is plaintext, for a Redis on a network you own.
 * - `user` and `password` are percent-encoded (RFC 3986 §3.2.1), so a password may hold any byte:
 *   `p@ss` is written `p%40ss`.
 * - `host` is a host name, an IPv4 address, or an IPv6 address in brackets (`[::1]`).
 * - `port` defaults to 6379, Redis's port, for both schemes.
 * - `db` is the database number for SELECT, 0 when absent.
 *
 * With `rediss://`, the certificate is checked against Node's CA store (which includes the file
 * in NODE_EXTRA_CA_CERTS) unless `caFile` names a PEM file of the CAs to trust instead, as a
 * private Redis with its own CA needs. Reading that file is the one piece of I/O here: it belongs
 * to the same question (how to reach this Redis), and its mistakes are reported the same way.
 *
 * Spec: the provisional IANA registrations of the schemes
 * (https://www.iana.org/assignments/uri-schemes/prov/redis, /prov/rediss); the WHATWG URL Standard,
 * which does the parsing (https://url.spec.whatwg.org/#url-parsing; redis: is not a special scheme,
 * so its host is an opaque host, https://url.spec.whatwg.org/#opaque-host); RFC 3986 §3.2.1 (user
 * information).
 *
 * Not here: options in the query (`?db=`, `?timeout=`, `?ssl_cert_reqs=`: refused, not ignored),
 * Unix sockets, Sentinel and Cluster URLs, client certificates; the connection itself (client.ts).
 *
 * Read next: client.ts, which connects with these options.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisTlsOptions } from './client.js';

/** Where and how to connect: every option of a RedisClient that a URL can say. */
export interface RedisConnection {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  /** Absent unless the URL has one; AUTH then sends both (Redis 6 ACL users). */
  readonly username?: string;
  /** Absent: no AUTH. */
  readonly password?: string;
  /** Present for `rediss://` only: absent means plaintext. */
  readonly tls?: RedisTlsOptions;
}

export interface RedisUrlOptions {
  /** A PEM file of the CA certificates to trust instead of Node's store; `rediss://` only. */
  readonly caFile?: string;
}

export const DEFAULT_REDIS_PORT = 6379;

const URL_EXAMPLES = 'a URL like redis://127.0.0.1:6379/0, redis://:password@host:6379/1 or rediss://user:password@host:6380/0 for TLS';

/** A Redis URL we refuse. The message quotes it with the password replaced by `***`. */
export class RedisUrlError extends Error {
  override name = 'RedisUrlError';
  /** What a URL must look like, and what is wrong with this one. */
  readonly accepted: string;
  constructor(
    problem: string,
    /** The URL as given, its password redacted. */
    readonly url: string,
  ) {
    const accepted = `${URL_EXAMPLES} (${problem})`;
    super(`the Redis URL must be ${accepted}, got ${JSON.stringify(url)}`);
    this.accepted = accepted;
  }
}

/** A CA file we cannot use: unreadable, not PEM certificates, or given for a `redis://` URL. */
export class RedisCaFileError extends Error {
  override name = 'RedisCaFileError';
  constructor(
    /** What the file must be, and why this one is not. */
    readonly accepted: string,
    readonly file: string,
  ) {
    super(`the Redis CA file must be ${accepted}, got ${JSON.stringify(file)}`);
  }
}

/**
 * Reads `redis[s]://[[user]:password@]host[:port][/db]`. Throws RedisUrlError for any other text,
 * and RedisCaFileError when `caFile` cannot be used.
 */
export function parseRedisUrl(text: string, options: RedisUrlOptions = {}): RedisConnection {
  const refuse = (problem: string): RedisUrlError => new RedisUrlError(problem, redactPassword(text));

  // 1. Parse as the WHATWG URL Standard does; a raw @ : / ? # in a password breaks it up.
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse('this is not a URL; percent-encode any @ : / ? # % in the user name or password');
  }

  // 2. The scheme says whether the connection is encrypted, so it must be one we know.
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw refuse(`the scheme must be redis: or rediss:, not ${url.protocol}`);

  // 3. No query and no fragment. Checked on the text: the parser makes "?" alone an empty query.
  // Other clients read options there (?ssl=true, ?password=); ignoring one could mean sending a
  // password in the clear while the URL seems to ask for TLS.
  if (/[?#]/.test(text)) throw refuse('nothing may follow the database: no ?query or #fragment; percent-encode ? and # in a password (%3F, %23)');

  // 4. The host. redis: is not a special scheme, so the parser leaves its host opaque (no IDNA, no
  // IPv4 parsing): we accept the letters a host name or address is made of, or [IPv6].
  const ipv6 = /^\[([0-9A-Fa-f:.]+)\]$/.exec(url.hostname);
  if (url.hostname === '') throw refuse('the host is missing');
  if (ipv6 === null && !/^[A-Za-z0-9._-]+$/.test(url.hostname)) {
    throw refuse(`the host ${url.hostname} is not a host name, IPv4 address or [IPv6] address; write an international name in its xn-- form`);
  }
  // node:net and node:tls want the bare address, without the URL's brackets.
  const host = ipv6 === null ? url.hostname : ipv6[1]!;

  // 5. The port: the parser has checked 0–65535; nothing listens on 0.
  const port = url.port === '' ? DEFAULT_REDIS_PORT : Number(url.port);
  if (port === 0) throw refuse('the port must be from 1 to 65535');

  // 6. The database: one path segment of digits, or none for database 0.
  const db = url.pathname === '' || url.pathname === '/' ? '0' : url.pathname.slice(1);
  if (!/^[0-9]{1,5}$/.test(db)) throw refuse('the database after the host must be a whole number such as /0 or /1');

  // 7. Credentials, percent-decoded. AUTH needs a password; a user name alone would be dropped.
  let username: string;
  let password: string;
  try {
    username = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    throw refuse('the user name or password has a % that does not start a percent-encoded UTF-8 byte (write % as %25)');
  }
  if (username !== '' && password === '') throw refuse('a user name needs a password: redis://user:password@host');

  // 8. TLS, and the CAs it trusts.
  const tls = url.protocol === 'rediss:';
  if (!tls && options.caFile !== undefined) {
    throw new RedisCaFileError('unset unless the Redis URL starts with rediss:// (redis:// has no TLS, so a CA would be ignored)', options.caFile);
  }
  const ca = options.caFile === undefined ? undefined : readCaFile(options.caFile);

  return Object.freeze({
    host,
    port,
    db: Number(db),
    ...(password === '' ? {} : { password }),
    ...(username === '' ? {} : { username }),
    ...(tls ? { tls: Object.freeze(ca === undefined ? {} : { ca }) } : {}),
  });
}

/**
 * The file's bytes, once every certificate in it has been read. Node's TLS would silently skip
 * anything that is not a certificate, and a CA file holding none would then fail every connection
 * with a certificate error that points nowhere near the file.
 */
function readCaFile(file: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (error) {
    throw new RedisCaFileError(`a readable PEM file of the CA certificates to trust (${(error as Error).message})`, file);
  }
  // RFC 7468 §5: a certificate is a BEGIN CERTIFICATE … END CERTIFICATE block; text around the
  // blocks (bundles often name each CA) is allowed.
  const blocks = pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new RedisCaFileError('a PEM file of CA certificates (-----BEGIN CERTIFICATE----- blocks), and this one holds none', file);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new RedisCaFileError(`a PEM file of CA certificates, each one readable (${(error as Error).message})`, file);
    }
  }
  return pem;
}

/**
 * The URL with its password replaced by `***`, for messages: they end up in logs. Whatever comes
 * before the last @ is the user information, even in text too broken to parse, and when it has no
 * ":" it may be a password written where the user name goes, so all of it is hidden.
 */
export function redactPassword(text: string): string {
  const at = text.lastIndexOf('@');
  if (at === -1) return text;
  const slashes = text.indexOf('//');
  const start = slashes !== -1 && slashes < at ? slashes + 2 : text.indexOf(':') + 1;
  if (start > at) return `***${text.slice(at)}`;
  const userinfo = text.slice(start, at);
  const colon = userinfo.indexOf(':');
  return `${text.slice(0, start)}${colon === -1 ? '***' : `${userinfo.slice(0, colon)}:***`}${text.slice(at)}`;
}
