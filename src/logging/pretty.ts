/**
 * A human-readable rendering of pino's JSON lines, for `--log.format=pretty`:
 * `2025-06-05T12:00:00.000Z INFO  poll cycle finished em=em01 seconds=1.2 err.reason=auth`
 * A multi-line message continues on indented lines below its record.
 */

export interface LineSink {
  write(text: string): unknown;
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

export function formatPrettyLine(jsonLine: string): string {
  let record: unknown;
  try {
    record = JSON.parse(jsonLine);
  } catch {
    return jsonLine; // not ours to judge: pass through whatever was written
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return jsonLine;
  const { time, level, msg, ...fields } = record as Record<string, unknown>;
  // A multi-line message (a config reload listing its problems) is read as lines: the first goes in
  // the head, the rest follow indented, so none of them can pass for a log line of its own.
  const [first = '', ...more] = (typeof msg === 'string' ? msg : '').split(/\r\n|\r|\n/).map(withoutControlCharacters);
  const head = [formatTime(time), levelName(level).toUpperCase().padEnd(5), first];
  const pairs = flatten(fields).map(([key, value]) => `${key}=${value}`);
  const line = [...head.filter((part) => part !== ''), ...pairs].join(' ');
  return [line, ...more.map((text) => `    ${text}`)].join('\n');
}

// eslint-disable-next-line no-control-regex -- control characters are what it matches
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Text from EM can reach a message; terminal escape sequences in it must not reach the terminal. */
function withoutControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
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
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      pairs.push(...flatten(value as Record<string, unknown>, name));
    else pairs.push([name, formatValue(value)]);
  }
  return pairs;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value);
  // For undefined, a function or a symbol JSON.stringify returns undefined, which its type omits.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  return JSON.stringify(value) ?? String(value);
}
