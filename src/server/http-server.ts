import {
  createServer as createPlainServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { textPart, type ExpositionPart } from '../metrics/exposition.js';
import type { ExporterState } from '../metrics/types.js';
import { gzipChunks, identityChunks } from './exposition-body.js';
import { acceptsGzip } from './accept-encoding.js';
import { buildStatusModel } from './status-model.js';
import { renderStatusPage, STATUS_PAGE_CSP } from './status-page.js';
import type { VmEmRecord } from '../vms/store.js';

export type ReloadResult = { ok: true } | { ok: false; error: string };

export interface HttpServerOptions {
  telemetryPath: string;
  /** The exposition; must not call Enterprise Manager (scrapes read cached state). */
  render: () => Promise<{ contentType: string; body: string | readonly ExpositionPart[] }>;
  state: ExporterState;
  /** Per-machine freshness for the status page, when the exporter has any. */
  vms?: () => readonly VmEmRecord[];
  isReady: () => boolean;
  version: string;
  /** The poll schedule the status page names; a function follows reloads that change it. */
  schedule: string | (() => string);
  /**
   * Present only with --web.enable-lifecycle. Answers POST /-/reload; whether overlapping requests
   * share one reload is up to it (the daemon's reload queue decides).
   */
  reload?: () => Promise<ReloadResult>;
  logger: Logger;
  now?: () => number;
  /**
   * Builds the listening server; default `http.createServer`. With --web.config.file, pass a factory
   * that returns the TLS and basic-auth guarded server. It should apply `options` (header size limit);
   * the timeouts are set on whatever server it returns.
   */
  createServer?: (options: ServerOptions, listener: RequestListener) => Server;
  /** Overrides of SERVER_LIMITS (tests use short timeouts). */
  limits?: Partial<ServerLimits>;
}

export interface HttpServer {
  listen(host: string | undefined, port: number): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  /** Parts from the metrics renderer keep their encoded bytes between scrapes where they are stable. */
  body: string | readonly ExpositionPart[];
  contentType?: string;
  headers?: Record<string, string>;
}

type Handler = (req: IncomingMessage) => Reply | Promise<Reply>;
/** `costly`: GET renders something that grows with the number of backups; counted against maxRequestsInFlight. */
type Route = { GET?: Handler; POST?: Handler; costly?: boolean };

export interface ServerLimits {
  maxHeaderSize: number;
  /** Longer request targets get 414; one longer than maxHeaderSize never gets that far (431). */
  maxUrlLength: number;
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
  socketIdleTimeout: number;
  /** --web.max-connections: connections beyond it are closed as soon as they are accepted; 0 = no cap. */
  maxConnections: number;
  /**
   * --web.max-requests: scrapes and status page views served at once, counted until the response
   * has drained to the client; beyond it, 503 with Retry-After. 0 = no cap.
   */
  maxRequestsInFlight: number;
  /** A response not handed to the client within this long after its headers is cut off with its connection. */
  responseTimeout: number;
  /** A connection with more requests than this awaiting their responses (pipelined) is closed. */
  maxPipelinedRequests: number;
}

/**
 * Limits that keep a slow or hostile client from tying up the exporter: headers must arrive within
 * 10 s (checked every second), a whole request within 30 s, and idle keep-alive sockets close after 5 s.
 * The headers timeout also bounds a TLS handshake, which Node would otherwise allow 120 s.
 */
export const SERVER_LIMITS: Readonly<ServerLimits> = {
  maxHeaderSize: 8 * 1024,
  // Prometheus sends the path and at most a few short parameters.
  maxUrlLength: 4 * 1024,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
  socketIdleTimeout: 60_000,
  // Prometheus's --web.max-connections default.
  maxConnections: 512,
  // node_exporter's --web.max-requests default.
  maxRequestsInFlight: 40,
  responseTimeout: 30_000,
  maxPipelinedRequests: 16,
};

/** Seconds a refused scrape is told to wait. */
const RETRY_AFTER_SECONDS = '1';
/** At most one warning per this long about refused connections or scrapes, however many there are. */
const REFUSAL_WARNING_INTERVAL_MS = 60_000;

const TEXT = 'text/plain; charset=utf-8';
/** Below this, gzip costs more than it saves. */
const GZIP_MIN_BYTES = 1024;
/** Exposition text is repetitive: the fastest level shrinks 12.7 MB to 2.3 MB in 130 ms, level 6 to 2.2 MB in 315 ms. */
const GZIP_LEVEL = 1;

export function createHttpServer(opts: HttpServerOptions): HttpServer {
  const { logger } = opts;
  const now = opts.now ?? Date.now;
  const routes = buildRoutes(opts, now);

  const limits: ServerLimits = { ...SERVER_LIMITS, ...opts.limits };
  // For the TLS server a factory may build (plain HTTP ignores it): Node's HTTP timeouts only start
  // once the handshake is done, so a client trickling or withholding its ClientHello would hold a socket 120 s.
  const serverOptions: ServerOptions & { handshakeTimeout: number } = {
    handshakeTimeout: limits.headersTimeout,
    maxHeaderSize: limits.maxHeaderSize,
    headersTimeout: limits.headersTimeout,
    requestTimeout: limits.requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeout,
    connectionsCheckingInterval: limits.connectionsCheckingInterval,
  };
  const listener = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
  const server = (opts.createServer ?? createPlainServer)(serverOptions, listener);
  // Set again as properties: a factory may have built its server without our options.
  server.headersTimeout = limits.headersTimeout;
  server.requestTimeout = limits.requestTimeout;
  server.keepAliveTimeout = limits.keepAliveTimeout;
  server.setTimeout(limits.socketIdleTimeout);
  // Node closes connections beyond this as soon as it accepts them, before any TLS or HTTP work.
  server.maxConnections = limits.maxConnections > 0 ? limits.maxConnections : Infinity;
  const warnDropped = throttledWarning(logger, now);
  const warnBusy = throttledWarning(logger, now);
  server.on('drop', () => warnDropped('connection refused: --web.max-connections reached', limits.maxConnections));
  let costlyInFlight = 0;

  // closeAllConnections() only knows sockets that reached HTTP; a TLS handshake in progress would hold close() open.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Without a listener Node drops a CONNECT without a word; answer it like any other wrong method.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const path = pathOf(req.url);
    const route = path === undefined ? undefined : routes.get(path);
    const body = 'Method Not Allowed';
    socket.on('error', () => undefined);
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nAllow: ${route ? allowedMethods(route) : 'GET, HEAD'}\r\nContent-Type: ${TEXT}\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  // Requests read from one connection whose responses are still open, pipelined ones included.
  const openOnSocket = new WeakMap<Duplex, number>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const socket = req.socket;
    const open = (openOnSocket.get(socket) ?? 0) + 1;
    openOnSocket.set(socket, open);
    res.once('close', () => openOnSocket.set(socket, (openOnSocket.get(socket) ?? 1) - 1));
    if (open > limits.maxPipelinedRequests) {
      // Node parses a whole read of pipelined requests at once and queues a response for each; a
      // client that sends thousands and reads none would have them all held. Prometheus never pipelines.
      logger.debug(
        { remoteAddress: socket.remoteAddress, open },
        'too many pipelined requests on one connection: closing it',
      );
      socket.destroy();
      return;
    }
    // No endpoint reads a request body, and Node discards an unread one before the connection can
    // take the next request: a client streaming gigabytes would keep the exporter reading them until
    // the request timeout. Closing after the answer ends that at once.
    if (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0)
      res.setHeader('Connection', 'close');
    let reply: Reply;
    try {
      reply = await dispatch(req, res);
    } catch (error) {
      logger.error({ err: error, path: req.url }, 'HTTP request failed');
      reply = { status: 500, body: 'Internal Server Error' };
    }
    try {
      await send(req, res, reply, limits.responseTimeout);
    } catch (error) {
      logger.debug({ err: error }, 'could not send HTTP response');
      res.destroy();
    }
    logger.debug(
      { method: req.method, path: req.url, status: reply.status, ms: Math.round(performance.now() - started) },
      'HTTP request',
    );
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<Reply> {
    if ((req.url?.length ?? 0) > limits.maxUrlLength) return { status: 414, body: 'URI Too Long' };
    const path = pathOf(req.url);
    const route = path === undefined ? undefined : routes.get(path);
    if (route === undefined) return { status: 404, body: 'Not Found' };
    const handler =
      req.method === 'GET' || req.method === 'HEAD' ? route.GET : req.method === 'POST' ? route.POST : undefined;
    if (handler === undefined)
      return { status: 405, body: 'Method Not Allowed', headers: { Allow: allowedMethods(route) } };
    if (route.costly === true && handler === route.GET) {
      // A client that never reads holds its response, and the body with it, until responseTimeout;
      // the cap bounds how many bodies such clients can pin. Health and readiness are not counted.
      if (limits.maxRequestsInFlight > 0 && costlyInFlight >= limits.maxRequestsInFlight) {
        warnBusy('scrape refused with 503: --web.max-requests reached', limits.maxRequestsInFlight);
        return {
          status: 503,
          body: 'Too many requests in flight; try again shortly',
          headers: { 'Retry-After': RETRY_AFTER_SECONDS },
        };
      }
      costlyInFlight++;
      // 'close' follows the last byte handed to the socket, or the connection's end, whichever comes first.
      res.once('close', () => costlyInFlight--);
    }
    return handler(req);
  }

  return {
    listen(host, port) {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once('error', onError);
        server.listen({ host, port }, () => {
          server.off('error', onError);
          server.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));
          const address = server.address() as AddressInfo;
          resolve({ host: address.address, port: address.port });
        });
      });
    },

    close() {
      if (!server.listening) return Promise.resolve();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive clients (Prometheus) would otherwise hold the server open for keepAliveTimeout.
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

function buildRoutes(opts: HttpServerOptions, now: () => number): Map<string, Route> {
  const reload = opts.reload;

  const routes = new Map<string, Route>([
    [
      '/',
      {
        costly: true,
        GET: () => ({
          status: 200,
          contentType: 'text/html; charset=utf-8',
          headers: { 'Content-Security-Policy': STATUS_PAGE_CSP },
          body: renderStatusPage(
            buildStatusModel(opts.state, {
              version: opts.version,
              schedule: typeof opts.schedule === 'function' ? opts.schedule() : opts.schedule,
              telemetryPath: opts.telemetryPath,
              ready: opts.isReady(),
              lifecycleEnabled: reload !== undefined,
              nowMs: now(),
              ...(opts.vms !== undefined ? { vms: opts.vms() } : {}),
            }),
          ),
        }),
      },
    ],
    // Browsers ask for it on their own; an empty 204 keeps their consoles free of 404 noise.
    ['/favicon.ico', { GET: () => ({ status: 204, body: '' }) }],
    ['/-/healthy', { GET: () => ({ status: 200, body: 'Healthy' }) }],
    [
      '/-/ready',
      {
        GET: () =>
          opts.isReady()
            ? { status: 200, body: 'Ready' }
            : { status: 503, body: 'Not ready: the first poll cycle has not finished' },
      },
    ],
    [
      '/-/reload',
      {
        // Like Prometheus: the endpoint exists either way and says why it refuses when lifecycle is off.
        POST: async () => {
          if (reload === undefined) return { status: 403, body: 'Lifecycle API is not enabled.' };
          const result = await reload().catch((error: unknown): ReloadResult => ({
            ok: false,
            error: error instanceof Error ? error.message : String(error),
          }));
          return result.ok
            ? { status: 200, body: 'Reloaded' }
            : { status: 500, body: `Failed to reload config: ${result.error}` };
        },
      },
    ],
  ]);
  // Scrapes that arrive while a render runs share its result (and its gzip encoding, see send):
  // the ages in it are computed when it renders, so only scrapes that overlap in time share.
  let rendering: ReturnType<HttpServerOptions['render']> | undefined;
  // Registered last so an operator's telemetry path wins, as with node_exporter.
  routes.set(opts.telemetryPath, {
    costly: true,
    GET: async () => {
      rendering ??= opts.render().finally(() => {
        rendering = undefined;
      });
      const { contentType, body } = await rendering;
      return { status: 200, contentType, body };
    },
  });
  return routes;
}

/** The path without query; undefined for request targets that are not a path (`*`, garbage). */
function pathOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  if (url.startsWith('/')) return url.split(/[?#]/, 1)[0];
  try {
    return new URL(url).pathname; // absolute-form, as sent to proxies
  } catch {
    return undefined;
  }
}

function allowedMethods(route: Route): string {
  return [route.GET ? 'GET, HEAD' : '', route.POST ? 'POST' : ''].filter(Boolean).join(', ');
}

interface EncodedExposition {
  identity: Buffer[];
  gzip?: Promise<Buffer[]>;
}

/**
 * The bytes of each exposition that scrapes share (see the telemetry route): encoded once, so a
 * hundred clients that stop reading queue references to one body instead of a hundred copies.
 */
const encodedExpositions = new WeakMap<readonly ExpositionPart[], EncodedExposition>();

function encode(body: string | readonly ExpositionPart[]): EncodedExposition {
  if (typeof body === 'string') return { identity: identityChunks([textPart(body, false)]) };
  let encoded = encodedExpositions.get(body);
  if (encoded === undefined) {
    encoded = { identity: identityChunks(body) };
    encodedExpositions.set(body, encoded);
  }
  return encoded;
}

function gzipOf(body: string | readonly ExpositionPart[], encoded: EncodedExposition): Promise<Buffer[]> {
  if (encoded.gzip === undefined) {
    const parts = typeof body === 'string' ? encoded.identity.map((bytes) => ({ bytes, stable: false })) : body;
    const pending = gzipChunks(parts, GZIP_LEVEL);
    encoded.gzip = pending;
    pending.catch(() => {
      if (encoded.gzip === pending) delete encoded.gzip;
    });
  }
  return encoded.gzip;
}

async function send(req: IncomingMessage, res: ServerResponse, reply: Reply, responseTimeout: number): Promise<void> {
  const encoded = encode(reply.body);
  let chunks = encoded.identity;
  let length = byteLength(chunks);
  const headers: Record<string, string | number> = {
    'Content-Type': reply.contentType ?? TEXT,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...reply.headers,
  };
  if (length >= GZIP_MIN_BYTES) {
    headers.Vary = 'Accept-Encoding';
    // zlib runs on the thread pool, so a 10 MB exposition does not block other requests while it compresses.
    if (req.method !== 'HEAD' && acceptsGzip(req.headers['accept-encoding'])) {
      chunks = await gzipOf(reply.body, encoded);
      length = byteLength(chunks);
      headers['Content-Encoding'] = 'gzip';
    }
  }
  headers['Content-Length'] = length;
  if (res.destroyed) return;
  // A client that stops reading would otherwise hold the socket, and the body queued on it, until the
  // idle timeout; Node's own timeouts end when the request has arrived.
  const cutOff = setTimeout(() => res.destroy(), responseTimeout);
  res.once('close', () => clearTimeout(cutOff));
  res.writeHead(reply.status, headers);
  // Node leaves out the body of a HEAD response by itself; the headers still describe the GET answer.
  for (const chunk of chunks) res.write(chunk);
  res.end();
}

/** Logs `message` at most once per REFUSAL_WARNING_INTERVAL_MS, with how many were refused since the last line. */
function throttledWarning(logger: Logger, now: () => number): (message: string, limit: number) => void {
  let lastAt = -Infinity;
  let refused = 0;
  return (message, limit) => {
    refused++;
    const at = now();
    if (at - lastAt < REFUSAL_WARNING_INTERVAL_MS) return;
    logger.warn({ limit, refused }, message);
    lastAt = at;
    refused = 0;
  };
}

function byteLength(chunks: readonly Buffer[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}
