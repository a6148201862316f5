import { describe, expect, it } from 'vitest';
import { createExporterState, newestPointAgeSeconds } from '../../src/metrics/state.js';
import { helpTexts } from '../../src/metrics/help.js';
import { renderStateFamilies } from '../../src/metrics/state-families.js';
import type { BackupRecord } from '../../src/metrics/types.js';
import { rateBackup } from '../../src/server/freshness.js';
import type { BackupMetadata, RestorePointSummary } from '../../src/domain.js';
import { EmError } from '../../src/em/errors.js';

const A = '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3';
const B = '7b6a400c-452c-41d1-bb81-ea682e89492d';

function metadata(id: string, name: string): BackupMetadata {
  return { id, name, platform: 'VMware', backupType: 'Standard', backupServer: 'vbr01', repository: 'Repo 1' };
}

describe('createExporterState', () => {
  it('starts with one empty record per target and per EM', () => {
    const state = createExporterState();
    state.setTargets(['em01'], [{ em: 'em01', backupId: A, rpoSeconds: 3600 }]);
    expect(state.backups()).toEqual([{ em: 'em01', backupId: A, rpoSeconds: 3600, revision: expect.any(Number) }]);
    expect(state.ems()).toEqual([{ name: 'em01' }]);
  });

  it('keeps the values of backups that stay and updates their RPO', () => {
    const state = createExporterState();
    state.setTargets(['em01'], [{ em: 'em01', backupId: A, rpoSeconds: 3600 }]);
    state.recordMetadata('em01', A, metadata(A, 'Daily'));
    state.recordSuccess('em01', A, { count: 3, newestMs: 3000, oldestMs: 1000 }, 5000);

    state.setTargets(['em01'], [{ em: 'em01', backupId: A, rpoSeconds: 7200 }]);

    expect(state.backups()).toEqual([
      {
        em: 'em01',
        backupId: A,
        rpoSeconds: 7200,
        metadata: metadata(A, 'Daily'),
        summary: { count: 3, newestMs: 3000, oldestMs: 1000 },
        lastPoll: { ok: true, atMs: 5000 },
        lastSuccessMs: 5000,
        revision: expect.any(Number),
      },
    ]);
  });

  it('drops backups and EMs that leave the targets at once', () => {
    const state = createExporterState();
    state.setTargets(
      ['em01', 'em02'],
      [
        { em: 'em01', backupId: A, rpoSeconds: 60 },
        { em: 'em02', backupId: B, rpoSeconds: 60 },
      ],
    );
    state.recordCycle('em02', { up: true, endedAtMs: 1, durationSeconds: 1 });

    state.setTargets(['em01'], [{ em: 'em01', backupId: A, rpoSeconds: 60 }]);

    expect(state.backups().map((b) => b.backupId)).toEqual([A]);
    expect(state.ems().map((e) => e.name)).toEqual(['em01']);
  });

  it('keeps the EM record of an EM that stays', () => {
    const state = createExporterState();
    state.setTargets(['em01'], []);
    state.recordCycle('em01', { up: false, endedAtMs: 9000, durationSeconds: 2.5 });
    state.setTargets(['em01'], []);
    expect(state.ems()).toEqual([{ name: 'em01', up: false, lastCycleEndMs: 9000, lastCycleSeconds: 2.5 }]);
  });

  it('keeps count and timestamps after a failed poll and records why it failed', () => {
    const state = createExporterState();
    state.setTargets(['em01'], [{ em: 'em01', backupId: A, rpoSeconds: 60 }]);
    state.recordSuccess('em01', A, { count: 2, newestMs: 2000, oldestMs: 1000 }, 3000);
    state.recordFailure(
      'em01',
      A,
      new EmError({
        em: 'em01',
        backupId: A,
        reason: 'timeout',
        detail: 'timed out after 30s',
        advice: 'check the network',
      }),
      4000,
    );

    const [record] = state.backups();
    expect(record?.summary).toEqual({ count: 2, newestMs: 2000, oldestMs: 1000 });
    expect(record?.lastSuccessMs).toBe(3000);
    // The fields alone, as a plain object: not the Error (and its stack) they came in.
    expect(record?.lastPoll).toStrictEqual({
      ok: false,
      atMs: 4000,
      failure: {
        em: 'em01',
        backupId: A,
        reason: 'timeout',
        detail: 'timed out after 30s',
        advice: 'check the network',
      },
    });
  });

  it('ignores results for backups that are no longer watched, so a late poll cannot bring one back', () => {
    const state = createExporterState();
    state.setTargets(['em01'], [{ em: 'em01', backupId: A, rpoSeconds: 60 }]);
    state.setTargets(['em01'], []);
    state.recordSuccess('em01', A, { count: 1, newestMs: 1, oldestMs: 1 }, 2);
    state.recordFailure('em01', A, { em: 'em01', backupId: A, reason: 'auth', detail: 'x' }, 2);
    state.recordMetadata('em01', A, metadata(A, 'Gone'));
    state.recordCycle('em09', { up: true, endedAtMs: 1, durationSeconds: 1 });
    expect(state.backups()).toEqual([]);
    expect(state.ems().map((e) => e.name)).toEqual(['em01']);
  });

  it('treats backup IDs case-insensitively and reports them in lower case', () => {
    const state = createExporterState();
    state.setTargets(['em01'], [{ em: 'em01', backupId: A.toUpperCase(), rpoSeconds: 60 }]);
    state.recordSuccess('em01', A, { count: 0 }, 10);
    expect(state.backups()).toEqual([expect.objectContaining({ backupId: A, summary: { count: 0 } })]);
  });

  it('does not let a caller change a recorded summary afterwards', () => {
    const state = createExporterState();
    state.setTargets(['em01'], [{ em: 'em01', backupId: A, rpoSeconds: 60 }]);
    const summary = { count: 1, newestMs: 5, oldestMs: 5 };
    state.recordSuccess('em01', A, summary, 10);
    summary.count = 99;
    expect(state.backups()[0]?.summary?.count).toBe(1);
  });

  it('lists backups in target order', () => {
    const state = createExporterState();
    state.setTargets(
      ['em01'],
      [
        { em: 'em01', backupId: B, rpoSeconds: 60 },
        { em: 'em01', backupId: A, rpoSeconds: 60 },
      ],
    );
    expect(state.backups().map((b) => b.backupId)).toEqual([B, A]);
  });

  describe('revision', () => {
    const summary = { count: 3, newestMs: 3000, oldestMs: 1000 };
    function polled() {
      const state = createExporterState();
      state.setTargets(['em01'], [{ em: 'em01', backupId: A, rpoSeconds: 3600 }]);
      state.recordMetadata('em01', A, metadata(A, 'Daily'));
      state.recordSuccess('em01', A, summary, 5000);
      return state;
    }
    const only = (state: ReturnType<typeof createExporterState>) => state.backups()[0]!;

    it('stays, with the same summary and metadata objects, when a poll finds what the last one found', () => {
      const state = polled();
      const before = only(state);
      state.recordMetadata('em01', A, metadata(A, 'Daily'));
      state.recordSuccess('em01', A, { ...summary }, 9000);
      const after = only(state);
      expect(after.revision).toBe(before.revision);
      expect(after.summary).toBe(before.summary);
      expect(after.metadata).toBe(before.metadata);
      // The times a poll sets still move on.
      expect(after.lastSuccessMs).toBe(9000);
      expect(after.lastPoll).toEqual({ ok: true, atMs: 9000 });
      state.setTargets(['em01'], [{ em: 'em01', backupId: A, rpoSeconds: 3600 }]);
      expect(only(state).revision).toBe(before.revision);
    });

    it('changes with anything /metrics shows: count, times, name, RPO, poll outcome', () => {
      const state = polled();
      const seen = new Set([only(state).revision]);
      const expectNew = () => {
        expect(seen.has(only(state).revision)).toBe(false);
        seen.add(only(state).revision);
      };
      state.recordSuccess('em01', A, { ...summary, count: 4 }, 6000);
      expectNew();
      state.recordSuccess('em01', A, { ...summary, count: 4, newestMs: 3500 }, 7000);
      expectNew();
      state.recordMetadata('em01', A, metadata(A, 'Daily renamed'));
      expectNew();
      state.setTargets(['em01'], [{ em: 'em01', backupId: A, rpoSeconds: 7200 }]);
      expectNew();
      state.recordFailure('em01', A, { em: 'em01', reason: 'timeout', detail: 'slow' }, 8000);
      expectNew();
      // A second failure shows the same on /metrics (poll_success 0), whatever its message.
      const failing = only(state).revision;
      state.recordFailure('em01', A, { em: 'em01', reason: 'network', detail: 'reset' }, 9000);
      expect(only(state).revision).toBe(failing);
      expect(only(state).lastPoll?.failure?.detail).toBe('reset');
      state.recordSuccess('em01', A, { ...summary, count: 4, newestMs: 3500 }, 10_000);
      expectNew();
    });

    it('is never shared by two backups', () => {
      const state = createExporterState();
      state.setTargets(
        ['em01'],
        [
          { em: 'em01', backupId: A, rpoSeconds: 60 },
          { em: 'em01', backupId: B, rpoSeconds: 60 },
        ],
      );
      state.recordSuccess('em01', A, summary, 1);
      state.recordSuccess('em01', B, summary, 1);
      const [a, b] = state.backups();
      expect(a!.revision).not.toBe(b!.revision);
    });
  });
});

