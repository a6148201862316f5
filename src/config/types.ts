import type { z } from 'zod';
import type { configSchema } from './schema.js';

/** The validated, defaulted config the rest of the program sees, as the schema produces it. Durations are already milliseconds or seconds. */
export type ExporterConfig = z.output<typeof configSchema>['config'];
export type EmConfig = ExporterConfig['enterpriseManagers'][number];
export type BackupTargetConfig = EmConfig['backups'][number];
export type DiscoverConfig = NonNullable<EmConfig['discover']>;
export type VmsConfig = NonNullable<EmConfig['vms']>;

/** One problem in a config file, pinned to its key path and, where known, its position. */
export interface ConfigIssue {
  file: string;
  /** e.g. `enterpriseManagers[0].backups[2].rpo`; '' for the whole document. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export type ConfigResult =
  { ok: true; config: ExporterConfig; warnings: ConfigIssue[] } | { ok: false; issues: ConfigIssue[] };
