import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DASHBOARD_PATH,
  allPanels,
  dashboardQueries,
  loadDashboard,
  substituteVariables,
  type Panel,
} from './dashboard-queries.js';
import { seriesLabels } from './metric-names.js';
import { contractViolations, queryNames } from './promql.js';
import { PROMTOOL_INSTALL, promqlParseErrors } from './promtool.js';
import { describeWithTool } from './tools.js';

const dashboard = loadDashboard();
const panels = allPanels(dashboard);
const queries = dashboardQueries();
const variable = (name: string) => dashboard.templating.list.find((v) => v.name === name);

function panelByTitle(title: string): Panel {
  const panel = panels.find((p) => p.title === title);
  if (panel === undefined) throw new Error(`no panel "${title}"`);
  return panel;
}

describe('dashboard JSON', () => {
  it('is valid JSON with an identity Grafana can import', () => {
    expect(() => JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8'))).not.toThrow();
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(dashboard.title).toMatch(/Veeam/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.schemaVersion).toBeLessThanOrEqual(41);
  });

  it('has unique panel ids', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lays panels out inside 24 columns without overlaps', () => {
    type Box = { h: number; w: number; x: number; y: number };
    const boxes = panels.map((p) => ({ title: p.title, ...(p.gridPos as Box) }));
    for (const b of boxes) expect(b.x + b.w, b.title).toBeLessThanOrEqual(24);
    boxes.forEach((a, i) =>
      boxes.slice(i + 1).forEach((b) => {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `${a.title} overlaps ${b.title}`).toBe(false);
      }),
    );
  });

  // A dashboard tied to one data source uid breaks on every Grafana but the author's.
  it('takes every data source from the ${datasource} variable', () => {
    const ds = variable('datasource');
    expect(ds?.type).toBe('datasource');
    expect(ds?.query).toBe('prometheus');
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const t of panel.targets ?? [])
        expect(t.datasource, `${panel.title} ${t.refId}`).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });
});

