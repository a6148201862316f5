import type { BackupRecord, EmRecord } from './types.js';
import type { HelpTexts } from './help.js';
import { TextBuilder, familyHeader, formatLabels, formatSampleValue } from './exposition.js';

export interface StateSnapshot {
  backups: readonly BackupRecord[];
  ems: readonly EmRecord[];
  /** Scrape time, Unix ms: ages are measured against it. */
  nowMs: number;
}

type Sample = (record: BackupRecord) => number | undefined;

/** Each per-backup family with the value it takes from a record; undefined = no series. */
function backupFamilies(nowMs: number, help: HelpTexts): Array<{ name: string; help: string; sample: Sample }> {
  const newestMs = (r: BackupRecord) => (r.summary !== undefined && r.summary.count > 0 ? r.summary.newestMs : undefined);
  const oldestMs = (r: BackupRecord) => (r.summary !== undefined && r.summary.count > 0 ? r.summary.oldestMs : undefined);
  return [
    { name: 'veeam_em_backup_restore_points', help: help.restorePoints, sample: (r) => r.summary?.count },
    { name: 'veeam_em_backup_newest_restore_point_timestamp_seconds', help: help.newestTimestamp, sample: (r) => seconds(newestMs(r)) },
    {
      name: 'veeam_em_backup_newest_restore_point_age_seconds',
      help: help.newestAge,
      // A point in the future is clock skew between EM and us, not negative staleness.
      sample: (r) => {
        const newest = newestMs(r);
        return newest === undefined ? undefined : Math.max(0, (nowMs - newest) / 1000);
      },
    },
    { name: 'veeam_em_backup_oldest_restore_point_timestamp_seconds', help: help.oldestTimestamp, sample: (r) => seconds(oldestMs(r)) },
    { name: 'veeam_em_backup_rpo_seconds', help: help.rpo, sample: (r) => r.rpoSeconds },
    { name: 'veeam_em_backup_poll_success', help: help.pollSuccess, sample: (r) => (r.lastPoll === undefined ? undefined : r.lastPoll.ok ? 1 : 0) },
    { name: 'veeam_em_backup_last_success_timestamp_seconds', help: help.lastSuccessTimestamp, sample: (r) => seconds(r.lastSuccessMs) },
  ];
}

function emFamilies(help: HelpTexts): Array<{ name: string; help: string; sample: (em: EmRecord) => number | undefined }> {
  return [
    { name: 'veeam_em_up', help: help.up, sample: (em) => (em.up === undefined ? undefined : em.up ? 1 : 0) },
    { name: 'veeam_em_last_poll_timestamp_seconds', help: help.lastPollTimestamp, sample: (em) => seconds(em.lastCycleEndMs) },
    { name: 'veeam_em_poll_duration_seconds', help: help.pollDuration, sample: (em) => (em.up === undefined ? undefined : em.lastCycleSeconds) },
  ];
}

/** The per-backup and per-EM gauges, rendered from the state as it is at scrape time. */
export function renderStateFamilies(snapshot: StateSnapshot, help: HelpTexts): string {
  const { backups, ems, nowMs } = snapshot;
  const text = new TextBuilder();
  // Label sets are escaped once per record and shared by its seven families.
  const labelSets = backups.map((r) => formatLabels([['em', r.em], ['backup_id', r.backupId], ['backup_name', backupName(r)]]));

  for (const family of backupFamilies(nowMs, help)) {
    text.add(familyHeader(family.name, 'gauge', family.help));
    for (let i = 0; i < backups.length; i++) {
      const value = family.sample(backups[i]!);
      if (value !== undefined) text.add(`${family.name}${labelSets[i]!} ${formatSampleValue(value)}\n`);
    }
  }

  text.add(familyHeader('veeam_em_backup_info', 'gauge', help.info));
  for (const record of backups) {
    if (record.metadata !== undefined) text.add(`veeam_em_backup_info${infoLabels(record)} 1\n`);
  }

  for (const family of emFamilies(help)) {
    text.add(familyHeader(family.name, 'gauge', family.help));
    for (const em of ems) {
      const value = family.sample(em);
      if (value !== undefined) text.add(`${family.name}${formatLabels([['em', em.name]])} ${formatSampleValue(value)}\n`);
    }
  }
  return text.toString();
}

/** EM's name once known; until then the ID, so the series exists from the first poll on. */
export function backupName(record: BackupRecord): string {
  const name = record.metadata?.name;
  return name === undefined || name === '' ? record.backupId : name;
}

function infoLabels(record: BackupRecord): string {
  const m = record.metadata!;
  return formatLabels([
    ['em', record.em],
    ['backup_id', record.backupId],
    ['backup_name', backupName(record)],
    ['backup_server', m.backupServer],
    ['platform', m.platform],
    ['backup_type', m.backupType],
    ['repository', m.repository],
  ]);
}

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}
