/**
 * The public face of the simulated Enterprise Manager. Tests, `--demo`, the end-to-end suite and the
 * benchmarks drive it through this interface only.
 */

/** One backup as the simulator stores it. */
export interface SimBackup {
  /** Bare lower-case GUID. */
  id: string;
  name: string;
  platform?: string; // default 'VMware'
  /** default 'Standard'; a 'ParentBackup' has no restore points of its own, only child backups. */
  backupType?: string;
  backupServer?: string; // default 'vbr01.example.local'
  repository?: string; // default 'Default Backup Repository'
  /** Creation times of its restore points, Unix ms (UTC), any order. */
  restorePoints: number[];
  /**
   * For a ChildBackup: the ID of its ParentBackup. Children are listed under
   * `/backups/{parentId}/childbackups`, not in `/backups`; they are reachable by ID and by query.
   */
  parentId?: string;
  /** Machines the backup protects: each has a VM restore point in the restore points it names. */
  vms?: SimVm[];
}

/** A machine (VM, or computer under an agent policy) in a backup. */
export interface SimVm {
  /** `VmName`; also `VmDisplayName` unless that is given. */
  name: string;
  displayName?: string;
  /** True: EM gives no `VmName` element (null in JSON), only `VmDisplayName`. */
  omitVmName?: boolean;
  /** `HierarchyObjRef`; default a stable `urn:VMware:Vm:<host>.vm-<n>`; null: EM gives none. */
  objRef?: string | null;
  /** Times (of the backup's `restorePoints`) of the restore points holding a point of this VM; default every one. */
  inRestorePoints?: number[];
  /** How long after its restore point the VM's point is created; default 20 to 80 s, stable per VM. */
  delayMs?: number;
}

export interface SimUser {
  username: string;
  password: string;
}

/** Which JSON dialect to speak: EM 12 PascalCase with explicit nulls, or EM 13 camelCase. */
export type JsonStyle = 'v12' | 'v13';
/** How restore-point `Name`s are rendered: SQL Server `Jun  5 2025  1:01AM` or PostgreSQL `2023-11-03 16:25:35.920773`. */
export type NameStyle = 'mssql' | 'postgres';

export interface SimulatorOptions {
  /** Loopback address to bind; default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  users?: SimUser[]; // default [{ username: 'EM01\\svc_monitor', password: 'secret' }]
  backups?: SimBackup[];
  jsonStyle?: JsonStyle; // default 'v12'
  nameStyle?: NameStyle; // default 'mssql'
  /** Answer `/backups/{id}/restorePoints?format=Entity` with references anyway (older servers). */
  ignoreEntityFormat?: boolean;
  /** Idle expiry of logon sessions; default 15 minutes, as EM does. */
  sessionIdleTimeoutMs?: number;
  /**
   * Makes the ID of each new logon session (the token is base64 of it); default a random GUID.
   * Must return a different ID on every call. Lets tests hand out IDs with characters that
   * regexes, HTML or JSON treat specially, and know them before the client does.
   */
  sessionIdFactory?: () => string;
  /** Clock used for session expiry; tests may inject one. */
  now?: () => number;
  /** At most this many requests are kept for `requests()`, newest last; the oldest are dropped. Default 100,000. */
  maxRecordedRequests?: number;
}

/**
 * A fault rule. The first rule whose `match` fits a request applies; `times` limits how many
 * requests it hits (default: unlimited). Rules apply before authentication is checked.
 */
export interface FaultRule {
  match?: {
    method?: string;
    /** Tested against the path without query string, e.g. /api/backups/<id>/restorePoints */
    path?: RegExp | string;
    /** Tested against the raw query string without `?` (still percent-encoded), e.g. /(^|&)page=2(&|$)/ */
    query?: RegExp | string;
  };
  /** Delay before answering (or before dropping). */
  latencyMs?: number;
  /** Answer with this status and an `Error` body in the negotiated format. */
  status?: number;
  /** Replace the body: malformed XML/JSON, a body truncated halfway, an empty body, or literal bytes (with extra headers, e.g. a Content-Encoding they do not match). */
  body?:
    | 'malformed'
    | 'truncated'
    | 'empty'
    | { raw: string | Buffer; contentType?: string; headers?: Record<string, string> };
  /** Destroy the socket: before any response bytes, or after half of the body. */
  drop?: 'before-response' | 'mid-body';
  /** Answer 302 to this absolute URL. */
  redirectTo?: string;
  times?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  /** Lower-cased header names; the simulator keeps them so tests can check what a client sent. */
  headers: Record<string, string | string[] | undefined>;
  status: number;
  /** Bytes of the response body as sent (the whole body even when a fault cuts it short); 0 until answered. */
  bytes?: number;
}

export interface StartedSimulator {
  /** e.g. https://127.0.0.1:40123 (no trailing slash, no /api). */
  url: string;
  port: number;
  /** PEM of the self-signed certificate the server presents; a client trusts it through caFile. */
  caPem: string;
}

export interface EmSimulatorApi {
  start(): Promise<StartedSimulator>;
  stop(): Promise<void>;
  /** Sessions logged on and neither logged out nor expired. */
  openSessionCount(): number;
  /** The most sessions that were open at the same moment since start: a client that logs on before ending its old session shows 2. */
  maxOpenSessions(): number;
  /** Every session ever created, with whether and how it ended; for leak checks. */
  sessions(): ReadonlyArray<{ id: string; user: string; createdAt: number; endedBy?: 'logout' | 'expired' }>;
  /** Expire every open session now, as a 15-minute idle gap would. */
  expireAllSessions(): void;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  requests(): ReadonlyArray<RecordedRequest>;
  clearRequests(): void;
  setBackups(backups: SimBackup[]): void;
  upsertBackup(backup: SimBackup): void;
  removeBackup(id: string): void;
  setJsonStyle(style: JsonStyle): void;
  setNameStyle(style: NameStyle): void;
}
