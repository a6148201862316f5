/**
 * The per-backup and per-EM serializer, on small inputs, against the whole expected text (as the
 * OpenTelemetry JS PrometheusSerializer tests do): every byte of a family is visible here.
 */
import { describe, expect, it } from 'vitest';
import { helpTexts, type HelpTexts } from '../../src/metrics/help.js';
import { joinParts } from '../../src/metrics/exposition.js';
import { createStateRenderer, renderStateFamilies } from '../../src/metrics/state-families.js';
import { createExporterState } from '../../src/metrics/state.js';
import type { ExporterState } from '../../src/metrics/types.js';
import { ID_A, ID_B, metadata } from './fixtures.js';

/** Short HELP texts, so the expected text shows the lines rather than the prose. */
const HELP = Object.fromEntries(Object.keys(helpTexts('x')).map((key) => [key, `${key} "help"\\`])) as HelpTexts;
const NOW = Date.UTC(2025, 5, 5, 12);
const S = NOW / 1000;

function emptyFamilies(): string {
  return [
    '# HELP veeam_em_backup_restore_points restorePoints "help"\\\\',
    '# TYPE veeam_em_backup_restore_points gauge',
    '# HELP veeam_em_backup_newest_restore_point_timestamp_seconds newestTimestamp "help"\\\\',
    '# TYPE veeam_em_backup_newest_restore_point_timestamp_seconds gauge',
    '# HELP veeam_em_backup_newest_restore_point_age_seconds newestAge "help"\\\\',
    '# TYPE veeam_em_backup_newest_restore_point_age_seconds gauge',
    '# HELP veeam_em_backup_oldest_restore_point_timestamp_seconds oldestTimestamp "help"\\\\',
    '# TYPE veeam_em_backup_oldest_restore_point_timestamp_seconds gauge',
    '# HELP veeam_em_backup_rpo_seconds rpo "help"\\\\',
    '# TYPE veeam_em_backup_rpo_seconds gauge',
    '# HELP veeam_em_backup_poll_success pollSuccess "help"\\\\',
    '# TYPE veeam_em_backup_poll_success gauge',
    '# HELP veeam_em_backup_last_success_timestamp_seconds lastSuccessTimestamp "help"\\\\',
    '# TYPE veeam_em_backup_last_success_timestamp_seconds gauge',
    '# HELP veeam_em_backup_info info "help"\\\\',
    '# TYPE veeam_em_backup_info gauge',
    '# HELP veeam_em_up up "help"\\\\',
    '# TYPE veeam_em_up gauge',
    '# HELP veeam_em_last_poll_timestamp_seconds lastPollTimestamp "help"\\\\',
    '# TYPE veeam_em_last_poll_timestamp_seconds gauge',
    '# HELP veeam_em_poll_duration_seconds pollDuration "help"\\\\',
    '# TYPE veeam_em_poll_duration_seconds gauge',
    '',
  ].join('\n');
}

