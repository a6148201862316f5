import type { Logger } from 'pino';
import type { ReloadResult } from './server/index.js';

/** What a reload does; given once start-up is done. */
export interface ReloadWork {
  /** Re-reads the web config and the config and applies them; may throw. */
  reloadAll(): Promise<ReloadResult>;
  /** Re-reads the web config alone (its files changed on disk); may throw. */
  reloadWebConfig(): Promise<ReloadResult>;
  /** Sets the reload gauges; called once per full reload, never for a web-config-only one. */
  recordReload(ok: boolean): void;
}

type TaskKind = 'all' | 'web-config';

interface Task {
  kind: TaskKind;
  /** Some POST /-/reload waits for this task: later overlapping POSTs may share it even once it runs. */
  awaitedByHttp: boolean;
  outcome: Promise<ReloadResult>;
  settle(outcome: ReloadResult): void;
}

const STOPPING: ReloadResult = { ok: false, error: 'the exporter is stopping' };

/**
 * The one place that runs reloads, one at a time and in the order asked for: SIGHUP, POST /-/reload
 * and the web config's file watcher all queue here.
 *
 * A task that has not started yet serves every request that comes after it was queued: it reads the
 * files only when it starts, so it sees whatever changed before. A task that runs may have read the
 * old files already, so only a POST shares it, and only when another POST waits for it: overlapping
 * POSTs get one answer. A SIGHUP during a run always gets a reload that starts after it.
 *
 * Nothing runs before `start` (a SIGHUP during start-up waits for it) or after `stop`.
 */
export class ReloadQueue {
  private running: Task | undefined;
  private readonly waiting: Task[] = [];
  private work: ReloadWork | undefined;
  private stopped = false;

  constructor(private readonly log: Logger) {}

  /** True once `start` was called: requests from now on run without waiting for start-up. */
  get started(): boolean {
    return this.work !== undefined;
  }

  /** True when a full reload is queued and has not started. */
  get fullReloadWaiting(): boolean {
    return this.waiting.some((task) => task.kind === 'all');
  }

  /** SIGHUP: a full reload that starts after the one in progress, if any. */
  queueFresh(): Promise<ReloadResult> {
    return this.enqueue('all').outcome;
  }

  /** POST /-/reload: shares a reload another POST waits for, or one not started yet; else queues one. */
  joinOrQueue(): Promise<ReloadResult> {
    const task = this.running?.kind === 'all' && this.running.awaitedByHttp ? this.running : this.enqueue('all');
    task.awaitedByHttp = true;
    return task.outcome;
  }

  /** The web config's files changed: re-read it alone, unless a reload not started yet will anyway. */
  queueWebConfig(): Promise<ReloadResult> {
    if (this.stopped) return Promise.resolve(STOPPING);
    // Every full reload re-reads the web config first, so a waiting one of either kind serves.
    return (this.waiting[0] ?? this.enqueue('web-config')).outcome;
  }

  /** Start-up is done: runs what was queued during it, then every request as it comes. */
  start(work: ReloadWork): void {
    if (this.work !== undefined) throw new Error('the reload queue was started twice');
    this.work = work;
    this.next();
  }

  /**
   * A stop signal: reloads queued and not started are answered as refused and none starts from now
   * on. One that runs is left to finish; stopping does not wait for it.
   */
  stop(): void {
    this.stopped = true;
    for (const task of this.waiting.splice(0)) task.settle(STOPPING);
  }

  private enqueue(kind: TaskKind): Task {
    const waitingTask = this.waiting.find((task) => task.kind === kind);
    if (waitingTask !== undefined) return waitingTask;
    let settle!: (outcome: ReloadResult) => void;
    const outcome = new Promise<ReloadResult>((resolve) => (settle = resolve));
    const task: Task = { kind, awaitedByHttp: false, outcome, settle };
    if (this.stopped) {
      settle(STOPPING);
      return task;
    }
    this.waiting.push(task);
    this.next();
    return task;
  }

  private next(): void {
    const work = this.work;
    if (work === undefined || this.running !== undefined || this.stopped) return;
    const task = this.waiting.shift();
    if (task === undefined) return;
    this.running = task;
    void this.execute(task, work).then((outcome) => {
      this.running = undefined;
      task.settle(outcome);
      this.next();
    });
  }

  private async execute(task: Task, work: ReloadWork): Promise<ReloadResult> {
    if (task.kind === 'web-config') {
      try {
        return await work.reloadWebConfig();
      } catch (error) {
        return this.failed(error, 'web config reload failed, keeping the running one');
      }
    }
    let outcome: ReloadResult = { ok: false, error: 'the reload ended without an outcome' };
    try {
      outcome = await work.reloadAll();
    } catch (error) {
      outcome = this.failed(error, 'config reload failed, keeping the running config');
    } finally {
      work.recordReload(outcome.ok);
    }
    return outcome;
  }

  private failed(error: unknown, consequence: string): ReloadResult {
    const message = error instanceof Error ? error.message : String(error);
    this.log.error({ err: error }, `${consequence}: ${message}`);
    return { ok: false, error: message };
  }
}
