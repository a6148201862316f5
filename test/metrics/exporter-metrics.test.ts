import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createExporterMetrics } from '../../src/metrics/exporter-metrics.js';
import { createExporterState } from '../../src/metrics/state.js';
import { POLL_ERROR_REASONS } from '../../src/domain.js';
import { parseExposition, samplesOf, valueOf } from './parse-exposition.js';
import { ID_A, ID_B, SCHEDULE, manualClock, metadata } from './fixtures.js';

const T0 = Date.UTC(2025, 5, 5, 12, 0, 0);
const HOUR = 3600_000;

function setup() {
  const clock = manualClock(T0);
  const state = createExporterState();
  state.setTargets(
    ['em01'],
    [
      { em: 'em01', backupId: ID_A, rpoSeconds: 93600 },
      { em: 'em01', backupId: ID_B, rpoSeconds: 691200 },
    ],
  );
  const metrics = createExporterMetrics({ state, schedule: SCHEDULE, version: '1.2.3', now: clock.now });
  const scrape = async () => parseExposition(await metrics.render());
  return { clock, state, metrics, scrape };
}

const backupA = { em: 'em01', backup_id: ID_A };

describe('per-backup gauges', () => {
  it('export only the RPO before the first poll, named by ID', async () => {
    const { scrape } = setup();
    const text = await scrape();
    expect(samplesOf(text, 'veeam_em_backup_rpo_seconds')).toEqual([
      { name: 'veeam_em_backup_rpo_seconds', labels: { em: 'em01', backup_id: ID_A, backup_name: ID_A }, value: 93600 },
      {
        name: 'veeam_em_backup_rpo_seconds',
        labels: { em: 'em01', backup_id: ID_B, backup_name: ID_B },
        value: 691200,
      },
    ]);
    for (const name of [
      'veeam_em_backup_restore_points',
      'veeam_em_backup_newest_restore_point_timestamp_seconds',
      'veeam_em_backup_newest_restore_point_age_seconds',
      'veeam_em_backup_oldest_restore_point_timestamp_seconds',
      'veeam_em_backup_poll_success',
      'veeam_em_backup_last_success_timestamp_seconds',
      'veeam_em_backup_info',
    ]) {
      expect(samplesOf(text, name), name).toEqual([]);
    }
  });

  it('report a successful poll in seconds, with the name EM gave', async () => {
    const { state, scrape } = setup();
    state.recordMetadata('em01', ID_A, metadata(ID_A, 'Daily SQL'));
    state.recordSuccess('em01', ID_A, { count: 14, newestMs: T0 - 2 * HOUR, oldestMs: T0 - 14 * 24 * HOUR }, T0 - 500);

    const text = await scrape();
    const labels = { em: 'em01', backup_id: ID_A, backup_name: 'Daily SQL' };
    const only = (name: string) => samplesOf(text, name).filter((s) => s.labels.backup_id === ID_A);
    expect(only('veeam_em_backup_restore_points')).toEqual([
      { name: 'veeam_em_backup_restore_points', labels, value: 14 },
    ]);
    expect(valueOf(text, 'veeam_em_backup_newest_restore_point_timestamp_seconds', labels)).toBe(
      (T0 - 2 * HOUR) / 1000,
    );
    expect(valueOf(text, 'veeam_em_backup_newest_restore_point_age_seconds', labels)).toBe(7200);
    expect(valueOf(text, 'veeam_em_backup_oldest_restore_point_timestamp_seconds', labels)).toBe(
      (T0 - 14 * 24 * HOUR) / 1000,
    );
    expect(valueOf(text, 'veeam_em_backup_poll_success', labels)).toBe(1);
    expect(valueOf(text, 'veeam_em_backup_last_success_timestamp_seconds', labels)).toBe((T0 - 500) / 1000);
    expect(only('veeam_em_backup_info')).toEqual([
      {
        name: 'veeam_em_backup_info',
        labels: {
          em: 'em01',
          backup_id: ID_A,
          backup_name: 'Daily SQL',
          backup_server: 'vbr01.example.local',
          platform: 'VMware',
          backup_type: 'Standard',
          repository: 'Default Backup Repository',
        },
        value: 1,
      },
    ]);
  });

  it('compute the age at scrape time, so it grows between polls', async () => {
    const { state, clock, scrape } = setup();
    state.recordSuccess('em01', ID_A, { count: 1, newestMs: T0 - HOUR, oldestMs: T0 - HOUR }, T0);
    expect(valueOf(await scrape(), 'veeam_em_backup_newest_restore_point_age_seconds', backupA)).toBe(3600);
    clock.advance(90_000);
    expect(valueOf(await scrape(), 'veeam_em_backup_newest_restore_point_age_seconds', backupA)).toBe(3690);
  });

  it('never report a negative age for a point in the future (clock skew)', async () => {
    const { state, scrape } = setup();
    state.recordSuccess('em01', ID_A, { count: 1, newestMs: T0 + 60_000, oldestMs: T0 + 60_000 }, T0);
    expect(valueOf(await scrape(), 'veeam_em_backup_newest_restore_point_age_seconds', backupA)).toBe(0);
  });

  it('keep count and timestamps after a failed poll and drop poll_success to 0', async () => {
    const { state, clock, scrape } = setup();
    state.recordSuccess('em01', ID_A, { count: 5, newestMs: T0 - HOUR, oldestMs: T0 - 5 * HOUR }, T0);
    clock.advance(300_000);
    state.recordFailure(
      'em01',
      ID_A,
      { em: 'em01', backupId: ID_A, reason: 'http_5xx', detail: 'HTTP 503', advice: 'check the EM service' },
      clock.now(),
    );

    const text = await scrape();
    expect(valueOf(text, 'veeam_em_backup_restore_points', backupA)).toBe(5);
    expect(valueOf(text, 'veeam_em_backup_newest_restore_point_timestamp_seconds', backupA)).toBe((T0 - HOUR) / 1000);
    expect(valueOf(text, 'veeam_em_backup_oldest_restore_point_timestamp_seconds', backupA)).toBe(
      (T0 - 5 * HOUR) / 1000,
    );
    expect(valueOf(text, 'veeam_em_backup_newest_restore_point_age_seconds', backupA)).toBe(3900);
    expect(valueOf(text, 'veeam_em_backup_last_success_timestamp_seconds', backupA)).toBe(T0 / 1000);
    expect(valueOf(text, 'veeam_em_backup_poll_success', backupA)).toBe(0);
  });

  it('export restore_points 0 and no timestamp or age series for a backup without restore points', async () => {
    const { state, scrape } = setup();
    state.recordSuccess('em01', ID_A, { count: 0 }, T0);
    const text = await scrape();
    expect(valueOf(text, 'veeam_em_backup_restore_points', backupA)).toBe(0);
    expect(valueOf(text, 'veeam_em_backup_poll_success', backupA)).toBe(1);
    expect(valueOf(text, 'veeam_em_backup_newest_restore_point_timestamp_seconds', backupA)).toBeUndefined();
    expect(valueOf(text, 'veeam_em_backup_newest_restore_point_age_seconds', backupA)).toBeUndefined();
    expect(valueOf(text, 'veeam_em_backup_oldest_restore_point_timestamp_seconds', backupA)).toBeUndefined();
  });

  it('drop every series of a backup that leaves the targets', async () => {
    const { state, scrape } = setup();
    state.recordMetadata('em01', ID_A, metadata(ID_A, 'Daily'));
    state.recordSuccess('em01', ID_A, { count: 1, newestMs: T0, oldestMs: T0 }, T0);
    state.setTargets(['em01'], [{ em: 'em01', backupId: ID_B, rpoSeconds: 60 }]);

    const text = await scrape();
    expect(text.samples.filter((s) => s.labels.backup_id === ID_A)).toEqual([]);
    expect(valueOf(text, 'veeam_em_backup_rpo_seconds', { backup_id: ID_B })).toBe(60);
  });

  it.each([
    ['quotes', 'Job "nightly"'],
    ['backslashes', 'DOMAIN\\share\\job'],
    ['newlines', 'first line\nsecond line'],
    ['all of them and unicode', 'a\\"b\n\\n c — Ünïcødé'],
  ])('carry backup names with %s through the exposition unchanged', async (_, name) => {
    const { state, scrape } = setup();
    state.recordMetadata('em01', ID_A, { ...metadata(ID_A, name), repository: name });
    const text = await scrape();
    const info = samplesOf(text, 'veeam_em_backup_info');
    expect(info).toHaveLength(1);
    expect(info[0]?.labels.backup_name).toBe(name);
    expect(info[0]?.labels.repository).toBe(name);
    expect(valueOf(text, 'veeam_em_backup_rpo_seconds', backupA)).toBe(93600);
    expect(
      samplesOf(text, 'veeam_em_backup_rpo_seconds').find((s) => s.labels.backup_id === ID_A)?.labels.backup_name,
    ).toBe(name);
  });

  it('fall back to the ID as name when EM reports an empty name', async () => {
    const { state, scrape } = setup();
    state.recordMetadata('em01', ID_A, metadata(ID_A, ''));
    expect(samplesOf(await scrape(), 'veeam_em_backup_info')[0]?.labels.backup_name).toBe(ID_A);
  });
});

