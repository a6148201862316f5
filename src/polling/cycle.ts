import type { Logger } from 'pino';
import type { BackupTargetConfig } from '../config/types.js';
import type { BackupMetadata, PollErrorReason, RestorePoint } from '../domain.js';
import { FUTURE_POINT_TOLERANCE_MS, formatFailure } from '../domain.js';
import { EmError, failureLogFields } from '../em/errors.js';
import type { BackupOutcome, EmClient } from '../em/types.js';
import type { ExporterState, PollEvents } from '../metrics/types.js';
import type { Limiter } from './limiter.js';
import { type BackupDiscovery, mergeTargets } from './discovery.js';
import { reachedEm, toFailure } from './failure.js';
import type { EmLiveness } from './liveness.js';
import { summarizeRestorePoints } from './summary.js';

export interface CycleDeps {
  state: ExporterState;
  events: PollEvents;
  log: Logger;
  now: () => number;
  metadataRefreshMs: number;
}

export interface EmCycleInput {
  em: string;
  client: EmClient;
  /** The configured backups; discovered ones are added to them. */
  backups: readonly BackupTargetConfig[];
  limit: Limiter;
  /** When each backup's metadata was last read; kept across cycles by the caller. */
  metadataReadAt: Map<string, number>;
  /** `query`: restore points of many backups per request through the query service; default one request per backup. */
  restorePoints?: 'per-backup' | 'query';
  /** Discovery state of this EM, when it discovers backups; kept across cycles by the caller. */
  discovery?: BackupDiscovery;
  /**
   * Ends the cycle early. Reason `deadline`: what is unfinished fails as `timeout` and the cycle is
   * recorded; `abandoned` (shutdown, or a reload replaced this EM's poller): nothing more is recorded.
   */
  signal?: AbortSignal;
  /** When EM last answered; a cycle that ends at its deadline while EM is silent leaves it down. */
  liveness?: EmLiveness;
  /** For messages: the deadline `signal` enforces. */
  deadlineMs?: number;
}

/** Why a cycle was ended early: the reason given to its AbortController. */
export type CycleAbort = 'deadline' | 'abandoned';

export interface CycleOutcome {
  em: string;
  up: boolean;
  succeeded: number;
  /** Failed backup polls and failed discovery requests: each counted in veeam_em_poll_errors_total. */
  failed: number;
  durationSeconds: number;
  /** Reasons of this cycle's failures, once each. */
  reasons: PollErrorReason[];
  /** Ended by `abandoned`: nothing of it was recorded. */
  abandoned?: boolean;
  /** Ended by its deadline: requests it sent may still be waiting on EM. */
  expired?: boolean;
}

/** What one cycle learnt; every poll outcome goes through here, so counts, up and logs agree. */
class CycleTally {
  succeeded = 0;
  failed = 0;
  readonly reasons = new Set<PollErrorReason>();
  /** Backups with an outcome in this cycle: the rest are what a deadline leaves unfinished. */
  readonly done = new Set<string>();
  /** Undefined until some request was made: a cycle with nothing to do leaves EM up. */
  private reached: boolean | undefined;
  /** Once closed (deadline or abandoned), late outcomes of requests still in flight are dropped. */
  private closed = false;
  /**
   * Failures that did not reach EM. Logged one by one only if EM answered something else in this
   * cycle; otherwise the whole EM failed, and one line per cycle says so (see flushLog).
   */
  private readonly unreached: Array<{ backupId: string | undefined; failure: EmError }> = [];
  /** Metadata reads that failed in this cycle, waiting for the outcome of their backup's restore points. */
  private readonly metadataFailures = new Map<string, EmError>();

  constructor(
    private readonly input: EmCycleInput,
    private readonly deps: CycleDeps,
  ) {}

  get up(): boolean {
    return this.reached ?? true;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
  }

  answered(): void {
    if (!this.closed) this.reached = true;
  }

