/**
 * Lets the tracker learn which restore points each backup has from the reads the poll cycle makes
 * anyway: an EmClient that passes every call through and notes the restore point IDs of each
 * successful restore-point read. Failed reads teach nothing, so a backup keeps what it had.
 */
import type { RestorePoint } from '../domain.js';
import type { BackupOutcome, EmClient, TaskRunner } from '../em/types.js';
import type { VmTracker } from './tracker.js';

const RESTORE_POINT_URN = /^urn:veeam:RestorePoint:/i;

/** The points that have a UID, by bare lower-case GUID, with their time. */
export function restorePointIds(points: readonly RestorePoint[]): Array<{ id: string; timeMs: number }> {
  const out: Array<{ id: string; timeMs: number }> = [];
  for (const point of points)
    if (point.uid !== '')
      out.push({ id: point.uid.replace(RESTORE_POINT_URN, '').toLowerCase(), timeMs: point.timeMs });
  return out;
}

export function tapRestorePoints(client: EmClient, tracker: () => VmTracker | undefined): EmClient {
  return {
    get name() {
      return client.name;
    },
    getBackup: (id) => client.getBackup(id),
    listBackups: (run) => client.listBackups(run),
    listChildBackups: (id) => client.listChildBackups(id),
    queryBackups: (ids, run) => client.queryBackups(ids, run),
    logout: () => client.logout(),
    close: () => client.close(),
    async getRestorePoints(backupId: string): Promise<RestorePoint[]> {
      const points = await client.getRestorePoints(backupId);
      tracker()?.setRestorePoints(bare(backupId), restorePointIds(points));
      return points;
    },
    async queryRestorePoints(
      ids: readonly string[],
      run?: TaskRunner,
      expected?: ReadonlyMap<string, number>,
    ): Promise<Map<string, BackupOutcome<RestorePoint[]>>> {
      const outcomes = await client.queryRestorePoints(ids, run, expected);
      const t = tracker();
      if (t !== undefined)
        for (const [id, outcome] of outcomes)
          if (outcome.ok) t.setRestorePoints(bare(id), restorePointIds(outcome.value));
      return outcomes;
    },
  };
}

function bare(backupId: string): string {
  return backupId
    .trim()
    .replace(/^urn:veeam:Backup:/i, '')
    .toLowerCase();
}
