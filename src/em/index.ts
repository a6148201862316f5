export * from './parse/index.js';
export { createEmClient, EM_CLIENT_DEFAULTS, type EmClientDeps } from './client.js';
export { EmError, isEmError, EM_ROLES } from './errors.js';
export { DEFAULT_MAX_RESPONSE_BYTES } from './transport.js';
export type { ApiObserver, BackupOutcome, EmClient, EmClientOptions } from './types.js';
export { createdSinceFilter, type EmVmClient } from './vm-query.js';
