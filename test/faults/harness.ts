/**
 * Shared rig of the fault-injection suite: a faulty EM and a healthy one, each a real HTTPS
 * simulator, one Exporter polling both, and checks of what /metrics and the log say per cycle.
 */
import https from 'node:https';
import type { Server } from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, expect } from 'vitest';
import type { EmConfig, ExporterConfig } from '../../src/config/types.js';
import type { Exporter } from '../../src/exporter.js';
import { simulatorCert } from '../../src/simulator/cert.js';
import {
  BACKUPS,
  PASSWORD,
  USER,
  capturingLogger,
  createExporter,
  emConfig,
  exporterConfig,
  sample,
  serveExporter as serveOnLoopback,
  startSite,
  type Site,
} from '../integration/harness.js';

export {
  BACKUPS,
  DAY,
  HOUR,
  MINUTE,
  NOW,
  PASSWORD,
  USER,
  emConfig,
  exporterConfig,
  sample,
  startSite,
  type Site,
} from '../integration/harness.js';

export const ALL_BACKUPS: readonly string[] = Object.values(BACKUPS);
/** A backup with points in siteBackups(), polled first by a cycle (config order). */
export const ONE = BACKUPS.daily;
export const OTHERS: readonly string[] = ALL_BACKUPS.filter((id) => id !== ONE);

export type LogLine = Record<string, unknown> & { level: number; msg: string };

const cleanups: Array<() => Promise<void> | void> = [];
/** Runs after the test, most recent first (exporters stop before their simulators). */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

export async function site(...args: Parameters<typeof startSite>): Promise<Site> {
  const s = await startSite(...args);
  onCleanup(() => s.close());
  return s;
}

export interface CycleResult {
  ok: boolean;
  /** /metrics right after the cycle. */
  text: string;
  /** Log lines written during the cycle. */
  lines: LogLine[];
}

export interface Rig {
  faulty: Site;
  healthy: Site;
  exporter: Exporter;
  log: ReturnType<typeof capturingLogger>;
  /** One cycle of both EMs, as a schedule tick would run it. */
  cycle(): Promise<CycleResult>;
}

export interface RigOptions {
  /** Overrides of the faulty EM's config (em01); a function gets its simulator first. */
  em?: Partial<EmConfig> | ((faulty: Site) => Partial<EmConfig>);
  poll?: Partial<ExporterConfig['poll']>;
  now?: () => number;
  /** Without the healthy second EM (em02). */
  single?: boolean;
}

/** em01 is the one faults are injected into; em02 is an identical, healthy EM that must not notice. */
export async function rig(options: RigOptions = {}): Promise<Rig> {
  const faulty = await site();
  const healthy = await site();
  const log = capturingLogger();
  const overrides = typeof options.em === 'function' ? options.em(faulty) : options.em;
  const ems = [emConfig(faulty, { name: 'em01', ...overrides })];
  if (!options.single) ems.push(emConfig(healthy, { name: 'em02' }));
  const exporter = createExporter(exporterConfig(ems, { retries: 1, ...options.poll }), log.logger, options.now);
  onCleanup(() => exporter.stop());
  let seen = 0;
  return {
    faulty,
    healthy,
    exporter,
    log,
    async cycle() {
      const ok = await exporter.runOnce();
      const text = await exporter.metrics.render();
      const all = log.lines() as LogLine[];
      const lines = all.slice(seen);
      seen = all.length;
      return { ok, text, lines };
    },
  };
}

export const WARN = 40;

/** Warn and error lines about one backup of one EM. */
export function complaints(lines: readonly LogLine[], em: string, backupId?: string): LogLine[] {
  return lines.filter(
    (l) => l.level >= WARN && l.em === em && (backupId === undefined ? true : l.backup_id === backupId),
  );
}

/**
 * The log of a cycle says, for each failed backup, exactly one warning naming the EM, the backup
 * and the reason, matching `message`; nothing about backups that did not fail.
 */
export function expectOneWarningPerFailure(
  lines: readonly LogLine[],
  em: string,
  failed: readonly string[],
  reason: string | Readonly<Record<string, string>>,
  message: RegExp,
): void {
  for (const id of failed) {
    const mine = complaints(lines, em, id);
    expect(mine, `warnings about ${em}/${id}`).toHaveLength(1);
    expect(mine[0]!.reason).toBe(typeof reason === 'string' ? reason : reason[id]);
    expect(mine[0]!.msg).toContain(`em "${em}"`);
    expect(mine[0]!.msg).toContain(id);
    expect(mine[0]!.msg).toMatch(message);
  }
  for (const id of ALL_BACKUPS.filter((b) => !failed.includes(b))) {
    expect(complaints(lines, em, id), `warnings about ${em}/${id}`).toHaveLength(0);
  }
}

