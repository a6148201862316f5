import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatBackupDateUtc, formatRestorePointName, stableGuid } from '../../src/simulator/index.js';
import { dotnetCamelCase } from '../../src/simulator/json.js';
import { extraMicros } from '../../src/simulator/names.js';
import { escAttr, escText } from '../../src/simulator/xml.js';

const ID0 = '00000000-0000-5000-8000-000000000000'; // extraMicros 0
const ID200 = '00c80000-0000-5000-8000-000000000000'; // extraMicros 200

describe('SQL Server style names', () => {
  it.each([
    [Date.UTC(2025, 5, 5, 1, 1, 27, 110), 'Jun  5 2025  1:01AM'],
    [Date.UTC(2025, 4, 27, 12, 55, 0), 'May 27 2025 12:55PM'],
    [Date.UTC(2014, 9, 6, 13, 6, 59, 999), 'Oct  6 2014  1:06PM'],
    [Date.UTC(2025, 0, 1, 0, 5), 'Jan  1 2025 12:05AM'],
    [Date.UTC(2025, 11, 31, 23, 59, 59), 'Dec 31 2025 11:59PM'],
    [Date.UTC(2025, 1, 10, 11, 0), 'Feb 10 2025 11:00AM'],
    [Date.UTC(2026, 5, 15, 5, 34), 'Jun 15 2026  5:34AM'],
    [Date.UTC(2025, 6, 4, 10, 9), 'Jul  4 2025 10:09AM'],
  ])('%i -> %s', (ms, name) => {
    expect(formatRestorePointName(ms, 'mssql', ID0)).toBe(name);
  });

  it('prints BackupDateUTC with at most three fraction digits, trailing zeros trimmed', () => {
    expect(formatBackupDateUtc(Date.UTC(2025, 5, 5, 1, 1, 27, 110), 'mssql', ID200)).toBe('2025-06-05T01:01:27.11Z');
    expect(formatBackupDateUtc(Date.UTC(2023, 9, 30, 0, 0, 22, 700), 'mssql', ID200)).toBe('2023-10-30T00:00:22.7Z');
    expect(formatBackupDateUtc(Date.UTC(2016, 8, 19, 21, 0, 0, 0), 'mssql', ID200)).toBe('2016-09-19T21:00:00Z');
    expect(formatBackupDateUtc(Date.UTC(2016, 8, 19, 21, 0, 0, 5), 'mssql', ID200)).toBe('2016-09-19T21:00:00.005Z');
  });
});

describe('PostgreSQL style names', () => {
  it('prints six-digit fractions with trailing zeros dropped, the same in Name and BackupDateUTC', () => {
    const ms = Date.UTC(2023, 10, 3, 16, 25, 35, 920);
    expect(formatRestorePointName(ms, 'postgres', ID200)).toBe('2023-11-03 16:25:35.9202');
    expect(formatBackupDateUtc(ms, 'postgres', ID200)).toBe('2023-11-03T16:25:35.9202Z');
    expect(formatRestorePointName(ms, 'postgres', ID0)).toBe('2023-11-03 16:25:35.92');
    expect(formatRestorePointName(Date.UTC(2026, 5, 16, 6, 33, 10), 'postgres', ID0)).toBe('2026-06-16 06:33:10');
    expect(formatRestorePointName(Date.UTC(2026, 5, 16, 6, 33, 10, 1), 'postgres', ID0)).toBe(
      '2026-06-16 06:33:10.001',
    );
  });

  it('keeps the invented microseconds below 500 so truncating and rounding agree', () => {
    fc.assert(
      fc.property(fc.uuid(), (id) => {
        const extra = extraMicros(id);
        return extra >= 0 && extra < 500;
      }),
    );
  });
});

describe('round trips', () => {
  const times = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) });

  it('SQL Server: BackupDateUTC parses back to the exact millisecond; Name is the same minute', () => {
    fc.assert(
      fc.property(times, fc.uuid(), (ms, id) => {
        expect(Date.parse(formatBackupDateUtc(ms, 'mssql', id))).toBe(ms);
        const name = formatRestorePointName(ms, 'mssql', id);
        expect(name).toMatch(/^[A-Z][a-z]{2} [ 1-3]\d \d{4} [ 1]\d:[0-5]\d[AP]M$/);
        const m = /^(\w{3}) +(\d+) (\d{4}) +(\d+):(\d\d)([AP])M$/.exec(name)!;
        const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].indexOf(
          m[1]!,
        );
        const h = (Number(m[4]) % 12) + (m[6] === 'P' ? 12 : 0);
        expect(Date.UTC(Number(m[3]), month, Number(m[2]), h, Number(m[5]))).toBe(ms - (ms % 60_000));
      }),
    );
  });

  it('PostgreSQL: Name equals BackupDateUTC, and both give the millisecond back by truncation or rounding', () => {
    fc.assert(
      fc.property(times, fc.uuid(), (ms, id) => {
        const iso = formatBackupDateUtc(ms, 'postgres', id);
        expect(formatRestorePointName(ms, 'postgres', id)).toBe(iso.replace('T', ' ').replace('Z', ''));
        expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,5}[1-9])?Z$/);
        const frac = /\.(\d+)Z$/.exec(iso)?.[1] ?? '0';
        const micros = Number(frac.padEnd(6, '0'));
        const whole = Date.parse(iso.replace(/\.\d+Z$/, 'Z'));
        expect(whole + Math.floor(micros / 1000)).toBe(ms);
        expect(whole + Math.round(micros / 1000)).toBe(ms);
      }),
    );
  });
});

describe('stableGuid', () => {
  it('is deterministic, GUID-shaped and seed-sensitive', () => {
    const a = stableGuid('restorePoint:x:1');
    expect(stableGuid('restorePoint:x:1')).toBe(a);
    expect(stableGuid('restorePoint:x:2')).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('.NET camelCase policy', () => {
  it.each([
    ['UID', 'uid'],
    ['BackupDateUTC', 'backupDateUTC'],
    ['RestorePoints', 'restorePoints'],
    ['Refs', 'refs'],
    ['NASJobs', 'nasJobs'],
    ['VAppRestorePoints', 'vAppRestorePoints'],
    ['FirstChanceExceptionMessage', 'firstChanceExceptionMessage'],
    ['SupportedVersions', 'supportedVersions'],
    ['already', 'already'],
    ['A', 'a'],
    ['AbC', 'abC'],
    ['IOStats', 'ioStats'],
    ['', ''],
  ])('%s -> %s', (input, output) => {
    expect(dotnetCamelCase(input)).toBe(output);
  });
});

describe('XML escaping', () => {
  it('escapes markup and quotes in attributes and keeps whitespace as character references', () => {
    expect(escAttr(`a&b<c>"d"'e'\tf\ng`)).toBe(`a&amp;b&lt;c&gt;&quot;d&quot;'e'&#x9;f&#xA;g`);
  });
  it('escapes markup in text but leaves quotes alone', () => {
    expect(escText(`a&b<c>"d"`)).toBe(`a&amp;b&lt;c&gt;"d"`);
  });
  it('drops characters XML 1.0 cannot carry, keeping valid astral characters', () => {
    expect(escText('a\u0000b\u001fc\ud800d\ud83d\ude00')).toBe('abcd\ud83d\ude00');
  });
});
