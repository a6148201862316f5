import { connect } from 'node:net';
import { generate } from 'selfsigned';
import { beforeAll, describe, expect, it } from 'vitest';
import { request, startServer } from './harness.js';

let pems: { key: string; cert: string };

beforeAll(async () => {
  const generated = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  pems = { key: generated.private, cert: generated.cert };
});

describe('with TLS options', () => {
  it('serves HTTPS', async () => {
    const { base, server } = await startServer({ tls: pems });
    try {
      expect(base.startsWith('https://')).toBe(true);
      const res = await request(`${base}/-/healthy`, { ca: pems.cert });
      expect([res.status, res.text]).toEqual([200, 'Healthy']);
    } finally {
      await server.close();
    }
  });

  it('closes promptly while a client sits in the middle of a TLS handshake', async () => {
    const { port, server } = await startServer({ tls: pems });
    const idle = connect(port, '127.0.0.1');
    await new Promise((resolve) => idle.once('connect', resolve));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    idle.destroy();
  });
});
