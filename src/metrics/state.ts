import { failureFields, type BackupMetadata, type RestorePointSummary } from '../domain.js';
import type { BackupRecord, BackupTarget, EmRecord, ExporterState } from './types.js';

/**
 * The in-memory state between polls. Records are replaced, never mutated, so a reader holding a record
 * (a scrape or the status page) sees a consistent snapshot of that backup.
 */
export function createExporterState(): ExporterState {
  let emRecords = new Map<string, EmRecord>();
  let backupRecords = new Map<string, BackupRecord>();

  /** Updates only backups that are still watched: a poll that finishes after a reload removed its backup must not resurrect it. */
  function update(em: string, backupId: string, change: (record: BackupRecord) => BackupRecord): void {
    const key = backupKey(em, backupId);
    const record = backupRecords.get(key);
    if (record !== undefined) backupRecords.set(key, change(record));
  }

  return {
    setTargets(emNames, targets) {
      const nextEms = new Map<string, EmRecord>();
      const wantedEms = [...emNames, ...targets.map((target) => target.em)];
      for (const name of wantedEms) {
        if (!nextEms.has(name)) nextEms.set(name, emRecords.get(name) ?? { name });
      }
      const nextBackups = new Map<string, BackupRecord>();
      for (const target of targets) {
        const key = backupKey(target.em, target.backupId);
        nextBackups.set(key, withTarget(backupRecords.get(key), target));
      }
      emRecords = nextEms;
      backupRecords = nextBackups;
    },

    setTargetsOf(em, targets) {
      if (!emRecords.has(em)) return;
      // Grouped by EM in the order setTargets gave them, so the exposition order does not depend on
      // which EM changed last.
      const byEm = new Map<string, [string, BackupRecord][]>();
      for (const entry of backupRecords) {
        if (entry[1].em === em) continue;
        let list = byEm.get(entry[1].em);
        if (list === undefined) byEm.set(entry[1].em, (list = []));
        list.push(entry);
      }
      const nextBackups = new Map<string, BackupRecord>();
      for (const name of emRecords.keys()) {
        if (name !== em) {
          for (const [key, record] of byEm.get(name) ?? []) nextBackups.set(key, record);
          continue;
        }
        for (const target of targets) {
          const key = backupKey(em, target.backupId);
          nextBackups.set(key, withTarget(backupRecords.get(key), { ...target, em }));
        }
      }
      backupRecords = nextBackups;
    },

    recordMetadata(em, backupId, metadata) {
      update(em, backupId, (record) => ({ ...record, metadata: copyMetadata(metadata) }));
    },

    recordSuccess(em, backupId, summary, atMs) {
      update(em, backupId, (record) => ({
        ...record,
        summary: copySummary(summary),
        lastPoll: { ok: true, atMs },
        lastSuccessMs: atMs,
      }));
    },

    recordFailure(em, backupId, failure, atMs) {
      // Count and timestamps stay: the last known values are still the truth EM told us.
      update(em, backupId, (record) => ({
        ...record,
        lastPoll: { ok: false, atMs, failure: failureFields(failure) },
      }));
    },

    recordCycle(em, cycle) {
      if (!emRecords.has(em)) return;
      emRecords.set(em, { name: em, up: cycle.up, lastCycleEndMs: cycle.endedAtMs, lastCycleSeconds: cycle.durationSeconds });
    },

    recordSilence(em) {
      const record = emRecords.get(em);
      if (record !== undefined) emRecords.set(em, { ...record, up: false });
    },

    backups() {
      return [...backupRecords.values()];
    },

    ems() {
      return [...emRecords.values()];
    },
  };
}

/** Backup IDs are GUIDs: compare them case-insensitively so `ABC…` and `abc…` are one backup. */
function backupKey(em: string, backupId: string): string {
  return `${em}\u0000${backupId.toLowerCase()}`;
}

function withTarget(existing: BackupRecord | undefined, target: BackupTarget): BackupRecord {
  if (existing === undefined) {
    return { em: target.em, backupId: target.backupId.toLowerCase(), rpoSeconds: target.rpoSeconds };
  }
  return { ...existing, rpoSeconds: target.rpoSeconds };
}

// Copies keep callers that reuse their objects from changing what a later scrape reports.
function copySummary(summary: RestorePointSummary): RestorePointSummary {
  const copy: RestorePointSummary = { count: summary.count };
  if (summary.newestMs !== undefined) copy.newestMs = summary.newestMs;
  if (summary.oldestMs !== undefined) copy.oldestMs = summary.oldestMs;
  return copy;
}

function copyMetadata(metadata: BackupMetadata): BackupMetadata {
  const { id, name, platform, backupType, backupServer, repository } = metadata;
  return { id, name, platform, backupType, backupServer, repository };
}
