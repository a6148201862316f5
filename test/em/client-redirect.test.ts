import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKUP_A, failureOf, requestsTo, startHarness } from './client-harness.js';

/** A plain server standing for wherever a redirect points; it must never hear from the client. */
async function startCatcher(): Promise<{ url: string; seen: http.IncomingHttpHeaders[]; stop: () => Promise<void> }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    res.end('caught');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let stopCatcher: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stopCatcher?.();
  stopCatcher = undefined;
});

describe('EM client: redirects', () => {
  it('does not follow a redirect of a request: http_4xx naming the target, nothing sent there', async () => {
    const catcher = await startCatcher();
    stopCatcher = catcher.stop;
    const { sim, client } = await startHarness();
    sim.addFault({ match: { path: `/api/backups/${BACKUP_A}/restorePoints` }, redirectTo: `${catcher.url}/steal?x=1` });
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('http_4xx');
    expect(error.status).toBe(302);
    expect(error.message).toContain(`EM answered 302 redirecting to ${catcher.url}/steal, not followed`);
    expect(error.message).not.toContain('x=1');
    expect(catcher.seen).toHaveLength(0);
    expect(requestsTo(sim, 'GET', 'restorePoints')).toBe(1);
  });

  it('does not follow a redirect of the logon: the credentials never leave', async () => {
    const catcher = await startCatcher();
    stopCatcher = catcher.stop;
    const { sim, client } = await startHarness();
    sim.addFault({ match: { method: 'POST' }, redirectTo: `${catcher.url}/sessionMngr/` });
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('http_4xx');
    expect(error.message).toMatch(/logon as "EM01\\svc_monitor": EM answered 302 redirecting to/);
    expect(catcher.seen).toHaveLength(0);
    expect(requestsTo(sim, 'POST', 'sessionMngr')).toBe(1);
  });
});
