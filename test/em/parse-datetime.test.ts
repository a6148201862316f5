import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EM_UNSET_DATE_MS,
  isUnsetDate,
  parsePostgresStyleName,
  parseRestorePointName,
  parseRfc3339Utc,
  parseSqlServerStyleName,
} from '../../src/em/index.js';

describe('parseRfc3339Utc', () => {
  it.each([
    ['2016-09-19T21:00:00Z', Date.UTC(2016, 8, 19, 21, 0, 0, 0)],
    ['2023-10-30T00:00:22.7Z', Date.UTC(2023, 9, 30, 0, 0, 22, 700)],
    ['2025-06-05T01:01:27.11Z', Date.UTC(2025, 5, 5, 1, 1, 27, 110)],
    ['2025-06-05T01:01:27.123Z', Date.UTC(2025, 5, 5, 1, 1, 27, 123)],
    ['2025-06-05T01:01:27.1234Z', Date.UTC(2025, 5, 5, 1, 1, 27, 123)],
    ['2023-11-03T16:25:35.920773Z', Date.UTC(2023, 10, 3, 16, 25, 35, 920)],
    ['2025-06-05T01:01:27.1234567Z', Date.UTC(2025, 5, 5, 1, 1, 27, 123)],
    // Truncated, not rounded: a point must never appear newer than it is.
    ['2025-06-05T01:01:27.9999999Z', Date.UTC(2025, 5, 5, 1, 1, 27, 999)],
    ['2025-06-05t01:01:27z', Date.UTC(2025, 5, 5, 1, 1, 27)],
    ['2025-06-05T01:01:27', Date.UTC(2025, 5, 5, 1, 1, 27)],
    ['2025-06-05T01:01Z', Date.UTC(2025, 5, 5, 1, 1)],
    ['  2025-06-05T01:01:27Z  ', Date.UTC(2025, 5, 5, 1, 1, 27)],
    ['2025-06-05T03:01:27+02:00', Date.UTC(2025, 5, 5, 1, 1, 27)],
    ['2025-06-05T03:01:27.5+0200', Date.UTC(2025, 5, 5, 1, 1, 27, 500)],
    ['2025-06-05T03:01:27+02', Date.UTC(2025, 5, 5, 1, 1, 27)],
    ['2025-06-04T19:31:27-05:30', Date.UTC(2025, 5, 5, 1, 1, 27)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2025-06-05 01:01:27.11Z', Date.UTC(2025, 5, 5, 1, 1, 27, 110)],
  ])('reads %s', (input, expected) => {
    expect(parseRfc3339Utc(input)).toBe(expected);
  });

  it.each([
    '',
    'garbage',
    '2025-06-05',
    '2025-06-05T01:01:27.Z',
    '2025-13-01T00:00:00Z',
    '2025-00-10T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2025-04-31T00:00:00Z',
    '2025-06-05T24:00:00Z',
    '2025-06-05T23:60:00Z',
    '2025-06-05T23:59:61Z',
    '2025-06-05T01:01:27+24:00',
    '2025-06-05T01:01:27+02:60',
    '2025-06-05T01:01:27 UTC',
    '1749082887',
  ])('rejects %j', (input) => {
    expect(parseRfc3339Utc(input)).toBeUndefined();
  });

  it('keeps years below 100 instead of mapping them to the 1900s', () => {
    const ms = parseRfc3339Utc('0001-01-01T00:00:00Z');
    expect(ms).toBeDefined();
    expect(new Date(ms ?? 0).getUTCFullYear()).toBe(1);
  });

  it('round-trips every instant JavaScript prints', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1800-01-01Z'), max: new Date('9999-12-31Z'), noInvalidDate: true }), (d) => {
        expect(parseRfc3339Utc(d.toISOString())).toBe(d.getTime());
      }),
    );
  });

  it('ignores fraction digits beyond milliseconds, up to 7 and more', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01Z'), max: new Date('2100-01-01Z'), noInvalidDate: true }),
        fc.stringMatching(/^\d{0,5}$/),
        (d, extra) => {
          const iso = d.toISOString().replace('Z', `${extra}Z`);
          expect(parseRfc3339Utc(iso)).toBe(d.getTime());
        },
      ),
    );
  });

  it('never returns NaN or a non-integer, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.stringMatching(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{0,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/),
        ),
        (s) => {
          const ms = parseRfc3339Utc(s);
          if (ms !== undefined) expect(Number.isInteger(ms)).toBe(true);
        },
      ),
    );
  });
});

