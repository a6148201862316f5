import { describe, expect, it } from 'vitest';
import { siteBackups } from '../integration/harness.js';
import {
  BACKUPS,
  HOUR,
  NOW,
  errorsTotal,
  expectCleanLog,
  expectOneWarningPerFailure,
  expectRecovered,
  expectUntouched,
  requestsTotal,
  rig,
  sample,
  serveExporter,
  sessionSecrets,
} from './harness.js';

describe('faults: one bad backup among good ones', () => {
  it('404 for a backup EM no longer knows and 500 for another: only those fail, with their values kept; both recover', async () => {
    const r = await rig();
    const first = await r.cycle();
    expectRecovered(first);

    r.faulty.sim.removeBackup(BACKUPS.weekly);
    r.faulty.sim.addFault({
      match: { path: new RegExp(`^/api/backups/${BACKUPS.hourly}/restorePoints$`) },
      status: 500,
    });
    const during = await r.cycle();
    const em = { em: 'em01' };
    expect(sample(during.text, 'veeam_em_up', em)).toBe(1);
    expect(sample(during.text, 'veeam_em_backup_poll_success', { ...em, backup_id: BACKUPS.weekly })).toBe(0);
    expect(sample(during.text, 'veeam_em_backup_poll_success', { ...em, backup_id: BACKUPS.hourly })).toBe(0);
    for (const ok of [BACKUPS.daily, BACKUPS.empty])
      expect(sample(during.text, 'veeam_em_backup_poll_success', { ...em, backup_id: ok })).toBe(1);
    // A failed poll keeps what EM said last time.
    expect(sample(during.text, 'veeam_em_backup_restore_points', { ...em, backup_id: BACKUPS.weekly })).toBe(2);
    expect(sample(during.text, 'veeam_em_backup_restore_points', { ...em, backup_id: BACKUPS.hourly })).toBe(24);
    expect(
      sample(during.text, 'veeam_em_backup_last_success_timestamp_seconds', { ...em, backup_id: BACKUPS.hourly }),
    ).toBe(NOW / 1000);
    expect(errorsTotal(during.text, 'em01', 'not_found')).toBe(1);
    expect(errorsTotal(during.text, 'em01', 'http_5xx')).toBe(1);
    // 500 is retried (retries: 1), 404 is not.
    expect(requestsTotal(during.text, 'em01', 'restore_points', '500')).toBe(2);
    expect(requestsTotal(during.text, 'em01', 'restore_points', '404')).toBe(1);
    expectOneWarningPerFailure(
      during.lines,
      'em01',
      [BACKUPS.weekly, BACKUPS.hourly],
      { [BACKUPS.weekly]: 'not_found', [BACKUPS.hourly]: 'http_5xx' },
      /EM answered (404|500)/,
    );
    expect(during.lines.find((l) => l.backup_id === BACKUPS.weekly && l.level >= 40)!.msg).toMatch(
      /GET restore points: EM answered 404 "Backup \[7b6a400c-452c-41d1-bb81-ea682e89492d\] does not exist\.": EM does not know this backup: check the backup ID in the config/,
    );
    expect(during.lines.find((l) => l.backup_id === BACKUPS.hourly && l.level >= 40)!.msg).toMatch(
      /GET restore points: EM answered 500 "Object reference not set to an instance of an object\." \(2 attempts\): check the EM service log/,
    );
    expectUntouched(during);

    r.faulty.sim.clearFaults();
    r.faulty.sim.setBackups(siteBackups());
    const after = await r.cycle();
    expectRecovered(after);
    expect(sample(after.text, 'veeam_em_backup_restore_points', { ...em, backup_id: BACKUPS.weekly })).toBe(2);
    expectCleanLog(r.log, sessionSecrets(r.faulty, r.healthy));
  });
});

describe('faults: clock skew', () => {
  it('a restore point in the future: age 0, never negative, and one warning per cycle naming NTP', async () => {
    // Real time here: the status page measures ages against the wall clock.
    const r = await rig({ now: Date.now });
    const now = Math.floor(Date.now() / 1000) * 1000;
    const future = now + 2 * HOUR;
    r.faulty.sim.upsertBackup({ id: BACKUPS.daily, name: 'Daily VM Backup', restorePoints: [now - 5 * HOUR, future] });
    // Within a minute ahead is ordinary jitter: no warning.
    r.faulty.sim.upsertBackup({ id: BACKUPS.empty, name: 'New Agent Backup', restorePoints: [now + 50_000] });
    const base = await serveExporter(r.exporter);

    for (let i = 0; i < 2; i++) {
      const c = await r.cycle();
      const daily = { em: 'em01', backup_id: BACKUPS.daily };
      expect(sample(c.text, 'veeam_em_backup_poll_success', daily)).toBe(1);
      expect(sample(c.text, 'veeam_em_backup_newest_restore_point_timestamp_seconds', daily)).toBe(future / 1000);
      expect(sample(c.text, 'veeam_em_backup_newest_restore_point_age_seconds', daily)).toBe(0);
      expect(
        sample(c.text, 'veeam_em_backup_newest_restore_point_age_seconds', { em: 'em01', backup_id: BACKUPS.empty }),
      ).toBe(0);
      expect(c.text).not.toMatch(/^veeam_em_backup_newest_restore_point_age_seconds\{.*\} -/m);
      const warnings = c.lines.filter((l) => l.level >= 40 && l.em === 'em01');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.backup_id).toBe(BACKUPS.daily);
      expect(warnings[0]!.newest).toBe(new Date(future).toISOString());
      expect(warnings[0]!.msg).toMatch(
        /lies in the future: the clocks of EM and this host disagree; its age is reported as 0 \(check NTP on both\)/,
      );
      expectUntouched(c);
    }
    // The status page flags the skewed backup with the problems rather than as OK at 0 s, which would
    // hide staleness; within the tolerance it is OK. No age is negative.
    const html = await (await fetch(`${base}/`)).text();
    const rowOf = (id: string) => html.split('\n').find((l) => l.includes(id) && l.includes('>em01</td>'))!;
    const row = rowOf(BACKUPS.daily);
    expect(row).toContain('<tr class="row-future" data-conditions="future">');
    const ageCells = [...html.matchAll(/<td class="age [a-z]+">(.*?)<\/td>/g)].map((m) =>
      m[1]!.replace(/<[^>]+>/g, ''),
    );
    const ageOf = (line: string) =>
      /<td class="age ([a-z]+)">(.*?)<\/td>/
        .exec(line)!
        .slice(1)
        .map((part) => part.replace(/<[^>]+>/g, ''));
    const [skewClass, skewText] = ageOf(row);
    expect(skewClass).toBe('future');
    expect(skewText).toMatch(/^Newest point in the future: (1h 59m|2h) ahead of this host \(RPO 1d 2h\)$/);
    expect(ageOf(rowOf(BACKUPS.empty))).toEqual(['ok', 'OK: 0s of 1d 2h (0 %)']);
    expect(ageCells.length).toBeGreaterThan(0);
    for (const cell of ageCells) expect(cell).not.toContain('-');
  });
});
