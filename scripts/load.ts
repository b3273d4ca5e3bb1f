/**
 * A small keep-alive HTTP load generator on node:http, for benchmarks that must run anywhere.
 *
 * `runLoad()` keeps `connections` requests in flight against one URL for `seconds`, and reports
 * requests per second and latency percentiles. It is slower than wrk, so absolute numbers are low;
 * the benchmarks only compare servers measured by the same generator in the same run (ratios).
 */
import { Agent, request } from 'node:http';

export interface LoadResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

export async function runLoad(url: string, options: { connections: number; seconds: number; headers?: Record<string, string> }): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const target = new URL(url);
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + options.seconds * 1000;

  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const outgoing = request({ host: target.hostname, port: target.port, path: target.pathname, agent, headers: options.headers ?? {} }, (response) => {
        response.resume();
        response.on('end', () => {
          if (response.statusCode === 200) latencies.push(performance.now() - started);
          else errors += 1;
          resolve();
        });
      });
      outgoing.on('error', () => {
        errors += 1;
        resolve();
      });
      outgoing.end();
    });

  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < deadline) await once();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? Number.NaN;
  return { requests: latencies.length, requestsPerSecond: latencies.length / elapsed, p50Ms: percentile(50), p99Ms: percentile(99), errors };
}
