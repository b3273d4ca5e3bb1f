/**
 * Batched Redis writes: every command issued in one turn of the event loop goes to Redis in one
 * write, instead of one write each.
 *
 * What: `writeInBatches`, the `write` option of ../redis/client.ts's `RedisClient`. The first
 * command of a turn corks the socket (Node then holds what is written), and a `setImmediate`
 * uncorks it once the turn's I/O callbacks have run: everything written meanwhile leaves in one
 * `writev`, one system call. ../session/backend.ts gives it to the client of the Redis store
 * unless SESSION_MEMO=false, which runs the plain client, a write per command.
 *
 * Why: a request with a session sends Redis two commands (GET and PTTL), and under load the
 * requests of one turn arrive together: fifty connections' requests were a hundred writes, each a
 * system call and a packet, where one would do. Redis reads them as one pipeline either way.
 *
 * The rules it must keep:
 * - Order. The client matches replies to commands first in, first out, so the bytes must leave in
 *   the order the commands were issued: a corked socket keeps its writes in order, and nothing
 *   else writes to the client's socket.
 * - No command waits longer than a turn. The immediate runs in the same turn of the event loop
 *   (the check phase, after the I/O callbacks that issued the commands); one issued from a check
 *   callback waits for the next turn, which starts at once, since a pending immediate keeps the
 *   loop from blocking in its poll. The command timeout runs from when the command was issued,
 *   the wait included.
 * - Nothing is lost. A socket destroyed while corked (Redis gone) fails the commands waiting on it
 *   exactly as without the batching: the client rejects every command it sent on that socket.
 *
 * Measured (the demo on SESSION_TYPE=redis, GET / with a session, wrk with 50 connections on the
 * other core; the same build with and without this module, both servers at once on one core, six
 * rounds in both orders; see docs/performance.md): 1.50× the requests per second (1.46–1.53).
 *
 * Spec: Node's `writable.cork()` / `uncork()` (https://nodejs.org/api/stream.html#writablecork),
 * whose example uncorks in the next tick, which would batch one request's commands only; the
 * event loop's phases
 * (https://nodejs.org/en/learn/asynchronous-work/event-loop-timers-and-nexttick); Redis pipelining
 * (https://redis.io/docs/latest/develop/use/pipelining/).
 *
 * Not here: the connection, the protocol and the matching of replies (../redis/client.ts).
 *
 * Read next: buffered-log.ts, the last speed-up: the access log written in batches too.
 */
import type { Socket } from 'node:net';

/** The sockets corked in this turn of the event loop. */
const corked = new WeakSet<Socket>();

/** Writes `bytes` to `socket` with everything else written to it in this turn, in order. */
export function writeInBatches(socket: Socket, bytes: Buffer): void {
  if (!corked.has(socket)) {
    corked.add(socket);
    socket.cork();
    setImmediate(() => {
      corked.delete(socket);
      socket.uncork();
    });
  }
  socket.write(bytes);
}
