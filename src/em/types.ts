import type { ApiEndpoint, BackupMetadata, RestorePoint } from '../domain.js';
import type { EmError } from './errors.js';

/** What the EM client needs to know about one Enterprise Manager; built from the config. */
export interface EmClientOptions {
  /** Value of the `em` label, used in every message. */
  name: string;
  /** Base URL without /api, e.g. https://em01.example.local:9398 */
  url: string;
  username: string;
  /** Called at each logon, so a rotated passwordFile is honoured without a restart. */
  password: () => string | Promise<string>;
  apiVersion: string; // value of ?v= on sessionMngr, e.g. 'latest'
  format: 'xml' | 'json';
  /** `query`: restore points of many backups per request through the query service (the per-backup calls use entities). */
  restorePoints: 'entity' | 'reference' | 'query';
  tls: { caPem?: string; insecureSkipVerify: boolean; serverName?: string };
  timeoutMs: number;
  retries: number;
  /** Requests in flight at once; also the socket pool size. */
  concurrency: number;
  /** Bodies larger than this are refused without buffering them; default 32 MiB. */
  maxResponseBytes?: number;
  /** Pause before retry n is n times this, capped at 2 s; default 250 ms. */
  retryBackoffMs?: number;
  /** After a failed logon, requests fail fast with that error for this long; default 30 s. */
  logonRetryMs?: number;
  /** `pageSize` of query-service requests; default 1000. */
  queryPageSize?: number;
}

/** Runs one request when the per-EM concurrency limit allows it (the poller's limiter). */
export type TaskRunner = <T>(task: () => Promise<T>) => Promise<T>;

/** What a bulk call found for one backup: its value, or why the request that should carry it failed. */
export type BackupOutcome<T> = { ok: true; value: T } | { ok: false; error: EmError };

/** Receives one call per HTTP exchange, for veeam_em_api_requests_total and the duration histogram. */
export interface ApiObserver {
  request(em: string, endpoint: ApiEndpoint, code: number | 'error', seconds: number): void;
}

export interface EmClient {
  readonly name: string;
  /** GET /backups/{id}?format=Entity */
  getBackup(backupId: string): Promise<BackupMetadata>;
  /** GET /backups/{id}/restorePoints[?format=Entity], parsed from either representation. */
  getRestorePoints(backupId: string): Promise<RestorePoint[]>;
  /**
   * Every backup EM lists at the top level (child backups are not among them): GET
   * /backups?format=Entity, or, once that listing was longer than one query page or larger than
   * maxResponseBytes, every page of `GET /query?type=Backup`. Requests run through `run`.
   */
  listBackups(run?: TaskRunner): Promise<BackupMetadata[]>;
  /** GET /backups/{id}/childbackups?format=Entity: the ChildBackups of a ParentBackup. */
  listChildBackups(parentId: string): Promise<BackupMetadata[]>;
  /**
   * Restore points of many backups through `GET /query?type=RestorePoint`, as few requests as URL
   * length allows, every page read. One entry per requested ID (bare lower-case): a backup without
   * points gets `[]`; when a request or its paging fails, every backup it carried gets that error.
   * Requests run through `run`, so they count against the poller's concurrency. `expected` (points
   * per backup at the last poll) lets batches fit a page each.
   */
  queryRestorePoints(
    backupIds: readonly string[],
    run?: TaskRunner,
    expected?: ReadonlyMap<string, number>,
  ): Promise<Map<string, BackupOutcome<RestorePoint[]>>>;
  /**
   * Backup entities through `GET /query?type=Backup`, as queryRestorePoints batches them. A backup
   * EM does not return gets a `not_found` error.
   */
  queryBackups(backupIds: readonly string[], run?: TaskRunner): Promise<Map<string, BackupOutcome<BackupMetadata>>>;
  /** DELETE the current logon session, if any. Never throws. */
  logout(): Promise<void>;
  /** Logout and release sockets. */
  close(): Promise<void>;
}
