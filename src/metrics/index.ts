export { createExporterState } from './state.js';
export {
  createExporterMetrics,
  API_DURATION_BUCKETS,
  type ExporterMetrics,
  type ExporterMetricsOptions,
} from './exporter-metrics.js';
export type { BackupRecord, BackupTarget, EmRecord, ExporterState, LastPoll, PollEvents } from './types.js';