describe('per-EM gauges', () => {
  it('appear only after the first cycle of that EM', async () => {
    const { state, scrape } = setup();
    const before = await scrape();
    expect(samplesOf(before, 'veeam_em_up')).toEqual([]);
    expect(samplesOf(before, 'veeam_em_last_poll_timestamp_seconds')).toEqual([]);
    expect(samplesOf(before, 'veeam_em_poll_duration_seconds')).toEqual([]);

    state.recordCycle('em01', { up: false, endedAtMs: T0 + 1500, durationSeconds: 1.25 });
    const after = await scrape();
    expect(samplesOf(after, 'veeam_em_up')).toEqual([{ name: 'veeam_em_up', labels: { em: 'em01' }, value: 0 }]);
    expect(valueOf(after, 'veeam_em_last_poll_timestamp_seconds', { em: 'em01' })).toBe((T0 + 1500) / 1000);
    expect(valueOf(after, 'veeam_em_poll_duration_seconds', { em: 'em01' })).toBe(1.25);

    state.recordCycle('em01', { up: true, endedAtMs: T0 + 9000, durationSeconds: 2 });
    expect(valueOf(await scrape(), 'veeam_em_up', { em: 'em01' })).toBe(1);
  });
});

describe('counters and histogram', () => {
  it('start every poll error reason and the overrun counter at 0 for each configured EM', async () => {
    const { scrape } = setup();
    const text = await scrape();
    const errors = samplesOf(text, 'veeam_em_poll_errors_total');
    expect(errors.map((s) => s.labels.reason).sort()).toEqual([...POLL_ERROR_REASONS].sort());
    expect(errors.every((s) => s.labels.em === 'em01' && s.value === 0)).toBe(true);
    expect(samplesOf(text, 'veeam_em_poll_overruns_total')).toEqual([
      { name: 'veeam_em_poll_overruns_total', labels: { em: 'em01' }, value: 0 },
    ]);
  });

  it('count poll errors by reason and overruns', async () => {
    const { metrics, scrape } = setup();
    metrics.events.pollError('em01', 'auth');
    metrics.events.pollError('em01', 'auth');
    metrics.events.pollError('em01', 'timeout');
    metrics.events.overrun('em01');
    const text = await scrape();
    expect(valueOf(text, 'veeam_em_poll_errors_total', { em: 'em01', reason: 'auth' })).toBe(2);
    expect(valueOf(text, 'veeam_em_poll_errors_total', { em: 'em01', reason: 'timeout' })).toBe(1);
    expect(valueOf(text, 'veeam_em_poll_errors_total', { em: 'em01', reason: 'parse' })).toBe(0);
    expect(valueOf(text, 'veeam_em_poll_overruns_total', { em: 'em01' })).toBe(1);
  });

  it('count API requests by endpoint and code and time them', async () => {
    const { metrics, scrape } = setup();
    metrics.api.request('em01', 'login', 201, 0.02);
    metrics.api.request('em01', 'restore_points', 200, 0.3);
    metrics.api.request('em01', 'restore_points', 200, 0.7);
    metrics.api.request('em01', 'restore_points', 'error', 30);
    const text = await scrape();
    expect(valueOf(text, 'veeam_em_api_requests_total', { em: 'em01', endpoint: 'login', code: '201' })).toBe(1);
    expect(valueOf(text, 'veeam_em_api_requests_total', { em: 'em01', endpoint: 'restore_points', code: '200' })).toBe(
      2,
    );
    expect(
      valueOf(text, 'veeam_em_api_requests_total', { em: 'em01', endpoint: 'restore_points', code: 'error' }),
    ).toBe(1);
    const points = { em: 'em01', endpoint: 'restore_points' };
    expect(valueOf(text, 'veeam_em_api_request_duration_seconds_count', points)).toBe(3);
    expect(valueOf(text, 'veeam_em_api_request_duration_seconds_sum', points)).toBeCloseTo(31);
    expect(valueOf(text, 'veeam_em_api_request_duration_seconds_bucket', { ...points, le: '0.5' })).toBe(1);
    expect(valueOf(text, 'veeam_em_api_request_duration_seconds_bucket', { ...points, le: '1' })).toBe(2);
    expect(valueOf(text, 'veeam_em_api_request_duration_seconds_bucket', { ...points, le: '30' })).toBe(3);
    expect(valueOf(text, 'veeam_em_api_request_duration_seconds_bucket', { ...points, le: '0.01' })).toBe(0);
  });

  it('forget every counter and histogram series of an EM that left', async () => {
    const { state, metrics, scrape } = setup();
    state.setTargets(['em01', 'em02'], []);
    for (const em of ['em01', 'em02']) {
      metrics.api.request(em, 'backup', 200, 0.1);
      metrics.api.request(em, 'backup', 404, 0.1);
      metrics.events.pollError(em, 'not_found');
      metrics.events.overrun(em);
    }
    state.setTargets(['em01'], []);
    metrics.forgetEm('em02');

    const text = await scrape();
    expect(text.samples.filter((s) => s.labels.em === 'em02')).toEqual([]);
    expect(valueOf(text, 'veeam_em_api_requests_total', { em: 'em01', endpoint: 'backup', code: '404' })).toBe(1);
    expect(valueOf(text, 'veeam_em_poll_overruns_total', { em: 'em01' })).toBe(1);
  });
});