describe('the newest-point age, one definition for /metrics and the status page', () => {
  const record = (summary: RestorePointSummary | undefined): BackupRecord => ({
    em: 'em01',
    backupId: A,
    rpoSeconds: 3600,
    summary,
    revision: 1,
  });

  it('is the seconds since the newest point, never negative, and absent without a point', () => {
    expect(newestPointAgeSeconds(record({ count: 2, newestMs: 1_000, oldestMs: 500 }), 91_500)).toBe(90.5);
    expect(newestPointAgeSeconds(record({ count: 1, newestMs: 10_000, oldestMs: 10_000 }), 4_000)).toBe(0);
    expect(newestPointAgeSeconds(record({ count: 0 }), 4_000)).toBeUndefined();
    expect(newestPointAgeSeconds(record(undefined), 4_000)).toBeUndefined();
  });

  it('is what the status page rates and what the age series says', () => {
    for (const [newestMs, nowMs] of [
      [1_000, 91_500],
      [10_000, 4_000],
      [1_717_000_000_123, 1_717_000_360_000],
    ] as const) {
      const r = record({ count: 1, newestMs, oldestMs: newestMs });
      expect(rateBackup(r, nowMs).ageSeconds).toBe(newestPointAgeSeconds(r, nowMs));
      const line = renderStateFamilies({ backups: [r], ems: [], nowMs }, helpTexts('x'))
        .split('\n')
        .find((l) => l.startsWith('veeam_em_backup_newest_restore_point_age_seconds{'))!;
      expect(Number(line.slice(line.lastIndexOf(' ') + 1))).toBe(newestPointAgeSeconds(r, nowMs));
    }
  });
});
