/**
 * Per-machine freshness of one Enterprise Manager: after each poll cycle, one read of VM restore
 * points (incremental or full, as the tracker plans), the selection by name and limit, and the
 * result in the store.
 */
import type { Logger } from 'pino';
import type { VmsConfig } from '../config/types.js';
import { formatFailure, type PollErrorReason } from '../domain.js';
import { EmError, failureLogFields } from '../em/errors.js';
import type { TaskRunner } from '../em/types.js';
import { VM_SUBJECT, type EmVmClient } from '../em/vm-query.js';
import { selectVms } from './select.js';
import type { VmRead, VmStore } from './store.js';
import { VmTracker } from './tracker.js';
import { readVmPoints } from './vm-cycle.js';

export interface EmVmsDeps {
  store: VmStore;
  log: Logger;
  now: () => number;
  /** Counts a failed read in veeam_em_poll_errors_total, like a failed backup poll. */
  pollError: (em: string, reason: PollErrorReason) => void;
}

/** How a VM read that the poll cycle's signal ended: `deadline` (recorded as a failed read) or `abandoned` (nothing recorded). */
export type VmReadCut = 'deadline' | 'abandoned';

export class EmVms {
  private trackerNow: VmTracker;
  private lastDropped = 0;
  /** True after a successful read: a reload that changes the selection can then apply it without reading EM. */
  private readOnce = false;

  constructor(
    readonly em: string,
    private config: VmsConfig,
    private readonly client: EmVmClient,
    private readonly deps: EmVmsDeps,
  ) {
    this.trackerNow = new VmTracker({ overlapMs: config.overlapMs, resyncMs: config.resyncMs });
    deps.store.enable(em);
  }

  get tracker(): VmTracker {
    return this.trackerNow;
  }

  /**
   * Takes over what `previous` (the same EM's, before its poller was replaced) has read, under this
   * one's options: the next read stays incremental and the selection applies at once.
   */
  inheritFrom(previous: EmVms): void {
    this.trackerNow = previous.trackerNow;
    this.trackerNow.setOptions({ overlapMs: this.config.overlapMs, resyncMs: this.config.resyncMs });
    this.lastDropped = previous.lastDropped;
    this.readOnce = previous.readOnce;
    if (this.readOnce) this.publish(undefined);
  }

  /**
   * Reload: a new include, exclude or limit applies at once to what was read (an `exclude` that ends
   * an alert needs no trip to EM); overlap and resync from the next read.
   */
  setConfig(config: VmsConfig): void {
    this.config = config;
    this.tracker.setOptions({ overlapMs: config.overlapMs, resyncMs: config.resyncMs });
    if (this.readOnce) this.publish(undefined);
  }

  /**
   * After a cycle that reached EM: `targets` are the backups it polled. `signal` is the cycle's: once
   * it aborts, this resolves at once, without waiting for EM, and what EM answers later is dropped.
   * Resolves with how the signal cut the read, undefined when it ran to its end.
   */
  async afterCycle(
    targets: ReadonlySet<string>,
    run: TaskRunner,
    signal?: AbortSignal,
  ): Promise<VmReadCut | undefined> {
    const { em } = this;
    const { log, now } = this.deps;
    const tracker = this.trackerNow;
    tracker.keepBackups(targets);
    const startedAt = now();
    const plan = tracker.plan(startedAt);
    const read = readVmPoints({
      em,
      client: this.client,
      tracker,
      run,
      now,
      ...(signal !== undefined ? { signal } : {}),
    });
    const outcome = signal === undefined ? await read : await Promise.race([read, cutBy(signal)]);
    const atMs = now();
    if ('cut' in outcome) {
      if (signal?.reason !== 'deadline') return 'abandoned';
      const failure = new EmError({
        em,
        subject: VM_SUBJECT,
        reason: 'timeout',
        detail: `the poll cycle reached its deadline (poll.cycleTimeout) during the ${plan.kind === 'full' ? 'full' : 'incremental'} read; EM answers too slowly`,
        advice: "check EM's load, or raise poll.cycleTimeout",
      });
      this.failed(failure, plan.kind, atMs);
      return 'deadline';
    }
    if (!outcome.ok) {
      this.failed(outcome.failure, outcome.plan.kind, atMs);
      return;
    }
    this.readOnce = true;
    const exported = this.publish({ ok: true, kind: outcome.plan.kind, atMs });
    log.info(
      {
        em,
        vms: exported,
        read: outcome.plan.kind,
        vm_points_read: outcome.points,
        duration_seconds: (atMs - startedAt) / 1000,
      },
      'VM restore points read',
    );
    return undefined;
  }

  /** A failed read: counted like a failed backup poll, logged, and shown on the status page; the series keep their last values. */
  private failed(failure: EmError, kind: VmRead['kind'], atMs: number): void {
    const message = formatFailure(failure);
    this.deps.pollError(this.em, failure.reason);
    this.deps.log.warn({ ...failureLogFields(failure), vms: kind }, `${message} (VM series keep their last values)`);
    this.deps.store.recordFailure(this.em, { ok: false, kind, atMs, message });
  }

  /** Selects the series to export from what the tracker holds and stores them (with `read`, else keeping the last read's); returns how many. */
  private publish(read: VmRead | undefined): number {
    const { em } = this;
    const { series, dropped } = selectVms(this.trackerNow.series(), this.config);
    if (dropped > 0 && dropped !== this.lastDropped) {
      this.deps.log.warn(
        { em, dropped, limit: this.config.limit },
        'more VM series than vms.limit: the rest are not exported (raise vms.limit, or narrow vms.include / vms.exclude)',
      );
    }
    this.lastDropped = dropped;
    if (read !== undefined) this.deps.store.recordSuccess(em, series, dropped, read);
    else this.deps.store.reselect(em, series, dropped);
    return series.length;
  }
}

/** Resolves as a cut read once `signal` aborts (at once when it has). */
function cutBy(signal: AbortSignal): Promise<{ cut: true }> {
  if (signal.aborted) return Promise.resolve({ cut: true });
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ cut: true }), { once: true }));
}
