import { pino, type Logger } from 'pino';
import { afterEach } from 'vitest';
import { createEmClient, type EmClient, type EmClientOptions } from '../../src/em/index.js';
import type { ApiEndpoint } from '../../src/domain.js';
import {
  EmSimulator,
  type SimBackup,
  type SimulatorOptions,
  type StartedSimulator,
} from '../../src/simulator/index.js';

export const USER = 'EM01\\svc_monitor';
// Distinctive so a leak is unmistakable when searching logs and messages.
export const PASSWORD = 'Pa55-w0rd-never-shown';

export const BACKUP_A = '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3';
export const BACKUP_B = '7b6a400c-452c-41d1-bb81-ea682e89492d';
export const MISSING = 'deadbeef-0000-4000-8000-000000000000';

export const POINTS_A = [
  Date.UTC(2025, 5, 5, 1, 1, 27, 110),
  Date.UTC(2025, 5, 6, 1, 0, 44, 300),
  Date.UTC(2025, 5, 7, 1, 2, 3),
];

export function backups(): SimBackup[] {
  return [
    { id: BACKUP_A, name: 'Daily VM Backup', restorePoints: POINTS_A },
    {
      id: BACKUP_B,
      name: 'Weekly & Monthly',
      platform: 'HyperV',
      repository: 'SOBR-01',
      backupServer: 'vbr02.example.local',
      restorePoints: [],
    },
  ];
}

export interface ApiCall {
  em: string;
  endpoint: ApiEndpoint;
  code: number | 'error';
  seconds: number;
}

export interface Harness {
  sim: EmSimulator;
  started: StartedSimulator;
  client: EmClient;
  api: ApiCall[];
  /** Every pino line the client wrote, raw JSON text. */
  logLines: string[];
  log: Logger;
  makeClient(overrides?: Partial<EmClientOptions>): EmClient;
}

const running: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of running.splice(0)) await stop();
});

export async function startHarness(
  simOptions: Partial<SimulatorOptions> = {},
  clientOverrides: Partial<EmClientOptions> = {},
): Promise<Harness> {
  const sim = new EmSimulator({ users: [{ username: USER, password: PASSWORD }], backups: backups(), ...simOptions });
  const started = await sim.start();
  const api: ApiCall[] = [];
  const logLines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const clients: EmClient[] = [];
  running.push(async () => {
    for (const c of clients) await c.close();
    await sim.stop();
  });
  const makeClient = (overrides: Partial<EmClientOptions> = {}): EmClient => {
    const client = createEmClient(
      {
        name: 'em01',
        url: started.url,
        username: USER,
        password: () => PASSWORD,
        apiVersion: 'latest',
        format: 'xml',
        restorePoints: 'entity',
        tls: { caPem: started.caPem, insecureSkipVerify: false },
        timeoutMs: 5_000,
        retries: 2,
        concurrency: 4,
        retryBackoffMs: 10,
        ...clientOverrides,
        ...overrides,
      },
      { api: { request: (em, endpoint, code, seconds) => void api.push({ em, endpoint, code, seconds }) }, log },
    );
    clients.push(client);
    return client;
  };
  return { sim, started, client: makeClient(), api, logLines, log, makeClient };
}

/** The rejection of a promise that must fail. */
export async function failureOf(promise: Promise<unknown>): Promise<Error & { reason?: string; status?: number }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { reason?: string; status?: number };
  }
  throw new Error('expected a rejection');
}

export function requestsTo(sim: EmSimulator, method: string, pathPart: string): number {
  return sim.requests().filter((r) => r.method === method && r.url.includes(pathPart)).length;
}
