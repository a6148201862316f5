import https from 'node:https';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EmSimulator, type StartedSimulator } from '../../src/simulator/index.js';
import { BASIC, isWellFormedXml, logon, parseXml, request, type Res } from './helpers.js';

const ID = '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3';
const RP_PATH = `/api/backups/${ID}/restorePoints`;
const points = Array.from({ length: 20 }, (_, i) => Date.UTC(2025, 5, 1 + i, 1, 2, 3, 40));

let sim: EmSimulator;
let started: StartedSimulator;
let token: string;

beforeAll(async () => {
  sim = new EmSimulator({ backups: [{ id: ID, name: 'Daily', restorePoints: points }] });
  started = await sim.start();
  token = await logon(started);
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  sim.clearFaults();
  sim.clearRequests();
});

const get = (path: string, headers: Record<string, string> = {}): Promise<Res> =>
  request(started, path, { headers: { 'x-restsvcsessionid': token, ...headers } });

/** Reads whatever arrives until the response ends or the connection dies. */
function rawGet(path: string): Promise<{ status: number; contentLength: number; received: number; failed: boolean }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port: started.port,
        path,
        ca: started.caPem,
        agent: false,
        headers: { 'x-restsvcsessionid': token },
      },
      (res) => {
        let received = 0;
        let failed = false;
        const done = (): void =>
          resolve({
            status: res.statusCode ?? 0,
            contentLength: Number(res.headers['content-length']),
            received,
            failed,
          });
        res.on('data', (c: Buffer) => (received += c.length));
        res.on('aborted', () => (failed = true));
        res.on('error', () => (failed = true));
        res.on('close', done);
      },
    );
    req.on('error', reject);
  });
}

