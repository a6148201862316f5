/**
 * The cycle's branches with a fake EmClient: deadline, abandon, silence, metadata failures and
 * EM-wide failures. Time is real but short; every wait is bounded.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { BackupMetadata, PollErrorReason, RestorePoint } from '../../src/domain.js';
import { EmError } from '../../src/em/index.js';
import { createExporterState } from '../../src/metrics/index.js';
import {
  EmLiveness,
  createLimiter,
  defaultCycleTimeoutMs,
  runEmCycle,
  type CycleDeps,
  type EmCycleInput,
} from '../../src/polling/index.js';
import { fakeEmClient } from './fake-client.js';

const IDS = Array.from({ length: 5 }, (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`);
const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

interface Behaviour {
  getBackup?: (id: string) => Promise<BackupMetadata>;
  getRestorePoints?: (id: string) => Promise<RestorePoint[]>;
}

function rig(behaviour: Behaviour, extra: Partial<EmCycleInput> = {}) {
  const state = createExporterState();
  state.setTargets(
    ['em01'],
    IDS.map((id) => ({ em: 'em01', backupId: id, rpoSeconds: 3600 })),
  );
  const errors: PollErrorReason[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'info' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  const deps: CycleDeps = {
    state,
    events: { overrun: () => undefined, pollError: (_em, reason) => errors.push(reason) },
    log,
    now: Date.now,
    metadataRefreshMs: 3_600_000,
  };
  const input: EmCycleInput = {
    em: 'em01',
    client: fakeEmClient(behaviour),
    backups: IDS.map((id) => ({ id, rpoSeconds: 3600 })),
    limit: createLimiter(2),
    metadataReadAt: new Map(),
    ...extra,
  };
  const warnings = () => lines.filter((l) => (l.level as number) >= 40);
  return { state, errors, lines, warnings, run: () => runEmCycle(input, deps) };
}

describe('runEmCycle', () => {
  it('at its deadline: unfinished backups fail as timeout, finished ones keep their outcome, queued ones send nothing', async () => {
    const asked: string[] = [];
    const controller = new AbortController();
    const r = rig(
      {
        getRestorePoints: async (id) => {
          asked.push(id);
          return id === IDS[0] ? [{ uid: '', timeMs: Date.now() }] : never();
        },
      },
      { signal: controller.signal, deadlineMs: 50 },
    );
    setTimeout(() => controller.abort('deadline'), 50);
    const outcome = await r.run();
    expect(outcome).toMatchObject({ succeeded: 1, failed: 4, up: true, expired: true });
    expect(r.errors).toEqual(['timeout', 'timeout', 'timeout', 'timeout']);
    // Limit 2: the first backup, then the second hangs, then the third; the rest never started.
    expect(asked).toEqual(IDS.slice(0, 3));
    const records = r.state.backups();
    expect(records.find((b) => b.backupId === IDS[0])!.lastPoll).toMatchObject({ ok: true });
    for (const id of IDS.slice(1))
      expect(records.find((b) => b.backupId === id)!.lastPoll).toMatchObject({
        ok: false,
        failure: { reason: 'timeout' },
      });
    expect(r.warnings().map((l) => l.backups_failed)).toEqual([4]);
    expect(r.state.ems()[0]!.up).toBe(true);
  });

  it('a deadline while EM is silent leaves it down', async () => {
    const controller = new AbortController();
    const liveness = new EmLiveness(20);
    liveness.waiting();
    const r = rig({ getRestorePoints: () => never() }, { signal: controller.signal, deadlineMs: 60, liveness });
    setTimeout(() => controller.abort('deadline'), 60);
    const outcome = await r.run();
    expect(outcome.up).toBe(false);
    expect(r.state.ems()[0]!.up).toBe(false);
  });

  it('abandoned: returns at once, records nothing, says so in one line', async () => {
    const controller = new AbortController();
    const r = rig({ getRestorePoints: () => never() }, { signal: controller.signal });
    setTimeout(() => controller.abort('abandoned'), 20);
    const outcome = await r.run();
    expect(outcome.abandoned).toBe(true);
    expect(r.errors).toEqual([]);
    expect(r.state.ems()[0]!.up).toBeUndefined();
    expect(r.state.backups().every((b) => b.lastPoll === undefined)).toBe(true);
    expect(r.warnings()).toEqual([]);
    expect(r.lines.filter((l) => l.backups_not_polled === 5)).toHaveLength(1);
  });

  it('a failed metadata read: restore points read all the same, one error counted; when both fail, still one', async () => {
    const r = rig({
      getBackup: async () => {
        throw new EmError({
          em: 'em01',
          backupId: 'x',
          reason: 'http_5xx',
          detail: 'EM answered 500 "Object reference not set to an instance of an object."',
          status: 500,
        });
      },
      getRestorePoints: async (id) => {
        if (id === IDS[4])
          throw new EmError({ em: 'em01', backupId: id, reason: 'http_5xx', detail: 'EM answered 500', status: 500 });
        return [{ uid: '', timeMs: Date.now() }];
      },
    });
    const outcome = await r.run();
    expect(outcome).toMatchObject({ succeeded: 4, failed: 5, up: true });
    expect(r.errors).toEqual(['http_5xx', 'http_5xx', 'http_5xx', 'http_5xx', 'http_5xx']);
    for (const id of IDS.slice(0, 4)) expect(r.state.backups().find((b) => b.backupId === id)!.summary?.count).toBe(1);
    expect(r.state.backups().every((b) => b.metadata === undefined)).toBe(true);
    expect(r.warnings().filter((l) => l.endpoint === 'backup')).toHaveLength(4);
  });

  it('a metadata read that finds the backup gone still fails the poll as not_found, without asking for restore points', async () => {
    const asked: string[] = [];
    const r = rig({
      getBackup: async (id) => {
        if (id === IDS[0])
          throw new EmError({ em: 'em01', backupId: id, reason: 'not_found', detail: 'EM answered 404', status: 404 });
        return { id, name: 'n', platform: 'p', backupType: 't', backupServer: 's', repository: 'r' };
      },
      getRestorePoints: async (id) => (asked.push(id), []),
    });
    await r.run();
    expect(asked).not.toContain(IDS[0]);
    expect(r.errors).toEqual(['not_found']);
  });

  it('EM-wide failures (never reached EM) are one line for the cycle; per-backup ones one line each', async () => {
    const wide = rig({
      getBackup: async (id) => {
        throw new EmError({
          em: 'em01',
          backupId: id,
          reason: 'auth',
          detail: 'logon refused (EM answered 401)',
          status: 401,
          duringLogon: true,
        });
      },
    });
    await wide.run();
    expect(wide.warnings()).toHaveLength(1);
    expect(wide.warnings()[0]).toMatchObject({ polls_failed: 5, reason: 'auth' });
    expect(String(wide.warnings()[0]!.msg)).toBe(
      'em "em01": logon refused (EM answered 401); 5 polls of this cycle failed without reaching EM (5 auth)',
    );

    const some = rig({
      getRestorePoints: async (id) => {
        if (id === IDS[0])
          throw new EmError({ em: 'em01', backupId: id, reason: 'timeout', detail: 'no answer within 30s' });
        return [];
      },
    });
    await some.run();
    expect(some.warnings().map((l) => l.backup_id)).toEqual([IDS[0]]);
  });

  it('logs a failed poll with its formatted message and its EM, backup, action and reason as fields', async () => {
    const r = rig({
      getRestorePoints: async (id) => {
        if (id === IDS[1]) {
          throw new EmError({
            em: 'em01',
            backupId: id,
            action: 'GET restore points',
            reason: 'http_5xx',
            detail: 'EM answered 500',
            advice: 'check the EM service log',
            status: 500,
          });
        }
        return [];
      },
    });
    await r.run();
    expect(r.warnings()).toHaveLength(1);
    expect(r.warnings()[0]).toMatchObject({
      em: 'em01',
      backup_id: IDS[1],
      action: 'GET restore points',
      reason: 'http_5xx',
      msg: `em "em01": backup ${IDS[1]}: GET restore points: EM answered 500: check the EM service log`,
    });
    expect(r.state.backups().find((b) => b.backupId === IDS[1])!.lastPoll?.failure).toStrictEqual({
      em: 'em01',
      backupId: IDS[1],
      action: 'GET restore points',
      reason: 'http_5xx',
      detail: 'EM answered 500',
      advice: 'check the EM service log',
      status: 500,
    });
  });

  it('sums up a logon failure handed to every backup in one line that names the EM and the logon, not a backup', async () => {
    const r = rig({
      getBackup: async (id) => {
        throw new EmError({
          em: 'em01',
          backupId: id,
          action: 'logon as "svc"',
          reason: 'http_5xx',
          detail: 'EM answered 503',
          advice: 'check the EM service log',
          status: 503,
          duringLogon: true,
        });
      },
    });
    await r.run();
    expect(r.warnings()).toHaveLength(1);
    expect(r.warnings()[0]).toMatchObject({ em: 'em01', polls_failed: 5, reason: 'http_5xx' });
    expect(r.warnings()[0]!.backup_id).toBeUndefined();
    expect(r.warnings()[0]!.msg).toBe(
      'em "em01": logon as "svc": EM answered 503: check the EM service log; 5 polls of this cycle failed without reaching EM (5 http_5xx)',
    );
  });
});

describe('the default cycle deadline', () => {
  it('is the schedule interval less a moment, so the next tick finds the cycle ended', () => {
    expect(defaultCycleTimeoutMs('*/5 * * * *')).toBe(299_000);
    expect(defaultCycleTimeoutMs('* * * * * *')).toBe(900);
    expect(defaultCycleTimeoutMs('0 2,3 * * *')).toBe(3_600_000 - 1_000); // the shortest gap
    // Beyond a Node timer's range (about 24.8 days) a timer fires at once: a yearly schedule must not.
    expect(defaultCycleTimeoutMs('0 0 1 1 *')).toBe(2 ** 31 - 1);
  });
});
