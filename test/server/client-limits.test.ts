import { connect, type Socket } from 'node:net';
import { createServer as createPlainServer, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { textPart, type ExpositionPart } from '../../src/metrics/exposition.js';
import { request, serversClosedAfterEach } from './harness.js';

const { start } = serversClosedAfterEach();

const MiB = 1024 * 1024;

/** Resolves once `check` holds, polling; rejects after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw client that sends `text` and then never reads. */
function neverReading(port: number, text: string): { socket: Socket } {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.pause();
  socket.write(text);
  return { socket };
}

const SCRAPE = 'GET /metrics HTTP/1.1\r\nHost: exporter\r\n\r\n';

/**
 * A server whose exposition is `bytes` long and different at every render (as the ages are), with a
 * view of the server's own sockets: their writableLength is what Node holds for clients that do not read.
 */
async function bigServer(bytes: number, limits: Record<string, number>, renderDelayMs = 0) {
  let renders = 0;
  let nodeServer: Server | undefined;
  const serverSockets = new Set<Socket>();
  const started = await start({
    render: async () => {
      renders++;
      if (renderDelayMs > 0) await new Promise((r) => setTimeout(r, renderDelayMs));
      const parts: ExpositionPart[] = [textPart(`# render ${renders}\n${'x'.repeat(bytes)}\n`, false)];
      return { contentType: 'text/plain', body: parts };
    },
    createServer: (options, listener) => {
      nodeServer = createPlainServer(options, listener);
      nodeServer.on('connection', (socket: Socket) => {
        serverSockets.add(socket);
        socket.once('close', () => serverSockets.delete(socket));
      });
      return nodeServer;
    },
    limits,
  });
  const pendingBytes = (): number => {
    let sum = 0;
    for (const s of serverSockets) sum += s.writableLength;
    return sum;
  };
  return { ...started, renders: () => renders, pendingBytes, serverSockets };
}

describe('clients that never read', () => {
  it('pin at most --web.max-requests responses, and only until the response timeout; the rest get 503 with Retry-After', async () => {
    const body = 16 * MiB; // well over what loopback socket buffers absorb
    const { port, base, renders, pendingBytes, serverSockets, log } = await bigServer(body, {
      maxRequestsInFlight: 3,
      responseTimeout: 2_000,
    });

    const stuck = [];
    for (let i = 0; i < 3; i++) {
      stuck.push(neverReading(port, SCRAPE));
      // One after the other, so each has a render of its own: the worst case for memory.
      await until(() => renders() === i + 1 && pendingBytes() > 0, 10_000, `scrape ${i + 1} to be stuck`);
    }
    const others = await Promise.all(Array.from({ length: 10 }, () => request(`${base}/metrics`)));
    for (const res of others) {
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
    }
    expect(renders()).toBe(3);
    expect(pendingBytes()).toBeLessThanOrEqual(3 * (body + 1024));
    // Health, readiness and the small pages are not counted against the cap.
    expect((await request(`${base}/-/healthy`)).status).toBe(200);
    expect((await request(`${base}/-/ready`)).status).toBe(200);
    expect(log()).toContain('--web.max-requests reached');

    // Cut off at the response timeout (seen on the server's side: a paused client never reads the
    // end of its stream), which frees their slots and their bodies.
    await until(() => serverSockets.size === 0 && pendingBytes() === 0, 15_000, 'the stuck responses to be cut off');
    for (const s of stuck) s.socket.destroy();
    const scrape = await request(`${base}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.body.length).toBeGreaterThan(body);
  }, 60_000);

  it('share one rendered body when they overlap, however many there are', async () => {
    const body = 4 * MiB;
    const { port, renders, pendingBytes } = await bigServer(
      body,
      { maxRequestsInFlight: 100, responseTimeout: 20_000 },
      300,
    );
    const clients = Array.from({ length: 40 }, () => neverReading(port, SCRAPE));
    await until(() => pendingBytes() > 0, 10_000, 'the responses to be queued');
    await new Promise((r) => setTimeout(r, 400));
    // 40 scrapes that arrived during one render: one render, one body; the queued bytes are
    // references to it (writableLength counts each socket's view of the shared Buffer).
    expect(renders()).toBe(1);
    for (const c of clients) c.socket.destroy();
  }, 60_000);

  it('share a render only while it runs: a later scrape gets a fresh one, with its own ages', async () => {
    const { base, renders } = await bigServer(64 * 1024, {}, 200);
    const overlapping = await Promise.all([
      request(`${base}/metrics`),
      request(`${base}/metrics`, { headers: { 'Accept-Encoding': 'gzip' } }),
      request(`${base}/metrics`),
      request(`${base}/metrics`, { headers: { 'Accept-Encoding': 'gzip' } }),
    ]);
    expect(renders()).toBe(1);
    expect(overlapping.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(overlapping[0].text.startsWith('# render 1\n')).toBe(true);
    expect(overlapping[2].text).toBe(overlapping[0].text);
    expect(overlapping[3].body.equals(overlapping[1].body)).toBe(true);
    const later = await request(`${base}/metrics`);
    expect(renders()).toBe(2);
    expect(later.text.startsWith('# render 2\n')).toBe(true);
  }, 30_000);

  it('a pipelined flood on one connection is cut off at once, having rendered and held a bounded amount', async () => {
    const body = 1 * MiB;
    const { port, base, renders, serverSockets } = await bigServer(body, {
      maxRequestsInFlight: 3,
      responseTimeout: 30_000,
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const flood = neverReading(port, SCRAPE.repeat(2_000));
    // Long before the response timeout: the connection goes as soon as it has too many open requests.
    await until(() => serverSockets.size === 0, 10_000, 'the flooding connection to be closed');
    flood.socket.destroy();
    expect(renders()).toBeLessThanOrEqual(3);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * MiB);
    expect((await request(`${base}/metrics`)).status).toBe(200);
  }, 60_000);
});

describe('--web.max-connections', () => {
  it('closes connections beyond the cap at once, and takes new ones when a slot frees', async () => {
    const { port, base, log } = await start({ limits: { maxConnections: 4 } });
    const held: Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      await new Promise<void>((r) => s.once('connect', () => r()));
      held.push(s);
    }
    const extra = connect(port, '127.0.0.1');
    let received = 0;
    extra.on('data', (d: Buffer) => (received += d.length));
    extra.on('error', () => undefined);
    extra.write(SCRAPE);
    await Promise.race([
      new Promise<void>((r) => extra.once('close', () => r())),
      new Promise((_, reject) => setTimeout(() => reject(new Error('5th connection was kept')), 5_000)),
    ]);
    expect(received).toBe(0);
    expect(log()).toContain('--web.max-connections reached');

    held.pop()!.destroy();
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      status = await request(`${base}/-/healthy`).then(
        (r) => r.status,
        () => 0,
      );
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
    for (const s of held) s.destroy();
  }, 30_000);
});

describe('request bodies', () => {
  it('a request that streams an endless body gets its answer and loses its connection at once, not at the request timeout', async () => {
    const { port, base } = await start({ limits: { headersTimeout: 20_000, requestTimeout: 30_000 } });
    for (const head of [
      'POST /-/reload HTTP/1.1\r\nHost: exporter\r\nContent-Length: 10000000000\r\n\r\n',
      'GET /metrics HTTP/1.1\r\nHost: exporter\r\nTransfer-Encoding: chunked\r\n\r\n',
    ]) {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
      socket.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write(head);
      const chunk = head.includes('chunked')
        ? Buffer.from(`10000\r\n${'a'.repeat(0x10000)}\r\n`)
        : Buffer.alloc(0x10000, 97);
      const pump = (): void => {
        while (!socket.destroyed && socket.write(chunk)) {
          // The socket takes more at once: keep writing until it asks to wait for 'drain'.
        }
        if (!socket.destroyed) socket.once('drain', pump);
      };
      pump();
      const started = Date.now();
      const what = head.split('\r\n')[0];
      await Promise.race([
        closed,
        new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: connection kept`)), 10_000)),
      ]);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(received).toMatch(/^HTTP\/1\.1 (200|403) /);
      expect(received).toContain('Connection: close');
    }
    expect((await request(`${base}/-/healthy`)).status).toBe(200);
  }, 60_000);

  it('keeps the connection of a request without a body alive', async () => {
    const { base } = await start();
    const res = await request(`${base}/-/healthy`, { headers: { Connection: 'keep-alive' } });
    expect(res.headers.connection).toBe('keep-alive');
  });
});
