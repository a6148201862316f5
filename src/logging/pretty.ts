/**
 * A human-readable rendering of pino's JSON lines, for `--log.format=pretty`:
 * `2025-06-05T12:00:00.000Z INFO  poll cycle finished em=em01 seconds=1.2 err.reason=auth`
 */

export interface LineSink {
  write(text: string): unknown;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export function formatPrettyLine(jsonLine: string): string {
  let record: unknown;
  try {
    record = JSON.parse(jsonLine);
  } catch {
    return jsonLine; // not ours to judge: pass through whatever was written
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return jsonLine;
  const { time, level, msg, ...fields } = record as Record<string, unknown>;
  const head = [formatTime(time), levelName(level).toUpperCase().padEnd(5), typeof msg === 'string' ? msg.replace(/\n/g, '\\n') : ''];
  const pairs = flatten(fields).map(([key, value]) => `${key}=${value}`);
  return [...head.filter((part) => part !== ''), ...pairs].join(' ');
}

/** A pino destination that writes each JSON line as one pretty line. */
export function createPrettyStream(sink: LineSink): { write(chunk: string): void } {
  let pending = '';
  return {
    write(chunk: string) {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line !== '') sink.write(`${formatPrettyLine(line)}\n`);
      }
    },
  };
}

function formatTime(time: unknown): string {
  if (typeof time === 'string') return time;
  if (typeof time === 'number') return new Date(time).toISOString();
  return '';
}

function levelName(level: unknown): string {
  if (typeof level === 'string') return level;
  if (typeof level === 'number') return LEVEL_NAMES[level] ?? String(level);
  return '';
}

/** Nested objects become dotted keys (`err.reason=auth`), so every value stays on one greppable line. */
function flatten(fields: Record<string, unknown>, prefix = ''): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(fields)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) pairs.push(...flatten(value as Record<string, unknown>, name));
    else pairs.push([name, formatValue(value)]);
  }
  return pairs;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}
