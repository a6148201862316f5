import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDuration } from '../config/index.js';
import { isLoopbackHost } from '../config/em-url.js';
import type { ExporterConfig } from '../config/types.js';
import { EmSimulator } from '../simulator/index.js';
import { DEMO_UNKNOWN_BACKUP_ID, demoBackups } from './demo-backups.js';

const DEMO_USER = { username: 'DEMO\\svc_monitor', password: 'demo-password' };

export interface RunningDemo {
  config: ExporterConfig;
  simulatorUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts the simulated Enterprise Manager on loopback with the demo site and returns a config that
 * watches it, trusting its certificate through a CA file exactly as a production config would.
 */
export async function startDemo(now = Date.now()): Promise<RunningDemo> {
  const backups = demoBackups(now);
  const simulator = new EmSimulator({ host: '127.0.0.1', users: [DEMO_USER], backups });
  const started = await simulator.start();
  const dir = await mkdtemp(join(tmpdir(), 'veeam-em-exporter-demo-'));
  const caFile = join(dir, 'demo-em-ca.pem');
  await writeFile(caFile, started.caPem, { mode: 0o600 });

  const defaultRpoSeconds = parseDuration('26h') / 1000;
  const config: ExporterConfig = {
    // Every 30 s, so the demo visibly polls while someone watches it.
    poll: { schedule: '*/30 * * * * *', concurrency: 4, timeoutMs: 10_000, retries: 1, metadataRefreshMs: 3_600_000 },
    defaults: { rpoSeconds: defaultRpoSeconds },
    enterpriseManagers: [
      {
        name: 'demo-em',
        url: started.url,
        username: DEMO_USER.username,
        password: DEMO_USER.password,
        apiVersion: 'latest',
        format: 'xml',
        restorePoints: 'entity',
        tls: { caFile, insecureSkipVerify: false },
        // Per-machine freshness: the daily backup looks healthy while one of its machines does not.
        vms: { include: '.*', limit: 50_000, overlapMs: 3_600_000, resyncMs: 6 * 3_600_000 },
        backups: [
          ...backups.map((b) => ({ id: b.id, rpoSeconds: b.rpo ? parseDuration(b.rpo) / 1000 : defaultRpoSeconds })),
          { id: DEMO_UNKNOWN_BACKUP_ID, rpoSeconds: defaultRpoSeconds },
        ],
      },
    ],
  };

  return {
    config,
    simulatorUrl: started.url,
    async stop() {
      await simulator.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The line the demo prints once it listens: where to look, and whether other hosts can. The demo's
 * simulated EM uses a published password, so it should say plainly when it is reachable from outside.
 */
export function demoReadyMessage(bound: { host: string; port: number }, scheme: string, telemetryPath: string): string {
  const everywhere = bound.host === '::' || bound.host === '0.0.0.0';
  const shown = everywhere ? 'localhost' : bound.host.includes(':') ? `[${bound.host}]` : bound.host;
  const base = `${scheme}://${shown}:${bound.port}`;
  const reach = isLoopbackHost(bound.host)
    ? `It listens on loopback only, so other hosts cannot reach it; to serve them, pass --web.listen-address=:${bound.port}.`
    : everywhere
      ? 'It listens on every interface: other hosts can reach it.'
      : `It listens on ${shown} only.`;
  return `Demo exporter ready: ${base}${telemetryPath} (status page: ${base}/)\n${reach}\n`;
}
