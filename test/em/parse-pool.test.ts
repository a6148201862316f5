/**
 * The parser pool as the built exporter runs it: worker threads from dist/ (npm test builds it).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ParsePool, acquireParsePool, releaseParsePool, workerScript } from '../../src/em/parse-pool.js';
import { bigRestorePointList } from './big-body.js';
import { BACKUP_A, startHarness } from './client-harness.js';

const SMALL = Buffer.from(
  '<RestorePoints><RestorePoint UID="u1"><BackupDateUTC>2025-06-05T01:01:27Z</BackupDateUTC></RestorePoint></RestorePoints>',
);
const pools: ParsePool[] = [];
afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

function pool(options: ConstructorParameters<typeof ParsePool>[1] = {}): ParsePool {
  const script = workerScript();
  if (script === undefined) throw new Error('dist/em/parse-worker.js is missing: run npm run build');
  const p = new ParsePool(script, options);
  pools.push(p);
  return p;
}

describe('parser pool', () => {
  it('parses in a worker and gives plain points back; a parse error comes back as a ParseError with its quotes intact', async () => {
    const p = pool();
    expect(await p.parse('restorePoints', Buffer.from(SMALL), 'application/xml', [])).toEqual({
      ok: true,
      value: [{ uid: 'u1', timeMs: Date.UTC(2025, 5, 5, 1, 1, 27) }],
    });
    const bad = await p.parse('restorePoints', Buffer.from('<Wrong/>'), 'application/xml', []);
    if (bad.ok) throw new Error('expected a failure');
    expect(bad.error.message).toBe('unexpected XML root <Wrong> (expected RestorePoints or EntityReferences)');
    expect(bad.error.cleaned((t) => t.replace('Wrong', '[redacted]'))).toBe(
      'unexpected XML root <[redacted]> (expected RestorePoints or EntityReferences)',
    );
    // A secret EM escaped (&#x70; for "p") is found by the worker, which has the body.
    const escaped = await p.parse('restorePoints', Buffer.from('<Wrong Name="s&#x65;cret"/>'), 'application/xml', [
      'secret',
    ]);
    expect(escaped).toMatchObject({ ok: false, escapedSecret: true });
  });

  it('ends a worker idle for idleMs, so its heap is given back, and starts a new one for the next body', async () => {
    const p = pool({ size: 1, idleMs: 200 });
    expect(await p.parse('restorePoints', Buffer.from(SMALL), 'application/xml', [])).toMatchObject({ ok: true });
    expect(p.threads).toBe(1);
    // Bodies in a row keep the one worker.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await p.parse('restorePoints', Buffer.from(SMALL), 'application/xml', [])).toMatchObject({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(p.threads).toBe(1);
    await waitFor(() => p.threads === 0);
    expect(p.threads).toBe(0);
    expect(await p.parse('restorePoints', Buffer.from(SMALL), 'application/xml', [])).toMatchObject({ ok: true });
    expect(p.threads).toBe(1);
  });

  it('survives a worker that dies: that body fails as unreadable, the next gets a new worker', async () => {
    const p = pool({ size: 1 });
    const { body } = bigRestorePointList(24);
    const parsing = p.parse('restorePoints', body, 'application/xml', []);
    p.crashBusyWorkersForTest();
    const died = await parsing;
    if (died.ok) throw new Error('expected the worker to die');
    expect(died.error.message).toMatch(
      /the parser stopped while reading this answer \(exit code \d+\); the next answer gets a new one/,
    );
    expect(await p.parse('restorePoints', Buffer.from(SMALL), 'application/xml', [])).toMatchObject({ ok: true });
    expect(p.threads).toBe(1);
  }, 60_000);

  it('a large body EM cut off fails that backup as parse, worded as inline, and the backup polls on', async () => {
    const h = await startHarness({}, { timeoutMs: 60_000 });
    const { body } = bigRestorePointList(2);
    h.sim.addFault({
      match: { path: `/api/backups/${BACKUP_A}/restorePoints` },
      body: { raw: body.subarray(0, body.length - 20), contentType: 'application/xml' },
      times: 1,
    });
    const error = await h.client.getRestorePoints(BACKUP_A).then(
      () => undefined,
      (err: unknown) => err as { reason?: string; message: string },
    );
    expect(error?.reason).toBe('parse');
    expect(error?.message).toMatch(
      /cannot read EM's answer \(200, application\/xml\): malformed XML: malformed closing tag at offset \d+: check that url points at the Enterprise Manager REST API/,
    );
    expect(await h.client.getRestorePoints(BACKUP_A)).toHaveLength(3);
  }, 60_000);

  it('a client closed while its large body is parsed reports the poll as cancelled, like a request cut by shutdown', async () => {
    const h = await startHarness({}, { timeoutMs: 60_000 });
    const { body } = bigRestorePointList(24);
    h.sim.addFault({
      match: { path: `/api/backups/${BACKUP_A}/restorePoints` },
      body: { raw: body, contentType: 'application/xml' },
    });
    const client = h.makeClient();
    await client.getBackup(BACKUP_A);
    const polling = client.getRestorePoints(BACKUP_A).then(
      () => undefined,
      (err: unknown) => err as { reason?: string; message: string },
    );
    // Close once the body is downloaded and handed to a parser thread: while its parse runs.
    const shared = acquireParsePool()!;
    releaseParsePool(shared);
    await waitFor(() => shared.busy > 0);
    expect(shared.busy).toBe(1);
    await Promise.all([h.client.close(), client.close()]);
    const error = await polling;
    expect(error?.reason).toBe('network');
    expect(error?.message).toMatch(/GET restore points: cancelled: the client is closing/);
  }, 60_000);

  it('a parser thread that dies under a client fails that backup as parse; the next large body parses in a new thread', async () => {
    const h = await startHarness({}, { timeoutMs: 60_000 });
    const { body, count } = bigRestorePointList(8);
    h.sim.addFault({
      match: { path: `/api/backups/${BACKUP_A}/restorePoints` },
      body: { raw: body, contentType: 'application/xml' },
    });
    await h.client.getBackup(BACKUP_A);
    const shared = acquireParsePool()!;
    releaseParsePool(shared);
    const polling = h.client.getRestorePoints(BACKUP_A).then(
      () => undefined,
      (err: unknown) => err as { reason?: string; message: string },
    );
    await waitFor(() => shared.busy > 0);
    shared.crashBusyWorkersForTest();
    const error = await polling;
    expect(error?.reason).toBe('parse');
    expect(error?.message).toMatch(
      /GET restore points: cannot read EM's answer \(200, application\/xml\): the parser stopped while reading this answer \(exit code \d+\); the next answer gets a new one/,
    );
    expect(await h.client.getRestorePoints(BACKUP_A)).toHaveLength(count);
  }, 60_000);

  it('is shared by the clients of a process and ended by the last release', async () => {
    const first = acquireParsePool();
    const second = acquireParsePool();
    expect(first).toBeDefined();
    expect(second).toBe(first);
    expect((await first!.parse('restorePoints', Buffer.from(SMALL), 'application/xml', [])).ok).toBe(true);
    expect(first!.threads).toBe(1);
    releaseParsePool(first);
    expect(first!.threads).toBe(1);
    releaseParsePool(second);
    expect(first!.threads).toBe(0);
    expect(await first!.parse('restorePoints', Buffer.from(SMALL), 'application/xml', [])).toMatchObject({
      ok: false,
      closed: true,
    });
  });

  it('from dist/: keeps the process alive while it parses, never after, without a close', async () => {
    const dist = fileURLToPath(new URL('../../dist/em/parse-pool.js', import.meta.url));
    const script = [
      `const { acquireParsePool } = await import(${JSON.stringify(dist)});`,
      `const pool = acquireParsePool();`,
      `const body = Buffer.from('<RestorePoints>' + '<RestorePoint UID="u"><BackupDateUTC>2025-06-05T01:01:27Z</BackupDateUTC></RestorePoint>'.repeat(20000) + '</RestorePoints>');`,
      // Nothing but the parse is pending: an unref'd busy worker would let the process exit first.
      `pool.parse('restorePoints', body, 'application/xml', []).then((r) => console.log(r.ok ? 'parsed ' + r.value.length : 'failed'));`,
    ].join('\n');
    const started = performance.now();
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe('parsed 20000');
    // It exits by itself once the worker is idle: no close() needed for that.
    expect(performance.now() - started).toBeLessThan(15_000);
  }, 30_000);
});
