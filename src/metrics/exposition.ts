/**
 * Prometheus text format (0.0.4), written as bytes. The state-derived families are serialized here
 * rather than through prom-client, whose per-sample hashing and formatting would cost many times more at
 * 10,000 backups (docs/benchmarks.md), and because their lines are kept as bytes between scrapes (see ExpositionPart).
 */

export type MetricType = 'gauge' | 'counter' | 'histogram';

/**
 * A piece of the exposition, in order, as UTF-8 bytes. A `stable` part is the very same object from
 * one scrape to the next for as long as its bytes stay the same, so a server may keep what it
 * derives from them (their compressed form) keyed by the object; any other part is new at every scrape.
 */
export interface ExpositionPart {
  readonly bytes: Buffer;
  readonly stable: boolean;
}

/**
 * How the exporter's own families reach the renderer, whoever produces them (prom-client's
 * `registry.metrics()` text, say): whole families in the text format, ending in a newline.
 */
export interface ExpositionSource {
  /** Every family of the source, rendered at the instant of the call. */
  text(): Promise<string>;
}

export function textPart(text: string, stable: boolean): ExpositionPart {
  return { bytes: Buffer.from(text, 'utf8'), stable };
}

/** The exposition as one text, for `--once` and tests. */
export function joinParts(parts: readonly ExpositionPart[]): string {
  return Buffer.concat(parts.map((p) => p.bytes)).toString('utf8');
}

const LABEL_ESCAPES = /[\\\n"]/;

export function escapeLabelValue(value: string): string {
  if (!LABEL_ESCAPES.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** HELP text escapes backslash and newline only; quotes are literal there. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Room for what follows a prepared `name{labels} ` prefix: a value as writeSeconds writes it, and the newline. */
export const MAX_SAMPLE_LINE_TAIL = 32;

/**
 * Writes `Math.max(0, ms / 1000)` as formatSampleValue would, in ASCII at `pos`; returns the position
 * after it. That is the shortest text that reads back as the same double: for a whole number of
 * milliseconds whose seconds are below 2^43 (doubles there lie closer than 0.001 apart), the decimal
 * with its trailing zeros dropped. Anything else (31,000 years and more, fractions) goes the slow way.
 */
export function writeSeconds(out: Buffer, pos: number, ms: number): number {
  if (!Number.isInteger(ms) || ms >= 1e15)
    return pos + out.write(formatSampleValue(Math.max(0, ms / 1000)), pos, 'latin1');
  if (ms <= 0) {
    out[pos] = 0x30;
    return pos + 1;
  }
  let whole = Math.floor(ms / 1000);
  const frac = ms - whole * 1000;
  let digits = 1;
  for (let rest = whole; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  pos += digits;
  for (let at = pos - 1; at >= pos - digits; at--) {
    const next = Math.floor(whole / 10);
    out[at] = 0x30 + (whole - next * 10);
    whole = next;
  }
  if (frac !== 0) {
    out[pos++] = 0x2e;
    out[pos++] = 0x30 + Math.floor(frac / 100);
    if (frac % 100 !== 0) {
      out[pos++] = 0x30 + (Math.floor(frac / 10) % 10);
      if (frac % 10 !== 0) out[pos++] = 0x30 + (frac % 10);
    }
  }
  return pos;
}

/**
 * The `name{labels} ` prefixes of one family's lines, end to end as UTF-8, for values written at
 * scrape time (or once per poll cycle) straight into bytes: copying a prefix and writing digits
 * is several times faster than building the line as text.
 */
export interface LinePrefixes {
  bytes: Buffer;
  /** End offset of each prefix in `bytes`. */
  ends: Uint32Array;
}

export function linePrefixes(prefixes: readonly string[]): LinePrefixes {
  const bytes = Buffer.from(prefixes.join(''), 'utf8');
  const ends = new Uint32Array(prefixes.length);
  let end = 0;
  prefixes.forEach((prefix, i) => (ends[i] = end += Buffer.byteLength(prefix)));
  return { bytes, ends };
}

/** Upper bound of the bytes writeSecondsLines adds for `prefixes`. */
export function secondsLinesSize(prefixes: LinePrefixes): number {
  return prefixes.bytes.length + prefixes.ends.length * MAX_SAMPLE_LINE_TAIL;
}

/**
 * Writes line i as prefix i, then `Math.max(0, (minuendMs - ms[i]) / 1000)` (sign = -1: an age) or
 * `ms[i] / 1000` (sign = 1, minuendMs = 0: a time), then a newline; returns the position after them.
 * `out` must have secondsLinesSize(prefixes) bytes from `pos` on.
 */
export function writeSecondsLines(
  out: Buffer,
  pos: number,
  prefixes: LinePrefixes,
  ms: Float64Array,
  minuendMs: number,
  sign: 1 | -1,
): number {
  const { bytes, ends } = prefixes;
  // All prefixes go in with one copy, room for every value ahead of them; then each moves back to
  // its line. copyWithin allocates nothing, where Buffer#copy makes a view per call and costs more
  // than the ~100 bytes it copies. A line never reaches the prefixes that have not moved yet: each
  // takes at most MAX_SAMPLE_LINE_TAIL bytes more than its prefix.
  const from = pos + ends.length * MAX_SAMPLE_LINE_TAIL;
  bytes.copy(out, from);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    out.copyWithin(pos, from + start, from + end);
    pos += end - start;
    start = end;
    pos = writeSeconds(out, pos, minuendMs + sign * ms[i]!);
    out[pos++] = 0x0a;
  }
  return pos;
}

/** `{name="value",…}`, already escaped; label names are ours and need no checking. */
export function formatLabels(labels: ReadonlyArray<readonly [name: string, value: string]>): string {
  let text = '';
  for (const [name, value] of labels) {
    text += `${text === '' ? '' : ','}${name}="${escapeLabelValue(value)}"`;
  }
  return `{${text}}`;
}

export function familyHeader(name: string, type: MetricType, help: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}

/**
 * Collects exposition text. Joining every 2,048 pieces into one flat chunk keeps the garbage collector
 * from copying tens of thousands of small live strings around while a large block is built.
 */
export class TextBuilder {
  private readonly chunks: string[] = [];
  private pieces: string[] = [];

  add(text: string): void {
    this.pieces.push(text);
    if (this.pieces.length >= 2048) this.flush();
  }

  toString(): string {
    this.flush();
    return this.chunks.join('');
  }

  private flush(): void {
    if (this.pieces.length === 0) return;
    this.chunks.push(this.pieces.join(''));
    this.pieces = [];
  }
}
