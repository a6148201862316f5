export type { BackupTargetConfig, ConfigIssue, ConfigResult, EmConfig, ExporterConfig } from './types.js';
export { formatDuration, parseDuration } from './duration.js';
export { formatIssue, formatIssues } from './format-issues.js';
export { loadConfigFile } from './load.js';
export { parseConfigText } from './parse.js';
export { readEmPassword } from './password.js';
export { DEFAULTS as CONFIG_DEFAULTS } from './schema.js';
