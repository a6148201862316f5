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
