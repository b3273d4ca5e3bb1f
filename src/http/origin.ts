/**
 * Request origin: which scheme and host a request was made to, as the browser saw it.
 *
 * What: `requestOrigin(request, trustProxy)` returns `{ secure, origin }`: whether the request came
 * over HTTPS, and the `scheme://host` a browser would put in an `Origin` header for our pages.
 *
 * Why: two decisions depend on it. A cookie marked `Secure` must only be set over HTTPS, and a form
 * post must come from our own origin (CSRF, csrf.ts). Behind a reverse proxy that terminates TLS,
 * the connection to us is plain HTTP, and only the proxy's `X-Forwarded-Proto` tells the truth.
 * But any client can send that header, so it is believed only when TRUST_PROXY says a proxy that
 * sets it is in front of us.
 *
 * Spec: RFC 6454 §6.1 (serializing an origin), RFC 7239 and the de facto `X-Forwarded-Proto`.
 *
 * Not here: `Forwarded` / `X-Forwarded-Host` (we take the host from `Host`, which the proxy passes on).
 *
 * Read next: client-address.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export interface RequestOrigin {
  readonly secure: boolean;
  /** `https://example.com:8443`, or `null` when the request has no usable Host header. */
  readonly origin: string | null;
}

export function requestOrigin(request: IncomingMessage, trustProxy: boolean): RequestOrigin {
  const overTls = (request.socket as Partial<TLSSocket>).encrypted === true;
  const forwarded = request.headers['x-forwarded-proto'];
  // A proxy chain may append: "https, http". The first value is what the client used.
  const forwardedScheme = typeof forwarded === 'string' ? forwarded.split(',')[0]!.trim().toLowerCase() : undefined;
  const secure = trustProxy && forwardedScheme !== undefined ? forwardedScheme === 'https' : overTls;
  const host = request.headers.host;
  const origin = host === undefined || host === '' ? null : `${secure ? 'https' : 'http'}://${host.toLowerCase()}`;
  return { secure, origin };
}
