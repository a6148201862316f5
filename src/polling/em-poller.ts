import cron, { type ScheduledTask } from 'node-cron';
import type { BackupTargetConfig, DiscoverConfig } from '../config/types.js';
import type { EmClient } from '../em/types.js';
import { type CycleAbort, type CycleDeps, type CycleOutcome, runEmCycle } from './cycle.js';
import { BackupDiscovery, mergeTargets } from './discovery.js';
import { createLimiter, type Limiter } from './limiter.js';
import type { EmLiveness } from './liveness.js';
import type { EmVms } from '../vms/em-vms.js';
import { tapRestorePoints } from '../vms/restore-point-tap.js';

export interface EmPollerOptions {
  em: string;
  client: EmClient;
  /** The configured backups. */
  backups: readonly BackupTargetConfig[];
  /** Discover backups by name as well; see BackupDiscovery. */
  discover?: DiscoverConfig;
  /** `query`: restore points through the query service; default one request per backup. */
  restorePoints?: 'per-backup' | 'query';
  concurrency: number;
  schedule: string;
  /** A cycle still running after this long ends, its unfinished polls failed as `timeout`; default: defaultCycleTimeoutMs(schedule). */
  cycleTimeoutMs?: number;
  /** Fed by this EM's client; while a cycle waits, silence for one `silenceMs` shows EM down at once. */
  liveness?: EmLiveness;
  /** Told every cycle that ended (not an abandoned one), e.g. to note a `tls` failure. */
  onCycleEnd?: (outcome: CycleOutcome) => void;
  /**
   * Awaited before each cycle sends anything, e.g. to re-read a CA file after a `tls` failure. It may
   * abandon this poller (a replacement takes over); the cycle then ends without a request.
   */
  beforeCycle?: () => Promise<void>;
  /** Per-machine freshness, read after each cycle that reached EM. */
  vms?: EmVms;
}

/** The shortest gap between runs of a cron schedule (over its next four runs). */
export function scheduleIntervalMs(schedule: string): number {
  const task = cron.createTask(schedule, () => undefined);
  try {
    const runs = task.getNextRuns(4).map((d) => d.getTime());
    let gap = Infinity;
    for (let i = 1; i < runs.length; i++) gap = Math.min(gap, runs[i]! - runs[i - 1]!);
    return Number.isFinite(gap) && gap > 0 ? gap : 60_000;
  } finally {
    void task.destroy();
  }
}

/**
 * The longest delay a Node timer honours (about 24.8 days); a longer one fires after 1 ms, which
 * would end every cycle of a monthly or yearly schedule at once.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The schedule interval, less a moment: a cycle started at a tick ends just before the next one, so
 * that tick starts a cycle instead of being skipped as an overrun.
 */
export function defaultCycleTimeoutMs(schedule: string): number {
  const interval = scheduleIntervalMs(schedule);
  return Math.min(interval - Math.min(1_000, interval / 10), MAX_TIMER_MS);
}

/** How often a running cycle checks whether EM went silent. */
const SILENCE_CHECK_MS = 250;

/**
 * Polls one Enterprise Manager on its own cron task, so a slow or dead EM never delays another.
 * A tick that finds the previous cycle still running is skipped and counted as an overrun; a cycle
 * ends at its deadline in any case.
 */
export class EmPoller {
  readonly em: string;
  private readonly client: EmClient;
  private backups: readonly BackupTargetConfig[];
  private discovery: BackupDiscovery | undefined;
  private readonly limit: Limiter;
  private readonly metadataReadAt = new Map<string, number>();
  private task: ScheduledTask | undefined;
  private inFlight: { promise: Promise<CycleOutcome>; controller: AbortController } | undefined;
  private abandoned = false;
  private readonly cycleTimeoutMs: number;
  private vms: EmVms | undefined;

  constructor(
    private readonly options: EmPollerOptions,
    private readonly deps: CycleDeps,
  ) {
    this.em = options.em;
    this.vms = options.vms;
    // Restore-point reads also tell the VM tracker which restore points each backup has.
    this.client = tapRestorePoints(options.client, () => this.vms?.tracker);
    this.backups = options.backups;
    this.discovery = options.discover === undefined ? undefined : new BackupDiscovery(options.em, options.discover);
    this.limit = createLimiter(options.concurrency);
    this.cycleTimeoutMs = options.cycleTimeoutMs ?? defaultCycleTimeoutMs(options.schedule);
  }

