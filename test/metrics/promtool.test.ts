import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createExporterMetrics } from '../../src/metrics/exporter-metrics.js';
import { createExporterState } from '../../src/metrics/state.js';
import { ID_A, ID_B, SCHEDULE, metadata } from './fixtures.js';

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const promtoolFound = spawnSync(PROMTOOL, ['--version']).status === 0;
const skipReason = promtoolFound
  ? ''
  : ` (SKIPPED: ${PROMTOOL} not found; install Prometheus' promtool or set PROMTOOL)`;

/** A state that exercises every kind of series: names needing escapes, failures, zero points, API traffic. */
async function richExposition(): Promise<string> {
  const now = Date.UTC(2025, 5, 5, 12);
  const state = createExporterState();
  const zero = 'aaaaaaaa-0000-4000-8000-000000000000';
  state.setTargets(
    ['em01', 'em "two"'],
    [
      { em: 'em01', backupId: ID_A, rpoSeconds: 93600 },
      { em: 'em01', backupId: zero, rpoSeconds: 93600 },
      { em: 'em "two"', backupId: ID_B, rpoSeconds: 691200 },
    ],
  );
  state.recordMetadata('em01', ID_A, metadata(ID_A, 'Job "nightly" \\ with\nnewline'));
  state.recordSuccess('em01', ID_A, { count: 3, newestMs: now - 60_000, oldestMs: now - 86_400_000 }, now);
  state.recordFailure('em01', ID_A, { em: 'em01', backupId: ID_A, reason: 'timeout', detail: 'timed out' }, now + 1);
  state.recordSuccess('em01', zero, { count: 0 }, now);
  state.recordFailure(
    'em "two"',
    ID_B,
    { em: 'em "two"', backupId: ID_B, reason: 'auth', detail: 'logon refused' },
    now,
  );
  state.recordCycle('em01', { up: true, endedAtMs: now, durationSeconds: 3.5 });
  state.recordCycle('em "two"', { up: false, endedAtMs: now, durationSeconds: 0.2 });

  const metrics = createExporterMetrics({ state, schedule: SCHEDULE, version: '0.1.0', now: () => now });
  metrics.api.request('em01', 'restore_points', 200, 0.05);
  metrics.api.request('em "two"', 'login', 'error', 30);
  metrics.events.pollError('em "two"', 'auth');
  metrics.events.overrun('em01');
  return metrics.render();
}

describe('promtool check metrics', () => {
  it.skipIf(!promtoolFound)(`finds nothing to complain about in a full exposition${skipReason}`, async () => {
    const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: await richExposition(), encoding: 'utf8' });
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 0,
      stdout: '',
      stderr: '',
    });
  });

  it.skipIf(!promtoolFound)(`would notice a lint problem, so the check above means something${skipReason}`, () => {
    const bad =
      '# HELP x_seconds_total A gauge named like a counter.\n# TYPE x_seconds_total gauge\nx_seconds_total 1\n';
    const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: bad, encoding: 'utf8' });
    expect(result.status).not.toBe(0);
  });
});
