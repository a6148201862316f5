export { EmPoller, type EmPollerOptions } from './em-poller.js';
export { runEmCycle, type CycleDeps, type CycleOutcome, type EmCycleInput } from './cycle.js';
export { createLimiter, type Limiter } from './limiter.js';
export { summarizeRestorePoints } from './summary.js';
