import { describe, expect, it } from 'vitest';
import {
  FilterError,
  checkFilter,
  matches,
  parseFilter,
  parseUtc,
  type FieldValue,
} from '../../src/simulator/filter.js';

type Row = Record<string, FieldValue>;
const read = (row: Row, field: string): FieldValue | undefined => row[field.toLowerCase()];
const kinds = (field: string): FieldValue['kind'] | undefined =>
  (({ name: 'text', uid: 'text', backupuid: 'text', creationtime: 'time' }) as Record<string, FieldValue['kind']>)[
    field.toLowerCase()
  ];

const row = (name: string, time: string): Row => ({
  name: { kind: 'text', value: name },
  uid: { kind: 'text', value: `urn:veeam:Backup:${name.toLowerCase()}` },
  creationtime: { kind: 'time', ms: Date.parse(time) },
});

describe('parseFilter', () => {
  it('reads one comparison per operator', () => {
    for (const op of ['==', '!=', '>=', '<=', '>', '<'] as const) {
      expect(parseFilter(`Name${op}x`)).toEqual({ kind: 'cmp', field: 'Name', op, value: 'x' });
    }
  });

  it('binds ; (AND) tighter than , (OR), as FIQL does', () => {
    expect(parseFilter('a==1;b==2,c==3')).toEqual({
      kind: 'or',
      items: [
        {
          kind: 'and',
          items: [
            { kind: 'cmp', field: 'a', op: '==', value: '1' },
            { kind: 'cmp', field: 'b', op: '==', value: '2' },
          ],
        },
        { kind: 'cmp', field: 'c', op: '==', value: '3' },
      ],
    });
  });

  it('lets parentheses override the precedence', () => {
    expect(parseFilter('a==1;(b==2,c==3)')).toEqual({
      kind: 'and',
      items: [
        { kind: 'cmp', field: 'a', op: '==', value: '1' },
        {
          kind: 'or',
          items: [
            { kind: 'cmp', field: 'b', op: '==', value: '2' },
            { kind: 'cmp', field: 'c', op: '==', value: '3' },
          ],
        },
      ],
    });
  });

  it('reads quoted values with doubled quotes, separators and spaces inside', () => {
    expect(parseFilter('Name=="say ""hi"", (then; leave)"')).toEqual({
      kind: 'cmp',
      field: 'Name',
      op: '==',
      value: 'say "hi", (then; leave)',
    });
    expect(parseFilter('Name==""')).toEqual({ kind: 'cmp', field: 'Name', op: '==', value: '' });
  });

  it('tolerates spaces around tokens and trims unquoted values', () => {
    expect(parseFilter(' ( Name == a b ) , UID!=c ')).toEqual({
      kind: 'or',
      items: [
        { kind: 'cmp', field: 'Name', op: '==', value: 'a b' },
        { kind: 'cmp', field: 'UID', op: '!=', value: 'c' },
      ],
    });
  });

  it.each([
    ['', /field name is missing/],
    ['Name', /expected one of/],
    ['Name=x', /expected one of/],
    ['Name==', /value is missing/],
    ['Name=="open', /unterminated quoted value/],
    ['(Name==a', /missing "\)"/],
    ['Name==a)', /unexpected "\)"/],
    ['Name==a,', /field name is missing/],
    ['Name==a;;UID==b', /expected a field name, found ";"/],
    ['==a', /expected a field name, found "="/],
    ['Name=="a"b', /unexpected "b"/],
  ])('refuses %j', (text, message) => {
    expect(() => parseFilter(text)).toThrow(FilterError);
    expect(() => parseFilter(text)).toThrow(message);
  });

  it('refuses nesting deep enough to exhaust the stack', () => {
    const deep = '('.repeat(10_000) + 'Name==a' + ')'.repeat(10_000);
    expect(() => parseFilter(deep)).toThrow(/too deeply nested/);
    expect(parseFilter('('.repeat(50) + 'Name==a' + ')'.repeat(50))).toEqual({
      kind: 'cmp',
      field: 'Name',
      op: '==',
      value: 'a',
    });
  });
});

describe('matches', () => {
  const daily = row('Daily', '2025-06-05T01:00:00Z');
  const weekly = row('Weekly', '2025-06-01T01:00:00Z');
  const pick = (filter: string): string[] =>
    [daily, weekly]
      .filter((r) => matches(parseFilter(filter), r, read))
      .map((r) => (r.name as { value: string }).value);

  it("compares text case-insensitively, as EM's SQL collation does", () => {
    expect(pick('Name==daily')).toEqual(['Daily']);
    expect(pick('UID=="URN:VEEAM:BACKUP:WEEKLY"')).toEqual(['Weekly']);
    expect(pick('Name!=DAILY')).toEqual(['Weekly']);
  });

  it('compares times as instants, a value without a zone being UTC', () => {
    expect(pick('CreationTime>="2025-06-03T00:00:00"')).toEqual(['Daily']);
    expect(pick('CreationTime<2025-06-03')).toEqual(['Weekly']);
    expect(pick('CreationTime==2025-06-05T03:00:00+02:00')).toEqual(['Daily']);
    expect(pick('CreationTime>2025-06-05T01:00:00Z')).toEqual([]);
    expect(pick('CreationTime<=2025-06-05T01:00:00.000Z')).toEqual(['Daily', 'Weekly']);
  });

  it('evaluates AND, OR and grouping', () => {
    expect(pick('Name==Daily,Name==Weekly')).toEqual(['Daily', 'Weekly']);
    expect(pick('Name==Daily;Name==Weekly')).toEqual([]);
    expect(pick('Name==Weekly;CreationTime>2025-06-03,Name==Daily')).toEqual(['Daily']);
    expect(pick('Name==Weekly;(CreationTime>2025-06-03,Name==Daily)')).toEqual([]);
  });

  it('matches nothing on a field the record lacks', () => {
    expect(pick('BackupUid==x')).toEqual([]);
  });
});

describe('checkFilter', () => {
  it('names a field the query type does not know', () => {
    expect(() => checkFilter(parseFilter('Name==a,Colour==red'), kinds)).toThrow(/Field \[Colour\] is not supported/);
  });

  it('refuses a time that is not ISO 8601', () => {
    expect(() => checkFilter(parseFilter('CreationTime>=yesterday'), kinds)).toThrow(/\[yesterday\].*not a valid date/);
    expect(() => checkFilter(parseFilter('CreationTime>=2025-06-05T01:00:00Z;Name==a'), kinds)).not.toThrow();
  });
});

describe('parseUtc', () => {
  it('reads dates, date-times, fractions and offsets', () => {
    expect(parseUtc('2025-06-05')).toBe(Date.UTC(2025, 5, 5));
    expect(parseUtc('2025-06-05T01:02:03.4567Z')).toBe(Date.UTC(2025, 5, 5, 1, 2, 3, 456));
    expect(parseUtc('2025-06-05 01:02')).toBe(Date.UTC(2025, 5, 5, 1, 2));
    expect(parseUtc('2025-06-05T01:02:03-0130')).toBe(Date.UTC(2025, 5, 5, 2, 32, 3));
    expect(parseUtc('June 5')).toBeUndefined();
  });
});
