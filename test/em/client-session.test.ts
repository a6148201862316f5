import { describe, expect, it } from 'vitest';
import { EmError } from '../../src/em/index.js';
import { BACKUP_A, BACKUP_B, PASSWORD, POINTS_A, USER, failureOf, requestsTo, startHarness } from './client-harness.js';

const LOGON = 'sessionMngr';

describe('EM client: logon session', () => {
  it('logs on once and reuses the session for every request', async () => {
    const { sim, client } = await startHarness();
    const results = await Promise.all([
      client.getRestorePoints(BACKUP_A),
      client.getRestorePoints(BACKUP_B),
      client.getBackup(BACKUP_A),
      client.getBackup(BACKUP_B),
      client.getRestorePoints(BACKUP_A),
    ]);
    expect(results[0]).toHaveLength(POINTS_A.length);
    await client.getRestorePoints(BACKUP_A);
    expect(requestsTo(sim, 'POST', LOGON)).toBe(1);
    expect(sim.sessions()).toHaveLength(1);
  });

  it('logs on with Basic auth and an empty body, sending the credentials nowhere else', async () => {
    const { sim, client } = await startHarness();
    await client.getRestorePoints(BACKUP_A);
    const [logon, get] = sim.requests();
    expect(logon?.method).toBe('POST');
    expect(logon?.url).toBe('/api/sessionMngr/?v=latest');
    expect(logon?.headers.authorization).toBe(`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`);
    expect(logon?.headers['content-length']).toBe('0');
    expect(get?.headers.authorization).toBeUndefined();
    expect(get?.headers['x-restsvcsessionid']).toEqual(expect.any(String));
    // A cookie would override the header on EM; the client must not keep one.
    expect(get?.headers.cookie).toBeUndefined();
  });

  it('sends exactly one Accept value, matching the configured format', async () => {
    const { sim, makeClient } = await startHarness();
    await makeClient({ format: 'xml' }).getRestorePoints(BACKUP_A);
    await makeClient({ format: 'json' }).getRestorePoints(BACKUP_A);
    const accepts = sim.requests().map((r) => r.headers.accept);
    expect(accepts).toEqual(['application/xml', 'application/xml', 'application/json', 'application/json']);
  });

  it('passes the configured API version', async () => {
    const { sim, makeClient } = await startHarness();
    await makeClient({ apiVersion: 'v1_7' }).getRestorePoints(BACKUP_A);
    expect(sim.requests()[0]?.url).toBe('/api/sessionMngr/?v=v1_7');
  });

  it('reads the password at each logon, so a rotated password file is honoured', async () => {
    const { sim, makeClient } = await startHarness();
    let reads = 0;
    const client = makeClient({ password: async () => (++reads, PASSWORD) });
    await client.getRestorePoints(BACKUP_A);
    sim.expireAllSessions();
    await client.getRestorePoints(BACKUP_A);
    expect(reads).toBe(2);
  });

  it('after EM expires the session, logs on again exactly once for many concurrent requests', async () => {
    const { sim, client } = await startHarness();
    await client.getRestorePoints(BACKUP_A);
    sim.expireAllSessions();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => client.getRestorePoints(i % 2 ? BACKUP_A : BACKUP_B)),
    );
    expect(results.filter((r) => r.length === POINTS_A.length)).toHaveLength(6);
    expect(requestsTo(sim, 'POST', LOGON)).toBe(2);
    expect(sim.sessions().map((s) => s.endedBy)).toEqual(['expired', undefined]);
  });

  it('a late 401 for the old token uses the newer session instead of logging on again', async () => {
    const { sim, client } = await startHarness();
    await client.getRestorePoints(BACKUP_A);
    sim.expireAllSessions();
    // This request carries the old token and hears its 401 only after another request has renewed.
    sim.addFault({ match: { path: `/api/backups/${BACKUP_B}/restorePoints` }, latencyMs: 300, times: 1 });
    const slow = client.getRestorePoints(BACKUP_B);
    await new Promise((r) => setTimeout(r, 50));
    await client.getRestorePoints(BACKUP_A);
    expect(requestsTo(sim, 'POST', LOGON)).toBe(2);
    await expect(slow).resolves.toEqual([]);
    expect(requestsTo(sim, 'POST', LOGON)).toBe(2);
  });

  it('retries a request only once after re-logon; a second 401 is an auth error', async () => {
    const { sim, client } = await startHarness();
    sim.addFault({ match: { method: 'GET', path: /restorePoints$/ }, status: 401 });
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error).toBeInstanceOf(EmError);
    expect(error.reason).toBe('auth');
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/fresh logon session/);
    expect(requestsTo(sim, 'POST', LOGON)).toBe(2);
    expect(requestsTo(sim, 'GET', 'restorePoints')).toBe(2);
  });
});

