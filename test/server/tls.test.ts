import { connect } from 'node:net';
import { createServer as createTlsServer, type Server } from 'node:https';
import { generate } from 'selfsigned';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HttpServerOptions } from '../../src/server/http-server.js';
import { request, startServer } from './harness.js';

let pems: { key: string; cert: string };
let tlsFactory: NonNullable<HttpServerOptions['createServer']>;
let seenOptions: Parameters<typeof tlsFactory>[0] | undefined;

beforeAll(async () => {
  const generated = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  pems = { key: generated.private, cert: generated.cert };
  // Stands in for the web-config guarded server, which builds HTTPS itself.
  tlsFactory = (options, listener) => {
    seenOptions = options;
    return createTlsServer({ ...pems, ...options }, listener);
  };
});

describe('with a server factory (as --web.config.file uses)', () => {
  it('serves through the server the factory built, handing it the header limits', async () => {
    const { base, server } = await startServer({ createServer: tlsFactory }, 'https');
    try {
      const res = await request(`${base}/-/healthy`, { ca: pems.cert });
      expect([res.status, res.text]).toEqual([200, 'Healthy']);
      expect(seenOptions).toMatchObject({ maxHeaderSize: 8192, headersTimeout: 10_000 });
    } finally {
      await server.close();
    }
  });

  it('closes promptly while a client sits in the middle of a TLS handshake', async () => {
    const { port, server } = await startServer({ createServer: tlsFactory }, 'https');
    const idle = connect(port, '127.0.0.1');
    await new Promise((resolve) => idle.once('connect', resolve));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    idle.destroy();
  });

  it('sets the timeouts on the server even when the factory ignores the options', async () => {
    let built: Server | undefined;
    const { server } = await startServer(
      {
        createServer: (_options, listener) => (built = createTlsServer(pems, listener)),
        limits: { headersTimeout: 300, requestTimeout: 400, keepAliveTimeout: 500 },
      },
      'https',
    );
    try {
      expect({
        headersTimeout: built?.headersTimeout,
        requestTimeout: built?.requestTimeout,
        keepAliveTimeout: built?.keepAliveTimeout,
      }).toEqual({
        headersTimeout: 300,
        requestTimeout: 400,
        keepAliveTimeout: 500,
      });
    } finally {
      await server.close();
    }
  });
});
