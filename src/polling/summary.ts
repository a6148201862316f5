import type { RestorePoint, RestorePointSummary } from '../domain.js';

/** Reduces a backup's restore points to what the gauges show. Pure. */
export function summarizeRestorePoints(points: readonly RestorePoint[]): RestorePointSummary {
  if (points.length === 0) return { count: 0 };
  // A loop rather than Math.max(...spread): a backup can hold tens of thousands of points.
  let newestMs = -Infinity;
  let oldestMs = Infinity;
  for (const point of points) {
    if (point.timeMs > newestMs) newestMs = point.timeMs;
    if (point.timeMs < oldestMs) oldestMs = point.timeMs;
  }
  return { count: points.length, newestMs, oldestMs };
}
