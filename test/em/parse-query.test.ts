import { describe, expect, it } from 'vitest';
import {
  ParseError,
  backupIdOfLinks,
  parseBackupList,
  parseBackupQuery,
  parseRestorePointQuery,
} from '../../src/em/index.js';
import { JSON_CT, XML, fixture } from './fixtures.js';

const DAILY = '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3';
const WEEKLY = '7b6a400c-452c-41d1-bb81-ea682e89492d';

describe('parseRestorePointQuery', () => {
  it('reads entities, each with the backup its Up BackupReference link names, and the paging of the page', () => {
    const page = parseRestorePointQuery(fixture('query-restore-points-page.xml'), XML);
    expect(page.items).toEqual([
      {
        uid: 'urn:veeam:RestorePoint:a1b2c3d4-3333-4aaa-8bbb-0123456789ab',
        timeMs: Date.UTC(2025, 5, 7, 1, 2, 3),
        backupId: DAILY,
      },
      {
        uid: 'urn:veeam:RestorePoint:b2c3d4e5-4444-4aaa-8bbb-0123456789ab',
        timeMs: Date.UTC(2025, 5, 6, 23, 30, 0, 500),
        backupId: WEEKLY,
      },
      {
        uid: 'urn:veeam:RestorePoint:a1b2c3d4-1111-4aaa-8bbb-0123456789ab',
        timeMs: Date.UTC(2025, 5, 5, 1, 1, 27, 110),
        backupId: DAILY,
      },
    ]);
    expect(page.paging).toEqual({
      pagesCount: 2,
      pageSize: 3,
      pageNum: 1,
      next: `https://em01.example.local:9398/api/query?type=RestorePoint&format=Entities&filter=BackupUid%3D%3D%22urn%3Aveeam%3ABackup%3A${DAILY}%22&pageSize=3&page=2`,
    });
  });

  it('reads references, the time coming from the Name', () => {
    const page = parseRestorePointQuery(fixture('query-restore-points-refs.xml'), XML);
    expect(page.items).toEqual([
      {
        uid: 'urn:veeam:RestorePoint:a1b2c3d4-1111-4aaa-8bbb-0123456789ab',
        timeMs: Date.UTC(2025, 5, 5, 1, 1),
        backupId: DAILY,
      },
    ]);
    expect(page.paging).toEqual({ pagesCount: 1, pageSize: 100, pageNum: 1 });
  });

  it('reads EM 13 camelCase JSON and its numeric paging', () => {
    const page = parseRestorePointQuery(fixture('query-restore-points-v13.json'), JSON_CT);
    expect(page.items).toEqual([
      {
        uid: 'urn:veeam:RestorePoint:c3d4e5f6-5555-4aaa-8bbb-0123456789ab',
        timeMs: Date.UTC(2026, 5, 16, 6, 33, 10, 659),
        backupId: DAILY,
      },
    ]);
    expect(page.paging).toEqual({ pagesCount: 2, pageSize: 1000, pageNum: 2 });
  });

  it('reads the EM 12 JSON of the documentation, whose sample point has no links', () => {
    const page = parseRestorePointQuery(fixture('restore-points-query-result-v12.json'), JSON_CT);
    expect(page.items).toEqual([
      {
        uid: 'urn:veeam:RestorePoint:a1b2c3d4-2222-4aaa-8bbb-0123456789ab',
        timeMs: Date.UTC(2025, 5, 6, 1, 0, 44, 300),
        backupId: undefined,
      },
    ]);
    expect(page.paging.pagesCount).toBe(1);
    expect(parseRestorePointQuery(fixture('restore-points-query-result.xml'), XML).items[0]?.backupId).toBe(DAILY);
  });

  it('reads an empty page as [] or null alike', () => {
    expect(parseRestorePointQuery(fixture('query-restore-points-empty-v12.json'), JSON_CT)).toEqual({
      items: [],
      paging: { pagesCount: 1, pageSize: 1000, pageNum: 1 },
    });
    const nullList = fixture('query-restore-points-empty-v12.json').replace('{"RestorePoints":[]}', 'null');
    expect(parseRestorePointQuery(nullList, JSON_CT).items).toEqual([]);
    const xml =
      '<QueryResult xmlns="http://www.veeam.com/ent/v1.0"><Entities><RestorePoints /></Entities><PagingInfo PagesCount="0" PageSize="1000" PageNum="1"/></QueryResult>';
    expect(parseRestorePointQuery(xml, XML)).toEqual({
      items: [],
      paging: { pagesCount: 0, pageSize: 1000, pageNum: 1 },
    });
  });

  it('has no paging when EM sends no PagingInfo', () => {
    const xml = fixture('query-restore-points-page.xml').replace(/<PagingInfo[\s\S]*<\/PagingInfo>/, '');
    expect(parseRestorePointQuery(xml, XML).paging).toEqual({});
  });

  it.each([
    [
      'an answer for another type',
      '<QueryResult xmlns="http://www.veeam.com/ent/v1.0"><Entities><Backups /></Entities></QueryResult>',
      XML,
      /Entities without RestorePoints/,
    ],
    [
      'a QueryResult with neither list',
      '<QueryResult xmlns="http://www.veeam.com/ent/v1.0"><PagingInfo PagesCount="1"/></QueryResult>',
      XML,
      /neither Entities nor Refs/,
    ],
    ['another root', '<RestorePoints xmlns="http://www.veeam.com/ent/v1.0"/>', XML, /expected QueryResult/],
    [
      'an Error document',
      '<Error Message="Query type [x] is not supported." StatusCode="400" xmlns="http://www.veeam.com/ent/v1.0"/>',
      XML,
      /Error document: Query type/,
    ],
    [
      'JSON for another type',
      '{"Refs":null,"Entities":{"Backups":{"Backups":[]}},"PagingInfo":null}',
      JSON_CT,
      /Entities without RestorePoints/,
    ],
    ['JSON without either key', '{"PagingInfo":{"PagesCount":1}}', JSON_CT, /without Entities or Refs/],
    ['a JSON array', '[]', JSON_CT, /expected a QueryResult/],
    ['a JSON null', 'null', JSON_CT, /unexpected JSON null \(expected a QueryResult\)/],
    [
      'JSON whose Entities is not an object',
      '{"Entities":[],"Refs":null}',
      JSON_CT,
      /Entities is not an object \(found array\)/,
    ],
    [
      'a page count that is no number',
      fixture('query-restore-points-page.xml').replace('PagesCount="2"', 'PagesCount="many"'),
      XML,
      /PagesCount "many" is not a count/,
    ],
    [
      'a point without a time',
      fixture('query-restore-points-page.xml')
        .replace('<BackupDateUTC>2025-06-07T01:02:03Z</BackupDateUTC>', '')
        .replace('Name="Jun  7 2025  1:02AM" UID', 'UID'),
      XML,
      /restore point #1.*neither BackupDateUTC nor Name/,
    ],
  ])('refuses %s', (_, body, contentType, message) => {
    expect(() => parseRestorePointQuery(body, contentType)).toThrow(ParseError);
    expect(() => parseRestorePointQuery(body, contentType)).toThrow(message);
  });
});

