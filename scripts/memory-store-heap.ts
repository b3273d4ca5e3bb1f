/**
 * Heap used by the memory store per session, for the benchmarks (bench:micro, bench:session-types).
 *
 * Fills a `MemorySessionStore` with `count` sessions, each holding a 10-character username (about
 * 40 bytes of data as JavaScript strings), and divides the heap growth, measured after full garbage
 * collections, by `count`. Needs `node --expose-gc`: without a forced collection, the figure would
 * be whatever garbage happened to be around.
 */
import { MemorySessionStore, newSessionId } from '../src/index.js';

function heapUsedAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc (the npm scripts do)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export async function memoryStoreBytesPerSession(count: number): Promise<number> {
  const before = heapUsedAfterGc();
  const store = new MemorySessionStore({ maxEntries: count, sweepIntervalMs: 0 });
  for (let index = 0; index < count; index += 1) {
    const record = { data: { username: `user${String(index).padStart(6, '0')}` }, permanent: false, version: 1, createdAt: 0 };
    void store.set(newSessionId().toString('base64url'), record, 3600, null);
  }
  const bytes = (heapUsedAfterGc() - before) / count;
  await store.close();
  return bytes;
}