describe('fault injection', () => {
  it('delays by latencyMs, then answers normally', async () => {
    sim.addFault({ match: { path: RP_PATH }, latencyMs: 150 });
    const t0 = Date.now();
    const res = await get(RP_PATH);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(res.status).toBe(200);
    const t1 = Date.now();
    await get(`/api/backups/${ID}`);
    expect(Date.now() - t1).toBeLessThan(140);
  });

  it('answers a status with an Error body in the negotiated format, before authentication', async () => {
    sim.addFault({ match: { path: RP_PATH }, status: 503 });
    const xml = await request(started, RP_PATH);
    expect(xml.status).toBe(503);
    expect(parseXml(xml.body).Error['@_StatusCode']).toBe('503');
    const json = await request(started, RP_PATH, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(503);
    expect(JSON.parse(json.body).StatusCode).toBe(503);
  });

  it('does not run the real handler when it replaces the response', async () => {
    sim.addFault({ match: { method: 'post', path: /sessionMngr/ }, status: 500, times: 1 });
    const before = sim.sessions().length;
    const res = await request(started, '/api/sessionMngr/?v=latest', {
      method: 'POST',
      headers: { authorization: BASIC },
    });
    expect(res.status).toBe(500);
    expect(sim.sessions()).toHaveLength(before);
  });

  it('sends malformed XML or JSON with the right content type', async () => {
    sim.addFault({ match: { path: RP_PATH }, body: 'malformed' });
    const xml = await get(RP_PATH);
    expect(xml.status).toBe(200);
    expect(xml.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(isWellFormedXml(xml.body)).toBe(false);
    const json = await get(RP_PATH, { accept: 'application/json' });
    expect(json.headers['content-type']).toBe('application/json');
    expect(() => JSON.parse(json.body)).toThrow();
  });

  it('truncates the real body to half, with a matching Content-Length', async () => {
    const full = await get(`${RP_PATH}?format=Entity`);
    sim.addFault({ match: { path: RP_PATH }, body: 'truncated', times: 1 });
    const cut = await get(`${RP_PATH}?format=Entity`);
    expect(cut.status).toBe(200);
    expect(cut.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(Number(cut.headers['content-length'])).toBe(Math.floor(Buffer.byteLength(full.body) / 2));
    expect(cut.body.length).toBeGreaterThan(100);
    expect(full.body.startsWith(cut.body)).toBe(true);
    expect(isWellFormedXml(cut.body)).toBe(false);
    expect((await get(`${RP_PATH}?format=Entity`)).body).toBe(full.body);
  });

  it('sends an empty body', async () => {
    sim.addFault({ match: { path: RP_PATH }, body: 'empty' });
    const res = await get(RP_PATH);
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect(res.headers['content-length']).toBe('0');
  });

  it('sends raw bytes with the given or the negotiated content type', async () => {
    sim.addFault({
      match: { path: RP_PATH },
      body: { raw: '<html>maintenance</html>', contentType: 'text/html' },
      times: 1,
    });
    const html = await get(RP_PATH);
    expect(html.body).toBe('<html>maintenance</html>');
    expect(html.headers['content-type']).toBe('text/html');
    sim.addFault({ match: { path: RP_PATH }, status: 502, body: { raw: Buffer.from('{"x":1}') } });
    const res = await get(RP_PATH, { accept: 'application/json' });
    expect(res.status).toBe(502);
    expect(res.body).toBe('{"x":1}');
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('drops the connection before any response', async () => {
    sim.addFault({ match: { path: RP_PATH }, drop: 'before-response' });
    const err = await get(RP_PATH).then(
      () => undefined,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    expect(err?.code).toMatch(/ECONNRESET|EPIPE/);
    expect(sim.requests().at(-1)).toMatchObject({ url: RP_PATH, status: 0 });
  });

  it('drops the connection after half the body', async () => {
    sim.addFault({ match: { path: RP_PATH }, drop: 'mid-body' });
    const res = await rawGet(`${RP_PATH}?format=Entity`);
    expect(res.status).toBe(200);
    expect(res.contentLength).toBeGreaterThan(1000);
    expect(res.received).toBeLessThan(res.contentLength);
    expect(res.failed).toBe(true);
  });

  it('redirects with 302', async () => {
    sim.addFault({ match: { path: RP_PATH }, redirectTo: 'https://elsewhere.example/api/' });
    const res = await get(RP_PATH);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('https://elsewhere.example/api/');
    expect(res.body).toBe('');
  });

  it('applies a rule only `times` times, and the first matching rule wins', async () => {
    sim.addFault({ match: { method: 'GET', path: RP_PATH }, status: 500, times: 2 });
    sim.addFault({ match: { path: /restorePoints$/ }, status: 404 });
    sim.addFault({ status: 418 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(RP_PATH)).status);
    expect(statuses).toEqual([500, 500, 404]);
    expect((await get(`/api/backups/${ID}`)).status).toBe(418);
    sim.clearFaults();
    expect((await get(RP_PATH)).status).toBe(200);
  });

  it('matches the path without the query string and the method exactly', async () => {
    sim.addFault({ match: { method: 'DELETE', path: RP_PATH }, status: 500 });
    sim.addFault({ match: { path: /\?/ }, status: 500 });
    expect((await get(`${RP_PATH}?format=Entity`)).status).toBe(200);
  });

  it('is not confused by a global regex', async () => {
    sim.addFault({ match: { path: /restorePoints/g }, status: 500 });
    expect((await get(RP_PATH)).status).toBe(500);
    expect((await get(RP_PATH)).status).toBe(500);
  });
});

describe('request log', () => {
  it('records method, url, lower-cased headers and status of every request', async () => {
    sim.addFault({ match: { path: '/api/jobs' }, status: 503 });
    await get(`${RP_PATH}?format=Entity`, { Accept: 'application/json' });
    await request(started, '/api/jobs', { method: 'DELETE' });
    const log = sim.requests();
    expect(log).toHaveLength(2);
    expect(log[0]).toMatchObject({ method: 'GET', url: `${RP_PATH}?format=Entity`, status: 200 });
    expect(log[0]?.headers['x-restsvcsessionid']).toBe(token);
    expect(log[0]?.headers.accept).toBe('application/json');
    expect(log[1]).toMatchObject({ method: 'DELETE', url: '/api/jobs', status: 503 });
    sim.clearRequests();
    expect(sim.requests()).toHaveLength(0);
  });

  it('keeps only the newest requests beyond its cap', async () => {
    const small = new EmSimulator({ maxRecordedRequests: 3 });
    const s = await small.start();
    try {
      for (let i = 0; i < 5; i++) await request(s, `/api/?n=${i}`);
      expect(small.requests().map((r) => r.url)).toEqual(['/api/?n=2', '/api/?n=3', '/api/?n=4']);
      const big = new EmSimulator({ maxRecordedRequests: 20 });
      const b = await big.start();
      try {
        for (let i = 0; i < 45; i++) await request(b, `/api/?n=${i}`);
        const urls = big.requests().map((r) => r.url);
        expect(urls.length).toBeLessThanOrEqual(20);
        expect(urls.length).toBeGreaterThanOrEqual(18);
        expect(urls.at(-1)).toBe('/api/?n=44');
      } finally {
        await big.stop();
      }
    } finally {
      await small.stop();
    }
  });
});

describe('stop', () => {
  it('does not hang on a request still waiting out its latency', async () => {
    const s = new EmSimulator({});
    const st = await s.start();
    s.addFault({ latencyMs: 60_000 });
    const pending = request(st, '/api/').catch((e: unknown) => e as Error);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await s.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });
});
