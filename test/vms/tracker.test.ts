import { describe, expect, it } from 'vitest';
import type { VmRestorePoint } from '../../src/domain.js';
import { VmTracker } from '../../src/vms/tracker.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 0, 10);
const B = 'b0000000-0000-4000-8000-000000000000';
const point = (uid: string, rp: string, ms: number, vm = 'web-01', ref = `urn:VMware:Vm:h.${vm}`): VmRestorePoint => ({
  uid,
  restorePointId: rp,
  timeMs: ms,
  vmName: vm,
  vmId: ref,
});

describe('VmTracker', () => {
  it('reads everything first, then only what is new since the mark minus the overlap, and in full again at the resync cadence', () => {
    const t = new VmTracker({ overlapMs: HOUR, resyncMs: 24 * HOUR });
    expect(t.plan(NOW)).toEqual({ kind: 'full' });
    t.setRestorePoints(B, ['rp1']);
    t.applyFull([point('p1', 'rp1', NOW - 5 * HOUR)], NOW);
    // The mark is the clock of the last read, not the newest point: quiet cycles ask for almost nothing.
    expect(t.plan(NOW + HOUR)).toEqual({ kind: 'since', sinceMs: NOW - HOUR });
    t.applySince([], NOW + HOUR);
    expect(t.plan(NOW + 2 * HOUR)).toEqual({ kind: 'since', sinceMs: NOW });
    expect(t.plan(NOW + 24 * HOUR)).toEqual({ kind: 'full' });
  });

  it('takes the mark from its own clock, so a point from a backup server whose clock runs ahead cannot hide newer ones', () => {
    const t = new VmTracker({ overlapMs: HOUR, resyncMs: 24 * HOUR });
    t.setRestorePoints(B, ['rp1']);
    t.applyFull([point('p1', 'rp1', NOW + 10 * HOUR)], NOW);
    expect(t.plan(NOW + HOUR)).toEqual({ kind: 'since', sinceMs: NOW - HOUR });
    // A read that started earlier than the last one (clock set back) does not move the mark back.
    t.applySince([], NOW - 5 * HOUR);
    expect(t.plan(NOW + HOUR)).toEqual({ kind: 'since', sinceMs: NOW - HOUR });
  });

  it('a backup seen for the first time makes the next read a full one', () => {
    const t = new VmTracker({ overlapMs: HOUR, resyncMs: 24 * HOUR });
    t.setRestorePoints(B, ['rp1']);
    t.applyFull([], NOW);
    expect(t.plan(NOW + HOUR).kind).toBe('since');
    t.setRestorePoints('c0000000-0000-4000-8000-000000000000', ['rp9']);
    expect(t.plan(NOW + HOUR).kind).toBe('full');
  });

  it('one series per machine and backup: count, newest, the newest name (a rename keeps the series), none once its restore points are gone', () => {
    const t = new VmTracker({ overlapMs: HOUR, resyncMs: 24 * HOUR });
    t.setRestorePoints(B, ['rp1', 'rp2']);
    t.applyFull(
      [
        point('p1', 'rp1', NOW - 30 * HOUR, 'old-name', 'urn:x'),
        point('p2', 'rp2', NOW - 6 * HOUR, 'new-name', 'urn:x'),
        point('p3', 'rp2', NOW - 6 * HOUR, 'db'),
      ],
      NOW,
    );
    expect(t.series()).toEqual([
      { backupId: B, vmId: 'urn:VMware:Vm:h.db', vmName: 'db', count: 1, newestMs: NOW - 6 * HOUR },
      { backupId: B, vmId: 'urn:x', vmName: 'new-name', count: 2, newestMs: NOW - 6 * HOUR },
    ]);
    // Retention removed rp2: db has no point left, urn:x keeps its older one.
    t.setRestorePoints(B, ['rp1']);
    expect(t.series()).toEqual([
      { backupId: B, vmId: 'urn:x', vmName: 'old-name', count: 1, newestMs: NOW - 30 * HOUR },
    ]);
    t.keepBackups(new Set());
    expect(t.series()).toEqual([]);
  });

  it('two machines with one name but different references stay apart', () => {
    const t = new VmTracker({ overlapMs: HOUR, resyncMs: 24 * HOUR });
    t.setRestorePoints(B, ['rp1']);
    t.applyFull([point('p1', 'rp1', NOW - HOUR, 'web', 'urn:a'), point('p2', 'rp1', NOW - HOUR, 'web', 'urn:b')], NOW);
    expect(t.series().map((s) => s.vmId)).toEqual(['urn:a', 'urn:b']);
  });

  it('a restore point older than the mark minus the overlap, new to its backup, makes the next read full; a recent one does not', () => {
    const t = new VmTracker({ overlapMs: HOUR, resyncMs: 24 * HOUR });
    t.setRestorePoints(B, [{ id: 'rp1', timeMs: NOW - 30 * HOUR }]);
    t.applyFull([], NOW);
    t.setRestorePoints(B, [
      { id: 'rp1', timeMs: NOW - 30 * HOUR },
      { id: 'rp2', timeMs: NOW - 30 * 60_000 },
    ]);
    expect(t.plan(NOW + 5 * 60_000).kind).toBe('since');
    t.setRestorePoints(B, [
      { id: 'rp1', timeMs: NOW - 30 * HOUR },
      { id: 'rp2', timeMs: NOW - 30 * 60_000 },
      { id: 'rp0', timeMs: NOW - 2 * HOUR },
    ]);
    expect(t.plan(NOW + 5 * 60_000).kind).toBe('full');
  });
});
