/**
 * The short soak (`npm run soak` is the long one): hundreds of cycles of one Exporter, memory and
 * handles sampled after forced GCs. Early and late windows after warm-up are compared, never
 * absolute numbers, so a busy or different machine does not matter; a leak of even tens of bytes
 * per request shows as a slope.
 */
import { describe, expect, it } from 'vitest';
import { formatReport, runSoak, type SoakReport } from '../../src/bench/soak.js';

const CYCLES = 300;
const BACKUPS = 30;

describe('soak: leaks', () => {
  it(
    `${CYCLES} cycles x ${BACKUPS} backups: heap flat, no growing sockets, timers or file descriptors`,
    { timeout: 240_000 },
    async () => {
      const report: SoakReport = await runSoak({
        cycles: CYCLES,
        backups: BACKUPS,
        sampleEvery: 15,
        warmupCycles: 75,
        simulator: 'in-process',
      });
      const context = formatReport(report);

      expect(report.failedCycles, context).toBe(0);
      expect(report.samples.length).toBe(CYCLES / 15);
      // Heap after full GCs: the late window within 10 % of the early one, and no steady climb:
      // under 2 KiB per cycle is under 70 bytes per request; what does grow slowly is V8 code space.
      expect(report.heapGrowth, context).toBeLessThan(0.1);
      expect(report.heapSlopeBytesPerCycle, context).toBeLessThan(2 * 1024);
      // RSS is noisier (allocator, JIT): a looser bound that still catches a real leak.
      expect(report.rssGrowth, context).toBeLessThan(0.25);
      expect(report.end.timers, context).toBeLessThanOrEqual(report.warm.timers);
      expect(report.end.sockets, context).toBeLessThanOrEqual(report.warm.sockets);
      if (report.warm.fds !== undefined && report.end.fds !== undefined)
        expect(report.end.fds, context).toBeLessThanOrEqual(report.warm.fds);
    },
  );
});