describe('EM client: failed logon', () => {
  it('wrong password: auth error naming the user and the EM roles, never the password', async () => {
    const { sim, makeClient } = await startHarness();
    const client = makeClient({ password: () => 'wrong-password-123' });
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('auth');
    expect(error.status).toBe(401);
    expect(error.message).toContain(`em "em01": backup ${BACKUP_A}: logon as "${USER}" refused (EM answered 401`);
    expect(error.message).toMatch(/Portal Administrator, Portal User or Restore Operator/);
    expect(error.message).not.toContain('wrong-password-123');
    expect(requestsTo(sim, 'POST', LOGON)).toBe(1);
  });

  it('does not retry a refused logon in a hot loop: concurrent and later requests fail fast', async () => {
    const { sim, makeClient, logLines } = await startHarness();
    const client = makeClient({ password: () => 'wrong', logonRetryMs: 400 });
    const errors = await Promise.all(Array.from({ length: 10 }, () => failureOf(client.getRestorePoints(BACKUP_A))));
    for (let i = 0; i < 5; i++) errors.push(await failureOf(client.getBackup(BACKUP_B)));
    expect(errors.every((e) => e.reason === 'auth')).toBe(true);
    expect(errors.at(-1)?.message).toMatch(
      new RegExp(`^em "em01": backup ${BACKUP_B}: logon as .* refused .*not logging on again for another \\d+s\\)$`),
    );
    expect(requestsTo(sim, 'POST', LOGON)).toBe(1);
    expect(logLines.filter((l) => l.includes('not logging on again'))).toHaveLength(1);

    await new Promise((r) => setTimeout(r, 450));
    await failureOf(client.getRestorePoints(BACKUP_A));
    expect(requestsTo(sim, 'POST', LOGON)).toBe(2);
  });

  it('recovers once the password is right again after the back-off', async () => {
    const { sim, makeClient } = await startHarness();
    let password = 'wrong';
    const client = makeClient({ password: () => password, logonRetryMs: 100 });
    await failureOf(client.getRestorePoints(BACKUP_A));
    password = PASSWORD;
    await new Promise((r) => setTimeout(r, 150));
    await expect(client.getRestorePoints(BACKUP_A)).resolves.toHaveLength(POINTS_A.length);
    expect(sim.openSessionCount()).toBe(1);
  });

  it('403 at logon: auth error with the role hint', async () => {
    const { sim, client } = await startHarness();
    sim.addFault({ match: { method: 'POST', path: '/api/sessionMngr/' }, status: 403 });
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('auth');
    expect(error.status).toBe(403);
    expect(error.message).toMatch(
      /logon as "EM01\\svc_monitor": EM answered 403 .*needs an Enterprise Manager role: Portal Administrator, Portal User or Restore Operator/,
    );
  });

  it('403 on a backup: auth error naming the account and the roles', async () => {
    const { sim, client } = await startHarness();
    sim.addFault({ match: { method: 'GET', path: `/api/backups/${BACKUP_A}/restorePoints` }, status: 403 });
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('auth');
    expect(error.message).toMatch(
      /GET restore points: EM answered 403 .*account "EM01\\svc_monitor" may not read this backup.*Portal User/,
    );
    expect(requestsTo(sim, 'GET', 'restorePoints')).toBe(1);
  });

  it('an unreadable password is an auth error that says so', async () => {
    const { sim, makeClient } = await startHarness();
    const client = makeClient({
      password: () => {
        throw new Error('ENOENT: no such file /run/secrets/em');
      },
    });
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('auth');
    expect(error.message).toMatch(/cannot read the password: ENOENT/);
    expect(sim.requests()).toHaveLength(0);
  });
});

describe('EM client: logout and close', () => {
  it('logout ends the session on EM and forgets it; the next request logs on again', async () => {
    const { sim, client } = await startHarness();
    await client.getRestorePoints(BACKUP_A);
    await client.logout();
    expect(sim.openSessionCount()).toBe(0);
    expect(sim.sessions()[0]?.endedBy).toBe('logout');
    const del = sim.requests().find((r) => r.method === 'DELETE');
    expect(del?.url).toBe(`/api/logonSessions/${sim.sessions()[0]?.id}`);
    expect(del?.status).toBe(204);
    await client.logout();
    expect(requestsTo(sim, 'DELETE', 'logonSessions')).toBe(1);
    await client.getRestorePoints(BACKUP_A);
    expect(sim.openSessionCount()).toBe(1);
  });

  it('logout without a session sends nothing', async () => {
    const { sim, client } = await startHarness();
    await client.logout();
    expect(sim.requests()).toHaveLength(0);
  });

  it('logout never throws, even when EM is gone', async () => {
    const { sim, client, logLines } = await startHarness();
    await client.getRestorePoints(BACKUP_A);
    await sim.stop();
    await expect(client.logout()).resolves.toBeUndefined();
    expect(logLines.some((l) => l.includes('logout failed'))).toBe(true);
  });

  it('close logs out, and afterwards no request opens a new session', async () => {
    const { sim, client } = await startHarness();
    await client.getRestorePoints(BACKUP_A);
    await client.close();
    expect(sim.openSessionCount()).toBe(0);
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.message).toMatch(/client closed/);
    expect(requestsTo(sim, 'POST', LOGON)).toBe(1);
  });

  it('close during a logon still ends the session that logon opens', async () => {
    const { sim, client } = await startHarness();
    sim.addFault({ match: { method: 'POST' }, latencyMs: 200, times: 1 });
    const pending = client.getRestorePoints(BACKUP_A).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    await client.close();
    await pending;
    expect(sim.sessions()).toHaveLength(1);
    expect(sim.openSessionCount()).toBe(0);
  });
});