  success(backupId: string, points: readonly RestorePoint[]): void {
    if (this.closed) return;
    const { em } = this.input;
    const summary = summarizeRestorePoints(points);
    const polledAt = this.deps.now();
    if (summary.newestMs !== undefined && summary.newestMs > polledAt + FUTURE_POINT_TOLERANCE_MS) {
      this.deps.log.warn(
        { em, backup_id: backupId, newest: new Date(summary.newestMs).toISOString() },
        'newest restore point lies in the future: the clocks of EM and this host disagree; its age is reported as 0 (check NTP on both)',
      );
    }
    this.deps.state.recordSuccess(em, backupId, summary, polledAt);
    const metadataFailure = this.metadataFailures.get(backupId);
    if (metadataFailure !== undefined) {
      this.metadataFailures.delete(backupId);
      this.count(metadataFailure);
      this.deps.log.warn(
        { ...failureLogFields(metadataFailure), backup_id: backupId, endpoint: 'backup' },
        `${formatFailure(metadataFailure)} (backup metadata: its restore points were read all the same; the info labels keep their last known values)`,
      );
    }
    this.succeeded++;
    this.done.add(backupId);
    this.reached = true;
  }

  /** A failed backup poll, or with `backupId` undefined a failed discovery request. */
  failure(backupId: string | undefined, failure: EmError): void {
    if (this.closed) return;
    const { em } = this.input;
    if (backupId !== undefined) {
      this.deps.state.recordFailure(em, backupId, failure, this.deps.now());
      this.done.add(backupId);
      this.metadataFailures.delete(backupId);
    }
    this.count(failure);
    if (reachedEm(failure)) {
      this.reached = true;
      this.logFailure(backupId, failure);
    } else {
      this.reached ??= false;
      this.unreached.push({ backupId, failure });
    }
  }

  /**
   * A failed metadata read: the backup's restore points are read all the same and its `_info`
   * labels keep their last known values. If the restore points are read, the metadata failure is
   * counted and logged on its own (endpoint `backup`); if they fail too, that failure is the one
   * counted, so a backup costs at most one error per cycle.
   */
  metadataFailure(backupId: string, failure: EmError): void {
    if (this.closed) return;
    if (reachedEm(failure)) this.reached = true;
    this.metadataFailures.set(backupId, failure);
  }

  /** One line for one failure; with `backupId` undefined, a failed discovery request. */
  private logFailure(backupId: string | undefined, failure: EmError): void {
    const about = backupId !== undefined ? { backup_id: backupId } : { discovery: true };
    this.deps.log.warn({ ...failureLogFields(failure), ...about }, formatFailure(failure));
  }

  private count(failure: EmError): void {
    this.deps.events.pollError(this.input.em, failure.reason);
    this.reasons.add(failure.reason);
    this.failed++;
  }

  metadata(backupId: string, metadata: BackupMetadata): void {
    if (this.closed) return;
    this.deps.state.recordMetadata(this.input.em, backupId, metadata);
    this.input.metadataReadAt.set(backupId, this.deps.now());
  }

  /**
   * The deadline passed: every backup without an outcome fails as `timeout`, one line for all of them.
   * Requests still in flight end by their own timeout; their outcome is no longer recorded.
   */
  expire(targets: readonly BackupTargetConfig[]): void {
    const { em } = this.input;
    const seconds = Math.round((this.input.deadlineMs ?? 0) / 1000);
    const unfinished = targets.filter((t) => !this.done.has(t.id));
    // Recorded per backup (the status page shows why), logged once for all of them below.
    for (const target of unfinished) {
      const failure = new EmError({
        em,
        backupId: target.id,
        reason: 'timeout',
        detail: `not polled within the cycle deadline of ${seconds}s (poll.cycleTimeout); EM answers too slowly or not at all`,
        advice: "check EM's load and the network, or lower poll.timeout",
      });
      this.deps.state.recordFailure(em, target.id, failure, this.deps.now());
      this.done.add(target.id);
      this.count(failure);
    }
    this.reached = this.reached === true && this.input.liveness?.silent() !== true;
    this.close();
    if (unfinished.length > 0) {
      this.deps.log.warn(
        { em, reason: 'timeout', backups_failed: unfinished.length },
        `em "${em}": poll cycle ended at its deadline of ${seconds}s (poll.cycleTimeout) with ${unfinished.length} of ${targets.length} backups not polled; they count as failed polls with reason timeout`,
      );
    }
  }

