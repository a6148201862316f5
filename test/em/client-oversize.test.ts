import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmClient, type EmClient } from '../../src/em/index.js';
import { BACKUP_A, failureOf } from './client-harness.js';

/**
 * The simulator always declares Content-Length; these bodies do not, so the limit has to hold
 * while downloading: an endless chunked stream, and a small gzip that inflates far past the limit.
 */
async function startStreamingEm(
  body: 'endless' | 'gzip',
): Promise<{ url: string; caPem: string; servedBytes: () => number; stop: () => Promise<void> }> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  let served = 0;
  const chunk =
    `<RestorePoint UID="u" Name="Jun  5 2025  1:01AM"><BackupDateUTC>2025-06-05T01:01:27Z</BackupDateUTC></RestorePoint>`.repeat(
      100,
    );
  const server = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    if (req.method === 'POST') {
      res
        .writeHead(201, { 'x-restsvcsessionid': 'dG9rZW4=', 'content-type': 'application/xml' })
        .end('<LogonSession/>');
      return;
    }
    if (body === 'gzip') {
      const inflated = `<RestorePoints>${' '.repeat(20 * 1024 * 1024)}</RestorePoints>`;
      res.writeHead(200, { 'content-type': 'application/xml', 'content-encoding': 'gzip' }).end(gzipSync(inflated));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.write('<RestorePoints>');
    const pump = (): void => {
      while (!res.destroyed && served < 200 * 1024 * 1024) {
        served += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: pems.cert,
    servedBytes: () => served,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function clientFor(
  body: 'endless' | 'gzip',
  maxResponseBytes: number,
): Promise<{ client: EmClient; served: () => number }> {
  const em = await startStreamingEm(body);
  const client = createEmClient(
    {
      name: 'em01',
      url: em.url,
      username: 'u',
      password: () => 'p',
      apiVersion: 'latest',
      format: 'xml',
      restorePoints: 'entity',
      tls: { caPem: em.caPem, insecureSkipVerify: false },
      timeoutMs: 10_000,
      retries: 2,
      concurrency: 2,
      maxResponseBytes,
    },
    { api: { request: () => undefined }, log: pino({ level: 'silent' }) },
  );
  cleanup.push(async () => {
    await client.close();
    await em.stop();
  });
  return { client, served: em.servedBytes };
}

describe('EM client: response size limit while downloading', () => {
  it('aborts an endless body soon after the limit, without retrying', async () => {
    const { client, served } = await clientFor('endless', 256 * 1024);
    const started = performance.now();
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('parse');
    expect(error.message).toMatch(/answer larger than 262144 bytes refused/);
    expect(performance.now() - started).toBeLessThan(3_000);
    // Socket buffers let the server run ahead a little, but nowhere near the 200 MiB it would send.
    expect(served()).toBeLessThan(32 * 1024 * 1024);
  });

  it('counts inflated bytes, so a small gzip cannot expand past the limit', async () => {
    const { client } = await clientFor('gzip', 1024 * 1024);
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('parse');
    expect(error.message).toMatch(/answer larger than 1048576 bytes refused/);
  });
});
