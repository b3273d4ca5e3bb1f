// @ts-check
// A JSON API that keeps a shopping cart in the session: no database and no login, only a cookie.
// Run it: node examples/cart-api.js (examples/README.md has a curl session for it)
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createSessions, HttpError, jsonReply } from 'scratchpad';

const secretKey = process.env.SECRET_KEY || randomBytes(32).toString('base64url');
if (!process.env.SECRET_KEY) console.warn('warning: SECRET_KEY is not set, so a random key is used: sessions will not survive a restart');
const type = process.env.SESSION_TYPE ?? 'cookie'; // for redis, SESSION_REDIS_URL says where (default 127.0.0.1:6379)
const sessions = await createSessions({ secretKey, store: type === 'redis' ? (process.env.SESSION_REDIS_URL ?? 'redis') : type });

const SKU = /^[A-Za-z0-9-]{1,32}$/;
const MAX_QUANTITY = 99;
const MAX_ITEMS = 20; // a cookie holds about 4 KB, so a cart in one must stay small

/** What the session keeps under 'cart': a list of these, in the order added. @typedef {{ sku: string, quantity: number }} Item */

/**
 * The posted item, checked: anything else is a 400 whose message says what to send.
 * @param {unknown} body @returns {Item}
 */
function readItem(body) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'send an object: {"sku": "tea-1", "quantity": 2}');
  const { sku, quantity } = /** @type {{ sku?: unknown, quantity?: unknown }} */ (body);
  if (typeof sku !== 'string' || !SKU.test(sku)) throw new HttpError(400, 'sku must be 1 to 32 letters, digits or dashes');
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
    throw new HttpError(400, `quantity must be a whole number from 1 to ${MAX_QUANTITY}`);
  }
  return { sku, quantity };
}

const app = sessions.listener(
  async (request, session, context) => {
    const method = request.method === 'HEAD' ? 'GET' : request.method; // the library leaves HEAD's body out
    const path = (request.url ?? '/').split('?')[0];
    const items = /** @type {Item[]} */ (session.get('cart') ?? []);
    if (method === 'GET' && path === '/cart') return jsonReply(200, { items });

    if (method === 'POST' && path === '/cart/items') {
      // context.json() refuses anything but application/json (415), which another site's page cannot
      // send us, and a request whose Origin is another site (403): together, the CSRF defence.
      const item = readItem(await context.json());
      const existing = items.find((each) => each.sku === item.sku);
      const quantity = item.quantity + (existing?.quantity ?? 0);
      if (quantity > MAX_QUANTITY) throw new HttpError(400, `at most ${MAX_QUANTITY} of one item`);
      if (existing === undefined && items.length >= MAX_ITEMS) throw new HttpError(400, `at most ${MAX_ITEMS} different items`);
      // A new list, set again: like Flask, the session does not see changes made inside a value.
      const cart = existing === undefined ? [...items, item] : items.map((each) => (each === existing ? { ...each, quantity } : each));
      session.set('cart', cart);
      return jsonReply(200, { items: cart });
    }

    const remove = /^\/cart\/items\/([A-Za-z0-9-]{1,32})$/.exec(path);
    if (method === 'DELETE' && remove !== null) {
      // A browser sends another site's DELETE only after asking us (CORS), and we never agree; this
      // refuses it outright anyway (403), as form() and json() do for the requests they read.
      context.requireSameOrigin();
      if (!items.some((each) => each.sku === remove[1])) throw new HttpError(404, `${remove[1]} is not in the cart`);
      const cart = items.filter((each) => each.sku !== remove[1]);
      session.set('cart', cart);
      return jsonReply(200, { items: cart });
    }

    if (method === 'POST' && path === '/cart/checkout') {
      await context.json(); // the body is {}: reading it as JSON is what keeps other sites from checking out
      if (items.length === 0) throw new HttpError(409, 'the cart is empty');
      session.delete('cart');
      return jsonReply(200, { bought: items });
    }
    throw new HttpError(404, `no ${method} ${path} here`);
  },
  // Failures as JSON too (the default is an HTML page unless the client's Accept asks for JSON).
  { errorReply: (error) => jsonReply(error.status, { error: error.message }, error.headers) },
);

const host = process.env.HOST ?? '127.0.0.1';
const server = createServer(app).listen(Number(process.env.PORT ?? 8000), host, () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`listening on http://${host}:${port}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => server.close(() => sessions.close()));
