/**
 * The metric contract of the README's Metrics table, as data: the one list the alert rules, the dashboard and
 * (later) the golden /metrics files are checked against. Changing a name here without the
 * design changing first is the mistake these tests exist to catch.
 */

export type MetricType = 'gauge' | 'counter' | 'histogram';

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  /** Labels the exporter sets; Prometheus adds the target labels on top. */
  readonly labels: readonly string[];
}

const BACKUP = ['em', 'backup_id', 'backup_name'] as const;
const EM = ['em'] as const;

export const METRIC_FAMILIES: readonly MetricFamily[] = [
  { name: 'veeam_em_backup_restore_points', type: 'gauge', labels: BACKUP },
  { name: 'veeam_em_backup_newest_restore_point_timestamp_seconds', type: 'gauge', labels: BACKUP },
  { name: 'veeam_em_backup_newest_restore_point_age_seconds', type: 'gauge', labels: BACKUP },
  { name: 'veeam_em_backup_oldest_restore_point_timestamp_seconds', type: 'gauge', labels: BACKUP },
  { name: 'veeam_em_backup_rpo_seconds', type: 'gauge', labels: BACKUP },
  { name: 'veeam_em_backup_poll_success', type: 'gauge', labels: BACKUP },
  { name: 'veeam_em_backup_last_success_timestamp_seconds', type: 'gauge', labels: BACKUP },
  {
    name: 'veeam_em_backup_info',
    type: 'gauge',
    labels: [...BACKUP, 'backup_server', 'platform', 'backup_type', 'repository'],
  },
  { name: 'veeam_em_up', type: 'gauge', labels: EM },
  { name: 'veeam_em_last_poll_timestamp_seconds', type: 'gauge', labels: EM },
  { name: 'veeam_em_poll_duration_seconds', type: 'gauge', labels: EM },
  { name: 'veeam_em_poll_overruns_total', type: 'counter', labels: EM },
  { name: 'veeam_em_poll_errors_total', type: 'counter', labels: ['em', 'reason'] },
  { name: 'veeam_em_api_requests_total', type: 'counter', labels: ['em', 'endpoint', 'code'] },
  { name: 'veeam_em_api_request_duration_seconds', type: 'histogram', labels: ['em', 'endpoint'] },
  { name: 'veeam_em_exporter_build_info', type: 'gauge', labels: ['version', 'nodejs_version'] },
  // Added by the reload work (SIGHUP, POST /-/reload), named as Prometheus names its own.
  { name: 'veeam_em_exporter_config_last_reload_successful', type: 'gauge', labels: [] },
  { name: 'veeam_em_exporter_config_last_reload_success_timestamp_seconds', type: 'gauge', labels: [] },
];

const VM = [...BACKUP, 'vm_name', 'vm_id'] as const;

/**
 * Families that exist only when a config key turns them on (per-machine freshness: `vms:`), so
 * golden files of the default config do not show them; rules and dashboards may still use them.
 */
export const OPT_IN_METRIC_FAMILIES: readonly MetricFamily[] = [
  { name: 'veeam_em_vm_restore_points', type: 'gauge', labels: VM },
  { name: 'veeam_em_vm_newest_restore_point_timestamp_seconds', type: 'gauge', labels: VM },
  { name: 'veeam_em_vm_series_dropped', type: 'gauge', labels: EM },
];

/** Labels Prometheus attaches to every scraped series. */
export const TARGET_LABELS = ['job', 'instance'] as const;

/** Series Prometheus itself writes for every target. */
const SYNTHETIC: ReadonlyMap<string, readonly string[]> = new Map([['up', []]]);

/** Every series name a query may select, mapped to the label names it can carry. */
export function seriesLabels(): ReadonlyMap<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const [name, labels] of SYNTHETIC) out.set(name, [...labels, ...TARGET_LABELS]);
  for (const family of [...METRIC_FAMILIES, ...OPT_IN_METRIC_FAMILIES]) {
    const labels = [...family.labels, ...TARGET_LABELS];
    if (family.type === 'histogram') {
      out.set(`${family.name}_bucket`, [...labels, 'le']);
      out.set(`${family.name}_sum`, labels);
      out.set(`${family.name}_count`, labels);
    } else {
      out.set(family.name, labels);
    }
  }
  return out;
}
