import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { contractViolations } from './promql.js';
import { PROMTOOL_INSTALL } from './promtool.js';
import {
  ALERTS_DOC_PATH,
  RULES_PATH,
  durationSeconds,
  markdownAnchors,
  ruleTestFiles,
  shippedRules,
} from './rules-file.js';
import { describeWithTool, run } from './tools.js';

const rules = shippedRules();

const EXPECTED_ALERTS = [
  'VeeamBackupRestorePointTooOld',
  'VeeamBackupNoRestorePoints',
  'VeeamBackupRestorePointsDropped',
  'VeeamBackupPollFailing',
  'VeeamBackupRestorePointInFuture',
  'VeeamEnterpriseManagerDown',
  'VeeamExporterDataStale',
  'VeeamExporterDown',
  'VeeamExporterConfigReloadFailed',
  'VeeamVmRestorePointTooOld',
];

describe('alert rules file', () => {
  it('has exactly the alerts of the issue, once each', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([...EXPECTED_ALERTS].sort());
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s has a severity, summary, description and runbook', (_, rule) => {
    expect(['critical', 'warning']).toContain(rule.labels?.severity);
    expect(rule.annotations?.summary).toMatch(/\S/);
    expect(rule.annotations?.description).toMatch(/\S/);
    expect(rule.annotations?.runbook_url).toBe(`docs/alerts.md#${rule.alert.toLowerCase()}`);
  });

  // An exporter restart takes seconds plus one poll cycle; anything shorter would page on it.
  it.each(rules.map((r) => [r.alert, r] as const))('%s waits at least 10m before firing', (_, rule) => {
    expect(rule.for, 'for:').toBeDefined();
    expect(durationSeconds(rule.for!)).toBeGreaterThanOrEqual(600);
  });

  it('pages only when restores are at risk', () => {
    const paging = rules.filter((r) => r.labels?.severity === 'critical').map((r) => r.alert);
    expect(paging.sort()).toEqual([
      'VeeamBackupNoRestorePoints',
      'VeeamBackupRestorePointTooOld',
      'VeeamVmRestorePointTooOld',
    ]);
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s only uses metrics and labels of the contract', (_, rule) => {
    expect(contractViolations(rule.expr)).toEqual([]);
  });

  // Annotation templates run their own queries; a renamed metric would silently print "unknown".
  it('names only contract metrics in annotation queries', () => {
    const names = rules.flatMap((r) =>
      Object.values(r.annotations ?? {}).flatMap((t) => t.match(/veeam_em_[a-z_]+/g) ?? []),
    );
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(contractViolations(name), name).toEqual([]);
  });

  it('has a section in docs/alerts.md for every runbook link', () => {
    const anchors = markdownAnchors(readFileSync(ALERTS_DOC_PATH, 'utf8'));
    for (const rule of rules) {
      const anchor = rule.annotations!.runbook_url!.split('#')[1]!;
      expect(anchors, `docs/alerts.md has no heading for #${anchor}`).toContain(anchor);
    }
  });
});

describe('rule unit tests cover every alert', () => {
  interface AlertTest {
    alertname: string;
    exp_alerts?: unknown[];
  }
  const cases = ruleTestFiles().flatMap((file) => {
    const doc = parse(readFileSync(file, 'utf8')) as { tests: Array<{ alert_rule_test?: AlertTest[] }> };
    return doc.tests.flatMap((t) => t.alert_rule_test ?? []);
  });

  it('finds the main and the multi-day test file', () => {
    expect(ruleTestFiles().map((f) => f.split(/[\\/]/).pop())).toEqual([
      'veeam-em-alerts-long.test.yml',
      'veeam-em-alerts.test.yml',
    ]);
  });

  it.each(EXPECTED_ALERTS)('%s has a firing and a non-firing case', (alert) => {
    const mine = cases.filter((c) => c.alertname === alert);
    expect(
      mine.some((c) => (c.exp_alerts ?? []).length > 0),
      'firing case',
    ).toBe(true);
    expect(
      mine.some((c) => (c.exp_alerts ?? []).length === 0),
      'non-firing case',
    ).toBe(true);
  });
});

describeWithTool('promtool', PROMTOOL_INSTALL, 'promtool on the alert rules', (promtool) => {
  const scratch = mkdtempSync(join(tmpdir(), 'rules-test-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('check rules accepts the file and finds every alert', () => {
    const result = run(promtool, ['check', 'rules', RULES_PATH]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain(`SUCCESS: ${EXPECTED_ALERTS.length} rules found`);
  });

  it('the unit tests pass', { timeout: 120_000 }, () => {
    const files = ruleTestFiles();
    const result = run(promtool, ['test', 'rules', ...files]);
    expect(result.code, result.output).toBe(0);
    // One SUCCESS per file: promtool's exit code alone would not show a file it never read.
    expect(result.output.match(/^\s*SUCCESS\s*$/gm)?.length, result.output).toBe(files.length);
  });

  // The wrapper must notice a failing expectation, or the test above proves nothing.
  it('a wrong expectation makes promtool test rules fail', () => {
    const file = join(scratch, 'wrong.test.yml');
    writeFileSync(
      file,
      stringify({
        rule_files: [RULES_PATH],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [{ series: 'up{job="veeam-em",instance="x:10398"}', values: '1x20' }],
            alert_rule_test: [
              {
                eval_time: '15m',
                alertname: 'VeeamExporterDown',
                exp_alerts: [{ exp_labels: { severity: 'warning', job: 'veeam-em', instance: 'x:10398' } }],
              },
            ],
          },
        ],
      }),
    );
    const result = run(promtool, ['test', 'rules', file]);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('VeeamExporterDown');
  });

  it('check rules rejects an expression that does not parse', () => {
    const file = join(scratch, 'broken.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'g', rules: [{ alert: 'Broken', expr: 'veeam_em_up ==' }] }] }));
    expect(run(promtool, ['check', 'rules', file]).code).not.toBe(0);
  });
});
