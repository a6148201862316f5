import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import {
  BACKUPS,
  HOUR,
  NOW,
  PASSWORD,
  capturingLogger,
  createExporter,
  emConfig,
  exporterConfig,
  sample,
  serveExporter,
  startSite,
  type Site,
} from './harness.js';
import { waitUntil } from './process.js';
import type { Exporter } from '../../src/exporter.js';

const sites: Site[] = [];
const exporters: Exporter[] = [];
async function site(...args: Parameters<typeof startSite>): Promise<Site> {
  const s = await startSite(...args);
  sites.push(s);
  return s;
}
function track(e: Exporter): Exporter {
  exporters.push(e);
  return e;
}
afterEach(async () => {
  await Promise.all(exporters.splice(0).map((e) => e.stop()));
  await Promise.all(sites.splice(0).map((s) => s.close()));
});

const restorePointsOf = (id: string) => new RegExp(`^/api/backups/${id}/restorePoints$`);

describe('a poll cycle against the simulator', () => {
  it('survives the session expiring mid-cycle with exactly one re-logon', async () => {
    const s = await site();
    const many = Array.from({ length: 12 }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      name: `Job ${i}`,
      restorePoints: [NOW - HOUR],
    }));
    s.sim.setBackups(many);
    s.sim.addFault({ match: { path: /restorePoints$/ }, latencyMs: 40 });
    const log = capturingLogger();
    const exporter = track(
      createExporter(
        exporterConfig([emConfig(s, { backups: many.map((b) => ({ id: b.id, rpoSeconds: 3600 })) })], {
          concurrency: 4,
        }),
        log.logger,
      ),
    );
    const cycle = exporter.runOnce();
    await waitUntil(
      () => s.sim.requests().filter((r) => /restorePoints/.test(r.url)).length >= 4,
      'the first restore-point answers',
    );
    s.sim.expireAllSessions();
    expect(await cycle).toBe(true);

    const sessions = s.sim.sessions();
    expect(sessions).toHaveLength(2);
    expect(sessions[0]!.endedBy).toBe('expired');
    const text = await exporter.metrics.render();
    for (const b of many) expect(sample(text, 'veeam_em_backup_poll_success', { backup_id: b.id })).toBe(1);
  });

  it('fails only the backup EM answers 404 or 500 for; the others and veeam_em_up stay good', async () => {
    const s = await site();
    s.sim.addFault({ match: { path: restorePointsOf(BACKUPS.hourly) }, status: 500 });
    const missing = 'deadbeef-0000-4000-8000-00000000dead';
    const log = capturingLogger();
    const base = emConfig(s);
    const exporter = track(
      createExporter(
        exporterConfig([{ ...base, backups: [...base.backups, { id: missing, rpoSeconds: 60 }] }]),
        log.logger,
      ),
    );
    expect(await exporter.runOnce()).toBe(false);
    const text = await exporter.metrics.render();

    expect(sample(text, 'veeam_em_backup_poll_success', { backup_id: BACKUPS.hourly })).toBe(0);
    expect(sample(text, 'veeam_em_backup_poll_success', { backup_id: missing })).toBe(0);
    for (const ok of [BACKUPS.daily, BACKUPS.weekly, BACKUPS.empty]) {
      expect(sample(text, 'veeam_em_backup_poll_success', { backup_id: ok })).toBe(1);
    }
    expect(sample(text, 'veeam_em_poll_errors_total', { em: 'em01', reason: 'http_5xx' })).toBe(1);
    expect(sample(text, 'veeam_em_poll_errors_total', { em: 'em01', reason: 'not_found' })).toBe(1);
    expect(sample(text, 'veeam_em_up', { em: 'em01' })).toBe(1);
    // Never a zero for what was never read: the failed backup has no count series yet.
    expect(sample(text, 'veeam_em_backup_restore_points', { backup_id: BACKUPS.hourly })).toBeUndefined();

    const warnings = log.lines().filter((l) => l.level === 40 && l.backup_id === BACKUPS.hourly);
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!.msg)).toMatch(/em "em01".*3c9e2a41.*500/);
  });

  it('keeps the last values through a failed poll while the age keeps growing', async () => {
    const s = await site();
    let now = NOW;
    const exporter = track(createExporter(exporterConfig([emConfig(s)]), pino({ level: 'silent' }), () => now));
    expect(await exporter.runOnce()).toBe(true);
    const before = await exporter.metrics.render();

    s.sim.addFault({ match: { path: /^\/api\/backups\// }, status: 503 });
    now += 2 * HOUR;
    expect(await exporter.runOnce()).toBe(false);
    const after = await exporter.metrics.render();

    const daily = { backup_id: BACKUPS.daily };
    expect(sample(after, 'veeam_em_backup_restore_points', daily)).toBe(
      sample(before, 'veeam_em_backup_restore_points', daily),
    );
    expect(sample(after, 'veeam_em_backup_newest_restore_point_timestamp_seconds', daily)).toBe(
      sample(before, 'veeam_em_backup_newest_restore_point_timestamp_seconds', daily),
    );
    expect(sample(after, 'veeam_em_backup_newest_restore_point_age_seconds', daily)).toBe(
      sample(before, 'veeam_em_backup_newest_restore_point_age_seconds', daily)! + 2 * 3600,
    );
    expect(sample(after, 'veeam_em_backup_poll_success', daily)).toBe(0);
    expect(sample(after, 'veeam_em_backup_last_success_timestamp_seconds', daily)).toBe(NOW / 1000);
    expect(sample(after, 'veeam_em_poll_errors_total', { reason: 'http_5xx' })).toBe(4);
  });

  it('answers scrapes while a slow EM holds the cycle, and a slow EM never delays a fast one', async () => {
    const slow = await site();
    const fast = await site();
    slow.sim.addFault({ match: { path: /restorePoints$/ }, latencyMs: 3_000 });
    const exporter = track(
      createExporter(
        exporterConfig([emConfig(slow, { name: 'slow' }), emConfig(fast, { name: 'fast' })], { concurrency: 2 }),
        pino({ level: 'silent' }),
        Date.now,
      ),
    );
    const server = await serveExporter(exporter);
    try {
      let firstCyclesDone = false;
      const started = exporter.start().then(() => (firstCyclesDone = true));
      // The fast EM's cycle ends and is scraped while the slow one is still waiting on EM.
      await waitUntil(async () => {
        const body = await (await fetch(`${server.base}/metrics`)).text();
        return sample(body, 'veeam_em_up', { em: 'fast' }) === 1;
      }, 'the fast EM to be exported');
      const body = await (await fetch(`${server.base}/metrics`)).text();
      expect(firstCyclesDone).toBe(false);
      expect(sample(body, 'veeam_em_up', { em: 'slow' })).toBeUndefined();
      expect((await fetch(`${server.base}/-/ready`)).status).toBe(503);
      await started;
      expect((await fetch(`${server.base}/-/ready`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('counts a schedule tick that finds the last cycle still running as an overrun', async () => {
    const s = await site();
    s.sim.addFault({ match: { path: restorePointsOf(BACKUPS.daily) }, latencyMs: 2_500 });
    const exporter = track(
      createExporter(exporterConfig([emConfig(s)], { schedule: '* * * * * *' }), pino({ level: 'silent' }), Date.now),
    );
    await exporter.start();
    await waitUntil(
      async () => (sample(await exporter.metrics.render(), 'veeam_em_poll_overruns_total', { em: 'em01' }) ?? 0) >= 1,
      'an overrun',
      10_000,
    );
  });
});

describe('reload', () => {
  it('drops the series of a removed backup at once and keeps the session when credentials are unchanged', async () => {
    const s = await site();
    const exporter = track(createExporter(exporterConfig([emConfig(s)]), pino({ level: 'silent' })));
    await exporter.runOnce();
    const base = emConfig(s);
    await exporter.reload(exporterConfig([{ ...base, backups: base.backups.filter((b) => b.id !== BACKUPS.weekly) }]));
    const text = await exporter.metrics.render();
    expect(text).not.toContain(BACKUPS.weekly);
    expect(sample(text, 'veeam_em_backup_restore_points', { backup_id: BACKUPS.daily })).toBe(3);
    expect(s.sim.sessions()).toHaveLength(1);
    expect(s.sim.openSessionCount()).toBe(1);
  });

  it('logs out the old session and logs on again when the password changes', async () => {
    const s = await site({
      users: [
        { username: 'EM01\\svc_monitor', password: PASSWORD },
        { username: 'EM01\\other', password: 'new-secret' },
      ],
    });
    const exporter = track(createExporter(exporterConfig([emConfig(s)]), pino({ level: 'silent' })));
    await exporter.runOnce();
    await exporter.reload(exporterConfig([emConfig(s, { username: 'EM01\\other', password: 'new-secret' })]));
    await exporter.runOnce();
    const sessions = s.sim.sessions();
    expect(sessions).toHaveLength(2);
    expect(sessions[0]!.endedBy).toBe('logout');
    expect(sessions[1]!.user.toLowerCase()).toBe('em01\\other');
    expect(s.sim.openSessionCount()).toBe(1);
  });
});
