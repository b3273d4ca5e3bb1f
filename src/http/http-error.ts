/**
 * HttpError: a request that cannot be served, with the status code that says why.
 *
 * What: an `Error` that carries an HTTP status (always 4xx here), a short message a person can act
 * on, and any headers the status requires (`Allow` for 405).
 *
 * Why: the code that discovers a problem (the body parser finding 2 MB where 64 KiB were allowed,
 * the router finding no route) is far from the code that writes the response. Throwing a typed
 * error lets the discoverer stay simple and lets exactly one place, the application's error page,
 * decide how a failure looks. Anything that is *not* an HttpError is a bug in our code, and only
 * that becomes a 500.
 *
 * Spec: RFC 9110 §15.5 (client error status codes).
 *
 * Not here: rendering. See demo/pages.ts for the error page and http/serve.ts for the 500 fallback.
 *
 * Read next: reply.ts, the value a handler returns when nothing went wrong.
 */

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    /** The HTTP status code, 400–499. */
    readonly status: number,
    /** A short sentence for the person who sent the request, shown on the error page. */
    message: string,
    /** Headers the status code needs, such as `Allow` on a 405. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}
