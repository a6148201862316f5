/**
 * Per-machine freshness on /metrics: for every VM with at least one restore point in a polled
 * backup, its point count and newest point time, plus per EM the series `vms.limit` dropped.
 */
import type { VmEmRecord } from '../vms/store.js';
import {
  TextBuilder,
  familyHeader,
  formatLabels,
  formatSampleValue,
  joinParts,
  textPart,
  type ExpositionPart,
} from './exposition.js';
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

/** One EM's sample lines, valid while its record and the names of its backups stay the same. */
interface EmLines {
  /** `id=name` of every backup its series name, in order; a renamed or unwatched backup changes it. */
  namesKey: string;
  counts: ExpositionPart | undefined;
  newest: ExpositionPart | undefined;
}

export type VmFamiliesRenderer = (
  vms: readonly VmEmRecord[],
  backups: readonly BackupRecord[],
  schedule: string,
) => ExpositionPart[];

/**
 * Renders the three families. A series shows only while its backup is watched (the backup record
 * gives its name), so a backup that leaves the config takes its VMs along at once. Lines of an EM
 * are kept until its record is replaced (a VM read) or one of its backups is renamed or dropped:
 * tens of thousands of series are then not rebuilt at every scrape, and their parts are stable.
 */
export function createVmFamiliesRenderer(): VmFamiliesRenderer {
  const cache = new WeakMap<VmEmRecord, EmLines>();
  let headers:
    { schedule: string; counts: ExpositionPart; newest: ExpositionPart; dropped: ExpositionPart } | undefined;

  return (vms, backups, schedule) => {
    if (vms.length === 0) return [];
    if (headers?.schedule !== schedule) {
      const help = vmHelpTexts(schedule);
      headers = {
        schedule,
        counts: stable(familyHeader(VM_FAMILIES.restorePoints, 'gauge', help.restorePoints)),
        newest: stable(familyHeader(VM_FAMILIES.newestTimestamp, 'gauge', help.newestTimestamp)),
        dropped: stable(familyHeader(VM_FAMILIES.dropped, 'gauge', help.dropped)),
      };
    }
    const byKey = new Map<string, BackupRecord>();
    for (const record of backups) byKey.set(`${record.em}\u0000${record.backupId}`, record);

    const lines = vms.map((record) => {
      const namesKey = namesKeyOf(record, byKey);
      const cached = cache.get(record);
      if (cached?.namesKey === namesKey) return cached;
      const fresh = renderEm(record, byKey, namesKey);
      cache.set(record, fresh);
      return fresh;
    });

    const parts: ExpositionPart[] = [headers.counts];
    for (const l of lines) if (l.counts !== undefined) parts.push(l.counts);
    parts.push(headers.newest);
    for (const l of lines) if (l.newest !== undefined) parts.push(l.newest);
    parts.push(headers.dropped);
    parts.push(
      textPart(vms.map((r) => `${VM_FAMILIES.dropped}${formatLabels([['em', r.em]])} ${r.dropped}\n`).join(''), false),
    );
    return parts;
  };
}

/** The three families as one text (no caching). */
export function renderVmFamilies(
  vms: readonly VmEmRecord[],
  backups: readonly BackupRecord[],
  schedule: string,
): string {
  return joinParts(createVmFamiliesRenderer()(vms, backups, schedule));
}

function namesKeyOf(record: VmEmRecord, byKey: ReadonlyMap<string, BackupRecord>): string {
  const out: string[] = [];
  let last: string | undefined;
  // Series come ordered by backup, so each backup is looked up once.
  for (const series of record.series ?? []) {
    if (series.backupId === last) continue;
    last = series.backupId;
    const backup = byKey.get(`${record.em}\u0000${series.backupId}`);
    out.push(`${series.backupId}=${backup === undefined ? '\u0000' : backupName(backup)}`);
  }
  return out.join('\u0001');
}

function renderEm(record: VmEmRecord, byKey: ReadonlyMap<string, BackupRecord>, namesKey: string): EmLines {
  const counts = new TextBuilder();
  const newest = new TextBuilder();
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
  const countsText = counts.toString();
  const newestText = newest.toString();
  return {
    namesKey,
    counts: countsText === '' ? undefined : stable(countsText),
    newest: newestText === '' ? undefined : stable(newestText),
  };
}

function stable(text: string): ExpositionPart {
  return textPart(text, true);
}
