import { POLL_ERROR_REASONS, type PollErrorReason } from '../domain.js';
import type { EmFailure } from '../em/types.js';

const KNOWN_REASONS: ReadonlySet<string> = new Set(POLL_ERROR_REASONS);

/** Reasons that mean the cycle never had a working session with EM; any other outcome proves EM answered us. */
const UNREACHED: ReadonlySet<PollErrorReason> = new Set(['auth', 'tls', 'timeout', 'network']);

export function reachedEm(reason: PollErrorReason | undefined): boolean {
  return reason === undefined || !UNREACHED.has(reason);
}

/**
 * Turns whatever a poll threw into a classified failure. The EM client already words its errors for
 * operators; anything else is a defect of ours, reported as `parse` because the answer could not be
 * turned into restore points, with the original message kept for the log.
 */
export function toFailure(error: unknown, em: string, backupId: string): EmFailure {
  if (typeof error === 'object' && error !== null) {
    const { reason, message } = error as Partial<EmFailure>;
    if (typeof reason === 'string' && KNOWN_REASONS.has(reason) && typeof message === 'string') {
      return { reason: reason as PollErrorReason, message };
    }
  }
  const detail = error instanceof Error ? error.message : String(error);
  return {
    reason: 'parse',
    message: `em "${em}": backup ${backupId}: unexpected error while polling: ${detail} (this is a bug in the exporter; please report it)`,
  };
}
