/**
 * A benchmark site: a simulated Enterprise Manager in its own process and an exporter config file
 * that watches every backup it holds, written as an operator would write it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forkIpc, type IpcChild } from './children.js';

export const SIM_USER = 'EM01\\svc_bench';
export const SIM_PASSWORD = 'bench-secret';
/** The config names the password through this variable, as production configs do. */
export const PASSWORD_ENV = 'BENCH_EM_PASSWORD';

export interface SimStart {
  count: number;
  pointsPerBackup: number;
  seed: string;
  /** Delay before every answer, logon and logout included. */
  latencyMs: number;
}

export interface SimStarted {
  url: string;
  caPem: string;
  ids: string[];
}

/** Requests since the last reset, by what they asked for. */
export interface SimCounts {
  total: number;
  logon: number;
  logout: number;
  backup: number;
  restorePoints: number;
  query: number;
  other: number;
}

export type RestorePointMode = 'entity' | 'reference' | 'query';

export interface ConfigOptions {
  concurrency: number;
  restorePoints: RestorePointMode;
  format?: 'xml' | 'json';
  /** Default: once a year, so no scheduled cycle runs during a measurement. */
  schedule?: string;
}

export interface Site {
  sim: IpcChild;
  started: SimStarted;
  dir: string;
  caFile: string;
  counts(reset?: boolean): Promise<SimCounts>;
  /** Writes a config file for these options and returns its path. */
  writeConfig(options: ConfigOptions): Promise<string>;
  close(): Promise<void>;
}

export async function startSite(start: SimStart): Promise<Site> {
  const sim = await forkIpc('bench/sim-child.js');
  let dir: string | undefined;
  try {
    const started = await sim.call<SimStarted>({ cmd: 'start', ...start }, 120_000);
    dir = await mkdtemp(join(tmpdir(), 'veeam-em-bench-'));
    const caFile = join(dir, 'em-ca.pem');
    await writeFile(caFile, started.caPem, { mode: 0o600 });
    const siteDir = dir;
    let written = 0;
    return {
      sim,
      started,
      dir: siteDir,
      caFile,
      counts: (reset = false) => sim.call<SimCounts>({ cmd: 'counts', reset }),
      async writeConfig(options) {
        const path = join(siteDir, `config-${++written}.yaml`);
        await writeFile(path, configText(started, caFile, options), { mode: 0o600 });
        return path;
      },
      async close() {
        await sim.call({ cmd: 'stop' }, 10_000).catch(() => undefined);
        await sim.stop();
        await rm(siteDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await sim.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** YAML is a superset of JSON: a JSON document is a valid config file and needs no quoting rules. */
export function configText(started: SimStarted, caFile: string, options: ConfigOptions): string {
  const config = {
    poll: {
      schedule: options.schedule ?? '0 0 1 1 *',
      concurrency: options.concurrency,
      timeout: '60s',
      retries: 2,
      metadataRefresh: '1h',
    },
    defaults: { rpo: '26h' },
    enterpriseManagers: [
      {
        name: 'em01',
        url: started.url,
        username: SIM_USER,
        password: `\${${PASSWORD_ENV}}`,
        format: options.format ?? 'xml',
        restorePoints: options.restorePoints,
        tls: { caFile },
        backups: started.ids,
      },
    ],
  };
  return `${JSON.stringify(config, null, 1)}\n`;
}
