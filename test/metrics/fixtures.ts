import type { BackupMetadata } from '../../src/domain.js';

export const SCHEDULE = '*/5 * * * *';
export const ID_A = '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3';
export const ID_B = '7b6a400c-452c-41d1-bb81-ea682e89492d';

export function metadata(id: string, name: string): BackupMetadata {
  return {
    id,
    name,
    platform: 'VMware',
    backupType: 'Standard',
    backupServer: 'vbr01.example.local',
    repository: 'Default Backup Repository',
  };
}

/** A clock the test moves by hand. */
export function manualClock(startMs: number): { now: () => number; advance(ms: number): void } {
  let current = startMs;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
  };
}
