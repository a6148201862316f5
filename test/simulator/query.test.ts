import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EmSimulator, type SimBackup, type StartedSimulator } from '../../src/simulator/index.js';
import { logon, parseXml, request, type Res } from './helpers.js';

const T0 = Date.UTC(2025, 5, 1, 1, 0, 0);
const DAY = 86_400_000;
const DAILY: SimBackup = {
  id: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
  name: 'Daily VM Backup',
  restorePoints: [T0, T0 + 2 * DAY, T0 + DAY],
};
const WEEKLY: SimBackup = {
  id: '7b6a400c-452c-41d1-bb81-ea682e89492d',
  name: 'Weekly "Archive"',
  platform: 'HyperV',
  restorePoints: [T0 - 7 * DAY],
};
const EMPTY: SimBackup = { id: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', name: 'Empty', restorePoints: [] };
const PARENT: SimBackup = {
  id: '11111111-2222-4333-8444-555555555555',
  name: 'Agent Policy',
  backupType: 'ParentBackup',
  platform: 'AgentForWindows',
  restorePoints: [],
};
const CHILD: SimBackup = {
  id: '66666666-7777-4888-9999-000000000000',
  name: 'Agent Policy - laptop01',
  backupType: 'ChildBackup',
  platform: 'AgentForWindows',
  parentId: PARENT.id,
  restorePoints: [T0 + 3 * DAY],
};
const MANY: SimBackup = {
  id: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
  name: 'Many',
  restorePoints: Array.from({ length: 250 }, (_, i) => T0 - i * 3_600_000),
};

let sim: EmSimulator;
let started: StartedSimulator;
let token: string;
let api: string;

beforeAll(async () => {
  sim = new EmSimulator({ backups: [] });
  started = await sim.start();
  token = await logon(started);
  api = `${started.url}/api`;
});
afterAll(() => sim.stop());
beforeEach(() => {
  sim.setJsonStyle('v12');
  sim.setBackups([DAILY, WEEKLY, EMPTY, PARENT, CHILD]);
  sim.clearFaults();
});

const get = (path: string, json = false): Promise<Res> =>
  request(started, path, { headers: { 'x-restsvcsessionid': token, ...(json ? { accept: 'application/json' } : {}) } });
const query = (params: string, json = false): Promise<Res> => get(`/api/query?${params}`, json);
const uidFilter = (...ids: string[]): string =>
  encodeURIComponent(ids.map((id) => `BackupUid=="urn:veeam:Backup:${id}"`).join(','));

/** `Up BackupReference` target of every restore point in an XML query answer, in answer order. */
function backupsOf(body: string): string[] {
  const result = parseXml(body).QueryResult;
  const points: any[] = result.Entities?.RestorePoints?.RestorePoint ?? result.Refs?.Ref ?? [];
  return points.map((p) =>
    p.Links.Link.find((l: any) => l['@_Type'] === 'BackupReference')
      ['@_Href'].split('/')
      .pop(),
  );
}

describe('GET /api/query?type=RestorePoint, XML', () => {
  it('answers entities with BackupDateUTC and an Up BackupReference link, then PagingInfo', async () => {
    const res = await query(
      `type=RestorePoint&format=Entities&filter=${uidFilter(DAILY.id)}&sortDesc=CreationTime&pageSize=1000&page=1`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatch(
      /^<\?xml version="1.0" encoding="utf-8"\?>\n<QueryResult xmlns="http:\/\/www.veeam.com\/ent\/v1.0"/,
    );
    const result = parseXml(res.body).QueryResult;
    const points = result.Entities.RestorePoints.RestorePoint;
    expect(points.map((p: any) => p.BackupDateUTC)).toEqual([
      '2025-06-03T01:00:00Z',
      '2025-06-02T01:00:00Z',
      '2025-06-01T01:00:00Z',
    ]);
    expect(points[0]['@_Type']).toBe('RestorePoint');
    expect(backupsOf(res.body)).toEqual([DAILY.id, DAILY.id, DAILY.id]);
    expect(points[0].Links.Link[0]).toMatchObject({
      '@_Rel': 'Up',
      '@_Type': 'BackupReference',
      '@_Name': 'Daily VM Backup',
    });
    expect(result.PagingInfo).toMatchObject({ '@_PagesCount': '1', '@_PageSize': '1000', '@_PageNum': '1' });
    expect(result.PagingInfo.Links.Link.map((l: any) => l['@_Rel'])).toEqual(['First', 'Last']);
  });

  it('answers references by default', async () => {
    const res = await query(`type=restorepoint&filter=${uidFilter(WEEKLY.id)}`);
    const result = parseXml(res.body).QueryResult;
    expect(result.Entities).toBeUndefined();
    expect(result.Refs.Ref).toHaveLength(1);
    expect(result.Refs.Ref[0]['@_Type']).toBe('RestorePointReference');
    expect(result.Refs.Ref[0]['@_Name']).toBe('May 25 2025  1:00AM');
  });

  it('pages by 100 when no pageSize is given, as real servers do, with &amp;-escaped paging links', async () => {
    sim.upsertBackup(MANY);
    const res = await query(`type=RestorePoint&format=Entities&filter=${uidFilter(MANY.id)}`);
    const result = parseXml(res.body).QueryResult;
    expect(result.Entities.RestorePoints.RestorePoint).toHaveLength(100);
    expect(result.PagingInfo).toMatchObject({ '@_PagesCount': '3', '@_PageSize': '100', '@_PageNum': '1' });
    expect(res.body).toContain(
      `<Link Href="${api}/query?type=RestorePoint&amp;format=Entities&amp;filter=${uidFilter(MANY.id)}&amp;pageSize=100&amp;page=2" Rel="Next" />`,
    );
  });

  it('serves every page once: pages split the sorted result without gaps or repeats', async () => {
    sim.upsertBackup(MANY);
    const seen: string[] = [];
    const rels: string[][] = [];
    for (const page of [1, 2, 3]) {
      const result = parseXml(
        (
          await query(
            `type=RestorePoint&format=Entities&filter=${uidFilter(MANY.id)}&sortDesc=CreationTime&pageSize=100&page=${page}`,
          )
        ).body,
      ).QueryResult;
      expect(result.PagingInfo['@_PageNum']).toBe(String(page));
      seen.push(...result.Entities.RestorePoints.RestorePoint.map((p: any) => p.BackupDateUTC));
      rels.push(result.PagingInfo.Links.Link.map((l: any) => l['@_Rel']));
    }
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    expect([...seen].sort().reverse()).toEqual(seen);
    expect(rels).toEqual([
      ['First', 'Next', 'Last'],
      ['First', 'Previous', 'Next', 'Last'],
      ['First', 'Previous', 'Last'],
    ]);
    const beyond = parseXml(
      (await query(`type=RestorePoint&format=Entities&filter=${uidFilter(MANY.id)}&pageSize=100&page=4`)).body,
    ).QueryResult;
    expect(beyond.Entities.RestorePoints).toBe('');
    expect(beyond.PagingInfo['@_PageNum']).toBe('4');
  });

  it('ORs backups with , and narrows by CreationTime with ;', async () => {
    const both = await query(
      `type=RestorePoint&format=Entities&filter=${uidFilter(DAILY.id, WEEKLY.id, EMPTY.id)}&sortAsc=CreationTime`,
    );
    expect(backupsOf(both.body)).toEqual([WEEKLY.id, DAILY.id, DAILY.id, DAILY.id]);
    const recent = encodeURIComponent(
      `(BackupUid=="urn:veeam:Backup:${DAILY.id}",BackupName=="Weekly ""Archive""");CreationTime>="2025-06-01T12:00:00Z"`,
    );
    expect(backupsOf((await query(`type=RestorePoint&format=Entities&filter=${recent}`)).body)).toEqual([
      DAILY.id,
      DAILY.id,
    ]);
    const byName = encodeURIComponent('BackupName=="Weekly ""Archive"""');
    expect(backupsOf((await query(`type=RestorePoint&format=Entities&filter=${byName}`)).body)).toEqual([WEEKLY.id]);
  });

  it('includes the restore points of child backups, and none for a backup that has none', async () => {
    expect(
      backupsOf(
        (await query(`type=RestorePoint&format=Entities&filter=${uidFilter(CHILD.id, EMPTY.id, PARENT.id)}`)).body,
      ),
    ).toEqual([CHILD.id]);
    const all = backupsOf((await query('type=RestorePoint&format=Entities&pageSize=1000')).body);
    expect(all.sort()).toEqual([DAILY.id, DAILY.id, DAILY.id, WEEKLY.id, CHILD.id].sort());
  });

  it('keeps one page with PagesCount 1 for an empty result', async () => {
    const result = parseXml(
      (await query(`type=RestorePoint&format=Entities&filter=${uidFilter(EMPTY.id)}&pageSize=10`)).body,
    ).QueryResult;
    expect(result.Entities.RestorePoints).toBe('');
    expect(result.PagingInfo).toMatchObject({ '@_PagesCount': '1', '@_PageNum': '1' });
  });

  it.each([
    ['type=Colour', /Query type \[Colour\] is not supported/],
    ['format=Entities', /Parameter \[type\] is required/],
    ['type=RestorePoint&filter=BackupUid', /Invalid filter/],
    ['type=RestorePoint&filter=Colour==red', /Field \[Colour\] is not supported/],
    ['type=RestorePoint&filter=CreationTime>=soon', /not a valid date/],
    ['type=RestorePoint&sortDesc=Colour', /cannot be sorted/],
    ['type=RestorePoint&pageSize=0', /pageSize\] must be a positive integer/],
    ['type=RestorePoint&page=-1', /page\] must be a positive integer/],
  ])('answers 400 with an Error body to %s', async (params, message) => {
    const res = await query(params);
    expect(res.status).toBe(400);
    expect(parseXml(res.body).Error['@_Message']).toMatch(message);
  });
});

