/**
 * The vocabulary shared by every folder. Data flows one way:
 * EM bytes -> RestorePoint[] (em/parse) -> RestorePointSummary (polling/summary.ts)
 * -> ExporterState (metrics/state) -> exposition (metrics) and status page (server).
 */

/** Why a poll failed; the `reason` label of veeam_em_poll_errors_total. */
export const POLL_ERROR_REASONS = [
  'auth',
  'tls',
  'timeout',
  'network',
  'not_found',
  'http_4xx',
  'http_5xx',
  'parse',
] as const;
export type PollErrorReason = (typeof POLL_ERROR_REASONS)[number];

/** What a failure concerns: the EM, and the backup or other subject the failed work was for. */
export interface FailureTarget {
  /** The `em` label. */
  em: string;
  /** Absent when the failure concerns the whole EM: a logon, a listing, a query batch not yet shared out. */
  backupId?: string;
  /** What was read when it is not one backup, e.g. `VM restore points`. */
  subject?: string;
}

/**
 * Why a poll failed, as fields from where it happens to the edge (log line, status page, metric
 * label); `EmError` (em/errors.ts) carries them as an Error. Every text in it is already free of
 * secrets: EM's own text is redacted before it goes into `detail`.
 */
export interface PollFailure extends FailureTarget {
  /** The `reason` label of veeam_em_poll_errors_total. */
  reason: PollErrorReason;
  /** What was attempted (`GET restore points`, `logon as "user"`); absent when `detail` says it. */
  action?: string;
  /** What happened. */
  detail: string;
  /** What the operator should check. */
  advice?: string;
  /** HTTP status if EM answered. */
  status?: number;
  /** It failed before there was a logon session: EM was not reached as a logged-on client. */
  duringLogon?: boolean;
}

/** The fields of `failure` alone, as a plain object without undefined keys (an EmError also holds a stack). */
export function failureFields(failure: PollFailure): PollFailure {
  const { em, backupId, subject, reason, action, detail, advice, status, duringLogon } = failure;
  const copy: PollFailure = { em, reason, detail };
  if (backupId !== undefined) copy.backupId = backupId;
  if (subject !== undefined) copy.subject = subject;
  if (action !== undefined) copy.action = action;
  if (advice !== undefined) copy.advice = advice;
  if (status !== undefined) copy.status = status;
  if (duringLogon === true) copy.duringLogon = true;
  return copy;
}

/**
 * How much of the target a message names: `full` (EM and backup or subject), `em` (for a line that
 * sums up the whole EM), `none` (where the EM and backup are shown beside it: a logger bound to the
 * EM, a status-page row).
 */
export type FailureScope = 'full' | 'em' | 'none';

/**
 * The one wording of a failure for operators, in the order a reader narrows it down:
 * `em "em01": backup <id>: GET restore points: EM answered 500 "…": check the EM service log`.
 */
export function formatFailure(failure: PollFailure, scope: FailureScope = 'full'): string {
  const parts: string[] = [];
  if (scope !== 'none') parts.push(`em "${failure.em}"`);
  if (scope === 'full') {
    if (failure.backupId !== undefined) parts.push(`backup ${failure.backupId}`);
    if (failure.subject !== undefined) parts.push(failure.subject);
  }
  if (failure.action !== undefined) parts.push(failure.action);
  parts.push(failure.detail);
  if (failure.advice !== undefined) parts.push(failure.advice);
  return parts.join(': ');
}

/** Fixed names for the `endpoint` label of the API request metrics. */
export type ApiEndpoint =
  'login' | 'logout' | 'backup' | 'backups' | 'restore_points' | 'child_backups' | 'query' | 'vm_restore_points';

/**
 * A newest restore point further ahead of this host's clock than this is clock skew between EM and
 * the exporter rather than jitter: the poll warns about it and the status page flags it.
 */
export const FUTURE_POINT_TOLERANCE_MS = 60_000;

/** One restore point, reduced to what the exporter needs. */
export interface RestorePoint {
  /** `urn:veeam:RestorePoint:<GUID>` as EM reports it, or '' when EM gave none. */
  uid: string;
  /** Creation time in Unix milliseconds (UTC). */
  timeMs: number;
}

/** What one successful restore-point poll tells about one backup. */
export interface RestorePointSummary {
  count: number;
  /** Unix ms of the newest point; undefined when count is 0. */
  newestMs?: number;
  /** Unix ms of the oldest point; undefined when count is 0. */
  oldestMs?: number;
}

/** `GET /backups/{id}?format=Entity`, reduced to the labels of veeam_em_backup_info. */
export interface BackupMetadata {
  id: string;
  name: string;
  platform: string;
  backupType: string;
  backupServer: string;
  repository: string;
}

/** One VM restore point (a machine's point inside a restore point), reduced to what the exporter needs. */
export interface VmRestorePoint {
  /** `urn:veeam:VmRestorePoint:<GUID>`; when EM gives none, `<restorePointId>/<vmId>`, unique just as well. */
  uid: string;
  /** Bare lower-case GUID of the restore point it belongs to (its `Up` `RestorePointReference` link). */
  restorePointId: string;
  /** `CreationTimeUTC` in Unix ms. */
  timeMs: number;
  /** `VmName`, or `VmDisplayName` where EM gives no VmName. */
  vmName: string;
  /** `HierarchyObjRef` (stable across renames), or the name where EM gives none. */
  vmId: string;
}
