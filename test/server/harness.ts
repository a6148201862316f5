import { afterEach } from 'vitest';
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createLogger } from '../../src/logging/logger.js';
import { createExporterState } from '../../src/metrics/state.js';
import { createHttpServer, type HttpServerOptions } from '../../src/server/http-server.js';

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; agent?: Agent; ca?: string; body?: string } = {},
): Promise<Response> {
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent, ...(opts.ca ? { ca: opts.ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A server on a free loopback port with a stub exposition and a log that tests can read. */
export async function startServer(overrides: Partial<HttpServerOptions> = {}, scheme: 'http' | 'https' = 'http') {
  let logText = '';
  const logger = createLogger({
    level: 'debug',
    format: 'json',
    destination: { write: (s: string) => void (logText += s) },
  });
  const state = createExporterState();
  let renders = 0;
  const server = createHttpServer({
    telemetryPath: '/metrics',
    render: async () => {
      renders++;
      return { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'veeam_em_up{em="em01"} 1\n' };
    },
    state,
    isReady: () => true,
    version: '1.2.3',
    schedule: '*/5 * * * *',
    logger,
    ...overrides,
  });
  const address = await server.listen('127.0.0.1', 0);
  return {
    server,
    state,
    base: `${scheme}://127.0.0.1:${address.port}`,
    port: address.port,
    renders: () => renders,
    log: () => logText,
  };
}

/**
 * `startServer` for a test file whose servers are all closed after each test; `track` adds any
 * other server with a `close()` to the same list.
 */
export function serversClosedAfterEach(): {
  start: (...args: Parameters<typeof startServer>) => ReturnType<typeof startServer>;
  track: (server: { close(): Promise<void> }) => void;
} {
  const running: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.close()));
  });
  return {
    async start(...args) {
      const started = await startServer(...args);
      running.push(started.server);
      return started;
    },
    track: (server) => void running.push(server),
  };
}
