import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerOptions as HttpServerOptions,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { WWW_AUTHENTICATE, type WebGuard } from './guard.js';
import type { ClientAuthType, WebConfigLogger } from './types.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface SecuredServerOptions {
  /** Passed through to http/https.createServer (header size limit, timeouts). */
  serverOptions?: HttpServerOptions;
  /** Refused TLS clients are logged at debug level. */
  logger?: WebConfigLogger;
}

/**
 * An HTTP server, or an HTTPS one when the web config has tls_server_config, that enforces the web config
 * on every request before `handler` sees it. Certificate, key, CA and client-auth changes apply to new
 * connections without a restart. Without a guard (no --web.config.file) it is a plain http.Server.
 */
export function createSecuredServer(
  guard: WebGuard | undefined,
  handler: RequestHandler,
  options: SecuredServerOptions = {},
): HttpServer | HttpsServer {
  const { serverOptions = {}, logger } = options;
  if (!guard) return createHttpServer(serverOptions, handler);
  const secured = securedHandler(guard, handler);
  const tlsOptions = guard.tlsOptions();
  if (!tlsOptions) return createHttpServer(serverOptions, secured);

  const server = createHttpsServer({ ...serverOptions, ...tlsOptions }, secured);
  // Before the HTTP layer's own listener, so a refused client never gets a request parsed.
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    const type = guard.clientAuthType();
    const refusal = type && clientCertRefusal(type, socket);
    if (refusal) {
      logger?.debug?.({ remoteAddress: socket.remoteAddress, reason: refusal }, 'TLS client refused');
      socket.destroy();
    }
  });
  server.on('tlsClientError', (error, socket) => {
    logger?.debug?.({ remoteAddress: socket.remoteAddress, reason: error.message }, 'TLS handshake failed');
  });

  const unsubscribe = guard.onReload(() => {
    const next = guard.tlsOptions();
    if (!next) return;
    // setSecureContext swaps the default context: unlike an SNICallback it also covers clients that
    // connect by IP address and so send no SNI, which is how Prometheus usually scrapes.
    server.setSecureContext(next);
    // Node's TLS server reads these per connection; they are not part of the secure context.
    const handshake = server as unknown as { requestCert: boolean; rejectUnauthorized: boolean };
    handshake.requestCert = next.requestCert;
    handshake.rejectUnauthorized = next.rejectUnauthorized;
  });
  server.on('close', unsubscribe);
  return server;
}

function securedHandler(guard: WebGuard, handler: RequestHandler): RequestHandler {
  return (req, res) => {
    // Headers go on every response, 401s included, as exporter-toolkit does.
    for (const [name, value] of Object.entries(guard.responseHeaders())) res.setHeader(name, value);
    if (!guard.requiresAuth()) {
      handler(req, res);
      return;
    }
    guard.authorize(req.headers.authorization).then(
      (ok) => (ok ? handler(req, res) : unauthorized(res)),
      () => unauthorized(res),
    );
  };
}

function unauthorized(res: ServerResponse): void {
  res.statusCode = 401;
  res.setHeader('WWW-Authenticate', WWW_AUTHENTICATE);
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end('Unauthorized\n');
}

/**
 * The part of client_auth_type the handshake could not enforce (see handshakeClientCertPolicy).
 * Also a backstop for RequireAndVerifyClientCert should the handshake settings ever lag a reload.
 */
export function clientCertRefusal(type: ClientAuthType, socket: TLSSocket): string | undefined {
  const presented = Object.keys(socket.getPeerCertificate()).length > 0;
  switch (type) {
    case 'NoClientCert':
    case 'RequestClientCert':
      return undefined;
    case 'RequireAnyClientCert':
      return presented ? undefined : 'no client certificate';
    case 'VerifyClientCertIfGiven':
      return presented && !socket.authorized
        ? `client certificate not trusted: ${String(socket.authorizationError)}`
        : undefined;
    case 'RequireAndVerifyClientCert':
      if (!presented) return 'no client certificate';
      return socket.authorized ? undefined : `client certificate not trusted: ${String(socket.authorizationError)}`;
  }
}