describe('EM unset date', () => {
  it('treats the 1753 sentinel and .NET MinValue as unset, real dates not', () => {
    expect(isUnsetDate(parseRfc3339Utc('1753-01-01T00:00:00Z') ?? NaN)).toBe(true);
    expect(isUnsetDate(parseRfc3339Utc('0001-01-01T00:00:00Z') ?? NaN)).toBe(true);
    expect(isUnsetDate(parseRfc3339Utc('1970-01-01T00:00:00Z') ?? NaN)).toBe(false);
    expect(EM_UNSET_DATE_MS).toBe(Date.UTC(1753, 0, 1));
  });
});

describe('parseSqlServerStyleName', () => {
  it.each([
    ['Jun  5 2025  1:01AM', Date.UTC(2025, 5, 5, 1, 1)],
    ['Oct  6 2014  1:06PM', Date.UTC(2014, 9, 6, 13, 6)],
    ['May 27 2025 12:55PM', Date.UTC(2025, 4, 27, 12, 55)],
    ['Dec 31 2024 12:05AM', Date.UTC(2024, 11, 31, 0, 5)],
    ['Jan  1 2025 12:00AM', Date.UTC(2025, 0, 1, 0, 0)],
    ['Jun 15 2026  5:34AM', Date.UTC(2026, 5, 15, 5, 34)],
    ['Feb 29 2024 11:59PM', Date.UTC(2024, 1, 29, 23, 59)],
    ['jun 5 2025 1:01am', Date.UTC(2025, 5, 5, 1, 1)],
  ])('reads %j', (input, expected) => {
    expect(parseSqlServerStyleName(input)).toBe(expected);
  });

  it.each([
    'Jun 31 2025  1:01AM',
    'Feb 29 2025  1:01AM',
    'Jun  5 2025 13:01PM',
    'Jun  5 2025  0:01AM',
    'Jun  5 2025  1:60AM',
    'Foo  5 2025  1:01AM',
    'Jun  5 2025  1:01',
    'Jun  5 2025',
  ])('rejects %j', (input) => {
    expect(parseSqlServerStyleName(input)).toBeUndefined();
  });

  it('reads every minute SQL Server can print (CONVERT style 100)', () => {
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const style100 = (d: Date): string => {
      const h = d.getUTCHours();
      const h12 = h % 12 === 0 ? 12 : h % 12;
      return `${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.getUTCFullYear()} ${String(h12).padStart(2, ' ')}:${String(d.getUTCMinutes()).padStart(2, '0')}${h < 12 ? 'AM' : 'PM'}`;
    };
    fc.assert(
      fc.property(fc.date({ min: new Date('1900-01-01Z'), max: new Date('9999-12-31Z'), noInvalidDate: true }), (d) => {
        const minute = Math.floor(d.getTime() / 60_000) * 60_000;
        expect(parseSqlServerStyleName(style100(new Date(minute)))).toBe(minute);
      }),
    );
  });
});

describe('parsePostgresStyleName', () => {
  it.each([
    ['2023-11-03 16:25:35.920773', Date.UTC(2023, 10, 3, 16, 25, 35, 920)],
    ['2026-06-16 06:33:10.659559', Date.UTC(2026, 5, 16, 6, 33, 10, 659)],
    ['2023-11-03 16:25:35.9', Date.UTC(2023, 10, 3, 16, 25, 35, 900)],
    ['2023-11-03 16:25:35', Date.UTC(2023, 10, 3, 16, 25, 35)],
    ['2023-11-03 16:25:35.12345678', Date.UTC(2023, 10, 3, 16, 25, 35, 123)],
  ])('reads %j as UTC', (input, expected) => {
    expect(parsePostgresStyleName(input)).toBe(expected);
  });

  it.each(['2023-11-03', '2023-11-03 25:00:00', '03.11.2023 16:25'])('rejects %j', (input) => {
    expect(parsePostgresStyleName(input)).toBeUndefined();
  });
});

describe('parseRestorePointName', () => {
  it('takes either style, and the time after the last @ of VM point names', () => {
    expect(parseRestorePointName('Jun  5 2025  1:01AM')).toBe(Date.UTC(2025, 5, 5, 1, 1));
    expect(parseRestorePointName('2023-11-03 16:25:35.920773')).toBe(Date.UTC(2023, 10, 3, 16, 25, 35, 920));
    expect(parseRestorePointName('web@01@2023-11-03 16:25:35')).toBe(Date.UTC(2023, 10, 3, 16, 25, 35));
    expect(parseRestorePointName('Daily VM Backup')).toBeUndefined();
  });
});
