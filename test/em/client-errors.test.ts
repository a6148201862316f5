import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { simulatorCert } from '../../src/simulator/cert.js';
import { BACKUP_A, MISSING, POINTS_A, failureOf, requestsTo, startHarness } from './client-harness.js';

const RP_PATH = `/api/backups/${BACKUP_A}/restorePoints`;
const gets = (sim: Parameters<typeof requestsTo>[0]) => requestsTo(sim, 'GET', RP_PATH);

describe('EM client: HTTP status mapping', () => {
  it('404: not_found naming the EM, the backup and EM message, without retries', async () => {
    const { sim, client } = await startHarness();
    const error = await failureOf(client.getRestorePoints(MISSING));
    expect(error.reason).toBe('not_found');
    expect(error.status).toBe(404);
    expect(error.message).toBe(
      `em "em01": backup ${MISSING}: GET restore points: EM answered 404 "Backup [${MISSING}] does not exist.": EM does not know this backup: check the backup ID in the config, or whether the backup was deleted`,
    );
    expect(requestsTo(sim, 'GET', MISSING)).toBe(1);
  });

  it('404 on the backup entity too', async () => {
    const { client } = await startHarness();
    const error = await failureOf(client.getBackup(MISSING));
    expect(error.reason).toBe('not_found');
    expect(error.message).toMatch(new RegExp(`^em "em01": backup ${MISSING}: GET backup: EM answered 404`));
  });

  it('500: retried, every attempt counted, then http_5xx with EM message and what to check', async () => {
    const { sim, client, api } = await startHarness();
    sim.addFault({ match: { path: RP_PATH }, status: 500 });
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('http_5xx');
    expect(error.status).toBe(500);
    expect(error.message).toMatch(
      /GET restore points: EM answered 500 "Object reference not set to an instance of an object\." \(3 attempts\): check the EM service log/,
    );
    expect(gets(sim)).toBe(3);
    expect(api.filter((c) => c.endpoint === 'restore_points').map((c) => c.code)).toEqual([500, 500, 500]);
  });

  it('retries as configured: retries 0 means one attempt', async () => {
    const { sim, makeClient } = await startHarness();
    sim.addFault({ match: { path: RP_PATH }, status: 503 });
    await failureOf(makeClient({ retries: 0 }).getRestorePoints(BACKUP_A));
    expect(gets(sim)).toBe(1);
  });

  it('5xx then success: the retry delivers the points', async () => {
    const { sim, client, api } = await startHarness();
    sim.addFault({ match: { path: RP_PATH }, status: 503, times: 2 });
    await expect(client.getRestorePoints(BACKUP_A)).resolves.toHaveLength(POINTS_A.length);
    expect(gets(sim)).toBe(3);
    expect(api.filter((c) => c.endpoint === 'restore_points').map((c) => c.code)).toEqual([503, 503, 200]);
  });

  it.each([400, 405, 409, 429])('%i: http_4xx, never retried', async (status) => {
    const { sim, client } = await startHarness();
    sim.addFault({ match: { path: RP_PATH }, status });
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('http_4xx');
    expect(error.status).toBe(status);
    expect(error.message).toMatch(
      new RegExp(`EM answered ${status} ".*": check url and apiVersion \\(now "latest"\\)`),
    );
    expect(gets(sim)).toBe(1);
  });

  it('5xx at logon is retried too, then reported as http_5xx', async () => {
    const { sim, client } = await startHarness();
    sim.addFault({ match: { method: 'POST' }, status: 503 });
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('http_5xx');
    expect(error.message).toMatch(/logon as "EM01\\svc_monitor": EM answered 503 ".*" \(3 attempts\)/);
    expect(requestsTo(sim, 'POST', 'sessionMngr')).toBe(3);
  });
});

