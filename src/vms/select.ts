import { compileNamePattern } from '../config/name-pattern.js';
import type { VmsConfig } from '../config/types.js';
import type { VmSeries } from './tracker.js';

export interface VmSelection {
  series: VmSeries[];
  /** Series that matched include/exclude but fell beyond `limit`. */
  dropped: number;
}

/**
 * The series an EM exports: names matching `include` and not `exclude`, at most `limit` of them.
 * The input comes ordered by backup and machine, so the same series survive from cycle to cycle.
 * The patterns run on the same linear-time engine as discovery's: machine names come from EM, and a
 * backtracking pattern over tens of thousands of them would hold the whole process.
 */
export function selectVms(
  all: readonly VmSeries[],
  config: Pick<VmsConfig, 'include' | 'exclude' | 'limit'>,
): VmSelection {
  const include = compileNamePattern(config.include);
  const exclude = config.exclude === undefined ? undefined : compileNamePattern(config.exclude);
  const wanted = all.filter((s) => include.test(s.vmName) && !(exclude?.test(s.vmName) ?? false));
  if (wanted.length <= config.limit) return { series: wanted, dropped: 0 };
  return { series: wanted.slice(0, config.limit), dropped: wanted.length - config.limit };
}
