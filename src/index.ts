/**
 * Scratchpad's public API: everything another application may import, and nothing else.
 *
 * What: named re-exports of the mechanisms, in reading order. A module not exported here is
 * internal and may change.
 *
 * Why: one file that answers "what can I use?" without reading the rest. The demo imports only
 * from here, like any other user of the library, so a gap in this list shows up as a demo that
 * does not compile. An application starts with `createSessions()` (session/sessions.ts) and needs
 * little else; the pieces under it stay public for code that wants to assemble its own. The store
 * contract's test suite is a second entry point, `scratchpad/testing` (testing/store-contract.ts),
 * so that importing the library never loads `node:test`.
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
export { DEFAULT_FORM_LIMITS, FormFields, parseUrlencoded, readBodyWithLimit, readFormBody, type FormLimits } from './http/form.js';
export { DEFAULT_JSON_LIMITS, nestingDepth, readJsonBody, type JsonLimits, type ParsedJson } from './http/json-body.js';
export { htmlReply, jsonReply, localRedirectTarget, redirectReply, withHeader, withHeaders, type HeaderValue, type Reply } from './http/reply.js';
export { requestOrigin, type RequestOrigin } from './http/origin.js';
export { clientAddress, clientKey } from './http/client-address.js';
export { RateLimiter, type RateLimitOptions } from './http/rate-limit.js';
export { cspSourceHash, securityHeaders } from './http/security-headers.js';
export { Router, requestPath, type Handler, type Route } from './http/router.js';
export {
  closeGracefully,
  createHttpServer,
  escapeForLog,
  formatAccessLine,
  requestListener,
  SERVER_LIMITS,
  writeReply,
  type AccessEntry,
  type Application,
  type ListenerOptions,
  type ServeOptions,
  type ServerLimits,
  type WriteOptions,
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
  isSessionInspector,
  Session,
  SessionTooLargeError,
  NO_COOKIE,
  type IncomingCookie,
  type JsonValue,
  type LoadedSession,
  type SessionCookieSettings,
  type SessionInspection,
  type SessionInspector,
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
export { checkSameOrigin, CSRF_FIELD, CsrfProtection, type CsrfOptions, type IssuedToken } from './session/csrf.js';
export {
  decodeRecord,
  encodeRecord,
  isSessionId,
  newSessionId,
  PLAIN_RECORD_CODEC,
  recordFrom,
  SessionStoreUnavailableError,
  type RecordCodec,
  type SessionRecord,
  type SessionStore,
} from './session/store.js';
export { ServerSessionInterface, TooManyNewSessionsError, type ServerSessionOptions } from './session/server-session.js';
export { EXACT_RECENCY, MemorySessionStore, type MemoryStoreOptions, type RecencyPolicy } from './session/stores/memory.js';
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
export {
  createSessions,
  defaultErrorReply,
  MIN_SECRET_KEY_BYTES,
  SESSION_DEFAULTS,
  Sessions,
  SessionsOptionError,
  type HandleOptions,
  type ListenOptions,
  type SessionContext,
  type SessionHandler,
  type SessionsOptions,
} from './session/sessions.js';
export { parseRedisUrl, RedisUrlError } from './redis/redis-url.js';
export { ConfigError, DEFAULT_LIFETIME_SECONDS, DEVELOPMENT_KEY_FILE, loadConfig, type Config } from './config.js';
export { BoundedMap } from './fast/bounded-map.js';
export { MemoizedSigner, type MemoizedSignerOptions } from './fast/memoized-signer.js';
export { MemoizedSealer, type MemoizedSealerOptions } from './fast/memoized-sealer.js';
export { DEFAULT_DECODED_MEMO_ENTRIES, MemoizedCookieCodec, type MemoizedCookieCodecOptions } from './fast/memoized-cookie-codec.js';
export { DEFAULT_RECORD_MEMO_ENTRIES, MAX_KEPT_RECORD_CHARS, MemoizedRecordCodec, type MemoizedRecordCodecOptions } from './fast/memoized-record-codec.js';
export { CoarseRecency, DEFAULT_MOVE_INTERVAL_MS } from './fast/coarse-recency.js';
export { canTellExpiry, LazyTouchStore, type LazyTouchStoreOptions, type StoreWithExpiry } from './fast/lazy-touch-store.js';
export { StatCheckedFileStore, type StatCheckedFileStoreOptions } from './fast/stat-checked-file-store.js';
export { writeInBatches } from './fast/batched-redis-writes.js';
