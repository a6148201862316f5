import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/index.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['500ms', 500],
    ['30s', 30 * S],
    ['5m', 5 * M],
    ['26h', 26 * H],
    ['7d', 7 * D],
    ['1w', 7 * D],
    ['1y', 365 * D],
    ['1h30m', 90 * M],
    ['1d2h3m4s5ms', D + 2 * H + 3 * M + 4 * S + 5],
    ['90m', 90 * M],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '30', '1.5h', '-5m', '5 m', '30S', '1m1h', '1h1h', 'h', '5min', ' 5m', '1e3s'])(
    'rejects %j with a hint',
    (text) => {
      expect(() => parseDuration(text)).toThrow(/duration.*e\.g\. 30s/);
    },
  );

  it('names the offending text', () => {
    expect(() => parseDuration('26x')).toThrow('"26x"');
  });

  it('refuses durations beyond exact millisecond arithmetic', () => {
    expect(() => parseDuration('999999999999y')).toThrow(/too long/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [30 * S, '30s'],
    [90 * M, '1h30m'],
    [26 * H, '1d2h'],
    [7 * D, '1w'],
    [8 * D, '8d'],
    [365 * D, '1y'],
  ])('renders %d ms as %s, the way Prometheus does', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('produces text that parses back to the same value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 365 * D }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});
