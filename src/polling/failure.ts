import type { FailureTarget, PollErrorReason } from '../domain.js';
import { EmError } from '../em/errors.js';

/** Reasons that mean no answer came back; any other outcome of a logged-on request proves EM answered us. */
const UNREACHED: ReadonlySet<PollErrorReason> = new Set(['tls', 'timeout', 'network']);

/**
 * Whether a failed poll still shows EM up (design: up = the cycle logged on and reached EM). A failed
 * logon never does, whatever EM answered to it (a 503, a 404, a redirect); a logged-on request that EM
 * answered, even with 403 or 500, does.
 */
export function reachedEm(failure: EmError): boolean {
  return !failure.duringLogon && !UNREACHED.has(failure.reason);
}

/**
 * Whatever a poll threw, as the one failure type. The EM client throws only EmErrors, already for
 * their target; anything else is a defect of ours, reported as `parse` because the answer could not
 * be turned into restore points, with the original message kept for the log.
 */
export function toFailure(error: unknown, target: FailureTarget): EmError {
  if (error instanceof EmError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new EmError({
    ...target,
    reason: 'parse',
    detail: `unexpected error while polling: ${detail} (this is a bug in the exporter; please report it)`,
  });
}
