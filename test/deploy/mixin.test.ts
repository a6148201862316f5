import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { evaluateMixin, renderMixin, type EvaluatedMixin } from '../../mixin/render.mjs';
import { REPO_ROOT, parseRules } from './rules-file.js';
import { describeWithTool, run } from './tools.js';

const JSONNET_INSTALL = 'Debian and Ubuntu: apt-get install jsonnet';

describeWithTool('jsonnet', JSONNET_INSTALL, 'monitoring mixin', (jsonnet) => {
  const mixin: EvaluatedMixin = evaluateMixin({ jsonnet });
  const rendered = renderMixin(mixin);

  it('exposes prometheusAlerts, prometheusRules and grafanaDashboards', () => {
    expect(mixin.alerts.groups.length).toBeGreaterThan(0);
    expect(Array.isArray(mixin.rules.groups)).toBe(true);
    expect(Object.keys(mixin.dashboards)).toEqual(['veeam-em-dashboard.json']);
  });

  // One source: the files deploy/ ships are exactly what the mixin renders.
  it.each(Object.keys(rendered))('%s is what the mixin renders', (path) => {
    expect(readFileSync(join(REPO_ROOT, path), 'utf8')).toBe(rendered[path]);
  });

  it('render.mjs --check agrees with the repository and names a file that drifted', () => {
    const script = join(REPO_ROOT, 'mixin/render.mjs');
    const ok = run(process.execPath, [script, '--check']);
    expect(ok.code, ok.output).toBe(0);

    const copy = mkdtempSync(join(tmpdir(), 'mixin-check-'));
    try {
      for (const [path, text] of Object.entries(rendered)) {
        mkdirSync(dirname(join(copy, path)), { recursive: true });
        writeFileSync(join(copy, path), text);
      }
      expect(run(process.execPath, [script, '--check', `--root=${copy}`]).code).toBe(0);
      const edited = join(copy, 'deploy/prometheus/veeam-em-alerts.yml');
      writeFileSync(edited, readFileSync(edited, 'utf8').replace('for: 15m', 'for: 5m'));
      const drift = run(process.execPath, [script, '--check', `--root=${copy}`]);
      expect(drift.code).toBe(1);
      expect(drift.stderr).toContain('deploy/prometheus/veeam-em-alerts.yml');
      expect(drift.stderr).not.toContain('veeam-em-dashboard.json');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('gives the Kubernetes PrometheusRule the same groups as the Prometheus rules file', () => {
    const rulesFile = parse(rendered['deploy/prometheus/veeam-em-alerts.yml']!) as { groups: unknown[] };
    const prometheusRule = parse(rendered['deploy/kubernetes/overlays/prometheus-operator/prometheusrule.yaml']!) as {
      kind: string;
      spec: { groups: unknown[] };
    };
    expect(prometheusRule.kind).toBe('PrometheusRule');
    expect(prometheusRule.spec.groups).toEqual(rulesFile.groups);
  });

  it('takes the job selector, thresholds and runbook base from _config', () => {
    const custom = renderMixin(
      evaluateMixin({
        jsonnet,
        configOverride:
          "{ exporterSelector: 'job=\"veeam\"', futureRestorePointToleranceSeconds: 600, backupAlertFor: '30m', runbookUrlBase: 'https://wiki.example.com/alerts' }",
      }),
    );
    const rules = parseRules(custom['deploy/prometheus/veeam-em-alerts.yml']!);
    const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
    expect(byName.VeeamExporterDown!.expr).toBe('up{job="veeam"} == 0');
    expect(byName.VeeamBackupRestorePointInFuture!.expr).toBe(
      'veeam_em_backup_newest_restore_point_timestamp_seconds - time() > 600',
    );
    expect(byName.VeeamBackupRestorePointInFuture!.for).toBe('30m');
    expect(byName.VeeamEnterpriseManagerDown!.for).toBe('10m');
    expect(byName.VeeamBackupPollFailing!.annotations?.runbook_url).toBe(
      'https://wiki.example.com/alerts#veeambackuppollfailing',
    );
  });

  it('puts the dashboard identity from _config and keeps the ${datasource} and em variables', () => {
    const dashboard = evaluateMixin({
      jsonnet,
      configOverride: "{ dashboardUid: 'my-uid', dashboardTitle: 'Backups' }",
    }).dashboards['veeam-em-dashboard.json'] as {
      uid: string;
      title: string;
      templating: { list: Array<{ name: string; type: string }> };
    };
    expect([dashboard.uid, dashboard.title]).toEqual(['my-uid', 'Backups']);
    expect(dashboard.templating.list.map((v) => [v.name, v.type])).toEqual(
      expect.arrayContaining([
        ['datasource', 'datasource'],
        ['em', 'query'],
      ]),
    );
  });

  it('is formatted as jsonnetfmt writes it', () => {
    const sources = readdirSync(join(REPO_ROOT, 'mixin'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.libsonnet'))
      .map((f) => join(REPO_ROOT, 'mixin', f));
    expect(sources.length).toBeGreaterThanOrEqual(5);
    const result = run(`${jsonnet}fmt`, ['--test', '--string-style', 's', ...sources]);
    expect(result.code, `run jsonnetfmt -i --string-style s on these:\n${result.output}`).toBe(0);
  });

  it('reports a jsonnet error instead of writing anything', () => {
    expect(() => evaluateMixin({ jsonnet, configOverride: '{ broken: }' })).toThrow(/jsonnet failed/);
  });
});

describe('evaluateMixin without jsonnet', () => {
  it('says how to install it', () => {
    expect(() => evaluateMixin({ jsonnet: '/nonexistent/jsonnet' })).toThrow(/apt-get install jsonnet/);
  });
});
