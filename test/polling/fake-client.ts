/**
 * One fake EmClient for the unit tests of the polling core: every method answers as a healthy EM
 * would unless a test overrides it, so a method added to EmClient is added here once.
 */
import type { BackupMetadata, RestorePoint } from '../../src/domain.js';
import type { BackupOutcome, EmClient } from '../../src/em/index.js';

export const meta = (id: string, name = `b-${id.slice(-2)}`): BackupMetadata => ({
  id,
  name,
  platform: 'VMware',
  backupType: 'Standard',
  backupServer: 'vbr',
  repository: 'r',
});

export const ok = <T>(value: T): BackupOutcome<T> => ({ ok: true, value });

/** A restore point a minute old: fresh for any RPO the tests use. */
const freshPoints = (): RestorePoint[] => [{ uid: '', timeMs: Date.now() - 60_000 }];

export function fakeEmClient(overrides: Partial<EmClient> = {}): EmClient {
  return {
    name: 'em01',
    getBackup: async (id) => meta(id),
    getRestorePoints: async () => freshPoints(),
    listBackups: async () => [],
    listChildBackups: async () => [],
    queryRestorePoints: async (ids) => new Map(ids.map((id) => [id, ok(freshPoints())])),
    queryBackups: async (ids) => new Map(ids.map((id) => [id, ok(meta(id))])),
    logout: async () => undefined,
    close: async () => undefined,
    ...overrides,
  };
}