  /** The cycle was abandoned: what is unfinished is only summed up, in one line. */
  abandon(targets: readonly BackupTargetConfig[]): void {
    this.close();
    const unfinished = targets.filter((t) => !this.done.has(t.id)).length;
    if (unfinished > 0) {
      this.deps.log.info(
        { em: this.input.em, backups_not_polled: unfinished },
        `poll cycle cancelled with ${unfinished} of ${targets.length} backups not polled: the exporter is stopping or a reload replaced this EM's settings`,
      );
    }
  }

  /** Failures that never reached EM: per backup if EM answered anything else, else one line for the EM. */
  flushLog(): void {
    const { em } = this.input;
    const pending = this.unreached.splice(0);
    if (pending.length === 0) return;
    if (this.reached === true) {
      for (const { backupId, failure } of pending) this.logFailure(backupId, failure);
      return;
    }
    const byReason = new Map<string, number>();
    for (const { failure } of pending) byReason.set(failure.reason, (byReason.get(failure.reason) ?? 0) + 1);
    const { backupId, failure: first } = pending[0]!;
    // Named without the first backup: the line is about the whole EM. A discovery failure keeps the parent it listed.
    const message = formatFailure(first, backupId === undefined ? 'full' : 'em');
    const polls = pending.length === 1 ? 'poll' : 'polls';
    this.deps.log.warn(
      { ...failureLogFields(first), em, polls_failed: pending.length },
      `${message}; ${pending.length} ${polls} of this cycle failed without reaching EM (${[...byReason].map(([r, n]) => `${n} ${r}`).join(', ')})`,
    );
  }

  /** Restore points of each backup of this EM at its last successful poll. */
  lastCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const record of this.deps.state.backups()) {
      if (record.em === this.input.em && record.summary !== undefined)
        counts.set(record.backupId, record.summary.count);
    }
    return counts;
  }

  metadataDue(backupId: string): boolean {
    const lastRead = this.input.metadataReadAt.get(backupId);
    return lastRead === undefined || this.deps.now() - lastRead >= this.deps.metadataRefreshMs;
  }
}

/** Resolves with the abort reason once `signal` fires; never, without a signal. */
function aborted(signal: AbortSignal | undefined): Promise<CycleAbort> {
  if (signal === undefined) return new Promise(() => undefined);
  if (signal.aborted) return Promise.resolve(signal.reason as CycleAbort);
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(signal.reason as CycleAbort), { once: true }),
  );
}

/**
 * One poll cycle of one Enterprise Manager: discovery when it is due, then every backup once,
 * `limit` requests at a time, either one backup per request or many through the query service.
 * An abort ends it at once, without waiting for the requests still in flight.
 */