/** One backup polled with three points, one never polled, one whose only poll failed. */
function site(): ExporterState {
  const state = createExporterState();
  state.setTargets(
    ['em01'],
    [
      { em: 'em01', backupId: ID_A, rpoSeconds: 93600 },
      { em: 'em01', backupId: ID_B, rpoSeconds: 3600 },
      { em: 'em01', backupId: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', rpoSeconds: 60 },
    ],
  );
  state.recordMetadata('em01', ID_A, metadata(ID_A, 'Daily "SQL"\\ \nBackup'));
  state.recordSuccess('em01', ID_A, { count: 3, newestMs: NOW - 5_400_500, oldestMs: NOW - 86_400_000 }, NOW - 60_250);
  state.recordFailure(
    'em01',
    'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
    { em: 'em01', reason: 'timeout', detail: 'slow' },
    NOW - 1000,
  );
  state.recordCycle('em01', { up: true, endedAtMs: NOW - 1000, durationSeconds: 2.5 });
  return state;
}

describe('serializing the state families', () => {
  it('writes only the headers, in family order, when nothing is watched', () => {
    expect(renderStateFamilies({ backups: [], ems: [], nowMs: NOW }, HELP)).toBe(emptyFamilies());
  });

  it('writes every family of a small site, whole', () => {
    const state = site();
    const a = `{em="em01",backup_id="${ID_A}",backup_name="Daily \\"SQL\\"\\\\ \\nBackup"}`;
    const b = `{em="em01",backup_id="${ID_B}",backup_name="${ID_B}"}`;
    const c =
      '{em="em01",backup_id="c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",backup_name="c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"}';
    expect(renderStateFamilies({ backups: state.backups(), ems: state.ems(), nowMs: NOW }, HELP)).toBe(
      [
        '# HELP veeam_em_backup_restore_points restorePoints "help"\\\\',
        '# TYPE veeam_em_backup_restore_points gauge',
        `veeam_em_backup_restore_points${a} 3`,
        '# HELP veeam_em_backup_newest_restore_point_timestamp_seconds newestTimestamp "help"\\\\',
        '# TYPE veeam_em_backup_newest_restore_point_timestamp_seconds gauge',
        `veeam_em_backup_newest_restore_point_timestamp_seconds${a} ${S - 5400.5}`,
        '# HELP veeam_em_backup_newest_restore_point_age_seconds newestAge "help"\\\\',
        '# TYPE veeam_em_backup_newest_restore_point_age_seconds gauge',
        `veeam_em_backup_newest_restore_point_age_seconds${a} 5400.5`,
        '# HELP veeam_em_backup_oldest_restore_point_timestamp_seconds oldestTimestamp "help"\\\\',
        '# TYPE veeam_em_backup_oldest_restore_point_timestamp_seconds gauge',
        `veeam_em_backup_oldest_restore_point_timestamp_seconds${a} ${S - 86400}`,
        '# HELP veeam_em_backup_rpo_seconds rpo "help"\\\\',
        '# TYPE veeam_em_backup_rpo_seconds gauge',
        `veeam_em_backup_rpo_seconds${a} 93600`,
        `veeam_em_backup_rpo_seconds${b} 3600`,
        `veeam_em_backup_rpo_seconds${c} 60`,
        '# HELP veeam_em_backup_poll_success pollSuccess "help"\\\\',
        '# TYPE veeam_em_backup_poll_success gauge',
        `veeam_em_backup_poll_success${a} 1`,
        `veeam_em_backup_poll_success${c} 0`,
        '# HELP veeam_em_backup_last_success_timestamp_seconds lastSuccessTimestamp "help"\\\\',
        '# TYPE veeam_em_backup_last_success_timestamp_seconds gauge',
        `veeam_em_backup_last_success_timestamp_seconds${a} ${S - 60.25}`,
        '# HELP veeam_em_backup_info info "help"\\\\',
        '# TYPE veeam_em_backup_info gauge',
        `veeam_em_backup_info{em="em01",backup_id="${ID_A}",backup_name="Daily \\"SQL\\"\\\\ \\nBackup",backup_server="vbr01.example.local",platform="VMware",backup_type="Standard",repository="Default Backup Repository"} 1`,
        '# HELP veeam_em_up up "help"\\\\',
        '# TYPE veeam_em_up gauge',
        'veeam_em_up{em="em01"} 1',
        '# HELP veeam_em_last_poll_timestamp_seconds lastPollTimestamp "help"\\\\',
        '# TYPE veeam_em_last_poll_timestamp_seconds gauge',
        `veeam_em_last_poll_timestamp_seconds{em="em01"} ${S - 1}`,
        '# HELP veeam_em_poll_duration_seconds pollDuration "help"\\\\',
        '# TYPE veeam_em_poll_duration_seconds gauge',
        'veeam_em_poll_duration_seconds{em="em01"} 2.5',
        '',
      ].join('\n'),
    );
  });

  it('writes an age of 0 for a point ahead of the clock, and no series for a backup without points', () => {
    const state = createExporterState();
    state.setTargets(
      ['em01'],
      [
        { em: 'em01', backupId: ID_A, rpoSeconds: 60 },
        { em: 'em01', backupId: ID_B, rpoSeconds: 60 },
      ],
    );
    state.recordSuccess('em01', ID_A, { count: 1, newestMs: NOW + 90_000, oldestMs: NOW + 90_000 }, NOW);
    state.recordSuccess('em01', ID_B, { count: 0 }, NOW);
    const ages = renderStateFamilies({ backups: state.backups(), ems: [], nowMs: NOW }, HELP)
      .split('\n')
      .filter((line) => line.startsWith('veeam_em_backup_newest_restore_point_age_seconds{'));
    expect(ages).toEqual([
      `veeam_em_backup_newest_restore_point_age_seconds{em="em01",backup_id="${ID_A}",backup_name="${ID_A}"} 0`,
    ]);
  });
});

describe('a renderer with history', () => {
  it('keeps the bytes of a backup a poll found unchanged and writes its new last success time', () => {
    const state = site();
    const render = createStateRenderer();
    const first = render({ backups: state.backups(), ems: state.ems(), nowMs: NOW }, HELP);

    // The next cycle finds the same restore points and metadata.
    state.recordMetadata('em01', ID_A, metadata(ID_A, 'Daily "SQL"\\ \nBackup'));
    state.recordSuccess(
      'em01',
      ID_A,
      { count: 3, newestMs: NOW - 5_400_500, oldestMs: NOW - 86_400_000 },
      NOW + 239_000,
    );
    const second = render({ backups: state.backups(), ems: state.ems(), nowMs: NOW + 240_000 }, HELP);

    const kept = second.filter((part) => first.includes(part));
    const fresh = second.filter((part) => !first.includes(part)).map((part) => part.bytes.toString('utf8'));
    expect(kept.every((part) => part.stable)).toBe(true);
    // Only the ages, the last success times and the per-EM gauges are written again.
    expect(fresh).toHaveLength(3);
    expect(fresh[0]).toMatch(/^veeam_em_backup_newest_restore_point_age_seconds\{[^}]*\} 5640\.5\n$/);
    expect(fresh[1]).toMatch(new RegExp(`^veeam_em_backup_last_success_timestamp_seconds\\{[^}]*\\} ${S + 239}\\n$`));
    expect(fresh[2]).toMatch(/^# HELP veeam_em_up /);
    expect(joinParts(second)).toBe(
      renderStateFamilies({ backups: state.backups(), ems: state.ems(), nowMs: NOW + 240_000 }, HELP),
    );

    // A scrape with no poll in between writes only the ages and the per-EM gauges.
    const third = render({ backups: state.backups(), ems: state.ems(), nowMs: NOW + 250_000 }, HELP);
    expect(third.filter((part) => !second.includes(part))).toHaveLength(2);
  });

  it('renders a block again when a backup in it changes, and keeps a last success time that did not move', () => {
    const state = site();
    const render = createStateRenderer();
    const first = render({ backups: state.backups(), ems: state.ems(), nowMs: NOW }, HELP);
    state.recordFailure('em01', ID_A, { em: 'em01', reason: 'timeout', detail: 'slow' }, NOW + 1000);
    const second = render({ backups: state.backups(), ems: state.ems(), nowMs: NOW }, HELP);
    const text = joinParts(second);
    expect(text).toContain(
      `veeam_em_backup_poll_success{em="em01",backup_id="${ID_A}",backup_name="Daily \\"SQL\\"\\\\ \\nBackup"} 0\n`,
    );
    expect(text).toBe(renderStateFamilies({ backups: state.backups(), ems: state.ems(), nowMs: NOW }, HELP));
    const lastSuccess = (parts: typeof first) =>
      parts.find((p) => p.bytes.toString('utf8').startsWith('veeam_em_backup_last_success_timestamp_seconds{'));
    // The block was rendered anew, but the times it holds are those already written.
    expect(lastSuccess(second)).not.toBe(undefined);
    expect(lastSuccess(second)!.bytes.equals(lastSuccess(first)!.bytes)).toBe(true);
  });
});
