import cron, { type ScheduledTask } from 'node-cron';
import type { BackupTargetConfig, DiscoverConfig } from '../config/types.js';
import type { EmClient } from '../em/types.js';
import { type CycleDeps, type CycleOutcome, runEmCycle } from './cycle.js';
import { BackupDiscovery, mergeTargets } from './discovery.js';
import { createLimiter, type Limiter } from './limiter.js';
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
  /** Called when discovery changes targets(): the caller publishes the new set before it is polled. */
  onTargetsChanged?: () => void;
  concurrency: number;
  schedule: string;
  /** Per-machine freshness, read after each cycle that reached EM. */
  vms?: EmVms;
}

/**
 * Polls one Enterprise Manager on its own cron task, so a slow or dead EM never delays another.
 * A tick that finds the previous cycle still running is skipped and counted as an overrun.
 */
export class EmPoller {
  readonly em: string;
  private readonly client: EmClient;
  private backups: readonly BackupTargetConfig[];
  private discovery: BackupDiscovery | undefined;
  private readonly limit: Limiter;
  private readonly metadataReadAt = new Map<string, number>();
  private task: ScheduledTask | undefined;
  private inFlight: Promise<CycleOutcome> | undefined;
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
    if (this.inFlight) return this.inFlight;
    const cycle = runEmCycle(
      {
        em: this.em,
        client: this.client,
        backups: this.backups,
        limit: this.limit,
        metadataReadAt: this.metadataReadAt,
        restorePoints: this.options.restorePoints,
        discovery: this.discovery,
        onTargetsChanged: () => this.targetsChanged(),
      },
      this.deps,
    )
      .then((outcome) => this.readVms(outcome))
      .finally(() => {
        this.inFlight = undefined;
      });
    this.inFlight = cycle;
    return cycle;
  }

  private async readVms(outcome: CycleOutcome): Promise<CycleOutcome> {
    const vms = this.vms;
    if (vms === undefined || !outcome.up) return outcome;
    try {
      await vms.afterCycle(new Set(this.targets().map((b) => b.id)), this.limit);
    } catch (error) {
      this.deps.log.error({ em: this.em, err: error }, 'reading VM restore points failed unexpectedly; VM series keep their last values (this is a bug in the exporter; please report it)');
    }
    return outcome;
  }

  /** Starts, changes or ends per-machine freshness (reload); takes effect from the next cycle. */
  setVms(vms: EmVms | undefined): void {
    this.vms = vms;
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

  private targetsChanged(): void {
    this.forgetMetadataOfOthers();
    this.options.onTargetsChanged?.();
  }

  private forgetMetadataOfOthers(): void {
    const wanted = new Set(this.targets().map((b) => b.id));
    for (const id of this.metadataReadAt.keys()) if (!wanted.has(id)) this.metadataReadAt.delete(id);
  }

  /** Stops ticking and waits for a running cycle, so a logout after it finds no request in flight. */
  async stop(): Promise<void> {
    await this.task?.destroy();
    this.task = undefined;
    await this.inFlight?.catch(() => undefined);
  }

  private async tick(): Promise<void> {
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