export async function runEmCycle(input: EmCycleInput, deps: CycleDeps): Promise<CycleOutcome> {
  const { em, discovery, signal } = input;
  const { log, now } = deps;
  const startedAt = now();
  const tally = new CycleTally(input, deps);
  // Work queued behind the limiter that starts after an abort sends nothing to EM.
  const limit: Limiter = (task) => input.limit(() => (signal?.aborted ? Promise.reject(new CycleAborted()) : task()));
  const guarded: EmCycleInput = { ...input, limit };
  let targets = mergeTargets(input.backups, discovery?.discovered() ?? []);

  const work = async (): Promise<void> => {
    /** Backups a listing answered for in this cycle: their metadata is fresh and they exist. */
    const listed = new Map<string, BackupMetadata>();
    if (discovery?.isDue(now(), deps.metadataRefreshMs) === true) {
      const outcome = await discovery.refresh(input.client, limit, now());
      if (tally.isClosed) return;
      for (const failure of outcome.failures) tally.failure(undefined, failure);
      if (outcome.answered) tally.answered();
      // Before anything is recorded: the state only keeps values of backups it watches.
      if (outcome.changed) {
        log.info({ em, discovered: discovery.discovered().length }, 'discovery changed the set of polled backups');
        publishTargets(input, mergeTargets(input.backups, discovery.discovered()), deps);
      }
      for (const backup of outcome.listed) listed.set(backup.id, backup);
    }
    targets = mergeTargets(input.backups, discovery?.discovered() ?? []);
    for (const target of targets) {
      const metadata = listed.get(target.id);
      if (metadata !== undefined) tally.metadata(target.id, metadata);
    }
    if (input.restorePoints === 'query') await pollByQuery(guarded, targets, new Set(listed.keys()), tally);
    else await pollEach(guarded, targets, tally);
  };

  const ended = await Promise.race([work().then(() => 'done' as const), aborted(signal)]);
  if (ended === 'abandoned') {
    tally.abandon(targets);
    return {
      em,
      up: tally.up,
      succeeded: tally.succeeded,
      failed: tally.failed,
      durationSeconds: (now() - startedAt) / 1000,
      reasons: [...tally.reasons],
      abandoned: true,
    };
  }
  if (ended === 'deadline') tally.expire(targets);
  tally.flushLog();

  const endedAt = now();
  const outcome: CycleOutcome = {
    em,
    up: tally.up,
    succeeded: tally.succeeded,
    failed: tally.failed,
    durationSeconds: (endedAt - startedAt) / 1000,
    reasons: [...tally.reasons],
    ...(ended === 'deadline' ? { expired: true } : {}),
  };
  deps.state.recordCycle(em, { up: outcome.up, endedAtMs: endedAt, durationSeconds: outcome.durationSeconds });
  log.info(
    {
      em,
      backups: targets.length,
      succeeded: outcome.succeeded,
      failed: outcome.failed,
      up: outcome.up,
      duration_seconds: outcome.durationSeconds,
    },
    'poll cycle finished',
  );
  return outcome;
}

/** Thrown into work that would start after its cycle ended; never recorded (the tally is closed). */
class CycleAborted extends Error {
  constructor() {
    super('poll cycle ended');
  }
}

/**
 * One request for the restore points of each backup, and one for its metadata when that is due.
 * A failed metadata read does not stop the restore points from being read: freshness first.
 */
async function pollEach(input: EmCycleInput, targets: readonly BackupTargetConfig[], tally: CycleTally): Promise<void> {
  const { em, client, limit } = input;
  await Promise.all(
    targets.map((backup) =>
      limit(async () => {
        if (tally.metadataDue(backup.id)) {
          try {
            tally.metadata(backup.id, await client.getBackup(backup.id));
          } catch (error) {
            const failure = toFailure(error, { em, backupId: backup.id });
            // A backup EM no longer has, or an EM that cannot be reached, fails the poll as before:
            // the restore-point request would only fail the same way.
            if (failure.reason === 'not_found' || !reachedEm(failure)) {
              tally.failure(backup.id, failure);
              return;
            }
            tally.metadataFailure(backup.id, failure);
          }
        }
        try {
          tally.success(backup.id, await client.getRestorePoints(backup.id));
        } catch (error) {
          tally.failure(backup.id, toFailure(error, { em, backupId: backup.id }));
        }
      }).catch((error: unknown) => {
        if (!(error instanceof CycleAborted)) throw error;
      }),
    ),
  );
}

/**
 * The query service in place of per-backup requests: backups whose metadata is due are read in bulk
 * (an ID EM does not return is `not_found`), then the restore points of all the rest. A backup
 * without points does not appear in a query result at all, so unless this cycle has proof that it
 * exists (a listing or a metadata read), it is looked up once more: a deleted backup must be
 * `not_found`, not a backup with zero restore points. A metadata read that fails otherwise (EM
 * answered 500) is counted on its own and does not keep the restore points from being read.
 */
