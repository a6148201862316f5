import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { EmConfig, ExporterConfig } from '../../src/config/types.js';
import { Exporter } from '../../src/exporter.js';
import { createHttpServer } from '../../src/server/index.js';
import {
  EmSimulator,
  type SimBackup,
  type SimulatorOptions,
  type StartedSimulator,
} from '../../src/simulator/index.js';

export const USER = 'EM01\\svc_monitor';
// Characters that break naive regexes, HTML and JSON, so a leak cannot hide behind escaping.
export const PASSWORD = 'p@ss"w0rd<&>$^.*\\';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A fixed "now" on a whole minute, so SQL Server style names (minute precision) lose nothing. */
export const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

export const BACKUPS = {
  daily: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
  hourly: '3c9e2a41-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
  weekly: '7b6a400c-452c-41d1-bb81-ea682e89492d',
  empty: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
} as const;

/** Three backups with points (listed out of order, as EM may) and one without any. */
export function siteBackups(now = NOW): SimBackup[] {
  return [
    {
      id: BACKUPS.daily,
      name: 'Daily VM Backup',
      restorePoints: [now - 2 * DAY - 5 * HOUR, now - 5 * HOUR, now - DAY - 5 * HOUR],
    },
    {
      id: BACKUPS.hourly,
      name: 'Hourly "SQL" Backup',
      platform: 'HyperV',
      backupServer: 'vbr02.example.local',
      repository: 'SOBR Performance Tier',
      restorePoints: Array.from({ length: 24 }, (_, i) => now - 30 * MINUTE - i * HOUR),
    },
    {
      id: BACKUPS.weekly,
      name: 'Weekly File Server',
      platform: 'AgentForWindows',
      repository: 'Old NAS <Repository>',
      restorePoints: [now - 9 * DAY, now - 2 * DAY],
    },
    { id: BACKUPS.empty, name: 'New Agent Backup', restorePoints: [] },
  ];
}

export interface Site {
  sim: EmSimulator;
  started: StartedSimulator;
  caFile: string;
  dir: string;
  close(): Promise<void>;
}

export async function startSite(options: SimulatorOptions = {}): Promise<Site> {
  const sim = new EmSimulator({ users: [{ username: USER, password: PASSWORD }], backups: siteBackups(), ...options });
  const started = await sim.start();
  const dir = await mkdtemp(join(tmpdir(), 'vee-it-'));
  const caFile = join(dir, 'em-ca.pem');
  await writeFile(caFile, started.caPem);
  return {
    sim,
    started,
    caFile,
    dir,
    async close() {
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function emConfig(site: Site, overrides: Partial<EmConfig> = {}): EmConfig {
  return {
    name: 'em01',
    url: site.started.url,
    username: USER,
    password: PASSWORD,
    apiVersion: 'latest',
    format: 'xml',
    restorePoints: 'entity',
    tls: { caFile: site.caFile, insecureSkipVerify: false },
    backups: [
      { id: BACKUPS.daily, rpoSeconds: 26 * 3600 },
      { id: BACKUPS.hourly, rpoSeconds: 2 * 3600 },
      { id: BACKUPS.weekly, rpoSeconds: 8 * 86400 },
      { id: BACKUPS.empty, rpoSeconds: 26 * 3600 },
    ],
    ...overrides,
  };
}

export function exporterConfig(ems: EmConfig[], poll: Partial<ExporterConfig['poll']> = {}): ExporterConfig {
  return {
    poll: {
      schedule: '*/5 * * * *',
      concurrency: 4,
      timeoutMs: 5_000,
      retries: 1,
      metadataRefreshMs: 3_600_000,
      ...poll,
    },
    defaults: { rpoSeconds: 26 * 3600 },
    enterpriseManagers: ems,
  };
}

/** A JSON logger whose every line is kept, for assertions on what the exporter says. */
export function capturingLogger(): { logger: pino.Logger; text(): string; lines(): Array<Record<string, unknown>> } {
  let written = '';
  const logger = pino({ level: 'debug' }, { write: (s: string) => void (written += s) });
  return {
    logger,
    text: () => written,
    lines: () =>
      written
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export function createExporter(config: ExporterConfig, logger: pino.Logger, now: () => number = () => NOW): Exporter {
  return new Exporter({ config, logger, version: '0.0.0-test', now });
}

/** Sample value of one series, found by metric name and a subset of its labels. */
export function sample(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/**
 * Makes an exposition comparable across runs and machines: drops the runtime's own families, pins the
 * Node.js version label and replaces measured request durations by those of instant requests.
 */
export function normalizeExposition(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (/^(# (HELP|TYPE) )?(process_|nodejs_)/.test(line)) continue;
    let l = line.replace(/nodejs_version="[^"]*"/, 'nodejs_version="vX"');
    if (l.startsWith('veeam_em_api_request_duration_seconds_sum')) l = l.replace(/ [^ ]+$/, ' 0');
    out.push(l);
  }
  // Every bucket of an instant request counts it: bucket values equal the series' _count.
  const counts = new Map<string, string>();
  for (const l of out) {
    const m = /^veeam_em_api_request_duration_seconds_count\{(.*)\} (\S+)$/.exec(l);
    if (m) counts.set(m[1]!, m[2]!);
  }
  return out
    .map((l) => {
      const m = /^veeam_em_api_request_duration_seconds_bucket\{(.*)\} \S+$/.exec(l);
      if (!m) return l;
      const labels = m[1]!.replace(/(^|,)le="[^"]*"/, '').replace(/^,/, '');
      return l.replace(/ \S+$/, ` ${counts.get(labels) ?? 'NaN'}`);
    })
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
}

/** The exporter's own endpoints on a free loopback port, wired as main wires them. */
export async function serveExporter(
  exporter: Exporter,
  options: { logger?: pino.Logger; version?: string; now?: () => number } = {},
): Promise<{ base: string; close(): Promise<void> }> {
  const server = createHttpServer({
    telemetryPath: '/metrics',
    render: async () => ({ contentType: exporter.metrics.contentType, body: await exporter.metrics.render() }),
    state: exporter.state,
    vms: () => exporter.vms.ems(),
    isReady: () => exporter.isReady(),
    version: options.version ?? 'test',
    schedule: exporter.schedule,
    logger: options.logger ?? pino({ level: 'silent' }),
    now: options.now,
  });
  const { port } = await server.listen('127.0.0.1', 0);
  return { base: `http://127.0.0.1:${port}`, close: () => server.close() };
}

/** A config file's text for one EM on `site`, the password taken from ${VEEAM_EM_PASSWORD}. */
export function configYaml(site: Site, backups: string[], pollLines: string[] = []): string {
  return [
    ...(pollLines.length > 0 ? ['poll:', ...pollLines.map((l) => `  ${l}`)] : []),
    'enterpriseManagers:',
    '  - name: em01',
    `    url: ${site.started.url}`,
    `    username: '${USER}'`,
    '    password: ${VEEAM_EM_PASSWORD}',
    '    tls:',
    `      caFile: ${site.caFile}`,
    '    backups:',
    ...backups.map((b) => `      - ${b}`),
    '',
  ].join('\n');
}
