import { describe, expect, it } from 'vitest';
import { BACKUP_A, MISSING, PASSWORD, USER, failureOf, startHarness, type Harness } from './client-harness.js';

const RP_PATH = `/api/backups/${BACKUP_A}/restorePoints`;

/** Everything a secret could leak through: log lines and error messages (and the errors' own fields). */
function exposedText(h: Harness, errors: unknown[]): string {
  const fromErrors = errors.map((e) => {
    const err = e as Error & Record<string, unknown>;
    return [err.message, err.stack ?? '', JSON.stringify(err), JSON.stringify(Object.entries(err))].join('\n');
  });
  return [...h.logLines, ...fromErrors].join('\n');
}

function secretsSeen(h: Harness): string[] {
  const tokens = h.sim
    .requests()
    .map((r) => r.headers['x-restsvcsessionid'])
    .filter((t): t is string => typeof t === 'string');
  const ids = h.sim.sessions().map((s) => s.id);
  const basic = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  return [PASSWORD, basic, ...new Set(tokens), ...ids];
}

describe('EM client: secrets', () => {
  it('never puts the password, the Authorization value, a session token or a session id into logs or errors', async () => {
    const h = await startHarness();
    const client = h.makeClient({ timeoutMs: 200, retries: 1 });
    const errors: unknown[] = [];
    const collect = async (p: Promise<unknown>): Promise<void> => {
      errors.push(await failureOf(p));
    };

    await client.getRestorePoints(BACKUP_A);
    await collect(client.getRestorePoints(MISSING));
    h.sim.expireAllSessions();
    await client.getBackup(BACKUP_A);

    const token = h.sim.requests().at(-1)?.headers['x-restsvcsessionid'] as string;
    const sessionId = h.sim.sessions().at(-1)?.id ?? '';
    // EM echoing the token and the session id back in an error must not carry them into a message.
    h.sim.addFault({
      match: { path: RP_PATH },
      status: 500,
      times: 2,
      body: { raw: `<Error Message="session ${token} (${sessionId}) broke" StatusCode="500"/>`, contentType: 'application/xml' },
    });
    await collect(client.getRestorePoints(BACKUP_A));
    h.sim.clearFaults();

    for (const fault of [
      { status: 401 },
      { status: 403 },
      { latencyMs: 1_000 },
      { drop: 'before-response' },
      { drop: 'mid-body' },
      { body: 'malformed' },
      { body: { raw: `<RestorePoints><RestorePoint UID="${token}" Name="${sessionId}"/></RestorePoints>`, contentType: 'application/xml' } },
      { redirectTo: `https://evil.example/${token}` },
    ] as const) {
      h.sim.clearFaults();
      h.sim.addFault({ match: { path: RP_PATH }, ...fault });
      await collect(client.getRestorePoints(BACKUP_A));
    }
    h.sim.clearFaults();

    const wrong = h.makeClient({ password: () => `${PASSWORD}-wrong` });
    await collect(wrong.getRestorePoints(BACKUP_A));
    await collect(wrong.getRestorePoints(BACKUP_A));
    await client.logout();
    await wrong.logout();

    const text = exposedText(h, errors);
    expect(errors).toHaveLength(12);
    expect(h.logLines.length).toBeGreaterThan(20);
    const secrets = secretsSeen(h);
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    for (const secret of secrets) expect(text).not.toContain(secret);
    // EM's echo was kept, minus the secrets.
    expect(text).toContain('session [redacted] ([redacted]) broke');
    expect(text.toLowerCase()).not.toContain('authorization');
  });
});
