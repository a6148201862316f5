import type { BackupMetadata, PollErrorReason, PollFailure, RestorePointSummary } from '../domain.js';

/** A backup the exporter is told to watch. */
export interface BackupTarget {
  em: string;
  backupId: string;
  rpoSeconds: number;
}

export interface LastPoll {
  ok: boolean;
  atMs: number;
  /** Why it failed, as fields; worded by `formatFailure` where it is shown. Never holds secrets. */
  failure?: PollFailure;
}

/** Everything known about one backup. Values survive failed polls; only removal deletes them. */
export interface BackupRecord {
  readonly em: string;
  readonly backupId: string;
  readonly rpoSeconds: number;
  readonly metadata?: BackupMetadata;
  readonly summary?: RestorePointSummary;
  readonly lastPoll?: LastPoll;
  readonly lastSuccessMs?: number;
  /**
   * Changes whenever anything /metrics shows of the backup changes, except the last success time,
   * which changes at every successful poll; no two different contents share one. A renderer keeps
   * the bytes of a record whose revision it has rendered before.
   */
  readonly revision: number;
}

export interface EmRecord {
  readonly name: string;
  /** Undefined until the first cycle ends. */
  readonly up?: boolean;
  readonly lastCycleEndMs?: number;
  readonly lastCycleSeconds?: number;
}

/** The exporter's memory between polls. Writers: polling. Readers: metrics and the status page. */
export interface ExporterState {
  /** Replace the watched set: records that are still wanted keep their values, the rest vanish at once. */
  setTargets(emNames: readonly string[], targets: readonly BackupTarget[]): void;
  /**
   * Replace the watched backups of one EM (its poller's discovery changed them); other EMs keep
   * theirs. An EM no longer watched is left out: a poller a reload dropped cannot bring it back.
   */
  setTargetsOf(em: string, targets: readonly Omit<BackupTarget, 'em'>[]): void;
  recordMetadata(em: string, backupId: string, metadata: BackupMetadata): void;
  recordSuccess(em: string, backupId: string, summary: RestorePointSummary, atMs: number): void;
  recordFailure(em: string, backupId: string, failure: PollFailure, atMs: number): void;
  recordCycle(em: string, cycle: { up: boolean; endedAtMs: number; durationSeconds: number }): void;
  /** EM stopped answering in the running cycle: `up` drops now; the end of the cycle decides again. */
  recordSilence(em: string): void;
  backups(): readonly BackupRecord[];
  ems(): readonly EmRecord[];
}

/** Events from polling that only counters care about. */
export interface PollEvents {
  overrun(em: string): void;
  pollError(em: string, reason: PollErrorReason): void;
}
