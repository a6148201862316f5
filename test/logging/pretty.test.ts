import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { createPrettyStream, formatPrettyLine } from '../../src/logging/pretty.js';
import { captureLines } from './capture.js';

describe('pretty log format', () => {
  it('writes time, level, message and key=value pairs on one line', () => {
    const out = captureLines();
    const logger = createLogger({ level: 'info', format: 'pretty', destination: out });
    logger.warn({ em: 'em01', seconds: 1.5, ok: false }, 'poll cycle finished');
    expect(out.text()).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN  poll cycle finished em=em01 seconds=1\.5 ok=false\n$/,
    );
  });

  it('quotes values with spaces or quotes and flattens nested objects', () => {
    const line = formatPrettyLine(
      JSON.stringify({
        time: '2025-06-05T12:00:00.000Z',
        level: 'error',
        msg: 'poll failed',
        backup: 'Daily "SQL" job',
        err: { reason: 'auth', status: 401 },
        ids: ['a', 'b'],
        empty: '',
      }),
    );
    expect(line).toBe(
      '2025-06-05T12:00:00.000Z ERROR poll failed backup="Daily \\"SQL\\" job" err.reason=auth err.status=401 ids=["a","b"] empty=""',
    );
  });

  it('shows a multi-line message as lines, the rest indented below the head and its fields', () => {
    const msg =
      'config reload failed, keeping the running config:\nconfig.yaml:3:13: poll.schedule: bad\r\nconfig.yaml:9:5: enterpriseManagers[0].url: bad';
    expect(
      formatPrettyLine(JSON.stringify({ time: 't', level: 'error', msg, file: 'config.yaml' })).split('\n'),
    ).toEqual([
      't ERROR config reload failed, keeping the running config: file=config.yaml',
      '    config.yaml:3:13: poll.schedule: bad',
      '    config.yaml:9:5: enterpriseManagers[0].url: bad',
    ]);
  });

  it('lets no message line pass for a record of its own or carry terminal escapes', () => {
    const forged = formatPrettyLine(
      JSON.stringify({ time: 't', level: 'info', msg: 'ok\nt ERROR forged\n\u001b[2Jcleared' }),
    );
    expect(
      forged
        .split('\n')
        .slice(1)
        .every((line) => line.startsWith('    ')),
    ).toBe(true);
    expect(forged).not.toContain('\u001b');
    expect(forged).toContain('\\x1b[2Jcleared');
  });

  it('writes each line of a multi-line message through the stream', () => {
    const out = captureLines();
    createLogger({ level: 'info', format: 'pretty', destination: out }).error('two problems:\na\nb');
    expect(out.text()).toMatch(/^\S+ ERROR two problems:\n {4}a\n {4}b\n$/);
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
    createLogger({ level: 'info', format: 'pretty', destination: out }).info(
      { headers: { authorization: 'Basic TopSecret' }, password: 'TopSecret' },
      'x',
    );
    expect(out.text()).not.toContain('TopSecret');
    expect(out.text()).toContain('headers.authorization=[REDACTED]');
  });
});
