/**
 * Lean and responsive: what the exporter costs in memory and CPU, each figure beside its target.
 *
 * - memory of the exporter process (the Exporter class behind the HTTP server main.js puts in front
 *   of it, in a process of its own): idle before any poll, after the first cycle, steady after more
 *   cycles, and the peak (VmHWM), in entity and query mode;
 * - CPU of one scrape: the first after a poll cycle against one that finds nothing new, and an idle
 *   gzip scrape against its floor (compressing the lines that change at every scrape plus sending
 *   stored bytes, measured in a bare server process in the same run);
 * - CPU per EM request, XML and JSON, beside a bare node:https client reading the same answers;
 * - one large site, first cycle only: its time per backup against the smallest site's, and its peak.
 *
 * CPU figures are each process's own `process.cpuUsage()` (user + system, thread pool included),
 * asked for over IPC just before and after what is measured, so the load generator and the
 * simulator, which run elsewhere, do not count.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFIG_DEFAULTS } from '../config/index.js';
import { ROOT, forkIpc, type IpcChild } from './children.js';
import type { BareClientFigures } from './bare-client.js';
import type { CycleFigures } from './cycle-child.js';
import { bytes, num, type Cell, type ScenarioResult, type Table, type TargetCheck } from './report.js';
import { fetchRaw, type Captured } from './scrape.js';
import { SIM_PASSWORD, SIM_USER, PASSWORD_ENV, startSite, type RestorePointMode, type Site } from './site.js';

export interface LeanOptions {
  /** Sites whose memory is measured in every mode; the targets name the smallest and the largest. */
  sizes: number[];
  modes: RestorePointMode[];
  /** Cycles after the first before the steady figures are read. */
  steadyCycles: number;
  /** The size at which scrapes and EM requests are costed (JSON and the bare client included). */
  costSize: number;
  /** Scrapes per figure; the median is shown. */
  scrapes: number;
  /** One entity-mode first cycle at this size, for peak and linearity; undefined: none. */
  bigSize: number | undefined;
  concurrency: number;
  pointsPerBackup: number;
  /** The large site is skipped when the scenario has run longer than this. */
  budgetSeconds: number;
}

export const LEAN_FULL: LeanOptions = {
  sizes: [1_000, 10_000],
  modes: ['entity', 'query'],
  steadyCycles: 2,
  costSize: 10_000,
  scrapes: 7,
  bigSize: 50_000,
  concurrency: CONFIG_DEFAULTS.concurrency,
  pointsPerBackup: 14,
  budgetSeconds: 360,
};
export const LEAN_QUICK: LeanOptions = {
  sizes: [10, 20],
  modes: ['entity', 'query'],
  steadyCycles: 2,
  costSize: 20,
  scrapes: 3,
  bigSize: 50,
  concurrency: CONFIG_DEFAULTS.concurrency,
  pointsPerBackup: 5,
  budgetSeconds: 60,
};

const MiB = 2 ** 20;
/** The family whose lines change at every scrape (ages count to the scrape's own instant). */
const AGE_FAMILY_PREFIX = 'veeam_em_backup_newest_restore_point_age_seconds{';
const GZIP = { 'accept-encoding': 'gzip' };

type Memory = Pick<CycleFigures, 'maxRssBytes' | 'rssBytes' | 'heapUsedBytes'>;
type Format = 'xml' | 'json';

interface Run {
  size: number;
  mode: RestorePointMode;
  format: Format;
}

interface CycleCost {
  wallMs: number;
  cpuMs: number;
  requests: number;
}

interface ScrapeSample {
  cpuMs: number;
  wallMs: number;
  bytes: number;
}

interface ScrapeCost {
  firstAfterCycle: ScrapeSample[];
  idleGzip: ScrapeSample[];
  idleIdentity: ScrapeSample[];
  floor: { deflateMs: number; ageBytes: number; ageGzipBytes: number; send: ScrapeSample[] };
}

interface RunFigures {
  run: Run;
  idle: Memory;
  afterFirst: Memory;
  /** After the steady cycles (and the scrapes, where taken); undefined for a first-cycle-only run. */
  steady?: Memory;
  first: CycleCost;
  steadyCycles: CycleCost[];
  scrape?: ScrapeCost;
}

