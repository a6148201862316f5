import { describe, expect, it } from 'vitest';
import { startDemo } from '../../src/demo/index.js';
import { parseExposition } from '../metrics/parse-exposition.js';
import { HOUR, DAY, capturingLogger, createExporter } from './harness.js';
import { httpGet, startExporter, waitUntil } from './process.js';

describe('--demo and per-machine freshness', () => {
  it('shows a backup whose job looks healthy while one machine has failed for three days', async () => {
    const now = Date.UTC(2026, 10, 28, 12);
    const demo = await startDemo(now);
    const exporter = createExporter(demo.config, capturingLogger().logger, () => now);
    try {
      await exporter.runOnce();
      const samples = parseExposition(await exporter.metrics.render()).samples;
      const daily = (name: string) =>
        samples.filter((s) => s.name === name && s.labels.backup_name === 'Daily VM Backup');
      expect(daily('veeam_em_backup_newest_restore_point_age_seconds')[0]?.value).toBe((5 * HOUR) / 1000);
      const newest = Object.fromEntries(
        daily('veeam_em_vm_newest_restore_point_timestamp_seconds').map((s) => [
          s.labels.vm_name,
          now / 1000 - s.value,
        ]),
      );
      expect(Object.keys(newest).sort()).toEqual(['app-04 (prod)', 'db-03', 'web-01', 'web-02']);
      // db-03 missed the last three nightly points: its newest is three days older than the backup's.
      expect(newest['db-03']).toBeGreaterThan((3 * DAY + 5 * HOUR) / 1000 - 120);
      expect(newest['db-03']).toBeLessThan((3 * DAY + 5 * HOUR) / 1000);
      expect(newest['web-01']).toBeLessThan((5 * HOUR) / 1000);
    } finally {
      await exporter.stop();
      await demo.stop();
    }
  });

  it('the running exporter (--demo) names the failing machine on its status page', async () => {
    const run = startExporter(['--demo', '--web.listen-address=127.0.0.1:0', '--log.level=info']);
    try {
      const listening = await run.waitForLog((line) => line.msg === 'listening', 30_000);
      const port = String(listening.address).split(':').pop();
      let page = '';
      await waitUntil(
        async () => {
          page = (await httpGet(`http://127.0.0.1:${port}/`)).body;
          return page.includes('Machines (VM freshness)') && page.includes('last read');
        },
        'the machines section',
        30_000,
      );
      expect(page).toMatch(/db-03 \(3d \d+h\)/);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  }, 60_000);
});
