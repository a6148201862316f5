// TLS, basic auth and response headers for the exporter's own endpoints (--web.config.file),
// in exporter-toolkit's web-config.yml format.
export { loadWebConfig } from './load.js';
export { Secret } from './secret.js';
export type { ClientAuthType, TlsServerSettings, WebConfig, WebConfigIssue, WebConfigLogger, WebConfigResult } from './types.js';