interface BareFigures {
  format: Format;
  figures: BareClientFigures;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One request, with the CPU the serving process spent on it (asked for just before and after). */
async function costed(
  server: IpcChild,
  url: string,
  headers: Record<string, string>,
): Promise<ScrapeSample & { answer: Captured }> {
  const before = await server.call<number>({ cmd: 'cpu' });
  const t0 = performance.now();
  const answer = await fetchRaw(url, headers);
  const wallMs = performance.now() - t0;
  const after = await server.call<number>({ cmd: 'cpu' });
  if (answer.status !== 200) throw new Error(`${url} answered ${answer.status}`);
  return { cpuMs: (after - before) / 1000, wallMs, bytes: answer.body.length, answer };
}

async function samples(
  server: IpcChild,
  url: string,
  headers: Record<string, string>,
  n: number,
): Promise<ScrapeSample[]> {
  const out: ScrapeSample[] = [];
  for (let i = 0; i < n; i++) {
    const { answer: _answer, ...sample } = await costed(server, url, headers);
    out.push(sample);
  }
  return out;
}

const SHIPPED_KEYS = ['NODE_OPTIONS', 'MALLOC_ARENA_MAX'] as const;

/**
 * The memory settings the image sets in its ENV (the systemd unit and the replay in .ci/docker-steps
 * name the same, test/deploy/docker.test.ts checks it), so the exporter is measured as it ships.
 */
export async function shippedMemorySettings(): Promise<Record<string, string>> {
  const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
  const settings: Record<string, string> = {};
  for (const line of dockerfile.split('\n')) {
    if (line.trimStart().startsWith('#')) continue;
    for (const key of SHIPPED_KEYS) {
      const found = new RegExp(`\\b${key}=(\\S+)`).exec(line);
      if (found?.[1] !== undefined) settings[key] = found[1];
    }
  }
  for (const key of SHIPPED_KEYS) if (settings[key] === undefined) throw new Error(`Dockerfile: no ${key} in ENV`);
  return settings;
}

async function cycle(child: IpcChild, site: Site, what: string): Promise<CycleCost> {
  const figures = await child.call<CycleFigures>({ cmd: 'cycle' }, 900_000);
  const counts = await site.counts(true);
  if (!figures.ok) throw new Error(`${what}: a cycle had failed polls`);
  return { wallMs: figures.wallMs, cpuMs: figures.cpuMs, requests: counts.total };
}

/** The floor of an idle gzip scrape, in a bare server process: deflate the age lines, send stored bytes. */
async function gzipFloor(site: Site, identity: Buffer, gzipAnswer: Captured, n: number): Promise<ScrapeCost['floor']> {
  const ageLines = identity
    .toString('utf8')
    .split('\n')
    .filter((l) => l.startsWith(AGE_FAMILY_PREFIX))
    .join('\n');
  const ageFile = join(site.dir, 'age-lines.txt');
  const bodyFile = join(site.dir, 'metrics.gz');
  await writeFile(ageFile, `${ageLines}\n`);
  await writeFile(bodyFile, gzipAnswer.body);
  const bare = await forkIpc('bench/bare-server.js');
  try {
    const deflate = await bare.call<{ cpuMs: number; inputBytes: number; compressedBytes: number }>({
      cmd: 'deflate',
      file: ageFile,
      repeat: n,
      level: 1,
    });
    const port = await bare.call<number>({ cmd: 'serve', file: bodyFile, headers: gzipAnswer.headers });
    const send = await samples(bare, `http://127.0.0.1:${port}/metrics`, GZIP, n);
    return { deflateMs: deflate.cpuMs, ageBytes: deflate.inputBytes, ageGzipBytes: deflate.compressedBytes, send };
  } finally {
    await bare.call({ cmd: 'stop' }, 5_000).catch(() => undefined);
    await bare.stop();
  }
}

async function measureRun(
  site: Site,
  run: Run,
  options: LeanOptions,
  steadyCycles: number,
  costScrapes: boolean,
  shipped: Record<string, string>,
): Promise<RunFigures> {
  const configFile = await site.writeConfig({
    concurrency: options.concurrency,
    restorePoints: run.mode,
    format: run.format,
  });
  const child = await forkIpc('bench/cycle-child.js', [], [], { ...process.env, ...shipped });
  const what = `${run.mode} mode, ${run.format}, ${run.size} backups`;
  try {
    await child.call({ cmd: 'prepare', configFile, env: { [PASSWORD_ENV]: SIM_PASSWORD } });
    const { port } = await child.call<{ port: number }>({ cmd: 'serve' });
    const url = `http://127.0.0.1:${port}/metrics`;
    const idle = await child.call<Memory>({ cmd: 'memory' });
    await site.counts(true);
    const first = await cycle(child, site, what);
    const afterFirst = await child.call<Memory>({ cmd: 'memory' });
    const steady: CycleCost[] = [];
    const firstAfterCycle: ScrapeSample[] = [];
    // A running exporter is scraped before every cycle: without this scrape, the first one measured
    // would be the process's first render of all, not the first after a cycle.
    if (costScrapes) await fetchRaw(url, GZIP);
    for (let i = 0; i < steadyCycles; i++) {
      steady.push(await cycle(child, site, what));
      if (costScrapes) firstAfterCycle.push(...(await samples(child, url, GZIP, 1)));
    }
    let scrape: ScrapeCost | undefined;
    if (costScrapes) {
      const idleGzip = await samples(child, url, GZIP, options.scrapes);
      const idleIdentity = await samples(child, url, {}, options.scrapes);
      const gzipAnswer = (await costed(child, url, GZIP)).answer;
      const identity = (await fetchRaw(url, {})).body;
      scrape = {
        firstAfterCycle,
        idleGzip,
        idleIdentity,
        floor: await gzipFloor(site, identity, gzipAnswer, options.scrapes),
      };
    }
    const memory = await child.call<Memory>({ cmd: 'memory' });
    return {
      run,
      idle,
      afterFirst,
      steady: steadyCycles > 0 ? memory : undefined,
      first,
      steadyCycles: steady,
      scrape,
    };
  } finally {
    await child.call({ cmd: 'stop' }, 15_000).catch(() => undefined);
    await child.stop();
  }
}

async function bareClient(site: Site, format: Format, concurrency: number): Promise<BareFigures> {
  const client = await forkIpc('bench/bare-client.js');
  try {
    const figures = await client.call<BareClientFigures>(
      {
        cmd: 'run',
        url: site.started.url,
        caPem: site.started.caPem,
        username: SIM_USER,
        password: SIM_PASSWORD,
        ids: site.started.ids,
        format,
        concurrency,
      },
      900_000,
    );
    await site.counts(true);
    return { format, figures };
  } finally {
    await client.call({ cmd: 'stop' }, 5_000).catch(() => undefined);
    await client.stop();
  }
}

function perRequest(cycles: CycleCost[]): number | undefined {
  const requests = cycles.reduce((s, c) => s + c.requests, 0);
  return requests === 0 ? undefined : cycles.reduce((s, c) => s + c.cpuMs, 0) / requests;
}

export async function runLean(options: LeanOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const runs: RunFigures[] = [];
  const bare: BareFigures[] = [];
  const shipped = await shippedMemorySettings();
  let bigSkipped = false;
  for (const size of options.sizes) {
    const site = await startSite({
      count: size,
      pointsPerBackup: options.pointsPerBackup,
      seed: `lean-${size}`,
      latencyMs: 0,
    });
    try {
      for (const mode of options.modes) {
        const costHere = size === options.costSize && mode === 'entity';
        runs.push(
          await measureRun(site, { size, mode, format: 'xml' }, options, options.steadyCycles, costHere, shipped),
        );
      }
      if (size === options.costSize) {
        runs.push(
          await measureRun(
            site,
            { size, mode: 'entity', format: 'json' },
            options,
            options.steadyCycles,
            false,
            shipped,
          ),
        );
        for (const format of ['xml', 'json'] as const) bare.push(await bareClient(site, format, options.concurrency));
      }
    } finally {
      await site.close();
    }
  }
  if (options.bigSize !== undefined) {
    if ((Date.now() - started) / 1000 > options.budgetSeconds) bigSkipped = true;
    else {
      const site = await startSite({
        count: options.bigSize,
        pointsPerBackup: options.pointsPerBackup,
        seed: `lean-${options.bigSize}`,
        latencyMs: 0,
      });
      try {
        runs.push(
          await measureRun(site, { size: options.bigSize, mode: 'entity', format: 'xml' }, options, 0, false, shipped),
        );
      } finally {
        await site.close();
      }
    }
  }
  return {
    name: 'Memory and CPU',
    tables: tables(runs, bare, options, bigSkipped, shipped),
    targets: targets(runs, bare, options),
  };
}

function tables(
  runs: RunFigures[],
  bare: BareFigures[],
  options: LeanOptions,
  bigSkipped: boolean,
  shipped: Record<string, string>,
): Table[] {
  const memory: Table = {
    title: `Exporter process memory and poll cost, simulated EM answering at once, concurrency ${options.concurrency}`,
    columns: [
      'mode',
      'format',
      'backups',
      'idle RSS',
      'RSS after first cycle',
      'steady RSS',
      'peak RSS',
      'first cycle s',
      'steady cycle s',
      'CPU ms/request first',
      'CPU ms/request steady',
    ],
    rows: runs.map((r): Cell[] => [
      r.run.mode,
      r.run.format.toUpperCase(),
      num(r.run.size),
      bytes(r.idle.rssBytes),
      bytes(r.afterFirst.rssBytes),
      r.steady ? bytes(r.steady.rssBytes) : '–',
      bytes((r.steady ?? r.afterFirst).maxRssBytes),
      num(r.first.wallMs / 1000, 2),
      r.steadyCycles.length > 0 ? num(median(r.steadyCycles.map((c) => c.wallMs)) / 1000, 2) : '–',
      num(perRequest([r.first]), 2),
      num(perRequest(r.steadyCycles), 2),
    ]),
    notes: [
      `The exporter runs with the memory settings it ships with (${Object.entries(shipped)
        .map(([k, v]) => `\`${k}=${v}\``)
        .join(', ')}, from the Dockerfile; docs/scaling.md#memory-settings).`,
      `The Exporter class with the HTTP server main.js puts in front of it, in a process of its own, polling a simulated EM (another process) that answers without delay; ${options.pointsPerBackup} restore points per backup, poll.concurrency ${options.concurrency} (the default), every other poll setting as an operator would write it.`,
      `idle = resident set once the config is loaded and /metrics listens, before any poll. steady = after the first cycle and ${options.steadyCycles} more (and, at ${num(options.costSize)} backups in entity mode, the scrapes of the next table). peak = the process's VmHWM (\`process.resourceUsage().maxRSS\`) at the end; for the ${options.bigSize === undefined ? 'large' : num(options.bigSize)}-backup run, which polls once, that is the first cycle's peak.`,
      "CPU ms/request = the exporter process's CPU time during the cycle ÷ EM requests counted at the simulator; a steady cycle reads restore points only (metadata is re-read after poll.metadataRefresh, 1 h).",
      ...(bigSkipped
        ? [
            `The ${num(options.bigSize)}-backup run was skipped: the scenario had run longer than its budget of ${options.budgetSeconds} s.`,
          ]
        : []),
    ],
  };
  const cost = runs.find((r) => r.scrape !== undefined);
  const s = cost?.scrape;
  const row = (what: string, list: ScrapeSample[] | undefined, note: string): Cell[] => [
    what,
    list ? num(median(list.map((x) => x.cpuMs)), 2) : '–',
    list ? num(median(list.map((x) => x.wallMs)), 2) : '–',
    list ? bytes(list[0]?.bytes) : '–',
    list ? num(list.length) : '–',
    note,
  ];
  const floor = s ? s.floor.deflateMs + median(s.floor.send.map((x) => x.cpuMs)) : undefined;
  const scrape: Table = {
    title: `CPU of one scrape at ${num(options.costSize)} backups (entity mode), one scraper`,
    columns: ['scrape', 'CPU ms (median)', 'wall ms (median)', 'bytes', 'samples', 'process'],
    rows: [
      row('gzip, first after a poll cycle', s?.firstAfterCycle, 'exporter'),
      row('gzip, idle', s?.idleGzip, 'exporter'),
      row('identity, idle', s?.idleIdentity, 'exporter'),
      [
        'floor: gzip of the age lines',
        s ? num(s.floor.deflateMs, 2) : '–',
        '–',
        s ? `${bytes(s.floor.ageBytes)} → ${bytes(s.floor.ageGzipBytes)}` : '–',
        s ? num(options.scrapes) : '–',
        'bare server',
      ],
      row('floor: sending the stored gzip body', s?.floor.send, 'bare server'),
      ['floor: total', num(floor, 2), '–', '–', '–', '–'],
    ],
    notes: [
      "CPU = the serving process's `process.cpuUsage()` asked for over IPC just before and after the request (the IPC round trip, well under 0.1 ms, is in every figure alike). Scrapes are sequential, from the benchmark process.",
      `first after a poll cycle: one scrape right after each of the ${options.steadyCycles} steady cycles; idle: the following scrapes, with no cycle in between.`,
      "floor = what an idle gzip scrape cannot avoid: compressing the lines that change at every scrape (the age family, at the exporter's gzip level 1) plus sending the stored bytes of the rest, both measured in a bare node:http server process in this run.",
    ],
  };
  const exporterRow = (format: Format): Cell[] => {
    const r = runs.find((x) => x.run.size === options.costSize && x.run.mode === 'entity' && x.run.format === format);
    const steady = r?.steadyCycles ?? [];
    return [
      'exporter (steady cycles)',
      format.toUpperCase(),
      num(steady.reduce((a, c) => a + c.requests, 0)),
      num(perRequest(steady), 3),
      steady.length > 0 ? num(median(steady.map((c) => c.wallMs)) / 1000, 2) : '–',
    ];
  };
  const bareRow = (format: Format): Cell[] => {
    const b = bare.find((x) => x.format === format)?.figures;
    return [
      'bare node:https client',
      format.toUpperCase(),
      num(b?.requests),
      b ? num(b.cpuMs / b.requests, 3) : '–',
      b ? num(b.wallMs / 1000, 2) : '–',
    ];
  };
  const perEm: Table = {
    title: `CPU per EM request at ${num(options.costSize)} backups, entity mode`,
    columns: ['client', 'format', 'requests', 'CPU ms/request', 'wall s'],
    rows: [exporterRow('xml'), bareRow('xml'), exporterRow('json'), bareRow('json')],
    notes: [
      `The bare client (a process of its own, node:https, keep-alive, ${options.concurrency} connections) logs on and reads every backup's restore points, as a steady cycle does, from the same simulator; it parses JSON with JSON.parse and scans XML for each point's BackupDateUTC, nothing more: the floor of what any client pays for TLS, HTTP and reading the bytes.`,
      'The exporter figure is its CPU during the steady cycles ÷ their requests (per cycle, one request per backup).',
    ],
  };
  return [memory, scrape, perEm];
}