async function pollByQuery(
  input: EmCycleInput,
  targets: readonly BackupTargetConfig[],
  listed: ReadonlySet<string>,
  tally: CycleTally,
): Promise<void> {
  const { em, client, limit } = input;
  const failed = new Map<string, EmError>();
  const seenNow = new Set(listed);

  const readMetadata = async (ids: string[], blocking: boolean): Promise<void> => {
    if (ids.length === 0) return;
    const found = await bulk(em, ids, () => client.queryBackups(ids, limit));
    for (const [id, outcome] of found) {
      if (outcome.ok) {
        tally.metadata(id, outcome.value);
        seenNow.add(id);
      } else if (outcome.error.reason === 'not_found' || (blocking && !reachedEm(outcome.error)))
        failed.set(id, outcome.error);
      else {
        tally.metadataFailure(id, outcome.error);
        // Read once per cycle: the existence check below must not fail it a second time.
        seenNow.add(id);
      }
    }
  };

  await readMetadata(
    targets.filter((t) => !seenNow.has(t.id) && tally.metadataDue(t.id)).map((t) => t.id),
    true,
  );
  if (tally.isClosed) return;
  const ids = targets.filter((t) => !failed.has(t.id)).map((t) => t.id);
  const points =
    ids.length === 0
      ? new Map<string, BackupOutcome<RestorePoint[]>>()
      : await bulk(em, ids, () => client.queryRestorePoints(ids, limit, tally.lastCounts()));
  // The deadline can close the tally during any await; TypeScript keeps the narrowing of the check before it.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (tally.isClosed) return;
  const none = (id: string): boolean => {
    const outcome = points.get(id);
    return outcome !== undefined && outcome.ok && outcome.value.length === 0;
  };
  // Whether a backup without points still exists: only a clear not_found says it does not.
  await readMetadata(
    ids.filter((id) => !seenNow.has(id) && none(id)),
    false,
  );
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- as above: closed during the await
  if (tally.isClosed) return;

  for (const target of targets) {
    const outcome = points.get(target.id);
    const failure = failed.get(target.id) ?? (outcome?.ok === false ? outcome.error : undefined);
    if (failure !== undefined) tally.failure(target.id, failure);
    else if (outcome?.ok === true) tally.success(target.id, outcome.value);
  }
}

/**
 * A bulk call's outcome for every ID: a call that throws (a defect: the client reports failures
 * per backup) or leaves an ID out fails those backups rather than losing them.
 */
async function bulk<T>(
  em: string,
  ids: readonly string[],
  call: () => Promise<Map<string, BackupOutcome<T>>>,
): Promise<Map<string, BackupOutcome<T>>> {
  let result: Map<string, BackupOutcome<T>>;
  try {
    result = await call();
  } catch (error) {
    return new Map(ids.map((id) => [id, { ok: false, error: toFailure(error, { em, backupId: id }) }]));
  }
  for (const id of ids) {
    if (!result.has(id)) {
      result.set(id, {
        ok: false,
        error: toFailure(new Error('the bulk request returned nothing for this backup'), { em, backupId: id }),
      });
    }
  }
  return result;
}

/**
 * Discovery changed the polled set: the state learns it before any backup of the new set is polled
 * (it keeps values only of backups it watches), and metadata read times of backups that left go.
 */
function publishTargets(input: EmCycleInput, targets: readonly BackupTargetConfig[], deps: CycleDeps): void {
  const wanted = new Set(targets.map((b) => b.id));
  for (const id of input.metadataReadAt.keys()) if (!wanted.has(id)) input.metadataReadAt.delete(id);
  deps.state.setTargetsOf(
    input.em,
    targets.map((b) => ({ backupId: b.id, rpoSeconds: b.rpoSeconds })),
  );
}
