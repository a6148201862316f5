/**
 * Every PromQL query of the Grafana dashboard, with Grafana's variables replaced by values
 * Prometheus understands. The dashboard test parses them with promtool; the end-to-end suite
 * runs them against a real Prometheus scraping a real exporter, passing its own values
 * (for example `{ em: 'em01', __rate_interval: '30s' }`).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_PATH = fileURLToPath(new URL('../../deploy/grafana/veeam-em-dashboard.json', import.meta.url));

export interface DashboardQuery {
  panelId: number;
  panelTitle: string;
  refId: string;
  /** True for table queries evaluated at one instant; false for range queries. */
  instant: boolean;
  /** The query with every variable substituted. */
  expr: string;
  /** The query as stored in the dashboard. */
  rawExpr: string;
}

/** Values for the dashboard's own variables (All = `.*`) and Grafana's built-ins. */
export const DEFAULT_VARIABLES: Readonly<Record<string, string>> = {
  em: '.*',
  backup_name: '.*',
  __rate_interval: '5m',
  __interval: '1m',
  __range: '1h',
  __range_s: '3600',
  __range_ms: '3600000',
  __interval_ms: '60000',
};

/** `$name`, `${name}`, `${name:format}` and `[[name]]`. */
const VARIABLE = /\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)\]\]/g;

export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(VARIABLE, (whole, braced?: string, plain?: string, bracketed?: string) => {
    const name = braced ?? plain ?? bracketed!;
    const value = values[name];
    if (value === undefined) throw new Error(`no value for Grafana variable ${whole} in: ${expr}`);
    return value;
  });
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Array<{ refId: string; expr?: string; instant?: boolean; range?: boolean; datasource?: unknown }>;
  panels?: Panel[];
  [key: string]: unknown;
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<Record<string, unknown> & { name: string; type: string }> };
  [key: string]: unknown;
}

export function loadDashboard(path: string = DASHBOARD_PATH): Dashboard {
  return JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
}

/** Every panel, including those nested in collapsed rows. */
export function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function dashboardQueries(
  values: Readonly<Record<string, string>> = {},
  dashboard: Dashboard = loadDashboard(),
): DashboardQuery[] {
  const vars = { ...DEFAULT_VARIABLES, ...values };
  return allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? [])
      .filter((t) => t.expr !== undefined && t.expr.trim() !== '')
      .map((t) => ({
        panelId: panel.id,
        panelTitle: panel.title,
        refId: t.refId,
        instant: t.instant === true && t.range !== true,
        expr: substituteVariables(t.expr!, vars),
        rawExpr: t.expr!,
      })),
  );
}
