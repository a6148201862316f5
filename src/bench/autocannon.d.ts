// The parts of autocannon's programmatic API the benchmark uses; the package ships no types.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface AutocannonOptions {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    /** Seconds a request may take before it counts as a timeout. */
    timeout?: number;
    pipelining?: number;
    headers?: Record<string, string>;
  }

  interface AutocannonStat {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
  }

  interface AutocannonResult {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    /** Milliseconds. */
    latency: AutocannonStat;
    /** Per-second samples of completed requests. */
    requests: AutocannonStat & { sent: number };
    /** Per-second samples of bytes received, headers included. */
    throughput: AutocannonStat;
  }

  type AutocannonRun = EventEmitter & PromiseLike<AutocannonResult>;

  function autocannon(options: AutocannonOptions): AutocannonRun;
  export default autocannon;
}
