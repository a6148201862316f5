import { describe, expect, it } from 'vitest';
import { selectVms } from '../../src/vms/select.js';
import type { VmSeries } from '../../src/vms/tracker.js';

const B = '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3';
const series = (vmName: string): VmSeries => ({ backupId: B, vmId: `urn:${vmName}`, vmName, count: 1, newestMs: 0 });

describe('selectVms', () => {
  it('keeps names matching include and not exclude, up to limit, and counts the rest as dropped', () => {
    const all = ['prod-web', 'prod-db', 'tmp-prod', 'prod-tmp-1', 'test'].map(series);
    const picked = selectVms(all, { include: '^prod-', exclude: 'tmp', limit: 1 });
    expect(picked.series.map((s) => s.vmName)).toEqual(['prod-web']);
    expect(picked.dropped).toBe(1);
  });

  it('runs a pattern that backtracks exponentially in JavaScript in linear time over long EM names', () => {
    // `^(a+)+$` against "aaaa…b" takes JavaScript's engine 2^n steps: 40 characters would hold the
    // process for minutes. The linear-time engine answers at once.
    const evil = `${'a'.repeat(40)}b`;
    const started = performance.now();
    const picked = selectVms([series(evil), series('aaaa')], { include: '^(a+)+$', limit: 10 });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(picked.series.map((s) => s.vmName)).toEqual(['aaaa']);
  });
});