describe('GET /api/query, JSON', () => {
  it('v12: every unused Entities list is null and the used one is nested in itself', async () => {
    const body = JSON.parse(
      (await query(`type=RestorePoint&format=Entities&filter=${uidFilter(WEEKLY.id)}&pageSize=50`, true)).body,
    );
    expect(Object.keys(body)).toEqual(['Refs', 'Entities', 'Resources', 'Links', 'PagingInfo']);
    expect(body.Refs).toBeNull();
    const used = Object.entries(body.Entities).filter(([, v]) => v !== null);
    expect(used.map(([k]) => k)).toEqual(['RestorePoints']);
    expect(Object.keys(body.Entities).length).toBeGreaterThan(5);
    const [point] = body.Entities.RestorePoints.RestorePoints;
    expect(Object.keys(point)).toEqual(['BackupDateUTC', 'Name', 'UID', 'Links', 'Href', 'Type']);
    expect(point.Links[0]).toEqual({
      Rel: 'Up',
      Href: `${api}/backups/${WEEKLY.id}`,
      Name: 'Weekly "Archive"',
      Type: 'BackupReference',
    });
    expect(body.PagingInfo).toMatchObject({ PageNum: 1, PageSize: 50, PagesCount: 1 });
    expect(body.PagingInfo.Links[0]).toEqual({
      Rel: 'First',
      Href: `${api}/query?type=RestorePoint&format=Entities&filter=${uidFilter(WEEKLY.id)}&pageSize=50&page=1`,
      Name: null,
      Type: null,
    });
  });

  it('v12 references: Refs holds a Refs list and Entities is null', async () => {
    const body = JSON.parse((await query(`type=RestorePoint&filter=${uidFilter(WEEKLY.id)}`, true)).body);
    expect(body.Entities).toBeNull();
    expect(body.Refs.Refs).toHaveLength(1);
    expect(body.Refs.Refs[0].Type).toBe('RestorePointReference');
  });

  it('v13: the same in camelCase', async () => {
    sim.setJsonStyle('v13');
    const body = JSON.parse(
      (await query(`type=RestorePoint&format=Entities&filter=${uidFilter(DAILY.id)}&pageSize=2&page=2`, true)).body,
    );
    expect(Object.keys(body)).toEqual(['refs', 'entities', 'resources', 'links', 'pagingInfo']);
    expect(body.entities.restorePoints.restorePoints).toHaveLength(1);
    expect(Object.keys(body.entities.restorePoints.restorePoints[0])).toEqual([
      'backupDateUTC',
      'name',
      'uid',
      'links',
      'href',
      'type',
    ]);
    expect(body.pagingInfo).toMatchObject({ pageNum: 2, pageSize: 2, pagesCount: 2 });
    expect(body.pagingInfo.links.map((l: any) => l.rel)).toEqual(['First', 'Previous', 'Last']);
  });
});

