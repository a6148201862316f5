/**
 * Soak: many poll cycles of one long-lived Exporter against a simulated EM, watching for leaks.
 *
 *   npm run soak                       # 10,000 cycles x 200 backups, simulator in a child process
 *   node --expose-gc dist/bench/soak.js --cycles 2000 --backups 50 --sample-every 50
 *
 * Every `sample-every` cycles it forces a full GC and records heap used, RSS and the process's
 * active handles (sockets, timers, ...). The report compares the first samples after warm-up with
 * the last ones: heap and RSS should stay flat (within 10 %), sockets and timers should not grow.
 * The simulator runs in its own process by default, so the heap measured is the exporter's alone.
 * `runSoak` is also what the short soak test in `npm test` drives.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import type { ExporterConfig } from '../config/types.js';
import { Exporter } from '../exporter.js';
import { generateBackups } from '../simulator/generate.js';
import { EmSimulator } from '../simulator/server.js';

export interface SoakOptions {
  cycles: number;
  backups: number;
  /** Force a GC and take a sample every this many cycles. */
  sampleEvery: number;
  /** Cycles before the baseline sample: caches, JIT and socket pools settle first. */
  warmupCycles: number;
  /** `child` keeps the simulator's memory out of the measurement; `in-process` is for tests. */
  simulator: 'child' | 'in-process';
  /** Called after each sample, e.g. to print progress. */
  onSample?: (sample: SoakSample, options: SoakOptions) => void;
}

export interface SoakSample {
  cycle: number;
  heapUsedBytes: number;
  rssBytes: number;
  /** process.getActiveResourcesInfo(), counted by kind (TCPSocketWrap, Timeout, ...). */
  resources: Record<string, number>;
  sockets: number;
  timers: number;
  /** Open file descriptors (Linux /proc/self/fd): idle pooled sockets are unref'd and missing from `resources`, not from here. */
  fds: number | undefined;
}

export interface SoakReport {
  options: SoakOptions;
  node: string;
  startedAt: string;
  durationSeconds: number;
  /** Median wall time of a cycle (poll of every backup plus one render of /metrics). */
  medianCycleMs: number;
  failedCycles: number;
  samples: SoakSample[];
  /** Median of the first three samples at or after warm-up, and of the last three. */
  warm: Summary;
  end: Summary;
  heapGrowth: number;
  rssGrowth: number;
  /** Least-squares slope of heap used over the samples after warm-up, bytes per cycle. */
  heapSlopeBytesPerCycle: number;
}

export interface Summary {
  heapUsedBytes: number;
  rssBytes: number;
  sockets: number;
  timers: number;
  fds: number | undefined;
}

const USER = 'EM01\\svc_monitor';
const PASSWORD = 'secret';

