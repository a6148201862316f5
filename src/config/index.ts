export type { BackupTargetConfig, ConfigIssue, ConfigResult, EmConfig, ExporterConfig } from './types.js';
export { formatDuration, parseDuration } from './duration.js';
export { formatIssue, formatIssues } from './format-issues.js';
export { loadConfigFile, readEmPassword } from './load.js';
export { parseConfigText } from './parse.js';
export { DEFAULTS as CONFIG_DEFAULTS } from './schema.js';
