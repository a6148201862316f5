import { describe, expect, it } from 'vitest';
import { seriesLabels } from './metric-names.js';
import { contractViolations, queryNames } from './promql.js';
import { durationSeconds, githubAnchor } from './rules-file.js';
import { findTool, toolGate } from './tools.js';

describe('queryNames', () => {
  it('finds metrics and matcher labels, not functions, keywords, strings or durations', () => {
    const names = queryNames(
      'histogram_quantile(0.99, sum by (em, le) (rate(veeam_em_api_request_duration_seconds_bucket{em=~"a|b", endpoint!="lo{gin}"}[5m] offset 1h)))',
    );
    expect(names.selectors).toEqual([
      { metric: 'veeam_em_api_request_duration_seconds_bucket', labels: ['em', 'endpoint'] },
    ]);
    expect(names.groupingLabels).toEqual(['em', 'le']);
  });

  it('reads both sides of a binary operation and its matching labels', () => {
    const names = queryNames('a > ignoring(backup_name) group_left() b\nor on(x) c == bool 1e3');
    expect(names.selectors.map((s) => s.metric)).toEqual(['a', 'b', 'c']);
    expect(names.groupingLabels).toEqual(['backup_name', 'x']);
  });

  it('reports a bare label selector', () => {
    expect(queryNames('{__name__="x"}').selectors).toEqual([{ metric: undefined, labels: ['__name__'] }]);
  });
});

describe('contractViolations', () => {
  it('accepts contract metrics with their labels and the target labels', () => {
    expect(
      contractViolations('sum by (em, reason) (rate(veeam_em_poll_errors_total{job="veeam-em",em=~".*"}[5m]))'),
    ).toEqual([]);
    expect(contractViolations('up{job=~".*veeam.*"} == 0')).toEqual([]);
  });

  it('flags a misspelt metric, a foreign label and a grouping label nothing has', () => {
    expect(contractViolations('veeam_em_backup_restore_point')).toEqual([
      'unknown metric veeam_em_backup_restore_point',
    ]);
    expect(contractViolations('veeam_em_up{backup_id="x"}')).toEqual(['veeam_em_up has no label backup_id']);
    expect(contractViolations('sum by (reason) (veeam_em_up)')).toEqual(['no selected metric has label reason']);
    expect(contractViolations('time()')).toEqual(['no metric selected']);
  });

  it('knows the histogram series and their le label', () => {
    const labels = seriesLabels();
    expect(labels.get('veeam_em_api_request_duration_seconds_bucket')).toContain('le');
    expect(labels.has('veeam_em_api_request_duration_seconds_count')).toBe(true);
    expect(labels.has('veeam_em_api_request_duration_seconds')).toBe(false);
  });
});

describe('small helpers', () => {
  it('durationSeconds', () => {
    expect(durationSeconds('15m')).toBe(900);
    expect(durationSeconds('1h30m')).toBe(5400);
    expect(() => durationSeconds('15')).toThrow();
  });

  it('githubAnchor', () => {
    expect(githubAnchor('VeeamBackupPollFailing')).toBe('veeambackuppollfailing');
    expect(githubAnchor('Before you start: where to look')).toBe('before-you-start-where-to-look');
  });

  it('findTool looks along PATH', () => {
    expect(findTool('node')).toBeDefined();
    expect(findTool('node', '')).toBeUndefined();
    expect(findTool('no-such-tool-veeam-em')).toBeUndefined();
  });

  it('a missing tool skips locally and fails in CI', () => {
    expect(toolGate(true, { CI: 'true' })).toBe('run');
    expect(toolGate(false, {})).toBe('skip');
    expect(toolGate(false, { CI: 'true' })).toBe('fail');
  });
});
