/**
 * Per-machine freshness on /metrics: for every VM with at least one restore point in a polled
 * backup, its point count and newest point time, plus per EM the series `vms.limit` dropped.
 */
import type { VmEmRecord } from '../vms/store.js';
import { TextBuilder, familyHeader, formatLabels, formatSampleValue } from './exposition.js';
import { backupName } from './state-families.js';
import type { BackupRecord } from './types.js';

export function vmHelpTexts(schedule: string) {
  const poll = `background poll (schedule "${schedule}")`;
  return {
    restorePoints: `Restore points of the VM in the backup at the last successful ${poll} of VM restore points (read incrementally, in full every vms.resync).`,
    newestTimestamp: `Unix time of the VM's newest restore point in the backup (CreationTimeUTC) at the last successful ${poll} of VM restore points.`,
    dropped: `VM series of the Enterprise Manager not exported because of vms.limit, at the last successful ${poll} of VM restore points.`,
  };
}

export const VM_FAMILIES = {
  restorePoints: 'veeam_em_vm_restore_points',
  newestTimestamp: 'veeam_em_vm_newest_restore_point_timestamp_seconds',
  dropped: 'veeam_em_vm_series_dropped',
} as const;

/**
 * The text of the three families. A series shows only while its backup is watched (the backup
 * record gives its name), so a backup that leaves the config takes its VMs along at once.
 */
export function renderVmFamilies(vms: readonly VmEmRecord[], backups: readonly BackupRecord[], schedule: string): string {
  if (vms.length === 0) return '';
  const help = vmHelpTexts(schedule);
  const byKey = new Map<string, BackupRecord>();
  for (const record of backups) byKey.set(`${record.em}\u0000${record.backupId}`, record);

  const counts = new TextBuilder();
  const newest = new TextBuilder();
  for (const record of vms) {
    for (const series of record.series ?? []) {
      const backup = byKey.get(`${record.em}\u0000${series.backupId}`);
      if (backup === undefined) continue;
      const labels = formatLabels([
        ['em', record.em],
        ['backup_id', series.backupId],
        ['backup_name', backupName(backup)],
        ['vm_name', series.vmName],
        ['vm_id', series.vmId],
      ]);
      counts.add(`${VM_FAMILIES.restorePoints}${labels} ${series.count}\n`);
      newest.add(`${VM_FAMILIES.newestTimestamp}${labels} ${formatSampleValue(series.newestMs / 1000)}\n`);
    }
  }
  let text = familyHeader(VM_FAMILIES.restorePoints, 'gauge', help.restorePoints) + counts.toString();
  text += familyHeader(VM_FAMILIES.newestTimestamp, 'gauge', help.newestTimestamp) + newest.toString();
  text += familyHeader(VM_FAMILIES.dropped, 'gauge', help.dropped);
  for (const record of vms) text += `${VM_FAMILIES.dropped}${formatLabels([['em', record.em]])} ${record.dropped}\n`;
  return text;
}
