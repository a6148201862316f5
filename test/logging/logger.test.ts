import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { captureLines } from './capture.js';

describe('createLogger (json)', () => {
  it('writes one JSON object per line with an ISO time, a level name and the message', () => {
    const out = captureLines();
    const logger = createLogger({ level: 'info', format: 'json', destination: out });
    logger.info({ em: 'em01', backups: 3 }, 'poll cycle finished');
    const [record] = out.records();
    expect(record).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      em: 'em01',
      backups: 3,
      msg: 'poll cycle finished',
    });
  });

  it('drops messages below the configured level', () => {
    const out = captureLines();
    const logger = createLogger({ level: 'warn', format: 'json', destination: out });
    logger.info('quiet');
    logger.debug('quieter');
    logger.warn('loud');
    expect(out.records().map((r) => r.msg)).toEqual(['loud']);
  });

  it('logs debug messages when asked to', () => {
    const out = captureLines();
    createLogger({ level: 'debug', format: 'json', destination: out }).debug('detail');
    expect(out.records().map((r) => r.level)).toEqual(['debug']);
  });
});
