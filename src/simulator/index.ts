export { EmSimulator } from './server.js';
export { generateBackups, mulberry32, type GenerateOptions } from './generate.js';
export { formatBackupDateUtc, formatRestorePointName, stableGuid } from './names.js';
export type * from './types.js';
