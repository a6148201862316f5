export { EmSimulator } from './server.js';
export { generateBackups, type GenerateOptions } from './generate.js';
export { formatBackupDateUtc, formatRestorePointName, stableGuid } from './names.js';
export type * from './types.js';
