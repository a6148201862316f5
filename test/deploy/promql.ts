/**
 * Just enough PromQL lexing to find which series and labels a query names, so alert rules and
 * dashboard queries can be held to the metric contract. Whether a query parses at all is
 * promtool's job (see promtool.ts); this only has to be right for queries that do parse.
 */
import { seriesLabels } from './metric-names.js';

export interface Selector {
  /** Undefined for a bare `{...}` selector. */
  metric: string | undefined;
  /** Label names used in the matchers. */
  labels: string[];
}

export interface QueryNames {
  selectors: Selector[];
  /** Label names in by / without / on / ignoring / group_left / group_right lists. */
  groupingLabels: string[];
}

const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
// Aggregations are listed because `sum by (x) (...)` puts the grouping before the parenthesis.
const AGGREGATIONS = [
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
];
const KEYWORDS = new Set([
  ...GROUPING,
  ...AGGREGATIONS,
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'atan2',
  'inf',
  'nan',
]);
const IDENT = /[A-Za-z_:][A-Za-z0-9_:]*/y;
const NUMBER = /(?:\d+(?:ms|[smhdwy]))+|0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const LABEL_NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

function skipString(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length && text[i] !== quote) i += text[i] === '\\' && quote !== '`' ? 2 : 1;
  return i + 1;
}

function skipSpace(text: string, start: number): number {
  let i = start;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}

function matchAt(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(text)?.[0];
}

/** Label names in a `{...}` block starting at `start` (the brace); returns them and the index after `}`. */
function readMatchers(text: string, start: number): { labels: string[]; end: number } {
  const labels: string[] = [];
  let i = start + 1;
  while (i < text.length && text[i] !== '}') {
    const c = text[i]!;
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(text, i);
      continue;
    }
    const name = matchAt(LABEL_NAME, text, i);
    if (name !== undefined) {
      labels.push(name);
      i += name.length;
      continue;
    }
    i++;
  }
  return { labels, end: i + 1 };
}

/** Names in a `( a, b )` list starting at `start` (the parenthesis). */
function readLabelList(text: string, start: number): { labels: string[]; end: number } {
  const close = text.indexOf(')', start);
  const end = close < 0 ? text.length : close;
  const labels = text
    .slice(start + 1, end)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return { labels, end: end + 1 };
}

export function queryNames(expr: string): QueryNames {
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      const eol = expr.indexOf('\n', i);
      i = eol < 0 ? expr.length : eol;
    } else if (c === '"' || c === "'" || c === '`') {
      i = skipString(expr, i);
    } else if (c === '[') {
      const close = expr.indexOf(']', i);
      i = close < 0 ? expr.length : close + 1;
    } else if (c === '{') {
      const { labels, end } = readMatchers(expr, i);
      selectors.push({ metric: undefined, labels });
      i = end;
    } else if (/[0-9.]/.test(c) && matchAt(NUMBER, expr, i) !== undefined) {
      i += matchAt(NUMBER, expr, i)!.length;
    } else if (matchAt(IDENT, expr, i) !== undefined) {
      const ident = matchAt(IDENT, expr, i)!;
      i += ident.length;
      const next = skipSpace(expr, i);
      if (expr[next] === '(') {
        if (GROUPING.has(ident)) {
          const list = readLabelList(expr, next);
          groupingLabels.push(...list.labels);
          i = list.end;
        }
        // Otherwise a function or aggregation: its arguments are lexed as they come.
      } else if (!KEYWORDS.has(ident)) {
        if (expr[next] === '{') {
          const { labels, end } = readMatchers(expr, next);
          selectors.push({ metric: ident, labels });
          i = end;
        } else {
          selectors.push({ metric: ident, labels: [] });
        }
      }
    } else {
      i++;
    }
  }
  return { selectors, groupingLabels };
}

/** What in `expr` is not in the metric contract; empty when everything is. */
export function contractViolations(expr: string): string[] {
  const known = seriesLabels();
  const problems: string[] = [];
  const { selectors, groupingLabels } = queryNames(expr);
  const usable = new Set<string>();
  for (const { metric, labels } of selectors) {
    if (metric === undefined) {
      problems.push('selector without a metric name');
      continue;
    }
    const allowed = known.get(metric);
    if (allowed === undefined) {
      problems.push(`unknown metric ${metric}`);
      continue;
    }
    allowed.forEach((l) => usable.add(l));
    for (const label of labels) {
      if (!allowed.includes(label)) problems.push(`${metric} has no label ${label}`);
    }
  }
  if (selectors.length === 0) problems.push('no metric selected');
  for (const label of groupingLabels) {
    if (!usable.has(label)) problems.push(`no selected metric has label ${label}`);
  }
  return problems;
}
