import { POLL_ERROR_REASONS, type PollErrorReason } from '../domain.js';
import type { EmFailure } from '../em/types.js';

const KNOWN_REASONS: ReadonlySet<string> = new Set(POLL_ERROR_REASONS);

/** Reasons that mean no answer came back; any other outcome of a logged-on request proves EM answered us. */
const UNREACHED: ReadonlySet<PollErrorReason> = new Set(['tls', 'timeout', 'network']);

/**
 * Whether a failed poll still shows EM up (design: up = the cycle logged on and reached EM). A failed
 * logon never does, whatever EM answered to it (a 503, a 404, a redirect); a logged-on request that EM
 * answered, even with 403 or 500, does.
 */
export function reachedEm(failure: EmFailure): boolean {
  return !failure.duringLogon && !UNREACHED.has(failure.reason);
}

/**
 * Turns whatever a poll threw into a classified failure. The EM client already words its errors for
 * operators; anything else is a defect of ours, reported as `parse` because the answer could not be
 * turned into restore points, with the original message kept for the log.
 */
export function toFailure(error: unknown, em: string, backupId: string): EmFailure {
  if (typeof error === 'object' && error !== null) {
    const { reason, message, duringLogon } = error as Partial<EmFailure>;
    if (typeof reason === 'string' && KNOWN_REASONS.has(reason) && typeof message === 'string') {
      return { reason, message, ...(duringLogon === true ? { duringLogon } : {}) };
    }
  }
  const detail = error instanceof Error ? error.message : String(error);
  return {
    reason: 'parse',
    message: `em "${em}": backup ${backupId}: unexpected error while polling: ${detail} (this is a bug in the exporter; please report it)`,
  };
}