/**
 * A failure of the whole EM (logon refused, EM unreachable): the cycle says so in one warning for
 * the EM, naming it, the reason and how many polls failed, matching `message`; no warning per backup.
 */
export function expectOneEmWideWarning(
  lines: readonly LogLine[],
  em: string,
  failed: readonly string[],
  reason: string,
  message: RegExp,
): void {
  const summaries = complaints(lines, em).filter((l) => l.polls_failed !== undefined);
  expect(summaries, `EM-wide warnings about ${em}`).toHaveLength(1);
  expect(summaries[0]!.reason).toBe(reason);
  expect(summaries[0]!.polls_failed).toBe(failed.length);
  expect(summaries[0]!.msg).toContain(`em "${em}"`);
  expect(summaries[0]!.msg).toMatch(message);
  for (const id of ALL_BACKUPS) expect(complaints(lines, em, id), `warnings about ${em}/${id}`).toHaveLength(0);
}

/** No stack trace, no got error object, no secret anywhere in the log. */
export function expectCleanLog(
  log: { text(): string; lines(): Array<Record<string, unknown>> },
  secrets: readonly string[] = [],
): void {
  const text = log.text();
  expect(text).not.toMatch(/\\n\s+at /); // a serialized stack frame
  expect(text).not.toMatch(/"stack"\s*:/);
  expect(text).not.toMatch(/RequestError|TimeoutError|ReadError|HTTPError|"timings"|"options"\s*:|ERR_GOT/);
  for (const line of log.lines()) expect(line.err, 'a logged error object').toBeUndefined();
  for (const secret of [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64'), ...secrets])
    expect(text).not.toContain(secret);
}

/** Every secret a simulator handed out: session ids and their tokens. */
export function sessionSecrets(...sites: Site[]): string[] {
  return sites.flatMap((s) => s.sim.sessions().flatMap((r) => [r.id, Buffer.from(r.id, 'utf8').toString('base64')]));
}

/** The healthy EM is up, every backup polled fine, nothing counted against it, nothing logged about it. */
export function expectUntouched(result: CycleResult, em = 'em02'): void {
  expect(sample(result.text, 'veeam_em_up', { em })).toBe(1);
  for (const id of ALL_BACKUPS)
    expect(sample(result.text, 'veeam_em_backup_poll_success', { em, backup_id: id })).toBe(1);
  expect(total(result.text, 'veeam_em_poll_errors_total', { em })).toBe(0);
  expect(complaints(result.lines, em)).toEqual([]);
}

/** Every backup of `em` polled fine and shows EM's values. */
export function expectRecovered(result: CycleResult, em = 'em01'): void {
  expect(sample(result.text, 'veeam_em_up', { em })).toBe(1);
  for (const id of ALL_BACKUPS)
    expect(sample(result.text, 'veeam_em_backup_poll_success', { em, backup_id: id })).toBe(1);
  expect(sample(result.text, 'veeam_em_backup_restore_points', { em, backup_id: BACKUPS.daily })).toBe(3);
  expect(sample(result.text, 'veeam_em_backup_restore_points', { em, backup_id: BACKUPS.hourly })).toBe(24);
  expect(complaints(result.lines, em)).toEqual([]);
}

/** Sum of every series of `name` whose labels include `labels`. */
export function total(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export function errorsTotal(text: string, em: string, reason: string): number {
  return sample(text, 'veeam_em_poll_errors_total', { em, reason }) ?? 0;
}

export function requestsTotal(text: string, em: string, endpoint: string, code: string): number {
  return sample(text, 'veeam_em_api_requests_total', { em, endpoint, code }) ?? 0;
}

/** A free loopback port nobody listens on (yet): bound, read and released. */
export async function reservePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Catcher {
  url: string;
  seen: Array<{ method: string; url: string; headers: Record<string, unknown> }>;
}

/** Another HTTPS host, trusted like the simulator, that records whatever reaches it. */
/** Listens on a free loopback port; the server and its connections are closed after the test. */
export async function listenUntilCleanup(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return (server.address() as AddressInfo).port;
}

export async function startCatcher(): Promise<Catcher> {
  const { key, cert } = await simulatorCert();
  const seen: Catcher['seen'] = [];
  const server = https.createServer({ key, cert }, (req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } });
    res
      .writeHead(200, { 'content-type': 'application/xml' })
      .end('<RestorePoints xmlns="http://www.veeam.com/ent/v1.0"/>');
  });
  const port = await listenUntilCleanup(server);
  // `localhost` is on the simulator's certificate, so a followed redirect would succeed at TLS level.
  return { url: `https://localhost:${port}`, seen };
}

/** The exporter's own HTTP endpoints on loopback, as main serves them; closed after the test. */
export async function serveExporter(exporter: Exporter): Promise<string> {
  const server = await serveOnLoopback(exporter, { logger: capturingLogger().logger });
  onCleanup(() => server.close());
  return server.base;
}
