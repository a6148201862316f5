import type { Logger } from 'pino';
import type { BackupTargetConfig } from '../config/types.js';
import type { EmClient } from '../em/types.js';
import type { ExporterState, PollEvents } from '../metrics/types.js';
import type { Limiter } from './limiter.js';
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
  backups: readonly BackupTargetConfig[];
  limit: Limiter;
  /** When each backup's metadata was last read; kept across cycles by the caller. */
  metadataReadAt: Map<string, number>;
}

export interface CycleOutcome {
  em: string;
  up: boolean;
  succeeded: number;
  failed: number;
  durationSeconds: number;
}

/** Restore points newer than this are clock skew between EM and us, worth a warning. */
const FUTURE_TOLERANCE_MS = 60_000;

/** One poll cycle of one Enterprise Manager: every configured backup once, `limit` at a time. */
export async function runEmCycle(input: EmCycleInput, deps: CycleDeps): Promise<CycleOutcome> {
  const { em, client, backups, limit, metadataReadAt } = input;
  const { state, events, log, now } = deps;
  const startedAt = now();
  let succeeded = 0;
  let failed = 0;
  let reached = backups.length === 0;

  await Promise.all(
    backups.map((backup) =>
      limit(async () => {
        try {
          const lastRead = metadataReadAt.get(backup.id);
          if (lastRead === undefined || now() - lastRead >= deps.metadataRefreshMs) {
            state.recordMetadata(em, backup.id, await client.getBackup(backup.id));
            metadataReadAt.set(backup.id, now());
          }
          const summary = summarizeRestorePoints(await client.getRestorePoints(backup.id));
          const polledAt = now();
          if (summary.newestMs !== undefined && summary.newestMs > polledAt + FUTURE_TOLERANCE_MS) {
            log.warn(
              { em, backup_id: backup.id, newest: new Date(summary.newestMs).toISOString() },
              'newest restore point lies in the future: the clocks of EM and this host disagree; its age is reported as 0 (check NTP on both)',
            );
          }
          state.recordSuccess(em, backup.id, summary, polledAt);
          succeeded++;
          reached = true;
        } catch (error) {
          const failure = toFailure(error, em, backup.id);
          state.recordFailure(em, backup.id, failure, now());
          events.pollError(em, failure.reason);
          log.warn({ em, backup_id: backup.id, reason: failure.reason }, failure.message);
          failed++;
          if (reachedEm(failure)) reached = true;
        }
      }),
    ),
  );

  const endedAt = now();
  const outcome: CycleOutcome = { em, up: reached, succeeded, failed, durationSeconds: (endedAt - startedAt) / 1000 };
  state.recordCycle(em, { up: reached, endedAtMs: endedAt, durationSeconds: outcome.durationSeconds });
  log.info(
    { em, backups: backups.length, succeeded, failed, up: reached, duration_seconds: outcome.durationSeconds },
    'poll cycle finished',
  );
  return outcome;
}
