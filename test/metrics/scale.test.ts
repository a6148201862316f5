import { describe, expect, it } from 'vitest';
import { createExporterMetrics } from '../../src/metrics/exporter-metrics.js';
import { createExporterState } from '../../src/metrics/state.js';
import { SCHEDULE, metadata } from './fixtures.js';

describe('rendering at scale', () => {
  it('renders 10,000 fully known backups with one line per series, well inside a scrape timeout', async () => {
    const now = Date.UTC(2025, 5, 5);
    const state = createExporterState();
    const ids = Array.from({ length: 10_000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    state.setTargets(
      ['em01'],
      ids.map((backupId) => ({ em: 'em01', backupId, rpoSeconds: 93600 })),
    );
    for (const [i, id] of ids.entries()) {
      state.recordMetadata('em01', id, metadata(id, `Backup Job ${i}`));
      state.recordSuccess('em01', id, { count: 30, newestMs: now - 3_600_000, oldestMs: now - 86_400_000 * 30 }, now);
    }
    const metrics = createExporterMetrics({ state, schedule: SCHEDULE, version: '0.1.0', now: () => now });

    const started = performance.now();
    const text = await metrics.render();
    const elapsedMs = performance.now() - started;

    const backupLines = text.split('\n').filter((line) => line.startsWith('veeam_em_backup_'));
    expect(backupLines).toHaveLength(80_000);
    // Generous: a quadratic slip would take minutes; a healthy render takes well under a second.
    expect(elapsedMs).toBeLessThan(5_000);
  });
});
