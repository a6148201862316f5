import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { createPrettyStream, formatPrettyLine } from '../../src/logging/pretty.js';
import { captureLines } from './capture.js';

describe('pretty log format', () => {
  it('writes time, level, message and key=value pairs on one line', () => {
    const out = captureLines();
    const logger = createLogger({ level: 'info', format: 'pretty', destination: out });
    logger.warn({ em: 'em01', seconds: 1.5, ok: false }, 'poll cycle finished');
    expect(out.text()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN  poll cycle finished em=em01 seconds=1\.5 ok=false\n$/);
  });

  it('quotes values with spaces or quotes and flattens nested objects', () => {
    const line = formatPrettyLine(
      JSON.stringify({ time: '2025-06-05T12:00:00.000Z', level: 'error', msg: 'poll failed', backup: 'Daily "SQL" job', err: { reason: 'auth', status: 401 }, ids: ['a', 'b'], empty: '' }),
    );
    expect(line).toBe('2025-06-05T12:00:00.000Z ERROR poll failed backup="Daily \\"SQL\\" job" err.reason=auth err.status=401 ids=["a","b"] empty=""');
  });

  it('keeps a multi-line message on one line', () => {
    expect(formatPrettyLine(JSON.stringify({ time: 't', level: 'info', msg: 'a\nb' }))).toBe('t INFO  a\\nb');
  });

  it('names numeric pino levels', () => {
    expect(formatPrettyLine(JSON.stringify({ time: 0, level: 50, msg: 'x' }))).toBe('1970-01-01T00:00:00.000Z ERROR x');
  });

  it('passes through lines that are not JSON objects', () => {
    expect(formatPrettyLine('not json')).toBe('not json');
    expect(formatPrettyLine('[1,2]')).toBe('[1,2]');
  });

  it('reassembles lines split across writes and splits lines written together', () => {
    const out = captureLines();
    const stream = createPrettyStream(out);
    stream.write('{"time":"t","level":"info","msg":"one"}\n{"time":"t","level":"info",');
    stream.write('"msg":"two"}\n');
    expect(out.text()).toBe('t INFO  one\nt INFO  two\n');
  });

  it('redacts secrets like the JSON format does', () => {
    const out = captureLines();
    createLogger({ level: 'info', format: 'pretty', destination: out }).info({ headers: { authorization: 'Basic TopSecret' }, password: 'TopSecret' }, 'x');
    expect(out.text()).not.toContain('TopSecret');
    expect(out.text()).toContain('headers.authorization=[REDACTED]');
  });
});