describe('backupIdOfLinks', () => {
  const link = (rel: string, type: string, href: string) => ({ Rel: rel, Type: type, Href: href, Name: null });
  it('prefers the Up BackupReference link, takes the GUID at the end of its path, lower-cased', () => {
    expect(
      backupIdOfLinks({
        Links: [
          link('Alternate', 'BackupReference', `https://em/api/backups/${WEEKLY}`),
          link('Up', 'BackupReference', `https://em/api/backups/${DAILY.toUpperCase()}?format=Entity`),
        ],
      }),
    ).toBe(DAILY);
  });

  it('falls back to any BackupReference link, and gives undefined without one', () => {
    expect(backupIdOfLinks({ Links: [link('Related', 'BackupReference', `https://em/api/backups/${WEEKLY}`)] })).toBe(
      WEEKLY,
    );
    expect(
      backupIdOfLinks({ Links: [link('Up', 'BackupServerReference', `https://em/api/backupServers/${WEEKLY}`)] }),
    ).toBeUndefined();
    expect(
      backupIdOfLinks({ Links: [link('Up', 'BackupReference', 'https://em/api/backups/not-a-guid')] }),
    ).toBeUndefined();
    expect(backupIdOfLinks({})).toBeUndefined();
  });
});

describe('parseBackupQuery', () => {
  it('reads backup entities with their labels', () => {
    expect(parseBackupQuery(fixture('query-backups.xml'), XML)).toEqual({
      items: [
        {
          id: DAILY,
          name: 'Daily VM Backup',
          platform: 'VMware',
          backupType: 'Standard',
          backupServer: 'vbr01.example.local',
          repository: 'Default Backup Repository',
        },
      ],
      paging: { pagesCount: 1, pageSize: 1000, pageNum: 1 },
    });
  });

  it('refuses a backup without UID: it could not be matched to the one asked for', () => {
    const body = fixture('query-backups.xml').replace(/ UID="[^"]*"/, '');
    expect(() => parseBackupQuery(body, XML)).toThrow(/backup #1 \("Daily VM Backup"\) has no UID/);
  });
});

describe('parseBackupList', () => {
  it('reads /backups?format=Entity, a ParentBackup among them', () => {
    expect(parseBackupList(fixture('backups-list.xml'), XML)).toEqual([
      {
        id: DAILY,
        name: 'Daily VM Backup',
        platform: 'VMware',
        backupType: 'Standard',
        backupServer: 'vbr01.example.local',
        repository: 'Default Backup Repository',
      },
      {
        id: '11111111-2222-4333-8444-555555555555',
        name: 'Agent Policy <Laptops>',
        platform: 'AgentForWindows',
        backupType: 'ParentBackup',
        backupServer: 'vbr01.example.local',
        repository: 'Default Backup Repository',
      },
    ]);
  });

  it('reads EM 12 and EM 13 JSON', () => {
    expect(parseBackupList(fixture('backups-list-v12.json'), JSON_CT)).toEqual([
      {
        id: '3c9e2a41-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
        name: 'Hyper-V Cluster',
        platform: 'HyperV',
        backupType: 'Standard',
        backupServer: 'vbr02.example.local',
        repository: 'SOBR-01',
      },
    ]);
    expect(parseBackupList(fixture('backups-list-v13.json'), JSON_CT)).toEqual([
      {
        id: '66666666-7777-4888-9999-000000000000',
        name: 'Linux Agents - web01',
        platform: 'AgentForLinux',
        backupType: 'ChildBackup',
        backupServer: 'vbr01.example.local',
        repository: 'Default Backup Repository',
      },
    ]);
  });

  it('reads empty lists in every spelling', () => {
    expect(parseBackupList('<Backups xmlns="http://www.veeam.com/ent/v1.0" />', XML)).toEqual([]);
    expect(parseBackupList('{"Backups":[]}', JSON_CT)).toEqual([]);
    expect(parseBackupList('{"backups":null}', JSON_CT)).toEqual([]);
  });

  it('reads the reference list too, leaving platform and type empty', () => {
    const refs = `<EntityReferences xmlns="http://www.veeam.com/ent/v1.0"><Ref UID="urn:veeam:Backup:${DAILY}" Name="Daily" Href="x" Type="BackupReference"><Links /></Ref></EntityReferences>`;
    expect(parseBackupList(refs, XML)).toEqual([
      { id: DAILY, name: 'Daily', platform: '', backupType: '', backupServer: '', repository: '' },
    ]);
  });

  it.each([
    [
      'an Error document',
      '<Error Message="Access denied." StatusCode="403" xmlns="http://www.veeam.com/ent/v1.0"/>',
      XML,
      /Error document: Access denied/,
    ],
    ['another root', '<RestorePoints xmlns="http://www.veeam.com/ent/v1.0"/>', XML, /expected Backups/],
    [
      'JSON without a list',
      '{"Message":"Node [root] does not exist.","StatusCode":400}',
      JSON_CT,
      /Error document: Node \[root\]/,
    ],
    ['JSON of something else', '{"RestorePoints":[]}', JSON_CT, /without a Backups list/],
    ['a bare JSON null', 'null', JSON_CT, /unexpected JSON null/],
    ['a bare JSON array', '[]', JSON_CT, /unexpected JSON array/],
    ['a JSON wrapper without its list', '{"Backups":{}}', JSON_CT, /without a Backups list/],
    [
      'a backup without UID',
      '<Backups xmlns="http://www.veeam.com/ent/v1.0"><Backup Name="x"/></Backups>',
      XML,
      /backup #1 \("x"\) has no UID/,
    ],
    [
      'a backup without Name',
      `<Backups xmlns="http://www.veeam.com/ent/v1.0"><Backup UID="urn:veeam:Backup:${DAILY}"/></Backups>`,
      XML,
      /backup #1 without a Name/,
    ],
  ])('refuses %s', (_, body, contentType, message) => {
    expect(() => parseBackupList(body, contentType)).toThrow(ParseError);
    expect(() => parseBackupList(body, contentType)).toThrow(message);
  });
});
