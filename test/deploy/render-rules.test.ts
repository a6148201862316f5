import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { defaultRulesPath, renderRules } from '../../deploy/prometheus/render-rules.mjs';
import { PROMTOOL_INSTALL } from './promtool.js';
import { RULES_PATH, parseRules, type AlertRule } from './rules-file.js';
import { describeWithTool, run } from './tools.js';

const SCRIPT = fileURLToPath(new URL('../../deploy/prometheus/render-rules.mjs', import.meta.url));
const source = readFileSync(RULES_PATH, 'utf8');

/** A rule without the fields the renderer may touch. */
function core(rule: AlertRule): AlertRule {
  const { for: _for, keep_firing_for: _keep, annotations, ...rest } = rule;
  const { runbook_url: _runbook, ...otherAnnotations } = annotations ?? {};
  return { ...rest, annotations: otherAnnotations };
}

describe('renderRules', () => {
  it('points at the shipped rules by default', () => {
    expect(defaultRulesPath).toBe(RULES_PATH);
  });

  it('returns the source unchanged without options', () => {
    expect(renderRules(source)).toBe(source);
  });

  it('rewrites every for: and keep_firing_for: and nothing else', () => {
    const before = parseRules(source);
    const after = parseRules(renderRules(source, { for: '10s', keepFiringFor: '0s' }));
    expect(after.map(core)).toEqual(before.map(core));
    expect(after.map((r) => r.annotations?.runbook_url)).toEqual(before.map((r) => r.annotations?.runbook_url));
    after.forEach((rule, i) => {
      expect(rule.for, rule.alert).toBe(before[i]!.for === undefined ? undefined : '10s');
      expect(rule.keep_firing_for, rule.alert).toBe(before[i]!.keep_firing_for === undefined ? undefined : '0s');
    });
    expect(after.filter((r) => r.keep_firing_for !== undefined).length).toBeGreaterThan(0);
  });

  it('can change for: alone', () => {
    const after = parseRules(renderRules(source, { for: '1m' }));
    const before = parseRules(source);
    after.forEach((rule, i) => {
      expect(rule.for).toBe('1m');
      expect(rule.keep_firing_for).toBe(before[i]!.keep_firing_for);
    });
  });

  it('moves every runbook link to a published copy, keeping the anchor', () => {
    const after = parseRules(renderRules(source, { runbookUrl: 'https://wiki.example.com/veeam-em/alerts' }));
    for (const rule of after) {
      expect(rule.annotations?.runbook_url).toBe(
        `https://wiki.example.com/veeam-em/alerts#${rule.alert.toLowerCase()}`,
      );
    }
  });

  it.each(['', '15', '10 s', '1x', '5m30', 'm', '-5m'])('rejects the duration %j', (bad) => {
    expect(() => renderRules(source, { for: bad })).toThrow(/not a Prometheus duration/);
    expect(() => renderRules(source, { keepFiringFor: bad })).toThrow(/not a Prometheus duration/);
  });

  it('accepts compound durations', () => {
    expect(parseRules(renderRules(source, { for: '1h30m' }))[0]!.for).toBe('1h30m');
  });

  it('rejects a runbook URL that would break the quoting or the anchor', () => {
    expect(() => renderRules(source, { runbookUrl: "https://x/it's" })).toThrow(/runbookUrl/);
    expect(() => renderRules(source, { runbookUrl: 'https://x/a#b' })).toThrow(/runbookUrl/);
  });

  // A reformatted rules file must not make the test variant silently keep 15m durations.
  it('fails when there is nothing to rewrite', () => {
    expect(() => renderRules('groups: []\n', { for: '10s' })).toThrow(/no for lines/);
  });
});

describe('render-rules.mjs command line', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'render-cli-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('prints the rendered shipped rules', () => {
    const result = run(process.execPath, [SCRIPT, '--for=10s', '--keep-firing-for=0s']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(renderRules(source, { for: '10s', keepFiringFor: '0s' }));
  });

  it('reads --in and writes --out', () => {
    const input = join(scratch, 'in.yml');
    const output = join(scratch, 'out.yml');
    writeFileSync(input, source);
    const result = run(process.execPath, [SCRIPT, `--in=${input}`, `--out=${output}`, '--for=2m']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(readFileSync(output, 'utf8')).toBe(renderRules(source, { for: '2m' }));
  });

  it('exits 2 with a message on a bad duration or an unknown flag', () => {
    const bad = run(process.execPath, [SCRIPT, '--for=15']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"15" is not a Prometheus duration/);
    const unknown = run(process.execPath, [SCRIPT, '--fore=15s']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/usage:/);
  });
});

describeWithTool('promtool', PROMTOOL_INSTALL, 'rendered rules in promtool', (promtool) => {
  const scratch = mkdtempSync(join(tmpdir(), 'render-promtool-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('are valid rules', () => {
    const file = join(scratch, 'short.yml');
    writeFileSync(file, renderRules(source, { for: '5s', keepFiringFor: '0s' }));
    const result = run(promtool, ['check', 'rules', file]);
    expect(result.code, result.output).toBe(0);
  });

  // What the end-to-end suite relies on: the short variant fires after the short for:, and
  // without keep_firing_for it resolves as soon as the condition ends.
  it('fire and resolve on the short durations', () => {
    const rules = join(scratch, 'short-1m.yml');
    writeFileSync(rules, renderRules(source, { for: '1m', keepFiringFor: '0s' }));
    const labels = {
      severity: 'critical',
      job: 'veeam-em',
      instance: 'x:10398',
      em: 'em01',
      backup_id: 'b1',
      backup_name: 'B1',
    };
    const annotations = {
      summary: 'Backup B1 on em01 has no restore points',
      description:
        'Enterprise Manager em01 lists no restore points for backup "B1" (ID b1): there is nothing to restore from.',
      runbook_url: 'docs/alerts.md#veeambackupnorestorepoints',
    };
    const tests = join(scratch, 'short.test.yml');
    writeFileSync(
      tests,
      stringify({
        rule_files: [rules],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              {
                series:
                  'veeam_em_backup_restore_points{job="veeam-em",instance="x:10398",em="em01",backup_id="b1",backup_name="B1"}',
                values: '0x3 5x3',
              },
            ],
            alert_rule_test: [
              { eval_time: '0m', alertname: 'VeeamBackupNoRestorePoints', exp_alerts: [] },
              {
                eval_time: '1m',
                alertname: 'VeeamBackupNoRestorePoints',
                exp_alerts: [{ exp_labels: labels, exp_annotations: annotations }],
              },
              { eval_time: '4m', alertname: 'VeeamBackupNoRestorePoints', exp_alerts: [] },
            ],
          },
        ],
      }),
    );
    const result = run(promtool, ['test', 'rules', tests]);
    expect(result.code, result.output).toBe(0);
  });
});
