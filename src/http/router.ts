/**
 * Router: which handler answers a request, decided by a table of (method, path) rows.
 *
 * What: `Router` holds routes as plain data, in a `Map` from each path to that path's rows.
 * `match()` looks the path up (unknown: 404), then takes the first of its rows whose method
 * matches. When the path is known but the method is not, the same rows give the `Allow` header
 * for a 405.
 *
 * Why: a reader should see at a glance which code runs for which URL. A map of exact paths is all
 * that takes, and it costs one lookup per request however many pages there are (the demo's three
 * and the /source pages make about fifty); tries and regex compilers are for path patterns.
 *
 * Spec: RFC 9110 §9.3.2 (HEAD is GET without the body), §15.5.5 (404), §15.5.6 (405 "MUST generate
 * an Allow header field"), §9.3.7 (OPTIONS answers with the allowed methods).
 *
 * Not here: path parameters (`/users/:id`), which the demo does not need; writing the body-less
 * HEAD response, which is serve.ts's job, so that a handler never has to think about HEAD.
 *
 * Read next: origin.ts, how a request tells whether it came over HTTPS.
 */
import { HttpError } from './http-error.js';
import type { Reply } from './reply.js';

export type Handler<Context> = (context: Context) => Reply | Promise<Reply>;

export interface Route<Context> {
  /** An HTTP method in upper case, as Node reports it. */
  readonly method: string;
  /** An exact path such as `/login`; no patterns. */
  readonly path: string;
  readonly handler: Handler<Context>;
}

export class Router<Context> {
  /** Routes grouped by path: a lookup per request, however many pages there are (the demo has ~50). */
  readonly #routes = new Map<string, Route<Context>[]>();

  add(method: string, path: string, handler: Handler<Context>): this {
    const routes = this.#routes.get(path) ?? [];
    routes.push({ method: method.toUpperCase(), path, handler });
    this.#routes.set(path, routes);
    return this;
  }

  get(path: string, handler: Handler<Context>): this {
    return this.add('GET', path, handler);
  }

  post(path: string, handler: Handler<Context>): this {
    return this.add('POST', path, handler);
  }

  /** Finds the handler for a request, or throws `HttpError` 404 / 405 (with `Allow`). */
  match(method: string, path: string): Handler<Context> {
    const routesForPath = this.#routes.get(path);
    if (routesForPath === undefined) throw new HttpError(404, `there is no page at ${path}`);

    const exact = routesForPath.find((route) => route.method === method);
    if (exact !== undefined) return exact.handler;
    // HEAD is answered by the GET handler; serve.ts drops the body but keeps the headers, so
    // HEAD and GET report the same Content-Length, as RFC 9110 §9.3.2 asks.
    const get = routesForPath.find((route) => route.method === 'GET');
    if (method === 'HEAD' && get !== undefined) return get.handler;

    const allow = allowedMethods(routesForPath).join(', ');
    if (method === 'OPTIONS') {
      return () => ({ status: 204, headers: { allow }, body: '' });
    }
    throw new HttpError(405, `${path} does not accept ${method}; it accepts ${allow}`, { Allow: allow });
  }

  async dispatch(method: string, path: string, context: Context): Promise<Reply> {
    return this.match(method, path)(context);
  }
}

function allowedMethods<Context>(routes: readonly Route<Context>[]): string[] {
  const methods = routes.map((route) => route.method);
  if (methods.includes('GET') && !methods.includes('HEAD')) methods.splice(methods.indexOf('GET') + 1, 0, 'HEAD');
  if (!methods.includes('OPTIONS')) methods.push('OPTIONS');
  return [...new Set(methods)];
}

/**
 * The path part of a request target (RFC 9112 §3.2): everything before `?` or `#`.
 * Not percent-decoded: routes are matched on the path exactly as sent.
 */
export function requestPath(target: string | undefined): string {
  const url = target ?? '/';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}
