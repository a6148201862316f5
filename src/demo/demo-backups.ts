import type { SimBackup } from '../simulator/types.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Points every `stepMs`, the newest `newestAgeMs` before `now`. */
function series(now: number, count: number, stepMs: number, newestAgeMs: number): number[] {
  return Array.from({ length: count }, (_, i) => now - newestAgeMs - i * stepMs);
}

export interface DemoBackup extends SimBackup {
  /** Freshness objective the demo config gives it; undefined = the default 26h. */
  rpo?: string;
}

/** An ID the demo config watches but the simulated EM does not know: it shows a `not_found` poll. */
export const DEMO_UNKNOWN_BACKUP_ID = 'deadbeef-0000-4000-8000-00000000dead';

/** A small, realistic site: healthy daily, hourly and weekly backups, one stale, one still empty. */
export function demoBackups(now: number): DemoBackup[] {
  return [
    {
      id: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
      name: 'Daily VM Backup',
      restorePoints: series(now, 14, DAY, 5 * HOUR),
      // The job looks healthy, but db-03 has failed for three days (a locked snapshot, say).
      vms: [
        { name: 'web-01' },
        { name: 'web-02' },
        { name: 'db-03', inRestorePoints: series(now, 14, DAY, 5 * HOUR).slice(3) },
        { name: 'app-04', displayName: 'app-04 (prod)', omitVmName: true },
      ],
    },
    {
      id: '3c9e2a41-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
      name: 'Hourly SQL Backup',
      platform: 'HyperV',
      backupServer: 'vbr02.example.local',
      repository: 'SOBR Performance Tier',
      restorePoints: series(now, 48, HOUR, 20 * 60_000),
      vms: [{ name: 'sql-01' }, { name: 'sql-02' }],
      rpo: '2h',
    },
    {
      id: '7b6a400c-452c-41d1-bb81-ea682e89492d',
      name: 'Weekly File Server',
      restorePoints: series(now, 8, 7 * DAY, 2 * DAY),
      rpo: '8d',
    },
    {
      id: 'a4d5e6f7-0819-4a2b-9c3d-4e5f60718293',
      name: 'Exchange Backup (stale)',
      repository: 'Old NAS Repository',
      restorePoints: series(now, 10, DAY, 4 * DAY + 3 * HOUR),
      vms: [{ name: 'exch-01' }, { name: 'exch-02' }],
    },
    {
      id: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
      name: 'Linux Agent Backup (new)',
      platform: 'AgentForLinux',
      restorePoints: [],
    },
  ];
}
