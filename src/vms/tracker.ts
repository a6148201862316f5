/**
 * Per-machine freshness of one Enterprise Manager, kept up to date incrementally. Pure: the caller
 * reads EM and hands the results in; this decides what to read next and what the series are.
 *
 * A VM restore point names no backup, only its restore point. The restore points of every polled
 * backup are read each cycle anyway, so the tracker keeps restore point -> backup from those reads,
 * and a VM point counts for a backup while its restore point is among that backup's points. That
 * makes retention and deleted restore points show at once, without re-reading any VM point.
 *
 * VM points themselves are read in full only now and then (a resync); in between, only those
 * created since the high-water mark minus an overlap. The mark is the clock at the start of the
 * last successful read: every point EM held then was read, so only points that reached EM since
 * can be missing, and the overlap covers how much older than their arrival those can be (EM
 * collects from its backup servers every 15 minutes by default). See docs/vm-freshness.md.
 */
import type { VmRestorePoint } from '../domain.js';

/** One machine in one backup: what its two gauges show. */
export interface VmSeries {
  backupId: string;
  vmId: string;
  /** The name on its newest point: a renamed VM keeps its series and shows the new name. */
  vmName: string;
  count: number;
  newestMs: number;
}

/** What the next read of VM points should ask EM for. */
export type VmReadPlan = { kind: 'full' } | { kind: 'since'; sinceMs: number };

export interface VmTrackerOptions {
  /** How far before the high-water mark an incremental read starts. */
  overlapMs: number;
  /** A full read at least this often; 0 = every cycle. */
  resyncMs: number;
}

export class VmTracker {
  /** VM points by UID, including those whose restore point is not (yet) known. */
  private readonly points = new Map<string, VmRestorePoint>();
  private readonly ownerOf = new Map<string, string>();
  private readonly pointsOf = new Map<string, ReadonlySet<string>>();
  /** The clock at the start of the last successful read. */
  private highWaterMs: number | undefined;
  private lastFullMs: number | undefined;
  /**
   * The next read must be full: a backup seen for the first time (its older VM points were never
   * kept), or a restore point that turned up older than the mark minus the overlap (EM collected it
   * late, or its backup's polls failed meanwhile): its VM points may lie before what an incremental
   * read asks for, or have been pruned as unclaimed.
   */
  private fullNeeded = false;

  constructor(private options: VmTrackerOptions) {}

  setOptions(options: VmTrackerOptions): void {
    this.options = options;
  }

  /**
   * The restore points of a backup at its last successful poll (bare lower-case GUIDs, with their
   * creation time where known); replaces what was known.
   */
  setRestorePoints(backupId: string, restorePoints: Iterable<string | { id: string; timeMs: number }>): void {
    const known = this.pointsOf.get(backupId);
    if (known === undefined) this.fullNeeded = true;
    const horizon = this.highWaterMs === undefined ? undefined : this.highWaterMs - this.options.overlapMs;
    const next = new Set<string>();
    for (const point of restorePoints) {
      const id = (typeof point === 'string' ? point : point.id).toLowerCase();
      next.add(id);
      if (
        known !== undefined &&
        !known.has(id) &&
        typeof point !== 'string' &&
        horizon !== undefined &&
        point.timeMs < horizon
      )
        this.fullNeeded = true;
    }
    for (const id of known ?? []) if (!next.has(id) && this.ownerOf.get(id) === backupId) this.ownerOf.delete(id);
    for (const id of next) this.ownerOf.set(id, backupId);
    this.pointsOf.set(backupId, next);
  }

  /** Forgets backups no longer polled (reload, discovery): their machines lose their series. */
  keepBackups(backupIds: ReadonlySet<string>): void {
    for (const backupId of [...this.pointsOf.keys()]) {
      if (backupIds.has(backupId)) continue;
      this.setRestorePoints(backupId, []);
      this.pointsOf.delete(backupId);
    }
  }

  /**
   * A full read when none was made yet, one is needed (see fullNeeded), or the last is `resyncMs`
   * old; else the points since the mark minus the overlap.
   */
  plan(nowMs: number): VmReadPlan {
    if (
      this.fullNeeded ||
      this.lastFullMs === undefined ||
      this.highWaterMs === undefined ||
      nowMs - this.lastFullMs >= this.options.resyncMs
    )
      return { kind: 'full' };
    return { kind: 'since', sinceMs: this.highWaterMs - this.options.overlapMs };
  }

  /** Every VM point EM has, read at `nowMs`: replaces all that was known. */
  applyFull(points: readonly VmRestorePoint[], nowMs: number): void {
    this.points.clear();
    this.add(points, nowMs);
    this.lastFullMs = nowMs;
    this.fullNeeded = false;
  }

  /** The points an incremental read returned, read at `nowMs`. */
  applySince(points: readonly VmRestorePoint[], nowMs: number): void {
    this.add(points, nowMs);
    this.prune();
  }

  /** One series per machine and backup that has at least one point, ordered by backup then machine. */
  series(): VmSeries[] {
    const byKey = new Map<string, VmSeries>();
    for (const point of this.points.values()) {
      const backupId = this.ownerOf.get(point.restorePointId);
      if (backupId === undefined) continue;
      const key = `${backupId}\u0000${point.vmId}`;
      const series = byKey.get(key);
      if (series === undefined) {
        byKey.set(key, { backupId, vmId: point.vmId, vmName: point.vmName, count: 1, newestMs: point.timeMs });
        continue;
      }
      series.count++;
      if (point.timeMs > series.newestMs || (point.timeMs === series.newestMs && point.vmName < series.vmName)) {
        series.newestMs = point.timeMs;
        series.vmName = point.vmName;
      }
    }
    return [...byKey.values()].sort((a, b) => compare(a.backupId, b.backupId) || compare(a.vmId, b.vmId));
  }

  private add(points: readonly VmRestorePoint[], nowMs: number): void {
    for (const point of points) this.points.set(point.uid, point);
    // Never backwards: a read that started before the last one cannot tell what that one saw.
    this.highWaterMs = Math.max(nowMs, this.highWaterMs ?? -Infinity);
  }

  /**
   * Points whose restore point no backup claims are kept while an incremental read could still
   * bring their restore point's owner (its backup's next poll); older ones would only come back
   * with a resync, which reads them again anyway.
   */
  private prune(): void {
    if (this.highWaterMs === undefined) return;
    const horizon = this.highWaterMs - this.options.overlapMs;
    for (const [uid, point] of this.points) {
      if (point.timeMs < horizon && !this.ownerOf.has(point.restorePointId)) this.points.delete(uid);
    }
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
