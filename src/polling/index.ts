export { EmPoller, defaultCycleTimeoutMs, type EmPollerOptions } from './em-poller.js';
export { runEmCycle, type CycleAbort, type CycleDeps, type CycleOutcome, type EmCycleInput } from './cycle.js';
export { createLimiter, type Limiter } from './limiter.js';
export { EmLiveness } from './liveness.js';
export { summarizeRestorePoints } from './summary.js';
