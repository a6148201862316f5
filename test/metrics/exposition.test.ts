import { describe, expect, it } from 'vitest';
import {
  TextBuilder,
  escapeHelp,
  escapeLabelValue,
  familyHeader,
  formatLabels,
  formatSampleValue,
} from '../../src/metrics/exposition.js';

describe('exposition text helpers', () => {
  it('escapes backslash, newline and double quote in label values', () => {
    expect(escapeLabelValue('a\\b\n"c"')).toBe('a\\\\b\\n\\"c\\"');
    expect(escapeLabelValue('plain name')).toBe('plain name');
  });

  it('escapes backslash and newline in HELP but leaves quotes', () => {
    expect(escapeHelp('schedule "*/5 * * * *"\\\n')).toBe('schedule "*/5 * * * *"\\\\\\n');
  });

  it('writes special values the way Prometheus reads them', () => {
    expect([NaN, Infinity, -Infinity, 0, 1.5, 1717549260.123].map(formatSampleValue)).toEqual([
      'NaN',
      '+Inf',
      '-Inf',
      '0',
      '1.5',
      '1717549260.123',
    ]);
  });

  it('formats label sets in the given order', () => {
    expect(
      formatLabels([
        ['em', 'em01'],
        ['backup_name', 'x"y'],
      ]),
    ).toBe('{em="em01",backup_name="x\\"y"}');
  });

  it('writes HELP before TYPE', () => {
    expect(familyHeader('a_seconds', 'gauge', 'Help.')).toBe('# HELP a_seconds Help.\n# TYPE a_seconds gauge\n');
  });

  it('keeps every piece in order across chunk boundaries', () => {
    const builder = new TextBuilder();
    const pieces = Array.from({ length: 5000 }, (_, i) => `${i}\n`);
    for (const piece of pieces) builder.add(piece);
    expect(builder.toString()).toBe(pieces.join(''));
  });
});
