import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmClient } from '../../src/em/index.js';
import { SESSION_HEADER } from '../../src/em/logon.js';
import { fixture, XML } from './fixtures.js';

const TOKEN = Buffer.from('9d3e5f70-6b1a-4c2d-8e9f-a0b1c2d3e4f5').toString('base64');

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

/** An EM reached over plain http (allowed on loopback, e.g. behind a local tunnel): logon and one restore-point list. */
async function startPlainEm(): Promise<{ url: string; paths: string[] }> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(`${req.method} ${req.url}`);
    if (req.method === 'POST' && req.url?.startsWith('/api/sessionMngr/')) {
      res.writeHead(201, { 'content-type': XML, [SESSION_HEADER]: TOKEN }).end(fixture('logon-session.xml'));
    } else if (
      req.method === 'GET' &&
      req.url?.includes('/restorePoints') &&
      req.headers[SESSION_HEADER.toLowerCase()] === TOKEN
    ) {
      res.writeHead(200, { 'content-type': XML }).end(fixture('restore-points-entity.xml'));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
}

describe('EM client: plain http', () => {
  it('logs on and reads restore points from an EM URL with http://', async () => {
    const em = await startPlainEm();
    const client = createEmClient(
      {
        name: 'em01',
        url: em.url,
        username: 'EM01\\svc_monitor',
        password: () => 'secret',
        apiVersion: 'latest',
        format: 'xml',
        restorePoints: 'entity',
        tls: { insecureSkipVerify: false },
        timeoutMs: 5_000,
        retries: 0,
        concurrency: 2,
      },
      { api: { request: () => undefined }, log: pino({ level: 'silent' }) },
    );
    try {
      const points = await client.getRestorePoints('0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3');
      expect(points).toHaveLength(2);
      expect(em.paths.filter((p) => p.startsWith('GET '))).toHaveLength(1);
    } finally {
      await client.close();
    }
  });
});
