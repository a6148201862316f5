import type { Logger } from 'pino';
import type { BackupTargetConfig } from '../config/types.js';
import type { BackupMetadata, RestorePoint } from '../domain.js';
import { FUTURE_POINT_TOLERANCE_MS } from '../domain.js';
import type { BackupOutcome, EmClient, EmFailure } from '../em/types.js';
import type { ExporterState, PollEvents } from '../metrics/types.js';
import type { Limiter } from './limiter.js';
import { type BackupDiscovery, mergeTargets } from './discovery.js';
import { reachedEm, toFailure } from './failure.js';
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
  /** Called when discovery changed the polled set, before any backup of the new set is polled. */
  onTargetsChanged?: () => void;
}

export interface CycleOutcome {
  em: string;
  up: boolean;
  succeeded: number;
  /** Failed backup polls and failed discovery requests: each counted in veeam_em_poll_errors_total. */
  failed: number;
  durationSeconds: number;
}

/** What one cycle learnt; every poll outcome goes through here, so counts, up and logs agree. */
class CycleTally {
  succeeded = 0;
  failed = 0;
  /** Undefined until some request was made: a cycle with nothing to do leaves EM up. */
  private reached: boolean | undefined;

  constructor(
    private readonly input: EmCycleInput,
    private readonly deps: CycleDeps,
  ) {}

  get up(): boolean {
    return this.reached ?? true;
  }

  answered(): void {
    this.reached = true;
  }

  success(backupId: string, points: readonly RestorePoint[]): void {
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
    this.succeeded++;
    this.reached = true;
  }

  /** A failed backup poll, or with `backupId` undefined a failed discovery request. */
  failure(backupId: string | undefined, failure: EmFailure): void {
    const { em } = this.input;
    if (backupId !== undefined) this.deps.state.recordFailure(em, backupId, failure, this.deps.now());
    this.deps.events.pollError(em, failure.reason);
    this.deps.log.warn({ em, ...(backupId !== undefined ? { backup_id: backupId } : { discovery: true }), reason: failure.reason }, failure.message);
    this.failed++;
    if (reachedEm(failure)) this.reached = true;
    else this.reached ??= false;
  }

  metadata(backupId: string, metadata: BackupMetadata): void {
    this.deps.state.recordMetadata(this.input.em, backupId, metadata);
    this.input.metadataReadAt.set(backupId, this.deps.now());
  }

  /** Restore points of each backup of this EM at its last successful poll. */
  lastCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const record of this.deps.state.backups()) {
      if (record.em === this.input.em && record.summary !== undefined) counts.set(record.backupId, record.summary.count);
    }
    return counts;
  }

  metadataDue(backupId: string): boolean {
    const lastRead = this.input.metadataReadAt.get(backupId);
    return lastRead === undefined || this.deps.now() - lastRead >= this.deps.metadataRefreshMs;
  }
}

/**
 * One poll cycle of one Enterprise Manager: discovery when it is due, then every backup once,
 * `limit` requests at a time, either one backup per request or many through the query service.
 */
export async function runEmCycle(input: EmCycleInput, deps: CycleDeps): Promise<CycleOutcome> {
  const { em, discovery } = input;
  const { log, now } = deps;
  const startedAt = now();
  const tally = new CycleTally(input, deps);

  /** Backups a listing answered for in this cycle: their metadata is fresh and they exist. */
  const listed = new Map<string, BackupMetadata>();
  if (discovery !== undefined && discovery.isDue(now(), deps.metadataRefreshMs)) {
    const outcome = await discovery.refresh(input.client, input.limit, now());
    for (const failure of outcome.failures) tally.failure(undefined, failure);
    if (outcome.answered) tally.answered();
    // Before anything is recorded: the state only keeps values of backups it watches.
    if (outcome.changed) {
      log.info({ em, discovered: discovery.discovered().length }, 'discovery changed the set of polled backups');
      input.onTargetsChanged?.();
    }
    for (const backup of outcome.listed) listed.set(backup.id, backup);
  }
  const targets = mergeTargets(input.backups, discovery?.discovered() ?? []);
  for (const target of targets) {
    const metadata = listed.get(target.id);
    if (metadata !== undefined) tally.metadata(target.id, metadata);
  }

  if (input.restorePoints === 'query') await pollByQuery(input, targets, new Set(listed.keys()), tally);
  else await pollEach(input, targets, tally);

  const endedAt = now();
  const outcome: CycleOutcome = { em, up: tally.up, succeeded: tally.succeeded, failed: tally.failed, durationSeconds: (endedAt - startedAt) / 1000 };
  deps.state.recordCycle(em, { up: outcome.up, endedAtMs: endedAt, durationSeconds: outcome.durationSeconds });
  log.info(
    { em, backups: targets.length, succeeded: outcome.succeeded, failed: outcome.failed, up: outcome.up, duration_seconds: outcome.durationSeconds },
    'poll cycle finished',
  );
  return outcome;
}

