/**
 * One read of VM restore points for one Enterprise Manager: what the tracker's plan asks for, one
 * query through the query service, applied to the tracker. A failure leaves the tracker as it was,
 * so the series keep their last values.
 */
import type { EmError } from '../em/errors.js';
import { createdSinceFilter, VM_SUBJECT } from '../em/vm-query.js';
import type { EmVmClient } from '../em/vm-query.js';
import type { TaskRunner } from '../em/types.js';
import { toFailure } from '../polling/failure.js';
import type { VmReadPlan, VmTracker } from './tracker.js';

export interface VmReadInput {
  em: string;
  client: EmVmClient;
  tracker: VmTracker;
  /** The poller's limiter, so pages count against poll.concurrency. */
  run?: TaskRunner;
  now: () => number;
  /** Once aborted, what the read returns is dropped: the tracker is left as it was. */
  signal?: AbortSignal;
}

export type VmReadOutcome =
  | { ok: true; plan: VmReadPlan; points: number }
  | { ok: false; plan: VmReadPlan; failure: EmError }
  /** `signal` ended the read before EM's answer was applied. */
  | { ok: false; plan: VmReadPlan; cut: true };

export async function readVmPoints(input: VmReadInput): Promise<VmReadOutcome> {
  const { tracker } = input;
  // The clock before the read: a point created while the pages are read may or may not be in them.
  const nowMs = input.now();
  const plan = tracker.plan(nowMs);
  try {
    const points = await input.client.queryVmRestorePoints(
      plan.kind === 'full' ? undefined : createdSinceFilter(plan.sinceMs),
      input.run,
    );
    if (input.signal?.aborted === true) return { ok: false, plan, cut: true };
    if (plan.kind === 'full') tracker.applyFull(points, nowMs);
    else tracker.applySince(points, nowMs);
    return { ok: true, plan, points: points.length };
  } catch (error) {
    if (input.signal?.aborted === true) return { ok: false, plan, cut: true };
    return { ok: false, plan, failure: toFailure(error, { em: input.em, subject: VM_SUBJECT }) };
  }
}
