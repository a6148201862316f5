import { describe, expect, it } from 'vitest';
import { QUERY_DEFAULTS, batchFilters, filterOf, nextPath, pageProblem, queryPath } from '../../src/em/query.js';
import { stableGuid } from '../../src/simulator/index.js';

const BASE = 'https://em01.example.local:9398/api';
const ids = (n: number) => Array.from({ length: n }, (_, i) => stableGuid(`plan:${i}`));

describe('queryPath', () => {
  it('always asks for entities and a page size, restore points newest first, the filter percent-encoded', () => {
    expect(
      queryPath({ type: 'RestorePoint', filter: 'BackupUid=="urn:veeam:Backup:x",BackupUid=="y"', pageSize: 1000 }, 3),
    ).toBe(
      '/query?type=RestorePoint&format=Entities&filter=BackupUid%3D%3D%22urn%3Aveeam%3ABackup%3Ax%22%2CBackupUid%3D%3D%22y%22&sortDesc=CreationTime&pageSize=1000&page=3',
    );
    expect(queryPath({ type: 'Backup', filter: 'UID=="a"', pageSize: 50 }, 1)).toBe(
      '/query?type=Backup&format=Entities&filter=UID%3D%3D%22a%22&pageSize=50&page=1',
    );
    // The unfiltered listing of discovery spans many pages: in a fixed order.
    expect(queryPath({ type: 'Backup', filter: undefined, pageSize: 50 }, 1)).toBe(
      '/query?type=Backup&format=Entities&sortAsc=UID&pageSize=50&page=1',
    );
  });

  it('ORs one clause per backup with the field its type filters by', () => {
    expect(filterOf('RestorePoint', ['a', 'b'])).toBe(
      'BackupUid=="urn:veeam:Backup:a",BackupUid=="urn:veeam:Backup:b"',
    );
    expect(filterOf('Backup', ['a'])).toBe('UID=="urn:veeam:Backup:a"');
  });
});

describe('batchFilters', () => {
  const urlOf = (batch: string[]) =>
    BASE +
    queryPath(
      { type: 'RestorePoint', filter: filterOf('RestorePoint', batch), pageSize: 1000 },
      QUERY_DEFAULTS.maxPages,
    );

  it('keeps every URL within the limit, every backup in exactly one batch, in order, with as few batches as that allows', () => {
    const all = ids(1000);
    const batches = batchFilters('RestorePoint', all, BASE, 1000, 8000);
    expect(batches.flat()).toEqual(all);
    for (const batch of batches) expect(urlOf(batch).length).toBeLessThanOrEqual(8000);
    // Full batches: one more backup would not have fitted.
    for (const [i, batch] of batches.slice(0, -1).entries())
      expect(urlOf([...batch, batches[i + 1]![0]!]).length).toBeGreaterThan(8000);
    expect(batches.length).toBeLessThanOrEqual(12);
  });

  it('gives a backup a request of its own even when the limit is too small for one', () => {
    expect(batchFilters('Backup', ids(3), BASE, 1000, 10)).toEqual(ids(3).map((id) => [id]));
  });

  it('with last counts, ends a batch before its points overflow a page; a backup bigger than a page goes alone', () => {
    const all = ids(6);
    const expected = new Map([
      [all[0]!, 400],
      [all[1]!, 500],
      [all[2]!, 200],
      [all[3]!, 2500],
      [all[4]!, 0],
      // all[5] was never polled: it counts as nothing.
    ]);
    expect(batchFilters('RestorePoint', all, BASE, 1000, 8000, expected)).toEqual([
      [all[0], all[1]],
      [all[2]],
      [all[3]],
      [all[4], all[5]],
    ]);
  });
});

describe('pageProblem', () => {
  it('accepts full pages before the last and a non-empty last one', () => {
    expect(pageProblem({ pagesCount: 3, pageNum: 1, pageSize: 10 }, 10, 1, 3, 10)).toBeUndefined();
    expect(pageProblem({ pagesCount: 3, pageNum: 3 }, 1, 3, 3, 10)).toBeUndefined();
    expect(pageProblem({}, 10, 2, 3, 10)).toBeUndefined();
    expect(pageProblem({ pagesCount: 1, pageNum: 1 }, 0, 1, 1, 10)).toBeUndefined();
  });

  it.each([
    [{ pagesCount: 4 }, 10, 2, 3, /page 2 reports 4 pages, page 1 reported 3/],
    [{ pageNum: 1 }, 10, 2, 3, /page 2 was asked for, EM answered page 1/],
    [{}, 11, 2, 3, /holds 11 items, more than the page size 10/],
    [{}, 9, 2, 3, /page 2 of 3 holds 9 items, not a full page of 10/],
    [{}, 0, 3, 3, /the last page 3 of 3 is empty/],
  ])('names what does not add up: %j', (paging, items, pageNum, pagesCount, message) => {
    expect(pageProblem(paging, items, pageNum, pagesCount, 10)).toMatch(message);
  });
});

describe('nextPath', () => {
  it('keeps only the query of a Next link, so the configured host gets the session', () => {
    expect(nextPath('https://elsewhere.example:9398/api/query?type=RestorePoint&pageSize=10&page=2')).toBe(
      '/query?type=RestorePoint&pageSize=10&page=2',
    );
    expect(nextPath('/api/query?page=2')).toBe('/query?page=2');
  });

  it('refuses a link that is not a query', () => {
    expect(nextPath('https://em/api/backups?page=2')).toBeUndefined();
    expect(nextPath('http://[::1')).toBeUndefined();
  });
});