describe('GET /api/query?type=Backup', () => {
  it('finds backups by UID, children included, as entities', async () => {
    const filter = encodeURIComponent(
      [DAILY.id, CHILD.id, '99999999-9999-4999-8999-999999999999']
        .map((id) => `UID=="urn:veeam:Backup:${id}"`)
        .join(','),
    );
    const result = parseXml(
      (await query(`type=Backup&format=Entities&filter=${filter}&pageSize=1000`)).body,
    ).QueryResult;
    const backups = result.Entities.Backups.Backup;
    expect(backups.map((b: any) => b['@_Name']).sort()).toEqual(['Agent Policy - laptop01', 'Daily VM Backup']);
    const child = backups.find((b: any) => b['@_Name'] === 'Agent Policy - laptop01');
    expect(child.BackupType).toBe('ChildBackup');
  });
});

describe('parent and child backups', () => {
  it('lists only top-level backups in /backups; the parent links to its children instead of restore points', async () => {
    const list = parseXml((await get('/api/backups?format=Entity')).body).Backups.Backup;
    expect(list.map((b: any) => b['@_Name'])).toEqual(['Daily VM Backup', 'Weekly "Archive"', 'Empty', 'Agent Policy']);
    const parent = list[3];
    expect(parent.BackupType).toBe('ParentBackup');
    const downs = parent.Links.Link.filter((l: any) => l['@_Rel'] === 'Down');
    expect(downs).toEqual([
      { '@_Href': `${api}/backups/${PARENT.id}/childbackups?format=Entity`, '@_Type': 'BackupList', '@_Rel': 'Down' },
    ]);
  });

  it('serves the children under childbackups, each with an Up link to its parent', async () => {
    const res = await get(`/api/backups/${PARENT.id}/childbackups?format=Entity`);
    expect(res.status).toBe(200);
    const children = parseXml(res.body).Backups.Backup;
    expect(children).toHaveLength(1);
    expect(children[0]['@_UID']).toBe(`urn:veeam:Backup:${CHILD.id}`);
    const up = children[0].Links.Link.filter((l: any) => l['@_Type'] === 'BackupReference' && l['@_Rel'] === 'Up');
    expect(up).toEqual([
      { '@_Href': `${api}/backups/${PARENT.id}`, '@_Name': 'Agent Policy', '@_Type': 'BackupReference', '@_Rel': 'Up' },
    ]);
    expect(parseXml((await get(`/api/backups/${PARENT.id}/childbackups`)).body).EntityReferences.Ref).toHaveLength(1);
  });

  it('answers an empty list for a backup without children and 404 for an unknown one', async () => {
    expect((await get(`/api/backups/${DAILY.id}/childbackups?format=Entity`)).body).toMatch(/<Backups [^>]*\/>/);
    expect((await get('/api/backups/99999999-9999-4999-8999-999999999999/childbackups?format=Entity')).status).toBe(
      404,
    );
  });

  it('serves a child by its ID, as JSON too', async () => {
    const child = JSON.parse((await get(`/api/backups/${CHILD.id}?format=Entity`, true)).body);
    expect(child.BackupType).toBe('ChildBackup');
    expect(child.Links.filter((l: any) => l.Type === 'BackupReference').map((l: any) => l.Rel)).toEqual([
      'Up',
      'Alternate',
    ]);
  });
});

describe('faults by query string', () => {
  it('hits only requests whose query string matches', async () => {
    sim.upsertBackup(MANY);
    sim.addFault({ match: { path: '/api/query', query: /(^|&)page=2(&|$)/ }, status: 500 });
    const base = `type=RestorePoint&format=Entities&filter=${uidFilter(MANY.id)}&pageSize=100`;
    expect((await query(`${base}&page=1`)).status).toBe(200);
    expect((await query(`${base}&page=2`)).status).toBe(500);
    expect((await query(`${base}&page=3`)).status).toBe(200);
  });
});
