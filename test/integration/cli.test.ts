import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BACKUPS,
  DAY,
  HOUR,
  MINUTE,
  PASSWORD,
  configYaml as oneEmConfig,
  sample,
  startSite,
  type Site,
} from './harness.js';
import { startExporter } from './process.js';

const UNKNOWN = 'deadbeef-0000-4000-8000-00000000dead';

function configYaml(site: Site, backups: string[]): string {
  return oneEmConfig(site, backups, ['schedule: "*/5 * * * *"', 'timeout: 5s', 'retries: 0']);
}

describe('veeam-em-exporter --once', () => {
  let site: Site;
  let now: number;
  beforeAll(async () => {
    site = await startSite();
    now = Date.now();
    // Real time here: the binary reads the real clock.
    site.sim.setBackups([
      {
        id: BACKUPS.daily,
        name: 'Daily VM Backup',
        restorePoints: [now - DAY - 5 * HOUR, now - 5 * HOUR, now - 2 * DAY],
      },
      {
        id: BACKUPS.hourly,
        name: 'Hourly SQL Backup',
        platform: 'HyperV',
        restorePoints: [now - 30 * MINUTE, now - 90 * MINUTE],
      },
      {
        id: BACKUPS.weekly,
        name: 'Weekly File Server',
        repository: 'NAS',
        restorePoints: [now - 9 * DAY, now - 2 * DAY],
      },
    ]);
  });
  afterAll(() => site.close());

  it('prints count, newest, oldest, age, RPO, info and poll success for each of three backups, and exits 0', async () => {
    const file = join(site.dir, 'three.yaml');
    await writeFile(
      file,
      configYaml(site, [
        BACKUPS.daily,
        `id: ${BACKUPS.hourly}\n        rpo: 2h`,
        `urn:veeam:Backup:${BACKUPS.weekly.toUpperCase()}`,
      ]),
    );
    const run = startExporter(['--once', `--config.file=${file}`, '--log.level=warn'], { VEEAM_EM_PASSWORD: PASSWORD });
    const { code } = await run.exited;
    const out = run.stdout();
    expect(code, run.stderr()).toBe(0);

    const expected = [
      {
        id: BACKUPS.daily,
        name: 'Daily VM Backup',
        count: 3,
        newest: now - 5 * HOUR,
        oldest: now - 2 * DAY,
        rpo: 26 * 3600,
      },
      {
        id: BACKUPS.hourly,
        name: 'Hourly SQL Backup',
        count: 2,
        newest: now - 30 * MINUTE,
        oldest: now - 90 * MINUTE,
        rpo: 7200,
      },
      {
        id: BACKUPS.weekly,
        name: 'Weekly File Server',
        count: 2,
        newest: now - 2 * DAY,
        oldest: now - 9 * DAY,
        rpo: 26 * 3600,
      },
    ];
    for (const b of expected) {
      const labels = { em: 'em01', backup_id: b.id, backup_name: b.name };
      expect(sample(out, 'veeam_em_backup_restore_points', labels)).toBe(b.count);
      expect(sample(out, 'veeam_em_backup_newest_restore_point_timestamp_seconds', labels)).toBeCloseTo(
        b.newest / 1000,
        2,
      );
      expect(sample(out, 'veeam_em_backup_oldest_restore_point_timestamp_seconds', labels)).toBeCloseTo(
        b.oldest / 1000,
        2,
      );
      const age = sample(out, 'veeam_em_backup_newest_restore_point_age_seconds', labels)!;
      const expectedAge = (Date.now() - b.newest) / 1000;
      // The age was computed when the exposition was rendered, a moment before now.
      expect(age).toBeGreaterThan(expectedAge - 60);
      expect(age).toBeLessThanOrEqual(expectedAge);
      expect(sample(out, 'veeam_em_backup_rpo_seconds', labels)).toBe(b.rpo);
      expect(sample(out, 'veeam_em_backup_poll_success', labels)).toBe(1);
      expect(sample(out, 'veeam_em_backup_info', labels)).toBe(1);
    }
    expect(out).toContain('platform="HyperV"');
    expect(out).toContain('repository="NAS"');
    expect(sample(out, 'veeam_em_up', { em: 'em01' })).toBe(1);
    // --once logs out like the daemon does.
    expect(site.sim.openSessionCount()).toBe(0);
  });

  it('exits 1 when a poll fails, and still prints what it knows', async () => {
    const file = join(site.dir, 'unknown.yaml');
    await writeFile(file, configYaml(site, [BACKUPS.daily, UNKNOWN]));
    const run = startExporter(['--once', `--config.file=${file}`, '--log.level=error'], {
      VEEAM_EM_PASSWORD: PASSWORD,
    });
    const { code } = await run.exited;
    const out = run.stdout();
    expect(code).toBe(1);
    expect(sample(out, 'veeam_em_backup_poll_success', { backup_id: UNKNOWN })).toBe(0);
    expect(sample(out, 'veeam_em_backup_poll_success', { backup_id: BACKUPS.daily })).toBe(1);
    expect(sample(out, 'veeam_em_poll_errors_total', { em: 'em01', reason: 'not_found' })).toBe(1);
  });

  it('output passes promtool check metrics, runtime metrics included', async () => {
    const file = join(site.dir, 'lint.yaml');
    await writeFile(file, configYaml(site, [BACKUPS.daily, BACKUPS.weekly]));
    const run = startExporter(['--once', `--config.file=${file}`], { VEEAM_EM_PASSWORD: PASSWORD });
    expect((await run.exited).code).toBe(0);
    let promtool: string | undefined;
    try {
      execFileSync('promtool', ['--version'], { stdio: 'ignore' });
      promtool = 'promtool';
    } catch {
      if (process.env.CI === 'true') throw new Error('promtool is required in CI');
      return;
    }
    expect(execFileSync(promtool, ['check', 'metrics'], { input: run.stdout(), encoding: 'utf8' }).trim()).toBe('');
  });
});

describe('veeam-em-exporter --config.check', () => {
  let site: Site;
  beforeAll(async () => {
    site = await startSite();
  });
  afterAll(() => site.close());

  it('prints config OK and exits 0 for a valid file, without contacting EM', async () => {
    const file = join(site.dir, 'ok.yaml');
    await writeFile(file, configYaml(site, [BACKUPS.daily]));
    const run = startExporter(['--config.check', `--config.file=${file}`], { VEEAM_EM_PASSWORD: PASSWORD });
    expect((await run.exited).code).toBe(0);
    expect(run.stdout()).toBe('config OK\n');
    expect(site.sim.sessions()).toHaveLength(0);
  });

  it('lists every problem with file, line and key path, and exits 2', async () => {
    const file = join(site.dir, 'bad.yaml');
    await writeFile(
      file,
      configYaml(site, [BACKUPS.daily, 'not-a-guid', BACKUPS.daily]).replace('timeout: 5s', 'timeout: 5 seconds'),
    );
    const run = startExporter(['--config.check', `--config.file=${file}`], {});
    expect((await run.exited).code).toBe(2);
    const err = run.stderr();
    expect(err).toMatch(/bad\.yaml:3:\d+: poll\.timeout/);
    expect(err).toContain('enterpriseManagers[0].backups[1]');
    expect(err).toContain('enterpriseManagers[0].backups[2]'); // the duplicate
    expect(err).toContain('enterpriseManagers[0].password'); // ${VEEAM_EM_PASSWORD} unset
  });

  it('rejects an unknown flag with exit 2', async () => {
    const run = startExporter(['--no-such-flag']);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr()).toContain('--no-such-flag');
  });
});