function check(
  target: string,
  value: number | undefined,
  limit: number,
  measured: string,
  whyMissed?: string,
): TargetCheck {
  return {
    target,
    measured: value === undefined || !Number.isFinite(value) ? 'not measured' : measured,
    met: value === undefined || !Number.isFinite(value) ? undefined : value <= limit,
    whyMissed,
  };
}

function targets(runs: RunFigures[], bare: BareFigures[], options: LeanOptions): TargetCheck[] {
  const out: TargetCheck[] = [];
  const small = Math.min(...options.sizes);
  const large = Math.max(...options.sizes);
  const find = (size: number, mode: RestorePointMode, format: Format = 'xml') =>
    runs.find((r) => r.run.size === size && r.run.mode === mode && r.run.format === format);
  const mib = (b: number | undefined) => (b === undefined ? undefined : b / MiB);
  const idleRun = find(small, 'entity');
  out.push(
    check(
      'idle process RSS ≤ 90 MiB',
      mib(idleRun?.idle.rssBytes),
      90,
      `${num(mib(idleRun?.idle.rssBytes))} MiB (config of ${num(small)} backups loaded, /metrics listening, nothing polled)`,
      "Node.js itself, TLS, the loaded modules (got, zod, pino, prom-client, the XML parser) and V8's initial heap, before any backup is polled.",
    ),
  );
  for (const mode of options.modes) {
    const sm = find(small, mode);
    for (const kind of ['steady', 'peak'] as const) {
      const value = kind === 'steady' ? sm?.steady?.rssBytes : sm?.steady?.maxRssBytes;
      out.push(
        check(`${mode} mode, ${num(small)} backups: ${kind} RSS ≤ 110 MiB`, mib(value), 110, `${num(mib(value))} MiB`),
      );
    }
    const lg = find(large, mode);
    out.push(
      check(
        `${mode} mode, ${num(large)} backups: steady RSS ≤ 150 MiB`,
        mib(lg?.steady?.rssBytes),
        150,
        `${num(mib(lg?.steady?.rssBytes))} MiB`,
      ),
    );
    out.push(
      check(
        `${mode} mode, ${num(large)} backups: peak RSS ≤ 200 MiB`,
        mib(lg?.steady?.maxRssBytes),
        200,
        `${num(mib(lg?.steady?.maxRssBytes))} MiB`,
        mode === 'query'
          ? 'query mode holds pages of 1,000 restore points (about 1 MB of XML each, and their parsed trees) in flight, one per concurrent request.'
          : 'the heap grows during a cycle (V8 collects the garbage of many answers late) on top of what the idle process already holds, and the process keeps that memory resident after the cycle.',
      ),
    );
  }

  const s = runs.find((r) => r.scrape !== undefined)?.scrape;
  const firstMs = s ? median(s.firstAfterCycle.map((x) => x.cpuMs)) : undefined;
  const idleMs = s ? median(s.idleGzip.map((x) => x.cpuMs)) : undefined;
  const ratio = firstMs !== undefined && idleMs !== undefined ? firstMs / idleMs : undefined;
  out.push(
    check(
      `${num(options.costSize)} backups: first scrape after a poll cycle ≤ 2× an idle scrape (CPU, gzip)`,
      ratio,
      2,
      `${num(ratio, 2)}× (${num(firstMs, 1)} vs ${num(idleMs, 1)} ms)`,
      "the first scrape after a poll cycle writes and compresses the last success time of every backup afresh (a poll that finds nothing new keeps the rest of a backup's rendered bytes), and collects the garbage the cycle left.",
    ),
  );
  const floor = s ? s.floor.deflateMs + median(s.floor.send.map((x) => x.cpuMs)) : undefined;
  const gzipRatio = idleMs !== undefined && floor !== undefined ? idleMs / floor : undefined;
  out.push(
    check(
      `${num(options.costSize)} backups: idle gzip scrape ≤ 1.5× its floor (CPU)`,
      gzipRatio,
      1.5,
      `${num(gzipRatio, 2)}× (${num(idleMs, 1)} vs ${num(floor, 1)} ms: gzip of the age lines ${num(s?.floor.deflateMs, 1)} + sending ${num(s ? median(s.floor.send.map((x) => x.cpuMs)) : undefined, 1)})`,
      'what the exporter does at an idle scrape beyond compressing the age lines and sending stored bytes (writing every age into its prepared line, the process metrics prom-client collects, the per-EM gauges, assembling the parts) costs more than the floor leaves room for.',
    ),
  );
  for (const [format, limit] of [
    ['xml', 0.9],
    ['json', 0.5],
  ] as const) {
    const r = find(options.costSize, 'entity', format);
    const value = r ? perRequest(r.steadyCycles) : undefined;
    const b = bare.find((x) => x.format === format)?.figures;
    out.push(
      check(
        `${num(options.costSize)} backups, ${format.toUpperCase()}: poll CPU ≤ ${limit} ms per EM request`,
        value,
        limit,
        `${num(value, 3)} ms (bare node:https client: ${b ? num(b.cpuMs / b.requests, 3) : '–'} ms)`,
        "the exporter's HTTP client and parser spend more per request than the TLS, HTTP and reading of the bytes the bare client pays too; the gap between the two figures is what an optimisation can win.",
      ),
    );
  }

  const big = options.bigSize === undefined ? undefined : find(options.bigSize, 'entity');
  const bigLabel = num(options.bigSize);
  out.push(
    check(
      `${bigLabel} backups on defaults: first-cycle peak RSS ≤ 500 MiB`,
      mib(big?.afterFirst.maxRssBytes),
      500,
      `${num(mib(big?.afterFirst.maxRssBytes))} MiB (first cycle ${num(big ? big.first.wallMs / 1000 : undefined, 1)} s)`,
    ),
  );
  const smallFirst = idleRun ? idleRun.first.wallMs / small : undefined;
  const bigFirst = big && options.bigSize ? big.first.wallMs / options.bigSize : undefined;
  const growth = smallFirst !== undefined && bigFirst !== undefined ? bigFirst / smallFirst : undefined;
  const mid = find(large, 'entity');
  out.push(
    check(
      `cycle time linear from ${num(small)} to ${bigLabel} backups (first cycle per backup within 1.25× of ${num(small)})`,
      growth,
      1.25,
      `${num(growth, 2)}× (${num(smallFirst, 3)} ms per backup at ${num(small)}, ${mid ? `${num(mid.first.wallMs / large, 3)} at ${num(large)}, ` : ''}${num(bigFirst, 3)} at ${bigLabel})`,
      'the cost per backup grows with the number of backups: something in the cycle is worse than linear.',
    ),
  );
  return out;
}
