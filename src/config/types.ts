/** The validated, defaulted config the rest of the program sees. Durations are already milliseconds or seconds. */

export interface BackupTargetConfig {
  /** Bare lower-case GUID (a `urn:veeam:Backup:` prefix in the file is stripped). */
  id: string;
  rpoSeconds: number;
}

/** `discover`: poll every backup EM lists whose name matches, re-listed every `metadataRefresh`. */
export interface DiscoverConfig {
  /** JavaScript regular expression (unanchored) a backup name must match; default `.*`. */
  include: string;
  /** Backups whose name matches this are left out. */
  exclude?: string;
  /** RPO of discovered backups (`discover.rpo`, else `defaults.rpo`); a backup also listed in `backups` keeps its own. */
  rpoSeconds: number;
}

/** `vms`: per-machine freshness of this EM's polled backups, read incrementally through the query service. */
export interface VmsConfig {
  /** JavaScript regular expression (unanchored) a VM name must match; default `.*`. */
  include: string;
  /** VMs whose name matches this are left out. */
  exclude?: string;
  /** Most VM series this EM may export; the rest are dropped and counted. */
  limit: number;
  /** How far before the start of the last successful read an incremental read starts: covers points that reach EM late. */
  overlapMs: number;
  /** How often every VM point is read again. */
  resyncMs: number;
}

export interface EmConfig {
  /** `em` label; defaults to the URL host. */
  name: string;
  /** Base URL without trailing slash and without /api. */
  url: string;
  username: string;
  /** Exactly one of password / passwordFile is set. `${VAR}` is already expanded. */
  password?: string;
  passwordFile?: string;
  apiVersion: string;
  format: 'xml' | 'json';
  /** entity: per backup, BackupDateUTC | reference: per backup, parse Ref Name | query: many backups per request via the query service. */
  restorePoints: 'entity' | 'reference' | 'query';
  tls: { caFile?: string; insecureSkipVerify: boolean; serverName?: string };
  /** Configured backups; may be empty when `discover` is set. */
  backups: BackupTargetConfig[];
  discover?: DiscoverConfig;
  vms?: VmsConfig;
}

export interface ExporterConfig {
  poll: {
    schedule: string;
    concurrency: number;
    timeoutMs: number;
    retries: number;
    metadataRefreshMs: number;
    /** `poll.maxResponseSize`: larger answers from EM are refused unread; absent = the client's default (32 MiB). */
    maxResponseBytes?: number;
    /** `poll.cycleTimeout`: a cycle still running after this long ends, unfinished polls failing as `timeout`; absent = the schedule interval. */
    cycleTimeoutMs?: number;
  };
  defaults: { rpoSeconds: number };
  enterpriseManagers: EmConfig[];
}

/** One problem in a config file, pinned to its key path and, where known, its position. */
export interface ConfigIssue {
  file: string;
  /** e.g. `enterpriseManagers[0].backups[2].rpo`; '' for the whole document. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export type ConfigResult = { ok: true; config: ExporterConfig; warnings: ConfigIssue[] } | { ok: false; issues: ConfigIssue[] };
