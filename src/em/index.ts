export * from './parse/index.js';
export type { ApiObserver, EmClient, EmClientOptions, EmFailure } from './types.js';