describe('the exposition as a whole', () => {
  it('declares each family once, with the type the design gives it', async () => {
    const { scrape } = setup();
    const text = await scrape();
    const expected: Record<string, string> = {
      veeam_em_backup_restore_points: 'gauge',
      veeam_em_backup_newest_restore_point_timestamp_seconds: 'gauge',
      veeam_em_backup_newest_restore_point_age_seconds: 'gauge',
      veeam_em_backup_oldest_restore_point_timestamp_seconds: 'gauge',
      veeam_em_backup_rpo_seconds: 'gauge',
      veeam_em_backup_poll_success: 'gauge',
      veeam_em_backup_last_success_timestamp_seconds: 'gauge',
      veeam_em_backup_info: 'gauge',
      veeam_em_up: 'gauge',
      veeam_em_last_poll_timestamp_seconds: 'gauge',
      veeam_em_poll_duration_seconds: 'gauge',
      veeam_em_poll_overruns_total: 'counter',
      veeam_em_poll_errors_total: 'counter',
      veeam_em_api_requests_total: 'counter',
      veeam_em_api_request_duration_seconds: 'histogram',
      veeam_em_exporter_build_info: 'gauge',
      veeam_em_exporter_config_last_reload_successful: 'gauge',
      veeam_em_exporter_config_last_reload_success_timestamp_seconds: 'gauge',
    };
    const veeam = Object.fromEntries([...text.type].filter(([name]) => name.startsWith('veeam_em_')));
    expect(veeam).toEqual(expected);
    const raw = await setup().metrics.render();
    for (const name of Object.keys(expected)) {
      expect(
        raw.split('\n').filter((line) => line.startsWith(`# TYPE ${name} `)),
        name,
      ).toHaveLength(1);
    }
  });

  it('names the schedule and the background poll in every HELP text of ours', async () => {
    const { scrape } = setup();
    const text = await scrape();
    const ours = [...text.help].filter(
      ([name]) => name.startsWith('veeam_em_') && !name.startsWith('veeam_em_exporter_'),
    );
    expect(ours.length).toBe(15);
    for (const [name, help] of ours) {
      expect(help, name).toContain(`(schedule "${SCHEDULE}")`);
      expect(help, name).toContain('background poll');
    }
  });

  it('names the new schedule in every HELP text after setSchedule', async () => {
    const { metrics, scrape } = setup();
    metrics.setSchedule('0 * * * *');
    const ours = [...(await scrape()).help].filter(
      ([name]) => name.startsWith('veeam_em_') && !name.startsWith('veeam_em_exporter_'),
    );
    expect(ours.length).toBe(15);
    for (const [name, help] of ours) {
      expect(help, name).toContain('(schedule "0 * * * *")');
      expect(help, name).not.toContain(SCHEDULE);
    }
  });

  it('exports build info and the process and Node.js default metrics', async () => {
    const { scrape } = setup();
    const text = await scrape();
    expect(samplesOf(text, 'veeam_em_exporter_build_info')).toEqual([
      { name: 'veeam_em_exporter_build_info', labels: { version: '1.2.3', nodejs_version: process.version }, value: 1 },
    ]);
    expect(text.type.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(text.type.get('nodejs_heap_size_used_bytes')).toBe('gauge');
  });

  it('leaves out the prom-client gauges whose names end in _total', async () => {
    const { scrape } = setup();
    const gaugesNamedTotal = [...(await scrape()).type].filter(
      ([name, type]) => type !== 'counter' && name.endsWith('_total'),
    );
    expect(gaugesNamedTotal).toEqual([]);
  });

  it('serves the Prometheus text format content type', () => {
    expect(setup().metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('puts its prom-client families on a registry the caller passes in', async () => {
    const registry = new Registry();
    const state = createExporterState();
    const metrics = createExporterMetrics({ state, schedule: SCHEDULE, version: '1', registry });
    expect(registry.getSingleMetric('veeam_em_exporter_build_info')).toBeDefined();
    expect(registry.getSingleMetric('process_cpu_user_seconds_total')).toBeDefined();
    // The poll counters name the schedule in their HELP, which prom-client fixes at construction:
    // they are serialized beside the registry, not on it, and still reach the exposition.
    expect(registry.getSingleMetric('veeam_em_api_requests_total')).toBeUndefined();
    metrics.api.request('em01', 'login', 201, 0.02);
    expect(await metrics.render()).toContain('veeam_em_api_requests_total{em="em01",endpoint="login",code="201"} 1\n');
  });
});

describe('reload metrics', () => {
  it('report success from start-up and keep the last success time through a failed reload', async () => {
    const { clock, metrics } = setup();
    expect(await metrics.render()).toContain('veeam_em_exporter_config_last_reload_successful 1');
    clock.advance(60_000);
    metrics.recordReload(true);
    clock.advance(60_000);
    metrics.recordReload(false);
    const text = await metrics.render();
    expect(text).toContain('veeam_em_exporter_config_last_reload_successful 0');
    expect(text).toContain(`veeam_em_exporter_config_last_reload_success_timestamp_seconds ${(T0 + 60_000) / 1000}`);
  });
});
