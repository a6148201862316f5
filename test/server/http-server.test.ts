import { connect } from 'node:net';
import { Agent } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/server/http-server.js';
import { createLogger } from '../../src/logging/logger.js';
import { createExporterState } from '../../src/metrics/state.js';
import { request, serversClosedAfterEach } from './harness.js';

const { start } = serversClosedAfterEach();

describe('GET on the telemetry path', () => {
  it('serves what render() returns with its content type, rendering once per scrape', async () => {
    const { base, renders } = await start();
    const res = await request(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.text).toBe('veeam_em_up{em="em01"} 1\n');
    expect(renders()).toBe(1);
    await request(`${base}/metrics?name[]=x`);
    expect(renders()).toBe(2);
  });

  it('follows a custom telemetry path', async () => {
    const { base } = await start({ telemetryPath: '/custom/metrics' });
    expect((await request(`${base}/custom/metrics`)).status).toBe(200);
    expect((await request(`${base}/metrics`)).status).toBe(404);
  });

  it('gzips a large exposition for clients that accept it', async () => {
    const body = 'veeam_em_backup_restore_points{em="em01"} 1\n'.repeat(1000);
    const { base } = await start({ render: async () => ({ contentType: 'text/plain', body }) });
    const zipped = await request(`${base}/metrics`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('Accept-Encoding');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(gunzipSync(zipped.body).toString()).toBe(body);
    const plain = await request(`${base}/metrics`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.text).toBe(body);
  });

  it('answers 500 and logs when rendering fails', async () => {
    const { base, log } = await start({
      render: async () => {
        throw new Error('render broke');
      },
    });
    const res = await request(`${base}/metrics`);
    expect(res.status).toBe(500);
    expect(log()).toContain('render broke');
  });
});

describe('HEAD', () => {
  it('answers like GET without a body', async () => {
    const { base } = await start();
    const get = await request(`${base}/metrics`);
    const head = await request(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.headers['content-length']).toBe(String(get.body.length));
    expect(head.body.length).toBe(0);
  });

  it('works on the status page and health endpoints', async () => {
    const { base } = await start();
    for (const path of ['/', '/-/healthy', '/-/ready']) {
      const res = await request(`${base}${path}`, { method: 'HEAD' });
      expect(res.status, path).toBe(200);
      expect(res.body.length, path).toBe(0);
    }
  });
});

describe('health and readiness', () => {
  it('is healthy while running', async () => {
    const { base } = await start();
    const res = await request(`${base}/-/healthy`);
    expect([res.status, res.text]).toEqual([200, 'Healthy']);
  });

  it('is ready only once isReady() says so', async () => {
    let ready = false;
    const { base } = await start({ isReady: () => ready });
    expect((await request(`${base}/-/ready`)).status).toBe(503);
    ready = true;
    const res = await request(`${base}/-/ready`);
    expect([res.status, res.text]).toEqual([200, 'Ready']);
  });
});

describe('POST /-/reload', () => {
  it('is refused with 403 when the lifecycle API is off', async () => {
    const { base } = await start();
    const res = await request(`${base}/-/reload`, { method: 'POST' });
    expect([res.status, res.text]).toEqual([403, 'Lifecycle API is not enabled.']);
  });

  it('reloads and answers 200', async () => {
    let calls = 0;
    const { base } = await start({ reload: async () => (calls++, { ok: true }) });
    const res = await request(`${base}/-/reload`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(calls).toBe(1);
  });

  it('answers 500 with the reason when the reload fails or throws', async () => {
    const failing = await start({ reload: async () => ({ ok: false, error: 'config.yaml: poll.schedule: invalid' }) });
    const res = await request(`${failing.base}/-/reload`, { method: 'POST' });
    expect([res.status, res.text]).toEqual([500, 'Failed to reload config: config.yaml: poll.schedule: invalid']);

    const throwing = await start({
      reload: async () => {
        throw new Error('disk gone');
      },
    });
    const thrown = await request(`${throwing.base}/-/reload`, { method: 'POST' });
    expect([thrown.status, thrown.text]).toEqual([500, 'Failed to reload config: disk gone']);
  });

  it('calls the reload it is given once per request and answers each with its outcome; sharing is up to that function', async () => {
    // The daemon's reload queue decides what overlapping requests share (test/reload-queue.test.ts).
    let calls = 0;
    let finish!: (result: { ok: true } | { ok: false; error: string }) => void;
    const shared = new Promise<{ ok: true } | { ok: false; error: string }>((resolve) => (finish = resolve));
    const { base } = await start({ reload: () => (calls++, shared) });
    const first = request(`${base}/-/reload`, { method: 'POST' });
    const second = request(`${base}/-/reload`, { method: 'POST' });
    while (calls < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    finish({ ok: false, error: 'web.yml: tls_server_config: needs a restart' });
    expect((await Promise.all([first, second])).map((r) => [r.status, r.text])).toEqual([
      [500, 'Failed to reload config: web.yml: tls_server_config: needs a restart'],
      [500, 'Failed to reload config: web.yml: tls_server_config: needs a restart'],
    ]);
    expect(calls).toBe(2);
  });

  it('is only POST', async () => {
    const { base } = await start({ reload: async () => ({ ok: true }) });
    const res = await request(`${base}/-/reload`);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });
});

describe('routing', () => {
  it('answers 404 for unknown paths', async () => {
    const { base } = await start();
    expect((await request(`${base}/nope`)).status).toBe(404);
    expect((await request(`${base}/metrics/extra`)).status).toBe(404);
  });

  it('answers 405 with Allow for wrong methods', async () => {
    const { base } = await start();
    for (const [method, path] of [
      ['POST', '/metrics'],
      ['DELETE', '/'],
      ['PUT', '/-/healthy'],
    ] as const) {
      const res = await request(`${base}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.allow, `${method} ${path}`).toBe('GET, HEAD');
    }
  });
});

describe('status page', () => {
  it('is HTML from the state, with a policy that allows only its own script', async () => {
    const { base, state } = await start();
    state.setTargets(['em01'], [{ em: 'em01', backupId: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3', rpoSeconds: 60 }]);
    state.recordMetadata('em01', '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3', {
      id: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
      name: '<script>alert(1)</script>',
      platform: 'p',
      backupType: 't',
      backupServer: 's',
      repository: 'r',
    });
    const res = await request(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['content-security-policy']).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*';/);
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.text.match(/<script/g)).toHaveLength(1);
    expect(res.text).toContain('Version 1.2.3');
  });
});

describe('protection against misbehaving clients', () => {
  it('refuses oversized headers with 431', async () => {
    const { base } = await start();
    const res = await request(`${base}/metrics`, { headers: { 'X-Big': 'x'.repeat(20_000) } });
    expect(res.status).toBe(431);
  });

  it('drops a client that never finishes its headers, while scrapes keep working', async () => {
    const { port, base } = await start({
      limits: { headersTimeout: 300, requestTimeout: 300, connectionsCheckingInterval: 100 },
    });
    const slow = connect(port, '127.0.0.1');
    await new Promise((resolve) => slow.once('connect', resolve));
    slow.write('GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    let received = '';
    slow.on('data', (chunk) => (received += chunk.toString()));
    const closed = new Promise<number>((resolve) => {
      const started = Date.now();
      slow.once('close', () => resolve(Date.now() - started));
    });

    expect((await request(`${base}/metrics`)).status).toBe(200);
    expect(await closed).toBeLessThan(3_000);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('listen and close', () => {
  it('reports the port it bound and rejects a port in use', async () => {
    const first = await start();
    expect(first.port).toBeGreaterThan(0);
    const second = createHttpServer({
      telemetryPath: '/metrics',
      render: async () => ({ contentType: 'text/plain', body: '' }),
      state: createExporterState(),
      isReady: () => true,
      version: '1',
      schedule: 's',
      logger: createLogger({ level: 'error', format: 'json', destination: { write() {} } }),
    });
    await expect(second.listen('127.0.0.1', first.port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await second.close();
  });

  it('closes promptly while a keep-alive client holds a connection', async () => {
    const { base, server } = await start({ limits: { keepAliveTimeout: 60_000 } });
    const agent = new Agent({ keepAlive: true });
    expect((await request(`${base}/metrics`, { agent })).status).toBe(200);

    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    agent.destroy();
    await expect(request(`${base}/metrics`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('closes promptly while a request is still in flight', async () => {
    const { base, server } = await start({ render: () => new Promise(() => {}) });
    const pending = request(`${base}/metrics`).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toMatchObject({ code: 'ECONNRESET' });
  });

  it('can be closed without ever listening', async () => {
    const server = createHttpServer({
      telemetryPath: '/metrics',
      render: async () => ({ contentType: 'text/plain', body: '' }),
      state: createExporterState(),
      isReady: () => true,
      version: '1',
      schedule: 's',
      logger: createLogger({ level: 'error', format: 'json', destination: { write() {} } }),
    });
    await expect(server.close()).resolves.toBeUndefined();
  });
});