  /** The deadline of each cycle in force. */
  get cycleDeadlineMs(): number {
    return this.cycleTimeoutMs;
  }

  /** The backups this EM polls: the configured ones and, with discover, those found (configured ones win). */
  targets(): BackupTargetConfig[] {
    return mergeTargets(this.backups, this.discovery?.discovered() ?? []);
  }

  /** Starts the schedule and the first cycle at once; resolves when that first cycle has ended. */
  start(): Promise<CycleOutcome> {
    this.task = cron.schedule(this.options.schedule, () => this.tick(), {
      name: `poll ${this.em}`,
      noOverlap: true,
      logger: this.cronLogger(),
    });
    // node-cron sees only its own runs; the start-up cycle is guarded by tick() itself.
    this.task.on('execution:overlap', () => this.overrun());
    return this.runCycle();
  }

  /** Runs one cycle now, or joins the one already running. */
  runCycle(): Promise<CycleOutcome> {
    if (this.inFlight) return this.inFlight.promise;
    const controller = new AbortController();
    const end = (reason: CycleAbort) => controller.abort(reason);
    const deadline = setTimeout(() => end('deadline'), Math.min(this.cycleTimeoutMs, MAX_TIMER_MS));
    const { liveness } = this.options;
    liveness?.waiting();
    let reportedSilence = false;
    const watchdog = setInterval(() => {
      if (reportedSilence || liveness?.silent() !== true) return;
      reportedSilence = true;
      this.deps.state.recordSilence(this.em);
      this.deps.log.warn(
        { em: this.em, silent_seconds: liveness.silenceMs / 1000 },
        `em "${this.em}": no answer from EM for ${liveness.silenceMs / 1000}s (poll.timeout) while polling: veeam_em_up is 0 until EM answers a cycle again`,
      );
    }, SILENCE_CHECK_MS);
    deadline.unref();
    watchdog.unref();
    if (this.abandoned) controller.abort('abandoned' satisfies CycleAbort);
    const prepared =
      this.options
        .beforeCycle?.()
        .catch((error: unknown) =>
          this.deps.log.error({ em: this.em, err: error }, 'preparing the poll cycle failed'),
        ) ?? Promise.resolve();
    const cycle = (): Promise<CycleOutcome> =>
      runEmCycle(
        {
          em: this.em,
          client: this.client,
          backups: this.backups,
          limit: this.limit,
          metadataReadAt: this.metadataReadAt,
          restorePoints: this.options.restorePoints,
          discovery: this.discovery,
          signal: controller.signal,
          deadlineMs: this.cycleTimeoutMs,
          ...(liveness !== undefined ? { liveness } : {}),
        },
        this.deps,
      );
    const promise = prepared
      .then(cycle)
      .then((outcome) => this.readVms(outcome, controller.signal))
      .then((outcome) => {
        if (!outcome.abandoned) this.options.onCycleEnd?.(outcome);
        return outcome;
      })
      .finally(() => {
        clearTimeout(deadline);
        clearInterval(watchdog);
        liveness?.idle();
        this.inFlight = undefined;
      });
    this.inFlight = { promise, controller };
    return promise;
  }

  /**
   * After a cycle that reached EM, within its deadline: one read of VM restore points. It is part of
   * the cycle (the next tick waits for it, its pages count against poll.concurrency) and ends with
   * it: at the deadline it fails as `timeout` and the cycle counts as expired; when the poller is
   * abandoned (stop, reload) it ends at once and records nothing. See docs/vm-freshness.md,
   * "The cycle deadline, stop and reload".
   */
  private async readVms(outcome: CycleOutcome, signal: AbortSignal): Promise<CycleOutcome> {
    const vms = this.vms;
    if (vms === undefined || !outcome.up || outcome.abandoned || outcome.expired || signal.aborted) return outcome;
    try {
      // The deadline (or abandon) ends the read at once; a read cut by the deadline may leave requests
      // waiting on EM, so the cycle counts as expired and the next one starts on a fresh client.
      const cut = await vms.afterCycle(new Set(this.targets().map((b) => b.id)), this.limit, signal);
      if (cut === 'deadline') return { ...outcome, expired: true };
    } catch (error) {
      this.deps.log.error(
        { em: this.em, err: error },
        'reading VM restore points failed unexpectedly; VM series keep their last values (this is a bug in the exporter; please report it)',
      );
    }
    return outcome;
  }

