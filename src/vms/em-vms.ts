/**
 * Per-machine freshness of one Enterprise Manager: after each poll cycle, one read of VM restore
 * points (incremental or full, as the tracker plans), the selection by name and limit, and the
 * result in the store.
 */
import type { Logger } from 'pino';
import type { VmsConfig } from '../config/types.js';
import type { PollErrorReason } from '../domain.js';
import type { TaskRunner } from '../em/types.js';
import type { EmVmClient } from '../em/vm-query.js';
import { selectVms } from './select.js';
import type { VmStore } from './store.js';
import { VmTracker } from './tracker.js';
import { readVmPoints } from './vm-cycle.js';

export interface EmVmsDeps {
  store: VmStore;
  log: Logger;
  now: () => number;
  /** Counts a failed read in veeam_em_poll_errors_total, like a failed backup poll. */
  pollError: (em: string, reason: PollErrorReason) => void;
}

export class EmVms {
  readonly tracker: VmTracker;
  private lastDropped = 0;

  constructor(
    readonly em: string,
    private config: VmsConfig,
    private readonly client: EmVmClient,
    private readonly deps: EmVmsDeps,
  ) {
    this.tracker = new VmTracker({ overlapMs: config.overlapMs, resyncMs: config.resyncMs });
    deps.store.enable(em);
  }

  /** Reload: new names, limit or cadence apply from the next cycle; what was read stays. */
  setConfig(config: VmsConfig): void {
    this.config = config;
    this.tracker.setOptions({ overlapMs: config.overlapMs, resyncMs: config.resyncMs });
  }

  /** After a cycle that reached EM: `targets` are the backups it polled. */
  async afterCycle(targets: ReadonlySet<string>, run: TaskRunner): Promise<void> {
    const { em } = this;
    const { store, log, now } = this.deps;
    this.tracker.keepBackups(targets);
    const startedAt = now();
    const outcome = await readVmPoints({ em, client: this.client, tracker: this.tracker, run, now });
    const atMs = now();
    if (!outcome.ok) {
      this.deps.pollError(em, outcome.failure.reason);
      log.warn({ em, vms: outcome.plan.kind, reason: outcome.failure.reason }, `${outcome.failure.message} (VM series keep their last values)`);
      store.recordFailure(em, { ok: false, kind: outcome.plan.kind, atMs, message: outcome.failure.message });
      return;
    }
    const { series, dropped } = selectVms(this.tracker.series(), this.config);
    if (dropped > 0 && dropped !== this.lastDropped) {
      log.warn({ em, dropped, limit: this.config.limit }, 'more VM series than vms.limit: the rest are not exported (raise vms.limit, or narrow vms.include / vms.exclude)');
    }
    this.lastDropped = dropped;
    store.recordSuccess(em, series, dropped, { ok: true, kind: outcome.plan.kind, atMs });
    log.info({ em, vms: series.length, read: outcome.plan.kind, vm_points_read: outcome.points, duration_seconds: (atMs - startedAt) / 1000 }, 'VM restore points read');
  }
}
