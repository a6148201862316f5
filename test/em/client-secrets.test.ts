import { describe, expect, it } from 'vitest';
import {
  BACKUP_A,
  BACKUP_B,
  MISSING,
  PASSWORD,
  USER,
  failureOf,
  startHarness,
  type Harness,
} from './client-harness.js';

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
      body: {
        raw: `<Error Message="session ${token} (${sessionId}) broke" StatusCode="500"/>`,
        contentType: 'application/xml',
      },
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
      {
        body: {
          raw: `<RestorePoints><RestorePoint UID="${token}" Name="${sessionId}"/></RestorePoints>`,
          contentType: 'application/xml',
        },
      },
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

/** Answers every restore-point query with one point that names no backup. */
function makeQueryFault(h: Harness): { clear(): void } {
  const body = [
    '<QueryResult xmlns="http://www.veeam.com/ent/v1.0"><Entities><RestorePoints>',
    '<RestorePoint UID="urn:veeam:RestorePoint:x" Name="Jun  5 2025  1:01AM"><BackupDateUTC>2025-06-05T01:01:27Z</BackupDateUTC></RestorePoint>',
    '</RestorePoints></Entities><PagingInfo PagesCount="1" PageSize="1000" PageNum="1"/></QueryResult>',
  ].join('');
  h.sim.addFault({ match: { path: '/api/query' }, body: { raw: body, contentType: 'application/xml' } });
  return { clear: () => h.sim.clearFaults() };
}

describe('EM client: redaction never shows a secret by where it strikes', () => {
  // Short and common passwords occur inside the exporter's own wording ("unexpected", "backup",
  // "monitor"): replacing them there would spell the password out to anyone reading the status page.
  it.each(['p', 'backup', 'monitor', 'restore'])(
    "password %j: the exporter's own wording is never redacted",
    async (password) => {
      const h = await startHarness(
        { users: [{ username: USER, password }] },
        { password: () => password, retries: 0, timeoutMs: 2_000 },
      );
      const client = h.client;
      await client.getRestorePoints(BACKUP_A);
      const messages: string[] = [];
      const collect = async (p: Promise<unknown>): Promise<void> => void messages.push((await failureOf(p)).message);
      for (const fault of [
        { body: { raw: '<html><body>Proxy login</body></html>', contentType: 'text/html' } },
        { body: { raw: 'null', contentType: 'application/json' } },
        { body: { raw: '<Wrong xmlns="http://www.veeam.com/ent/v1.0"/>', contentType: 'application/xml' } },
        {
          body: {
            raw: '<RestorePoints><RestorePoint UID="x"><BackupDateUTC>soon</BackupDateUTC></RestorePoint></RestorePoints>',
            contentType: 'application/xml',
          },
        },
        { body: { raw: '<RestorePoints/>', contentType: 'application/xml', headers: { 'content-encoding': 'gzip' } } },
        { body: 'truncated' },
        { drop: 'mid-body' },
      ] as const) {
        h.sim.clearFaults();
        h.sim.addFault({ match: { path: RP_PATH }, ...fault });
        await collect(client.getRestorePoints(BACKUP_A));
      }
      h.sim.clearFaults();
      // The query service and discovery word their own failures around EM's text too.
      const query = makeQueryFault(h);
      const outcome = (
        await h
          .makeClient({ password: () => password, restorePoints: 'query' })
          .queryRestorePoints([BACKUP_A, BACKUP_B])
      ).get(BACKUP_A);
      if (outcome?.ok !== false) throw new Error('expected the query to fail');
      messages.push(outcome.error.message);
      query.clear();
      h.sim.addFault({
        match: { path: '/api/backups' },
        body: {
          raw: '<Backups xmlns="http://www.veeam.com/ent/v1.0"><Backup Name="x"/></Backups>',
          contentType: 'application/xml',
        },
      });
      messages.push((await failureOf(client.listBackups())).message);
      h.sim.clearFaults();
      expect(messages).toHaveLength(9);
      expect(messages.join('\n')).toMatch(
        /restore point #1 \(urn:veeam:RestorePoint:x\) has no BackupReference link, so its backup is unknown/,
      );
      expect(messages.join('\n')).toMatch(/backup #1 \("x"\) has no UID/);
      for (const message of messages) expect(message).not.toContain('[redacted]');
      expect(messages.join('\n')).toMatch(/unexpected content type "text\/html"/);
      expect(messages.join('\n')).toMatch(/unexpected JSON null \(expected RestorePoints, Refs or a QueryResult\)/);
      expect(messages.join('\n')).toMatch(/unexpected XML root <Wrong> \(expected RestorePoints or EntityReferences\)/);
      expect(messages.join('\n')).toMatch(/restore point #1 \(x\): BackupDateUTC "soon" is not an RFC 3339 time/);
      expect(messages.join('\n')).toMatch(/does not decode as its Content-Encoding "gzip" says/);
      expect(messages.join('\n')).toMatch(/check that url points at the Enterprise Manager REST API/);
    },
  );

  it("EM echoing a short password still has it replaced in EM's own text, and only there", async () => {
    const password = 'p';
    const h = await startHarness({ users: [{ username: USER, password }] }, { password: () => password, retries: 0 });
    await h.client.getRestorePoints(BACKUP_A);
    h.sim.addFault({
      match: { path: RP_PATH },
      status: 500,
      body: { raw: '<Error Message="login p" StatusCode="500"/>', contentType: 'application/xml' },
    });
    const { message } = await failureOf(h.client.getRestorePoints(BACKUP_A));
    expect(message).toContain('"login [redacted]"');
    expect(message).toMatch(/GET restore points: EM answered 500/);
  });
});
