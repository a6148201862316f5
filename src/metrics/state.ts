import { failureFields, type BackupMetadata, type RestorePointSummary } from '../domain.js';
import type { BackupRecord, BackupTarget, EmRecord, ExporterState } from './types.js';

/** Process-wide, so a revision names one content even across states. */
let lastRevision = 0;

/**
 * The in-memory state between polls. Records are replaced, never mutated, so a reader holding a record
 * (a scrape or the status page) sees a consistent snapshot of that backup. A poll that finds what
 * the last one found keeps the record's revision (and its summary and metadata objects), so the
 * exposition keeps that backup's rendered bytes.
 */
export function createExporterState(): ExporterState {
  let emRecords = new Map<string, EmRecord>();
  let backupRecords = new Map<string, BackupRecord>();

  /** Updates only backups that are still watched: a poll that finishes after a reload removed its backup must not resurrect it. */
  function update(em: string, backupId: string, change: (record: BackupRecord) => BackupRecord): void {
    const key = backupKey(em, backupId);
    const record = backupRecords.get(key);
    if (record !== undefined) backupRecords.set(key, revised(record, change(record)));
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
      const copy = copyMetadata(metadata);
      update(em, backupId, (record) => ({
        ...record,
        metadata: sameFields(record.metadata, copy) ? record.metadata : copy,
      }));
    },

    recordSuccess(em, backupId, summary, atMs) {
      const copy = copySummary(summary);
      update(em, backupId, (record) => ({
        ...record,
        summary: sameFields(record.summary, copy) ? record.summary : copy,
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
      emRecords.set(em, {
        name: em,
        up: cycle.up,
        lastCycleEndMs: cycle.endedAtMs,
        lastCycleSeconds: cycle.durationSeconds,
      });
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
    // Every field from the start, in one order: records then share one shape, and a scrape that
    // reads a field of 10,000 of them does not fall back to slow lookups.
    return {
      em: target.em,
      backupId: target.backupId.toLowerCase(),
      rpoSeconds: target.rpoSeconds,
      metadata: undefined,
      summary: undefined,
      lastPoll: undefined,
      lastSuccessMs: undefined,
      revision: ++lastRevision,
    };
  }
  return existing.rpoSeconds === target.rpoSeconds
    ? existing
    : { ...existing, rpoSeconds: target.rpoSeconds, revision: ++lastRevision };
}

/** `next` with the revision of `previous` when /metrics shows the same of both, else a new one. */
function revised(previous: BackupRecord, next: BackupRecord): BackupRecord {
  const same =
    previous.rpoSeconds === next.rpoSeconds &&
    previous.summary === next.summary &&
    previous.metadata === next.metadata &&
    previous.lastPoll?.ok === next.lastPoll?.ok &&
    (previous.lastSuccessMs === undefined) === (next.lastSuccessMs === undefined);
  return { ...next, revision: same ? previous.revision : ++lastRevision };
}

/**
 * Field by field, whatever the fields: a field added to RestorePointSummary or BackupMetadata is
 * compared without a change here.
 */
function sameFields<T extends object>(kept: T | undefined, fresh: T): kept is T {
  if (kept === undefined) return false;
  const keys = Object.keys(fresh) as Array<keyof T>;
  if (keys.length !== Object.keys(kept).length) return false;
  for (const key of keys) if (kept[key] !== fresh[key]) return false;
  return true;
}

// Copies keep callers that reuse their objects from changing what a later scrape reports.
/** The newest restore point's time, when the backup has one; what its age counts from. */
export function newestPointMs(record: BackupRecord): number | undefined {
  const summary = record.summary;
  return summary !== undefined && summary.count > 0 ? summary.newestMs : undefined;
}

/**
 * Seconds since the backup's newest restore point at `nowMs`, never negative: a point ahead of
 * the clock is skew between EM and this host, not negative staleness. The one definition of the
 * age, for /metrics (which writes these digits straight into bytes, see writeSeconds) and the status page.
 */
export function newestPointAgeSeconds(record: BackupRecord, nowMs: number): number | undefined {
  const newestMs = newestPointMs(record);
  return newestMs === undefined ? undefined : Math.max(0, (nowMs - newestMs) / 1000);
}

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
