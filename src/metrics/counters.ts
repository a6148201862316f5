/**
 * The exporter's own counters and histogram whose HELP names the poll schedule. They are serialized
 * here, in the text prom-client would write for them, because prom-client fixes a metric's help
 * text when the metric is built and a reload can change the schedule; their values must survive it.
 */
import { escapeLabelValue, familyHeader, formatSampleValue } from './exposition.js';

interface Series {
  /** `name="value",…` without braces, escaped. */
  labels: string;
  value: number;
}

/** A counter family with a fixed list of label names; series in the order they first appeared. */
export class CounterFamily {
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    private readonly labelNames: readonly string[],
  ) {}

  /** Adds `by` (0 creates the series at zero) to the series of `labelValues`, given in labelNames order. */
  inc(labelValues: readonly string[], by = 1): void {
    const key = labelValues.join('\u0000');
    const series = this.series.get(key);
    if (series === undefined) this.series.set(key, { labels: labelPairs(this.labelNames, labelValues), value: by });
    else series.value += by;
  }

  /** Drops every series whose first label has `value`. */
  removeWhereFirst(value: string): void {
    removeWhereFirst(this.series, value);
  }

  /** The family as prom-client writes a counter: header, then `name{labels} value` per series. */
  render(help: string): string {
    let text = familyHeader(this.name, 'counter', help);
    for (const { labels, value } of this.series.values())
      text += `${this.name}${braced(labels)} ${formatSampleValue(value)}\n`;
    return text;
  }
}

interface HistogramSeries {
  labels: string;
  /** Observations per bucket, not cumulative; the last slot counts those above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

/** A histogram family: `_bucket` lines with `le` first, then `_sum` and `_count`, as prom-client writes them. */
export class HistogramFamily {
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {}

  observe(labelValues: readonly string[], value: number): void {
    const key = labelValues.join('\u0000');
    let series = this.series.get(key);
    if (series === undefined) {
      series = {
        labels: labelPairs(this.labelNames, labelValues),
        counts: new Array<number>(this.bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      this.series.set(key, series);
    }
    let bucket = this.bounds.findIndex((bound) => value <= bound);
    if (bucket === -1) bucket = this.bounds.length;
    series.counts[bucket]!++;
    series.sum += value;
    series.count++;
  }

  /** Drops every series whose first label has `value`. */
  removeWhereFirst(value: string): void {
    removeWhereFirst(this.series, value);
  }

  render(help: string): string {
    let text = familyHeader(this.name, 'histogram', help);
    for (const { labels, counts, sum, count } of this.series.values()) {
      const rest = labels === '' ? '' : `,${labels}`;
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += counts[i]!;
        text += `${this.name}_bucket{le="${bound}"${rest}} ${cumulative}\n`;
      });
      text += `${this.name}_bucket{le="+Inf"${rest}} ${count}\n`;
      text += `${this.name}_sum${braced(labels)} ${formatSampleValue(sum)}\n`;
      text += `${this.name}_count${braced(labels)} ${count}\n`;
    }
    return text;
  }
}

function labelPairs(names: readonly string[], values: readonly string[]): string {
  return names.map((name, i) => `${name}="${escapeLabelValue(values[i] ?? '')}"`).join(',');
}

function braced(labels: string): string {
  return labels === '' ? '' : `{${labels}}`;
}

function removeWhereFirst(series: Map<string, unknown>, value: string): void {
  for (const key of series.keys()) if (key === value || key.startsWith(`${value}\u0000`)) series.delete(key);
}
