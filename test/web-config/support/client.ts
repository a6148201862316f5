import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:net';
import { TLSSocket } from 'node:tls';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** SHA-256 fingerprint of the certificate the server presented (HTTPS only). */
  serverFingerprint?: string;
  /** Negotiated TLS protocol and cipher (HTTPS only). */
  protocol?: string;
  cipher?: string;
}

export interface ClientOptions {
  /** Trust anchor for the server certificate; omitted means plain HTTP. */
  ca?: string;
  cert?: string;
  key?: string;
  user?: string;
  password?: string;
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** Listens on an ephemeral loopback port and resolves with it. */
export function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** One GET on a fresh connection (no agent), so every call performs its own TLS handshake. */
export function get(port: number, path: string, options: ClientOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.user !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${options.user}:${options.password ?? ''}`).toString('base64')}`;
  }
  const common = { host: '127.0.0.1', port, path, headers, agent: false as const };
  return new Promise((resolve, reject) => {
    const req = options.ca
      ? httpsRequest({
          ...common,
          ca: options.ca,
          ...(options.cert ? { cert: options.cert, key: options.key } : {}),
          ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
        })
      : httpRequest(common);
    req.on('response', (res) => {
      const socket = res.socket;
      const tlsInfo =
        socket instanceof TLSSocket
          ? {
              serverFingerprint: socket.getPeerCertificate().fingerprint256,
              protocol: socket.getProtocol() ?? '',
              cipher: socket.getCipher().name,
            }
          : {};
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ...tlsInfo }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.end();
  });
}