describe('EM client: transport failures', () => {
  it('timeout: reason timeout after the retries, naming the limit and poll.timeout', async () => {
    const { sim, makeClient, api } = await startHarness();
    const client = makeClient({ timeoutMs: 150, retries: 1 });
    await client.getBackup(BACKUP_A);
    sim.addFault({ match: { path: RP_PATH }, latencyMs: 1_000 });
    const started = performance.now();
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(performance.now() - started).toBeLessThan(900);
    expect(error.reason).toBe('timeout');
    expect(error.message).toMatch(
      new RegExp(
        `^em "em01": backup ${BACKUP_A}: GET restore points: no answer within 150ms \\(ETIMEDOUT, 2 attempts\\): .*poll\\.timeout`,
      ),
    );
    expect(gets(sim)).toBe(2);
    expect(api.filter((c) => c.endpoint === 'restore_points').map((c) => c.code)).toEqual(['error', 'error']);
  });

  it('connection dropped before the response: network, retried', async () => {
    const { sim, client } = await startHarness();
    sim.addFault({ match: { path: RP_PATH }, drop: 'before-response' });
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('network');
    expect(error.message).toMatch(
      /GET restore points: connection failed \(ECONNRESET: .*3 attempts\): check url, DNS, the firewall/,
    );
    expect(gets(sim)).toBe(3);
  });

  it('connection dropped mid-body: network, then a retry may succeed', async () => {
    const { sim, client } = await startHarness();
    sim.addFault({ match: { path: RP_PATH }, drop: 'mid-body', times: 1 });
    await expect(client.getRestorePoints(BACKUP_A)).resolves.toHaveLength(POINTS_A.length);
    sim.addFault({ match: { path: RP_PATH }, drop: 'mid-body' });
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('network');
    expect(gets(sim)).toBe(5);
  });

  it('connection refused: network, naming the code', async () => {
    const { sim, client } = await startHarness();
    await sim.stop();
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('network');
    expect(error.message).toMatch(/logon as "EM01\\svc_monitor": connection failed \(ECONNREFUSED/);
    expect(error.message).toContain(`em "em01": backup ${BACKUP_A}`);
  });
});

describe('EM client: unreadable answers', () => {
  it('an answer that is not valid HTTP (a bad header line): parse, not retried, not a network failure', async () => {
    const { key, cert } = await simulatorCert();
    let connections = 0;
    const server = tls.createServer({ key, cert }, (socket) => {
      connections++;
      socket.once('data', () =>
        socket.end('HTTP/1.1 201 Created\r\nContent-Length: 0\r\nX-RestSvcSessionId dG9rZW4=\r\n\r\n'),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { makeClient } = await startHarness();
      const client = makeClient({
        url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
        tls: { caPem: cert, insecureSkipVerify: false },
        retries: 2,
      });
      const err = await failureOf(client.getRestorePoints(BACKUP_A));
      expect(err.reason).toBe('parse');
      expect(err.message).toMatch(
        /logon as ".*": the answer is not valid HTTP \(HPE_INVALID_HEADER_TOKEN: Parse Error: Invalid header token\): check that url points at the Enterprise Manager REST API/,
      );
      expect(connections).toBe(1);
    } finally {
      server.close();
    }
  });

  it.each([
    ['malformed', /cannot read EM's answer \(200, application\/xml.*\): malformed XML/],
    ['truncated', /cannot read EM's answer \(200, .*\): malformed XML/],
    ['empty', /cannot read EM's answer \(200, .*\): empty body/],
  ] as const)('%s body: parse, not retried', async (body, expected) => {
    const { sim, client } = await startHarness();
    sim.addFault({ match: { path: RP_PATH }, body });
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('parse');
    expect(error.status).toBe(200);
    expect(error.message).toMatch(expected);
    expect(error.message).toMatch(/check that url points at the Enterprise Manager REST API/);
    expect(gets(sim)).toBe(1);
  });

  it('truncated JSON is a parse error as well', async () => {
    const { sim, makeClient } = await startHarness();
    sim.addFault({ match: { path: RP_PATH }, body: 'truncated' });
    const error = await failureOf(makeClient({ format: 'json' }).getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('parse');
    expect(error.message).toMatch(/malformed JSON/);
  });

  it('a proxy page with the wrong content type: parse, naming the type', async () => {
    const { sim, client } = await startHarness();
    sim.addFault({
      match: { path: RP_PATH },
      body: { raw: '<html><body>Please log in</body></html>', contentType: 'text/html' },
    });
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('parse');
    expect(error.message).toMatch(/\(200, text\/html\): unexpected content type "text\/html"/);
  });

  it('a body above maxResponseBytes is refused: parse, with the limit', async () => {
    const { sim, makeClient } = await startHarness();
    sim.upsertBackup({
      id: BACKUP_A,
      name: 'big',
      restorePoints: Array.from({ length: 300 }, (_, i) => Date.UTC(2025, 0, 1) + i * 3_600_000),
    });
    const error = await failureOf(makeClient({ maxResponseBytes: 4096 }).getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('parse');
    expect(error.message).toMatch(/answer larger than 4096 bytes refused/);
    expect(gets(sim)).toBe(1);
    await expect(makeClient().getRestorePoints(BACKUP_A)).resolves.toHaveLength(300);
  });
});