describe('dashboard variables', () => {
  it.each([
    ['em', 'em'],
    ['backup_name', 'backup_name'],
  ])('%s lists label values, multi-select with All', (name, label) => {
    const v = variable(name);
    expect(v, name).toBeDefined();
    expect(v!.type).toBe('query');
    expect(v!.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    expect(v!.multi).toBe(true);
    expect(v!.includeAll).toBe(true);
    expect(v!.allValue).toBe('.*');
    const query = (v!.query as { query: string }).query;
    expect(v!.definition).toBe(query);
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
    expect(m, query).not.toBeNull();
    expect(m![2]).toBe(label);
    expect(contractViolations(substituteVariables(m![1]!, { em: '.*' }))).toEqual([]);
    expect(seriesLabels().get(queryNames(m![1]!).selectors[0]!.metric!)).toContain(label);
  });

  it('narrows the backup list to the chosen Enterprise Managers', () => {
    expect((variable('backup_name')!.query as { query: string }).query).toContain('em=~"$em"');
  });

  // Otherwise picking an EM or a backup would leave some panels showing everything.
  it('filters every query by the chosen EMs and backups', () => {
    const labels = seriesLabels();
    for (const q of queries) {
      for (const sel of queryNames(q.rawExpr).selectors) {
        const has = labels.get(sel.metric!) ?? [];
        const where = `${q.panelTitle} ${q.refId}: ${sel.metric}`;
        if (has.includes('em')) expect(q.rawExpr, where).toMatch(new RegExp(`${sel.metric}\\{[^}]*em=~"\\$em"`));
        if (has.includes('backup_name'))
          expect(q.rawExpr, where).toMatch(new RegExp(`${sel.metric}\\{[^}]*backup_name=~"\\$backup_name"`));
      }
    }
  });
});

describe('dashboard queries', () => {
  it('finds the queries of every panel', () => {
    const withTargets = panels.filter((p) => (p.targets ?? []).length > 0);
    expect(new Set(queries.map((q) => q.panelId))).toEqual(new Set(withTargets.map((p) => p.id)));
    expect(queries.length).toBeGreaterThanOrEqual(15);
  });

  it.each(queries.map((q) => [`${q.panelTitle} ${q.refId}`, q] as const))(
    '%s uses only contract metrics and labels',
    (_, q) => {
      expect(contractViolations(q.expr)).toEqual([]);
    },
  );

  it('leaves no Grafana variable behind and takes the caller’s values', () => {
    for (const q of queries) expect(q.expr).not.toMatch(/\$|\[\[/);
    const custom = dashboardQueries({ em: 'em01', __rate_interval: '30s' });
    const errors = custom.find((q) => q.rawExpr.includes('veeam_em_poll_errors_total'))!;
    expect(errors.expr).toContain('em=~"em01"');
    expect(errors.expr).toContain('[30s]');
  });

  it('refuses a variable it has no value for', () => {
    expect(() => substituteVariables('up{x="$nope"}', {})).toThrow(/\$nope/);
    expect(substituteVariables('a{em=~"${em:regex}"}[$__range] [[em]]', { em: 'x', __range: '1h' })).toBe(
      'a{em=~"x"}[1h] x',
    );
  });
});

describe('backup overview table', () => {
  const table = panelByTitle('Backup overview');
  const targets = table.targets!;
  const transformations = table.transformations as Array<{
    id: string;
    options: Record<string, Record<string, unknown>>;
  }>;
  const renames = transformations.find((t) => t.id === 'organize')!.options.renameByName as Record<string, string>;
  const columnOf = (metricFragment: string) => {
    const t = targets.find((x) => x.expr!.includes(metricFragment));
    expect(t, metricFragment).toBeDefined();
    return renames[`Value #${t!.refId}`];
  };
  const override = (name: string) =>
    (
      table.fieldConfig as {
        overrides: Array<{ matcher: { options: string }; properties: Array<{ id: string; value: unknown }> }>;
      }
    ).overrides.find((o) => o.matcher.options === name)?.properties ?? [];

  it('joins instant queries, one row per backup', () => {
    expect(table.type).toBe('table');
    for (const t of targets) {
      expect(t.instant, t.refId).toBe(true);
      expect(t.range, t.refId).toBe(false);
    }
    expect(transformations.map((t) => t.id)).toEqual(['merge', 'organize']);
    // The merge joins on labels, so every query must come out with the same ones.
    for (const t of targets) expect(t.expr, t.refId).toMatch(/^(max|min) by \(em, backup_id, backup_name\)/);
  });

  it('names a column for each query and only for those', () => {
    const valueColumns = Object.keys(renames).filter((k) => k.startsWith('Value #'));
    expect(valueColumns.sort()).toEqual(targets.map((t) => `Value #${t.refId}`).sort());
  });

  it('shows age, RPO, age as share of RPO, count and last poll result', () => {
    expect(columnOf('veeam_em_backup_newest_restore_point_age_seconds{')).toBeDefined();
    expect(columnOf('(veeam_em_backup_rpo_seconds{')).toBe('RPO');
    expect(columnOf('/ ignoring(backup_name) group_left() veeam_em_backup_rpo_seconds')).toBe('Age / RPO');
    expect(columnOf('veeam_em_backup_restore_points{')).toBe('Restore points');
    expect(columnOf('veeam_em_backup_poll_success{')).toBe('Last poll');
  });

  it('colours age / RPO green, amber from 80 %, red from 100 %', () => {
    const props = override('Age / RPO');
    expect(props.find((p) => p.id === 'unit')?.value).toBe('percentunit');
    const steps = (
      props.find((p) => p.id === 'thresholds')?.value as { steps: Array<{ color: string; value: number | null }> }
    ).steps;
    expect(steps.map((s) => s.value)).toEqual([null, 0.8, 1]);
    expect(steps[0]!.color).toBe('green');
    expect(steps[1]!.color).toMatch(/^(#EAB839|orange|yellow)$/i);
    expect(steps[2]!.color).toBe('red');
    expect(props.find((p) => p.id === 'custom.cellOptions')?.value).toMatchObject({ type: 'color-background' });
  });

  it('turns the poll result into words', () => {
    const mapping = override('Last poll').find((p) => p.id === 'mappings')?.value as Array<{
      options: Record<string, { text: string }>;
    }>;
    expect(mapping[0]!.options['1']!.text).toBe('OK');
    expect(mapping[0]!.options['0']!.text).toBe('failed');
  });
});

describe('time series panels', () => {
  it('plots each backup age with its RPO as a second, dashed series', () => {
    const p = panelByTitle('Newest restore point age and RPO');
    expect(p.type).toBe('timeseries');
    const exprs = p.targets!.map((t) => t.expr!);
    expect(exprs.some((e) => e.includes('veeam_em_backup_newest_restore_point_age_seconds'))).toBe(true);
    const rpo = p.targets!.find((t) => t.expr!.includes('veeam_em_backup_rpo_seconds'));
    expect(rpo).toBeDefined();
    const legend = (rpo as { legendFormat?: string }).legendFormat!;
    const overrides = (
      p.fieldConfig as {
        overrides: Array<{ matcher: { id: string; options: string }; properties: Array<{ id: string }> }>;
      }
    ).overrides;
    const dashed = overrides.find((o) => o.properties.some((pr) => pr.id === 'custom.lineStyle'))!;
    expect(dashed.matcher.id).toBe('byRegexp');
    expect(new RegExp(dashed.matcher.options).test(legend.replace(/\{\{\w+\}\}/g, 'x'))).toBe(true);
  });

  it('plots the restore-point count over time', () => {
    const p = panelByTitle('Restore points');
    expect(p.type).toBe('timeseries');
    expect(p.targets![0]!.expr).toContain('veeam_em_backup_restore_points{');
  });
});

describe('exporter health row', () => {
  const rowY = (panelByTitle('Exporter health').gridPos as { y: number }).y;
  const health = panels.filter((p) => p.type !== 'row' && (p.gridPos as { y: number }).y > rowY);
  const exprs = health.flatMap((p) => (p.targets ?? []).map((t) => t.expr!));

  it('sits below the backup panels', () => {
    expect(panels.filter((p) => p.type !== 'row' && (p.gridPos as { y: number }).y < rowY).length).toBeGreaterThan(0);
    expect(health.length).toBeGreaterThanOrEqual(4);
  });

  it.each([
    ['EM reachability', /veeam_em_up\{/],
    ['cycle duration', /veeam_em_poll_duration_seconds\{/],
    ['errors by reason', /sum by \(em, reason\) \(rate\(veeam_em_poll_errors_total\{[^}]*\}\[\$__rate_interval\]\)\)/],
    [
      'API latency percentiles',
      /histogram_quantile\(0\.99, sum by \([^)]*\ble\b[^)]*\) \(rate\(veeam_em_api_request_duration_seconds_bucket\{/,
    ],
  ])('shows %s', (_, pattern) => {
    expect(
      exprs.some((e) => pattern.test(e)),
      exprs.join('\n'),
    ).toBe(true);
  });
});

describeWithTool('promtool', PROMTOOL_INSTALL, 'dashboard queries in promtool', (promtool) => {
  it('every query parses as PromQL', { timeout: 60_000 }, () => {
    const errors = promqlParseErrors(
      promtool,
      queries.map((q) => q.expr),
    );
    const report = [...errors].map(([i, e]) => `${queries[i]!.panelTitle} ${queries[i]!.refId}: ${e}`).join('\n');
    expect(report).toBe('');
  });

  it('the parse check catches a broken query', () => {
    const errors = promqlParseErrors(promtool, ['sum by (em) (veeam_em_up', 'veeam_em_up']);
    expect([...errors.keys()]).toEqual([0]);
  });
});
