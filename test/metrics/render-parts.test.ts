import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createExporterMetrics } from '../../src/metrics/exporter-metrics.js';
import { formatSampleValue, joinParts, writeSeconds } from '../../src/metrics/exposition.js';
import { createExporterState } from '../../src/metrics/state.js';
import type { ExporterState } from '../../src/metrics/types.js';
import { SCHEDULE, manualClock, metadata } from './fixtures.js';

const NOW = Date.UTC(2025, 5, 5);
const ids = Array.from({ length: 1_200 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

function site(): ExporterState {
  const state = createExporterState();
  state.setTargets(
    ['em01'],
    ids.map((backupId) => ({ em: 'em01', backupId, rpoSeconds: 93600 })),
  );
  for (const [i, id] of ids.entries()) {
    if (i % 7 === 3) continue; // never polled: no samples in several families
    state.recordMetadata('em01', id, metadata(id, `Backup "${i}" ünïcode`));
    state.recordSuccess(
      'em01',
      id,
      i % 11 === 0 ? { count: 0 } : { count: 14, newestMs: NOW - i * 1000, oldestMs: NOW - 86_400_000 },
      NOW,
    );
  }
  state.recordCycle('em01', { up: true, endedAtMs: NOW, durationSeconds: 3 });
  return state;
}

/** The exposition as a renderer with no history would produce it. */
async function fresh(state: ExporterState, now: number): Promise<string> {
  const text = await createExporterMetrics({ state, schedule: SCHEDULE, version: '0.1.0', now: () => now }).render();
  return withoutRuntime(text);
}

/** The state-derived families, which are what is compared; process_* and the like change between any two renders. */
function withoutRuntime(text: string): string {
  return text
    .split('\n')
    .filter((l) => /^(# (HELP|TYPE) )?veeam_em_(backup_|up|last_poll_timestamp|poll_duration)/.test(l))
    .join('\n');
}

describe('rendering in parts', () => {
  it('reuses the parts of unchanged records, renders ages afresh, and matches a renderer without history', async () => {
    const state = site();
    const clock = manualClock(NOW);
    const metrics = createExporterMetrics({ state, schedule: SCHEDULE, version: '0.1.0', now: clock.now });

    const first = await metrics.renderParts();
    expect(withoutRuntime(joinParts(first))).toBe(await fresh(state, NOW));

    clock.advance(90_000);
    const second = await metrics.renderParts();
    const reused = second.filter((p) => first.includes(p));
    expect(reused.length).toBeGreaterThan(20);
    expect(reused.every((p) => p.stable)).toBe(true);
    expect(second.filter((p) => !p.stable).length).toBeLessThanOrEqual(3); // ages, per-EM gauges, registry
    expect(withoutRuntime(joinParts(second))).toBe(await fresh(state, NOW + 90_000));
    expect(joinParts(second)).toContain(
      `veeam_em_backup_newest_restore_point_age_seconds{em="em01",backup_id="${ids[1]}",backup_name="Backup \\"1\\" ünïcode"} 91\n`,
    );
  });

  it('re-renders only the block of a backup that changed, and drops removed backups at once', async () => {
    const state = site();
    const metrics = createExporterMetrics({ state, schedule: SCHEDULE, version: '0.1.0', now: () => NOW });
    const before = await metrics.renderParts();

    state.recordFailure('em01', ids[700]!, { em: 'em01', backupId: ids[700]!, reason: 'timeout', detail: 'slow' }, NOW);
    const after = await metrics.renderParts();
    const stableBefore = before.filter((p) => p.stable);
    const stableAfter = after.filter((p) => p.stable);
    const replaced = stableAfter.filter((p) => !stableBefore.includes(p));
    expect(replaced.length).toBeGreaterThan(0);
    expect(replaced.length).toBeLessThan(stableAfter.length / 2);
    expect(joinParts(replaced)).toContain(ids[700]);
    expect(withoutRuntime(joinParts(after))).toBe(await fresh(state, NOW));

    state.setTargets(
      ['em01'],
      ids.slice(0, 600).map((backupId) => ({ em: 'em01', backupId, rpoSeconds: 7200 })),
    );
    const shrunk = joinParts(await metrics.renderParts());
    expect(shrunk).not.toContain(ids[700]);
    expect(withoutRuntime(shrunk)).toBe(await fresh(state, NOW));
  });

  it('names a new schedule in every HELP text after setSchedule', async () => {
    const state = site();
    const metrics = createExporterMetrics({ state, schedule: SCHEDULE, version: '0.1.0', now: () => NOW });
    await metrics.renderParts();
    metrics.setSchedule('0 * * * *');
    const text = joinParts(await metrics.renderParts());
    expect(text).toContain('schedule "0 * * * *"');
    expect(text).not.toContain(`schedule "${SCHEDULE}"`);
  });
});

describe('age values written as bytes', () => {
  it('match formatSampleValue for any whole number of milliseconds, and for fractions and extremes', () => {
    const check = (ms: number) => {
      const out = Buffer.alloc(64);
      const end = writeSeconds(out, 3, ms);
      expect(out.subarray(3, end).toString('latin1')).toBe(formatSampleValue(Math.max(0, ms / 1000)));
    };
    fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e13 }), check), { numRuns: 20_000 });
    fc.assert(fc.property(fc.maxSafeInteger(), check));
    fc.assert(fc.property(fc.double({ noNaN: true }), check));
    for (const ms of [0, 1, 10, 100, 999, 1000, 1001, 1010, 1100, -1, 0.5, Number.MAX_SAFE_INTEGER, Infinity])
      check(ms);
  });

  it('are the scrape time minus the newest restore point, in seconds, for every backup that has one', async () => {
    const state = site();
    const now = NOW + 123_456_789;
    const text = joinParts(
      await createExporterMetrics({ state, schedule: SCHEDULE, version: '0.1.0', now: () => now }).renderParts(),
    );
    const ages = text.split('\n').filter((l) => l.startsWith('veeam_em_backup_newest_restore_point_age_seconds{'));
    const expected = state
      .backups()
      .filter((r) => r.summary !== undefined && r.summary.count > 0)
      .map((r) => `${r.backupId} ${String((now - r.summary!.newestMs!) / 1000)}`);
    expect(ages.map((l) => `${/backup_id="([^"]+)"/.exec(l)![1]} ${l.slice(l.lastIndexOf(' ') + 1)}`)).toEqual(
      expected,
    );
  });
});
