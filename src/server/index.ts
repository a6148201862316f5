export {
  createHttpServer,
  SERVER_LIMITS,
  type HttpServer,
  type HttpServerOptions,
  type ReloadResult,
  type ServerLimits,
} from './http-server.js';
export { renderStatusPage, type EmStatus, type StatusPageModel } from './status-page.js';
export { buildStatusModel } from './status-model.js';
export { freshness, formatDuration, formatIsoUtc, type Freshness } from './freshness.js';
