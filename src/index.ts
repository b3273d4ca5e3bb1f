/**
 * Scratchpad's public API: everything another application may import, and nothing else.
 *
 * What: named re-exports of the mechanisms, in reading order. A module not exported here is
 * internal and may change.
 *
 * Why: one file that answers "what can I use?" without reading the rest. The demo imports only
 * from here, like any other user of the library, so a gap in this list shows up as a demo that
 * does not compile.
 *
 * Spec: none.
 *
 * Not here: code. See README.md beside this file for the reading order.
 *
 * Read next: http/escape.ts, the first step of the reading order.
 */
export { escapeHtml } from './http/escape.js';
export {
  CookieTooLargeError,
  InvalidCookieError,
  MAX_COOKIE_ATTRIBUTE_VALUE_BYTES,
  MAX_COOKIE_NAME_VALUE_BYTES,
  parseCookieHeader,
  readCookie,
  serializeSetCookie,
  type SameSite,
  type SetCookie,
} from './http/cookie.js';
export { HttpError } from './http/http-error.js';
export { DEFAULT_FORM_LIMITS, FormFields, parseUrlencoded, readFormBody, type FormLimits } from './http/form.js';
export { htmlReply, localRedirectTarget, redirectReply, withHeader, withHeaders, type HeaderValue, type Reply } from './http/reply.js';
export { requestOrigin, type RequestOrigin } from './http/origin.js';
export { clientAddress, clientKey } from './http/client-address.js';
export { RateLimiter, type RateLimitOptions } from './http/rate-limit.js';
export { cspSourceHash, securityHeaders } from './http/security-headers.js';
export { Router, requestPath, type Handler, type Route } from './http/router.js';
export {
  closeGracefully,
  createHttpServer,
  escapeForLog,
  SERVER_LIMITS,
  writeReply,
  type Application,
  type ServeOptions,
  type ServerLimits,
} from './http/serve.js';
export {
  BadSignature,
  decodeCanonicalBase64url,
  DEFAULT_CLOCK_SKEW_SECONDS,
  formatSeconds,
  MalformedSignature,
  SignatureError,
  SignatureExpired,
  SignatureFromTheFuture,
  Signer,
  TIMESTAMP_PATTERN,
  type SignerOptions,
  type ValueProtector,
  type VerifiedValue,
} from './signing/signer.js';
export { Sealer, type SealerOptions } from './signing/sealer.js';
export {
  Session,
  SessionTooLargeError,
  NO_COOKIE,
  type IncomingCookie,
  type JsonValue,
  type LoadedSession,
  type SessionCookieSettings,
  type SessionInspection,
  type SessionInterface,
} from './session/session.js';
export { cookieExpiry, deletionCookie, sessionCookie, withSessionHeaders } from './session/session-cookie.js';
export {
  CookieSessionInterface,
  MalformedSessionPayload,
  NativeCookieCodec,
  type CookieSessionData,
  type SessionCookieCodec,
} from './session/cookie-session.js';
export { FlaskCookieCodec, pythonJson, type FlaskCodecOptions } from './session/flask-codec.js';
export { CSRF_FIELD, CsrfProtection, type CsrfOptions, type IssuedToken } from './session/csrf.js';
export {
  decodeRecord,
  encodeRecord,
  isSessionId,
  newSessionId,
  recordFrom,
  SessionStoreUnavailableError,
  type SessionRecord,
  type SessionStore,
} from './session/store.js';
export { ServerSessionInterface, TooManyNewSessionsError, type ServerSessionOptions } from './session/server-session.js';
export { MemorySessionStore, type MemoryStoreOptions } from './session/stores/memory.js';
export { FileSessionStore, UnsafeSessionDirectoryError, type FileStoreOptions } from './session/stores/filesystem.js';
export { encodeCommand, RespDecoder, RespError, RespProtocolError, type RespValue } from './redis/resp.js';
export { RedisClient, RedisReplyError, RedisUnavailableError, type RedisClientOptions } from './redis/client.js';
export { RedisSessionStore } from './session/stores/redis.js';
export {
  openSessionBackend,
  SESSION_SALT,
  type BackendOptions,
  type RedisSettings,
  type SessionBackend,
  type SessionType,
  type StoreSettings,
} from './session/backend.js';
export { ConfigError, DEFAULT_LIFETIME_SECONDS, DEVELOPMENT_KEY_FILE, loadConfig, type Config } from './config.js';
export { BoundedMap } from './fast/bounded-map.js';
export { MemoizedSigner, type MemoizedSignerOptions } from './fast/memoized-signer.js';
export { MemoizedSealer, type MemoizedSealerOptions } from './fast/memoized-sealer.js';
export { DEFAULT_DECODED_MEMO_ENTRIES, MemoizedCookieCodec, type MemoizedCookieCodecOptions } from './fast/memoized-cookie-codec.js';