/** A full GC, whether or not node was started with --expose-gc. */
export function gcFunction(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

interface RunningSim {
  url: string;
  caPem: string;
  stop(): Promise<void>;
}

async function startChildSimulator(backups: number): Promise<RunningSim> {
  const dir = await mkdtemp(join(tmpdir(), 'vee-soak-'));
  const caFile = join(dir, 'ca.pem');
  const cli = fileURLToPath(new URL('../simulator/cli.js', import.meta.url));
  const child: ChildProcess = spawn(
    process.execPath,
    [cli, '--port', '0', '--backups', String(backups), '--user', USER, '--password', PASSWORD, '--ca-out', caFile],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (https:\/\/[^\s/]+)\/api/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}) before listening`)));
  });
  child.stdout!.resume();
  const caPem = await readFile(caFile, 'utf8');
  return {
    url,
    caPem,
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startInProcessSimulator(backups: number): Promise<RunningSim> {
  // Only one request is remembered: the log of requests would otherwise be what grows.
  const sim = new EmSimulator({
    users: [{ username: USER, password: PASSWORD }],
    backups: generateBackups({ count: backups }),
    maxRecordedRequests: 1,
  });
  const started = await sim.start();
  return { url: started.url, caPem: started.caPem, stop: () => sim.stop() };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function summarize(samples: readonly SoakSample[]): Summary {
  return {
    heapUsedBytes: median(samples.map((s) => s.heapUsedBytes)),
    rssBytes: median(samples.map((s) => s.rssBytes)),
    sockets: Math.max(...samples.map((s) => s.sockets)),
    timers: Math.max(...samples.map((s) => s.timers)),
    fds: samples.some((s) => s.fds === undefined) ? undefined : Math.max(...samples.map((s) => s.fds!)),
  };
}

function slope(samples: readonly SoakSample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((a, s) => a + s.cycle, 0) / n;
  const my = samples.reduce((a, s) => a + s.heapUsedBytes, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.cycle - mx) * (s.heapUsedBytes - my);
    den += (s.cycle - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function sample(cycle: number, gc: () => void): SoakSample {
  gc();
  gc();
  const mem = process.memoryUsage();
  const resources: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1;
  const sockets = Object.entries(resources)
    .filter(([kind]) => /TCPSocketWrap|TLSWrap|PipeWrap/.test(kind))
    .reduce((a, [, n]) => a + n, 0);
  return {
    cycle,
    heapUsedBytes: mem.heapUsed,
    rssBytes: mem.rss,
    resources,
    sockets,
    timers: resources.Timeout ?? 0,
    fds: openFds(),
  };
}

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const gc = gcFunction();
  const startedAt = new Date();
  const sim =
    options.simulator === 'child'
      ? await startChildSimulator(options.backups)
      : await startInProcessSimulator(options.backups);
  // The IDs depend only on the seed and the index, so these are the simulator's backups.
  const ids = generateBackups({ count: options.backups }).map((b) => b.id);
  const dir = await mkdtemp(join(tmpdir(), 'vee-soak-ca-'));
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, sim.caPem);
  const config: ExporterConfig = {
    poll: { schedule: '*/5 * * * *', concurrency: 4, timeoutMs: 30_000, retries: 2, metadataRefreshMs: 3_600_000 },
    defaults: { rpoSeconds: 26 * 3600 },
    enterpriseManagers: [
      {
        name: 'em01',
        url: sim.url,
        username: USER,
        password: PASSWORD,
        apiVersion: 'latest',
        format: 'xml',
        restorePoints: 'entity',
        tls: { caFile, insecureSkipVerify: false },
        backups: ids.map((id) => ({ id, rpoSeconds: 26 * 3600 })),
      },
    ],
  };
  // Logging at info, into nothing: its cost is part of a cycle, its output is not wanted.
  const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
  const exporter = new Exporter({ config, logger, version: 'soak' });
  const samples: SoakSample[] = [];
  const cycleMs: number[] = [];
  let failedCycles = 0;
  const t0 = performance.now();
  try {
    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      const c0 = performance.now();
      if (!(await exporter.runOnce())) failedCycles++;
      await exporter.metrics.render();
      cycleMs.push(performance.now() - c0);
      if (cycle % options.sampleEvery === 0 || cycle === options.cycles) {
        const s = sample(cycle, gc);
        samples.push(s);
        options.onSample?.(s, options);
      }
    }
  } finally {
    await exporter.stop();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const afterWarmup = samples.filter((s) => s.cycle >= options.warmupCycles);
  const warm = summarize(afterWarmup.slice(0, 3));
  const end = summarize(afterWarmup.slice(-3));
  return {
    options,
    node: process.version,
    startedAt: startedAt.toISOString(),
    durationSeconds: (performance.now() - t0) / 1000,
    medianCycleMs: median(cycleMs),
    failedCycles,
    samples,
    warm,
    end,
    heapGrowth: end.heapUsedBytes / warm.heapUsedBytes - 1,
    rssGrowth: end.rssBytes / warm.rssBytes - 1,
    heapSlopeBytesPerCycle: slope(afterWarmup),
  };
}

const MIB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;
const pct = (ratio: number): string => `${ratio >= 0 ? '+' : ''}${(ratio * 100).toFixed(1)} %`;

/** The verdicts the soak is about: flat memory after warm-up, no growing sockets or timers. */
export function verdicts(report: SoakReport, tolerance = 0.1): Array<{ check: string; ok: boolean; detail: string }> {
  return [
    {
      check: 'heap flat after warm-up',
      ok: report.heapGrowth < tolerance,
      detail: `${mib(report.warm.heapUsedBytes)} -> ${mib(report.end.heapUsedBytes)} (${pct(report.heapGrowth)})`,
    },
    {
      check: 'RSS flat after warm-up',
      ok: report.rssGrowth < tolerance,
      detail: `${mib(report.warm.rssBytes)} -> ${mib(report.end.rssBytes)} (${pct(report.rssGrowth)})`,
    },
    {
      check: 'sockets not growing',
      ok: report.end.sockets <= report.warm.sockets,
      detail: `${report.warm.sockets} -> ${report.end.sockets}`,
    },
    {
      check: 'timers not growing',
      ok: report.end.timers <= report.warm.timers,
      detail: `${report.warm.timers} -> ${report.end.timers}`,
    },
    {
      check: 'file descriptors (sockets) not growing',
      ok: report.end.fds === undefined || report.warm.fds === undefined || report.end.fds <= report.warm.fds,
      detail: `${report.warm.fds ?? 'n/a'} -> ${report.end.fds ?? 'n/a'}`,
    },
    { check: 'every cycle succeeded', ok: report.failedCycles === 0, detail: `${report.failedCycles} failed` },
  ];
}

export function formatReport(report: SoakReport): string {
  const o = report.options;
  const lines = [
    `soak: ${o.cycles} cycles x ${o.backups} backups, simulator ${o.simulator}, node ${report.node}, started ${report.startedAt}`,
    `duration ${report.durationSeconds.toFixed(0)} s, median cycle ${report.medianCycleMs.toFixed(1)} ms (${o.backups} restore-point requests + one /metrics render)`,
    `heap slope after warm-up: ${report.heapSlopeBytesPerCycle.toFixed(1)} bytes/cycle`,
    '',
    ' cycle   heap used         rss  sockets  timers  fds  active resources',
    ...report.samples.map(
      (s) =>
        `${String(s.cycle).padStart(6)}  ${mib(s.heapUsedBytes).padStart(10)}  ${mib(s.rssBytes).padStart(10)}  ${String(s.sockets).padStart(7)}  ${String(s.timers).padStart(6)}  ${String(s.fds ?? '-').padStart(3)}  ${Object.entries(
          s.resources,
        )
          .map(([k, n]) => `${k}=${n}`)
          .join(' ')}`,
    ),
    '',
    `warm-up (cycle >= ${o.warmupCycles}) vs end:`,
    ...verdicts(report).map((v) => `  ${v.ok ? 'ok  ' : 'FAIL'} ${v.check}: ${v.detail}`),
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cycles: { type: 'string', default: '10000' },
      backups: { type: 'string', default: '200' },
      'sample-every': { type: 'string', default: '250' },
      warmup: { type: 'string', default: '1000' },
      'in-process': { type: 'boolean', default: false },
      json: { type: 'string' },
    },
    strict: true,
  });
  const int = (v: string, name: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${v}"`);
    return n;
  };
  const options: SoakOptions = {
    cycles: int(values.cycles, 'cycles'),
    backups: int(values.backups, 'backups'),
    sampleEvery: int(values['sample-every'], 'sample-every'),
    warmupCycles: int(values.warmup, 'warmup'),
    simulator: values['in-process'] ? 'in-process' : 'child',
    onSample: (s, o) =>
      process.stderr.write(
        `cycle ${s.cycle}/${o.cycles}: heap ${mib(s.heapUsedBytes)}, rss ${mib(s.rssBytes)}, sockets ${s.sockets}, timers ${s.timers}, fds ${s.fds ?? '-'}\n`,
      ),
  };
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function')
    process.stderr.write('soak: no --expose-gc; enabling gc through v8 flags\n');
  const report = await runSoak(options);
  process.stdout.write(formatReport(report));
  if (values.json) await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
  return verdicts(report).every((v) => v.ok) ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`soak failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
