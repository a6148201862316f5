/**
 * Prometheus text format (0.0.4) building blocks. Used for the state-derived families, where
 * prom-client's per-sample hashing and formatting would cost ~10x more at 10,000 backups.
 */

export type MetricType = 'gauge' | 'counter' | 'histogram';

/**
 * A piece of the exposition, in order. A `stable` part is the very same object from one scrape to
 * the next for as long as its text stays the same, so a server may keep its encoded bytes keyed by
 * the object; any other part is new at every scrape.
 */
export interface ExpositionPart {
  readonly text: string;
  readonly stable: boolean;
  /** Its UTF-8 bytes, for a part written as bytes in the first place (its text is then decoded on demand). */
  readonly bytes?: Buffer;
}

/** A fresh part written as bytes. */
export function bytesPart(bytes: Buffer): ExpositionPart {
  return {
    bytes,
    stable: false,
    get text() {
      return bytes.toString('utf8');
    },
  };
}

export function joinParts(parts: readonly ExpositionPart[]): string {
  return parts.map((p) => p.text).join('');
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

/** Room for what follows a cached `name{labels} ` prefix: a value as writeSeconds writes it, and the newline. */
export const MAX_SAMPLE_LINE_TAIL = 32;

/**
 * Writes `Math.max(0, ms / 1000)` as formatSampleValue would, in ASCII at `pos`; returns the position
 * after it. That is the shortest text that reads back as the same double: for a whole number of
 * milliseconds whose seconds are below 2^43 (doubles there lie closer than 0.001 apart), the decimal
 * with its trailing zeros dropped. Anything else (31,000 years and more, fractions) goes the slow way.
 */
export function writeSeconds(out: Buffer, pos: number, ms: number): number {
  if (!Number.isInteger(ms) || ms >= 1e15) return pos + out.write(formatSampleValue(Math.max(0, ms / 1000)), pos, 'latin1');
  if (ms <= 0) {
    out[pos] = 0x30;
    return pos + 1;
  }
  const whole = Math.floor(ms / 1000);
  const frac = ms - whole * 1000;
  pos += out.write(String(whole), pos, 'latin1');
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
 * from copying tens of thousands of small live strings around while a 10 MB body is built.
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
