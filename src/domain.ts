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

/** Fixed names for the `endpoint` label of the API request metrics. */
export type ApiEndpoint = 'login' | 'logout' | 'backup' | 'backups' | 'restore_points' | 'child_backups' | 'query' | 'vm_restore_points';

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