  /** Starts, changes or ends per-machine freshness (reload); takes effect from the next cycle. */
  setVms(vms: EmVms | undefined): void {
    this.vms = vms;
  }

  /**
   * Takes over what the poller this one replaces knew about the same EM: when each backup's metadata
   * was last read, the last discovery listing, and what per-machine freshness has read. A new client
   * then neither re-reads every backup's metadata at once, nor drops the series of discovered
   * backups until it has listed EM itself, nor starts VM freshness over with a full read.
   */
  inheritFrom(previous: EmPoller): void {
    for (const [id, at] of previous.metadataReadAt) if (!this.metadataReadAt.has(id)) this.metadataReadAt.set(id, at);
    if (this.discovery !== undefined && previous.discovery !== undefined && this.options.discover !== undefined) {
      this.discovery = previous.discovery;
      this.discovery.update(this.options.discover);
    }
    if (this.vms !== undefined && previous.vms !== undefined) this.vms.inheritFrom(previous.vms);
    this.forgetMetadataOfOthers();
  }

  /** Takes effect from the next cycle; metadata of backups that left is forgotten. */
  setBackups(backups: readonly BackupTargetConfig[]): void {
    this.backups = backups;
    this.forgetMetadataOfOthers();
  }

  /**
   * Starts, changes or ends discovery (reload). A changed filter applies to the last listing at once
   * and EM is listed again at the next cycle. True when targets() changed.
   */
  setDiscovery(discover: DiscoverConfig | undefined): boolean {
    if (discover === undefined) {
      const had = (this.discovery?.discovered().length ?? 0) > 0;
      this.discovery = undefined;
      this.forgetMetadataOfOthers();
      return had;
    }
    if (this.discovery === undefined) {
      this.discovery = new BackupDiscovery(this.em, discover);
      return false;
    }
    const changed = this.discovery.update(discover);
    if (changed) this.forgetMetadataOfOthers();
    return changed;
  }

  private forgetMetadataOfOthers(): void {
    const wanted = new Set(this.targets().map((b) => b.id));
    for (const id of this.metadataReadAt.keys()) if (!wanted.has(id)) this.metadataReadAt.delete(id);
  }

  /**
   * Stops ticking and ends a running cycle at once, recording nothing more of it (shutdown, or a
   * reload that replaces this poller). Resolves when the cycle has returned, without waiting for its
   * requests in flight: closing the client cancels those.
   */
  async abandon(): Promise<void> {
    this.abandoned = true;
    const task = this.task;
    this.task = undefined;
    this.inFlight?.controller.abort('abandoned' satisfies CycleAbort);
    await task?.destroy();
    await this.inFlight?.promise.catch(() => undefined);
  }

  private async tick(): Promise<void> {
    if (this.abandoned) return;
    if (this.inFlight) {
      this.overrun();
      return;
    }
    await this.runCycle();
  }

  private overrun(): void {
    this.deps.events.overrun(this.em);
    this.deps.log.warn(
      { em: this.em, schedule: this.options.schedule },
      'poll cycle still running at the next scheduled tick; tick skipped (lower the backup count, raise poll.concurrency or widen poll.schedule)',
    );
  }

  private cronLogger() {
    const log = this.deps.log.child({ component: 'cron', em: this.em });
    return {
      info: (message: string) => log.debug(message),
      warn: (message: string) => log.debug(message), // overlaps are reported by overrun() already
      error: (message: string | Error) => log.error({ err: message }, 'scheduler error'),
      debug: (message: string | Error) => log.debug(String(message)),
    };
  }
}
