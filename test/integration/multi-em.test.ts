import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Exporter } from '../../src/exporter.js';
import {
  BACKUPS,
  createExporter,
  emConfig,
  exporterConfig,
  sample,
  serveExporter,
  startSite,
  type Site,
} from './harness.js';
import { waitUntil } from './process.js';

const sites: Site[] = [];
let exporter: Exporter | undefined;
afterEach(async () => {
  await exporter?.stop();
  exporter = undefined;
  await Promise.all(sites.splice(0).map((s) => s.close()));
});

const restorePointRequests = (s: Site) => s.sim.requests().filter((r) => r.url.includes('/restorePoints')).length;

describe('several Enterprise Managers in one process', () => {
  it('keeps polling and serving a healthy EM while another is dead and a third hangs', async () => {
    const [good, dead, slow] = await Promise.all([startSite(), startSite(), startSite()]);
    sites.push(good, dead, slow);
    const deadConfig = emConfig(dead, { name: 'dead' });
    await dead.sim.stop(); // nothing listens there any more: every connection is refused
    // The slow EM answers its restore-point requests only after the test is over.
    slow.sim.addFault({ match: { path: /\/restorePoints$/ }, latencyMs: 120_000 });

    exporter = createExporter(
      exporterConfig(
        [emConfig(good, { name: 'good' }), deadConfig, emConfig(slow, { name: 'slow', restorePoints: 'entity' })],
        {
          schedule: '* * * * * *',
          timeoutMs: 120_000,
          concurrency: 2,
          // The hang must outlast many ticks here; the cycle deadline has tests of its own.
          cycleTimeoutMs: 120_000,
        },
      ),
      pino({ level: 'silent' }),
      Date.now,
    );
    const e = exporter;
    const server = await serveExporter(e);
    const scrape = async (): Promise<string> => {
      const res = await fetch(`${server.base}/metrics`);
      expect(res.status).toBe(200);
      return res.text();
    };
    try {
      let firstCyclesDone = false;
      void e.start().then(() => (firstCyclesDone = true));

      // Three whole cycles of the good EM (4 backups each) while the slow EM's first one hangs.
      await waitUntil(() => restorePointRequests(good) >= 12, 'three cycles of the good EM', 25_000);
      await waitUntil(
        async () => (sample(await scrape(), 'veeam_em_poll_overruns_total', { em: 'slow' }) ?? 0) >= 1,
        'a skipped tick of the slow EM',
        25_000,
      );
      const body = await scrape();

      expect(firstCyclesDone).toBe(false);
      expect(
        slow.sim
          .requests()
          .filter((r) => r.url.includes('/restorePoints'))
          .every((r) => r.status === 0),
      ).toBe(true);
      expect(sample(body, 'veeam_em_up', { em: 'slow' })).toBeUndefined();
      expect(sample(body, 'veeam_em_last_poll_timestamp_seconds', { em: 'slow' })).toBeUndefined();

      expect(sample(body, 'veeam_em_up', { em: 'dead' })).toBe(0);
      expect(sample(body, 'veeam_em_poll_errors_total', { em: 'dead', reason: 'network' })).toBeGreaterThanOrEqual(4);

      expect(sample(body, 'veeam_em_up', { em: 'good' })).toBe(1);
      for (const id of Object.values(BACKUPS)) {
        expect(sample(body, 'veeam_em_backup_poll_success', { em: 'good', backup_id: id })).toBe(1);
      }
      expect(sample(body, 'veeam_em_backup_restore_points', { em: 'good', backup_id: BACKUPS.hourly })).toBe(24);
      const goodPolls =
        (sample(body, 'veeam_em_api_requests_total', { em: 'good', endpoint: 'restore_points', code: '200' }) ?? 0) / 4;
      expect(goodPolls).toBeGreaterThanOrEqual(3);

      // The good EM keeps going: a later scrape shows a later cycle, the slow one still unfinished.
      const before = sample(body, 'veeam_em_last_poll_timestamp_seconds', { em: 'good' })!;
      await waitUntil(
        async () => (sample(await scrape(), 'veeam_em_last_poll_timestamp_seconds', { em: 'good' }) ?? 0) > before,
        'another cycle of the good EM',
        25_000,
      );
      expect(sample(await scrape(), 'veeam_em_up', { em: 'slow' })).toBeUndefined();
      expect(good.sim.openSessionCount()).toBe(1);
    } finally {
      await server.close();
    }
  });
});
