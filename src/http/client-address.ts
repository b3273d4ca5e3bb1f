/**
 * Client address: who is on the other end of a request, as a key for per-client limits.
 *
 * What: `clientAddress(request, trustProxy)` returns the address a request came from, and
 * `clientKey(address)` the key that limits are counted under: an IPv4 address as it is, an IPv6
 * address by its /64 network.
 *
 * Why: some limits only work per client. A server that allows 1,000 connections lets one client
 * take all 1,000; a store that accepts every new session lets one client fill it (serve.ts and
 * rate-limit.ts count per key). The address of the TCP connection is the one fact about a client
 * that it cannot choose freely, but two details decide whether a limit holds:
 * - IPv6: one subscriber is routinely given a whole /64 network, 2^64 addresses. Counting per
 *   address would give an attacker that many fresh limits, so an IPv6 client is its /64 (the
 *   granularity RFC 6177 and the practice of ISP rate limiting use). `::ffff:1.2.3.4`, an IPv4
 *   client on a dual-stack socket, is the IPv4 address `1.2.3.4`.
 * - Proxies: behind a reverse proxy every connection comes from the proxy. Its `X-Forwarded-For`
 *   header names the client, but any client can send that header too, so it is believed only with
 *   TRUST_PROXY, and then only its *last* entry: the one our proxy appended, the address it saw.
 *   Entries before it were written by the client (or proxies we know nothing about) and can be
 *   anything. This assumes exactly one trusted proxy in front, as TRUST_PROXY does for the scheme.
 * - Larger allocations: a customer given a /56 or /48 still has 256 or 65,536 /64s, each its own
 *   key. The /64 is the smallest block every network hands out whole, so it is the only grouping
 *   that never lumps two customers together; what is left over is a reason to keep limits modest.
 *
 * Spec: RFC 7239 §5.2 and the de facto `X-Forwarded-For`; RFC 4291 §2.2 (IPv6 text forms) and
 * §2.5.5.2 (IPv4-mapped addresses); RFC 6177 (a /64 or more per IPv6 subscriber).
 *
 * Not here: the limits themselves (serve.ts, rate-limit.ts).
 *
 * Read next: rate-limit.ts.
 */
import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * The client's address: the connection's, or with `trustProxy` the last `X-Forwarded-For` entry
 * when it is an IP address. `'unknown'` when the socket has none (it closed before we asked).
 */
export function clientAddress(request: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers['x-forwarded-for'];
    const last = typeof forwarded === 'string' ? withoutPort(forwarded.slice(forwarded.lastIndexOf(',') + 1).trim()) : '';
    if (isIPv4(last) || isIPv6(last)) return last;
  }
  return request.socket.remoteAddress ?? 'unknown';
}

/**
 * Some proxies write the client's port too: `203.0.113.7:51234`, `[2001:db8::7]:51234`. Without
 * this, such an entry would not read as an address, and every client would fall back to the
 * proxy's one address and share one limit, which one client could then use up for all.
 */
function withoutPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed !== null) return bracketed[1]!;
  const ipv4 = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(entry);
  return ipv4 === null ? entry : ipv4[1]!;
}

/** The key a per-client limit counts under: IPv4 as it is, IPv6 by its /64 network. */
export function clientKey(address: string): string {
  // Every IPv6 address has a colon: an address without one (IPv4) is its own key.
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, `::` filled in, as lower-case hex without zeros in front. */
function expandIPv6(address: string): string[] {
  // A zone (fe80::1%eth0) names an interface, not part of the address.
  const bare = address.split('%')[0]!.toLowerCase();
  const [head = '', tail] = bare.split('::');
  const groups = (text: string): string[] => (text === '' ? [] : text.split(':').flatMap(ipv4AsGroups));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const zeros = new Array<string>(8 - front.length - back.length).fill('0');
  return [...front, ...zeros, ...back].map((group) => Number.parseInt(group, 16).toString(16));
}

/** An embedded IPv4 part (`::1.2.3.4`) is the last two groups written in decimal. */
function ipv4AsGroups(part: string): string[] {
  if (!part.includes('.')) return [part];
  const [a = 0, b = 0, c = 0, d = 0] = part.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
