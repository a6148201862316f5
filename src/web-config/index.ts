// TLS, basic auth and response headers for the exporter's own endpoints (--web.config.file),
// in exporter-toolkit's web-config.yml format.
export { loadWebConfig } from './load.js';
export {
  createWebGuard,
  handshakeClientCertPolicy,
  WebGuard,
  WWW_AUTHENTICATE,
  type ServerTlsOptions,
  type WebGuardOptions,
  type WebGuardReload,
  type WebGuardResult,
} from './guard.js';
export { createSecuredServer, type RequestHandler, type SecuredServerOptions } from './secured-server.js';
export { bcryptCompare, parseBasicAuthorization, type PasswordCompare } from './basic-auth.js';
export { Secret } from './secret.js';
export type {
  ClientAuthType,
  TlsServerSettings,
  WebConfig,
  WebConfigIssue,
  WebConfigLogger,
  WebConfigResult,
} from './types.js';