/** One request for the restore points of each backup, and one for its metadata when that is due. */
async function pollEach(input: EmCycleInput, targets: readonly BackupTargetConfig[], tally: CycleTally): Promise<void> {
  const { em, client, limit } = input;
  await Promise.all(
    targets.map((backup) =>
      limit(async () => {
        try {
          if (tally.metadataDue(backup.id)) tally.metadata(backup.id, await client.getBackup(backup.id));
          tally.success(backup.id, await client.getRestorePoints(backup.id));
        } catch (error) {
          tally.failure(backup.id, toFailure(error, em, backup.id));
        }
      }),
    ),
  );
}

/**
 * The query service in place of per-backup requests: backups whose metadata is due are read in bulk
 * (an ID EM does not return is `not_found`), then the restore points of all the rest. A backup
 * without points does not appear in a query result at all, so unless this cycle has proof that it
 * exists (a listing or a metadata read), it is looked up once more: a deleted backup must be
 * `not_found`, not a backup with zero restore points.
 */
async function pollByQuery(input: EmCycleInput, targets: readonly BackupTargetConfig[], listed: ReadonlySet<string>, tally: CycleTally): Promise<void> {
  const { em, client, limit } = input;
  const failed = new Map<string, EmFailure>();
  const seenNow = new Set(listed);

  const readMetadata = async (ids: string[]): Promise<void> => {
    if (ids.length === 0) return;
    const found = await bulk(em, ids, () => client.queryBackups(ids, limit));
    for (const [id, outcome] of found) {
      if (outcome.ok) {
        tally.metadata(id, outcome.value);
        seenNow.add(id);
      } else failed.set(id, outcome.error);
    }
  };

  await readMetadata(targets.filter((t) => !seenNow.has(t.id) && tally.metadataDue(t.id)).map((t) => t.id));
  const ids = targets.filter((t) => !failed.has(t.id)).map((t) => t.id);
  const points = ids.length === 0 ? new Map<string, BackupOutcome<RestorePoint[]>>() : await bulk(em, ids, () => client.queryRestorePoints(ids, limit, tally.lastCounts()));
  const none = (id: string): boolean => {
    const outcome = points.get(id);
    return outcome !== undefined && outcome.ok && outcome.value.length === 0;
  };
  await readMetadata(ids.filter((id) => !seenNow.has(id) && none(id)));

  for (const target of targets) {
    const outcome = points.get(target.id);
    const failure = failed.get(target.id) ?? (outcome?.ok === false ? outcome.error : undefined);
    if (failure !== undefined) tally.failure(target.id, toFailure(failure, em, target.id));
    else if (outcome?.ok === true) tally.success(target.id, outcome.value);
  }
}

/**
 * A bulk call's outcome for every ID: a call that throws (a defect: the client reports failures
 * per backup) or leaves an ID out fails those backups rather than losing them.
 */
async function bulk<T>(em: string, ids: readonly string[], call: () => Promise<Map<string, BackupOutcome<T>>>): Promise<Map<string, BackupOutcome<T>>> {
  let result: Map<string, BackupOutcome<T>>;
  try {
    result = await call();
  } catch (error) {
    return new Map(ids.map((id) => [id, { ok: false, error: toFailure(error, em, id) }]));
  }
  for (const id of ids) {
    if (!result.has(id)) {
      result.set(id, { ok: false, error: toFailure(new Error('the bulk request returned nothing for this backup'), em, id) });
    }
  }
  return result;
}
