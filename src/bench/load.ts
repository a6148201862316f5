/** Fixed-duration HTTP load over loopback with autocannon, reduced to the figures the tables show. */
import { createRequire } from 'node:module';
import autocannon from 'autocannon';

// autocannon decodes every body chunk as UTF-8 and appends it to a string, for body checks this
// benchmark does not use. On a 2.3 MB gzip body that decoding costs the load generator more than the
// server's whole answer (bare server: 14 req/s with it, 380 without), so it is switched off.
const queue = createRequire(import.meta.url)('autocannon/lib/pipelinedRequestsQueue.js') as {
  prototype: { addBody(data: unknown): void };
};
queue.prototype.addBody = () => undefined;

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
  headers?: Record<string, string>;
}

export interface LoadFigures {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Received bytes per completed request, headers included. */
  bytesPerResponse: number;
  /** Errors, timeouts and non-2xx answers: a healthy run has none. */
  failures: number;
}

export async function load(url: string, options: LoadOptions): Promise<LoadFigures> {
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 30,
    headers: options.headers ?? {},
  });
  const completed = result.requests.total;
  return {
    requests: completed,
    requestsPerSecond: completed / Math.max(result.duration, 0.001),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    bytesPerResponse: completed > 0 ? result.throughput.total / completed : 0,
    failures: result.errors + result.timeouts + result.non2xx,
  };
}
