import { describe, expect, it } from 'vitest';
import { summarizeRestorePoints } from '../../src/polling/summary.js';

describe('summarizeRestorePoints', () => {
  it('has no timestamps for a backup without points', () => {
    expect(summarizeRestorePoints([])).toEqual({ count: 0 });
  });

  it('finds newest and oldest whatever the order EM lists them in', () => {
    const points = [3_000, 1_000, 5_000, 2_000].map((timeMs, i) => ({ uid: `rp${i}`, timeMs }));
    expect(summarizeRestorePoints(points)).toEqual({ count: 4, newestMs: 5_000, oldestMs: 1_000 });
  });

  it('handles more points than a spread argument list allows', () => {
    const points = Array.from({ length: 200_000 }, (_, i) => ({ uid: '', timeMs: i }));
    expect(summarizeRestorePoints(points)).toEqual({ count: 200_000, newestMs: 199_999, oldestMs: 0 });
  });
});
