import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EmSimulator, generateBackups, type SimBackup, type StartedSimulator } from '../../src/simulator/index.js';
import { logon, parseXml, request, type Res } from './helpers.js';

const T0 = Date.UTC(2025, 5, 1, 1, 0, 0);
const DAY = 86_400_000;
const RP = [T0, T0 + DAY, T0 + 2 * DAY];
const DAILY: SimBackup = {
  id: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
  name: 'Daily VM Backup',
  restorePoints: RP,
  vms: [
    { name: 'web-01', delayMs: 30_000 },
    { name: 'db-02', delayMs: 45_500, inRestorePoints: [T0] },
    { name: 'app-03', displayName: 'app-03 (prod)', omitVmName: true, objRef: null, delayMs: 60_000 },
  ],
};
const OTHER: SimBackup = {
  id: '7b6a400c-452c-41d1-bb81-ea682e89492d',
  name: 'Other',
  restorePoints: [T0 + 3 * DAY],
  vms: [{ name: 'x-01', delayMs: 10_000 }],
};

let sim: EmSimulator;
let started: StartedSimulator;
let token: string;

beforeAll(async () => {
  sim = new EmSimulator({ backups: [] });
  started = await sim.start();
  token = await logon(started);
});
afterAll(() => sim.stop());
beforeEach(() => {
  sim.setJsonStyle('v12');
  sim.setNameStyle('mssql');
  sim.setBackups([DAILY, OTHER]);
});

const get = (path: string, json = false): Promise<Res> =>
  request(started, path, { headers: { 'x-restsvcsessionid': token, ...(json ? { accept: 'application/json' } : {}) } });
const arr = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

async function restorePointIds(backupId: string): Promise<Array<{ id: string; time: string }>> {
  const res = await get(`/api/backups/${backupId}/restorePoints?format=Entity`);
  return arr(parseXml(res.body).RestorePoints.RestorePoint).map((p: any) => ({
    id: String(p['@_UID']).split(':').pop()!,
    time: p.BackupDateUTC,
  }));
}

describe('VM restore points', () => {
  it('lists the VM points of one restore point, each linked Up to it, created after it', async () => {
    const rps = await restorePointIds(DAILY.id);
    const first = rps.find((p) => p.time === '2025-06-01T01:00:00Z')!;
    const res = await get(`/api/restorePoints/${first.id}/vmRestorePoints?format=Entity`);
    expect(res.status).toBe(200);
    const points = arr(parseXml(res.body).VmRestorePoints.VmRestorePoint);
    expect(points.map((p: any) => p['@_VmDisplayName']).sort()).toEqual(['app-03 (prod)', 'db-02', 'web-01']);
    const web = points.find((p: any) => p['@_VmDisplayName'] === 'web-01');
    expect(web.CreationTimeUTC).toBe('2025-06-01T01:00:30Z');
    expect(web.VmName).toBe('web-01');
    expect(web.HierarchyObjRef).toMatch(/^urn:VMware:Vm:[0-9a-f-]{36}\.vm-\d+$/);
    expect(web.PointType).toBe('Full');
    const up = arr(web.Links.Link).find((l: any) => l['@_Type'] === 'RestorePointReference');
    expect(up['@_Rel']).toBe('Up');
    expect(up['@_Href']).toMatch(new RegExp(`/api/restorePoints/${first.id}$`));
    // No VmName and no HierarchyObjRef where EM gives none.
    const app = points.find((p: any) => p['@_VmDisplayName'] === 'app-03 (prod)');
    expect(app.VmName).toBeUndefined();
    expect(app.HierarchyObjRef).toBeUndefined();

    // A VM that skipped the later restore points has no point in them.
    const last = rps.find((p) => p.time === '2025-06-03T01:00:00Z')!;
    const refs = arr(parseXml((await get(`/api/restorePoints/${last.id}/vmRestorePoints`)).body).EntityReferences.Ref);
    expect(refs.map((r: any) => String(r['@_Name']).split('@')[0]).sort()).toEqual(['app-03 (prod)', 'web-01']);
    expect(refs[0]['@_Type']).toBe('VmRestorePointReference');
  });

  it('answers /vmRestorePoints/{id} as reference and entity, 404 for an unknown one', async () => {
    const rps = await restorePointIds(DAILY.id);
    const list = arr(
      parseXml((await get(`/api/restorePoints/${rps[0]!.id}/vmRestorePoints`)).body).EntityReferences.Ref,
    );
    const id = String(list[0]['@_UID']).split(':').pop();
    const entity = parseXml((await get(`/api/vmRestorePoints/${id}?format=Entity`)).body).VmRestorePoint;
    expect(entity['@_UID']).toBe(`urn:veeam:VmRestorePoint:${id}`);
    expect(entity.CreationTimeUTC).toMatch(/^2025-06-0\dT01:0\d:\d\d(\.\d+)?Z$/);
    expect(parseXml((await get(`/api/vmRestorePoints/${id}`)).body).EntityRef['@_Type']).toBe(
      'VmRestorePointReference',
    );
    expect((await get('/api/vmRestorePoints/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await get('/api/restorePoints/00000000-0000-4000-8000-000000000000/vmRestorePoints')).status).toBe(404);
  });

  it('serves type=VmRestorePoint through the query service: CreationTime filter, sort, paging', async () => {
    const filter = encodeURIComponent('CreationTime>="2025-06-02T00:00:00Z"');
    const res = await get(
      `/api/query?type=VmRestorePoint&format=Entities&filter=${filter}&sortDesc=CreationTime&pageSize=2&page=1`,
    );
    expect(res.status).toBe(200);
    const result = parseXml(res.body).QueryResult;
    const points = arr(result.Entities.VmRestorePoints.VmRestorePoint);
    expect(points.map((p: any) => p.CreationTimeUTC)).toEqual(['2025-06-04T01:00:10Z', '2025-06-03T01:01:00Z']);
    expect(result.PagingInfo['@_PagesCount']).toBe('3');
    const page3 = parseXml(
      (
        await get(
          `/api/query?type=VmRestorePoint&format=Entities&filter=${filter}&sortDesc=CreationTime&pageSize=2&page=3`,
        )
      ).body,
    ).QueryResult;
    expect(arr(page3.Entities.VmRestorePoints.VmRestorePoint).map((p: any) => p.CreationTimeUTC)).toEqual([
      '2025-06-02T01:00:30Z',
    ]);
    const asc = parseXml(
      (await get(`/api/query?type=VmRestorePoint&format=Entities&sortAsc=CreationTime&pageSize=100`)).body,
    ).QueryResult;
    const times = arr(asc.Entities.VmRestorePoints.VmRestorePoint).map((p: any) => p.CreationTimeUTC);
    expect(times).toHaveLength(3 + 1 + 3 + 1);
    expect(times[0]).toBe('2025-06-01T01:00:30Z');
    const byVm = await get(`/api/query?type=VmRestorePoint&filter=${encodeURIComponent('VmDisplayName=="db-02"')}`);
    expect(arr(parseXml(byVm.body).QueryResult.Refs.Ref)).toHaveLength(1);
    const bad = await get(`/api/query?type=VmRestorePoint&filter=${encodeURIComponent('BackupUid=="x"')}`);
    expect(bad.status).toBe(400);
  });

  it('speaks JSON v12 (PascalCase, nulls) and v13 (camelCase)', async () => {
    const v12 = JSON.parse(
      (await get('/api/query?type=VmRestorePoint&format=Entities&sortDesc=CreationTime&pageSize=100', true)).body,
    );
    const items = v12.Entities.VmRestorePoints.VmRestorePoints;
    expect(items).toHaveLength(8);
    const app = items.find((p: any) => p.VmDisplayName === 'app-03 (prod)');
    expect(app.VmName).toBeNull();
    expect(app.HierarchyObjRef).toBeNull();
    expect(app.Links.find((l: any) => l.Type === 'RestorePointReference').Rel).toBe('Up');
    sim.setJsonStyle('v13');
    const v13 = JSON.parse((await get('/api/query?type=VmRestorePoint&format=Entities&pageSize=100', true)).body);
    const first = v13.entities.vmRestorePoints.vmRestorePoints[0];
    expect(Object.keys(first)).toEqual(
      expect.arrayContaining(['creationTimeUTC', 'vmName', 'hierarchyObjRef', 'vmDisplayName', 'uid', 'links']),
    );
  });

  it('generated backups have several VMs, some missing the newest points', () => {
    const backups = generateBackups({ count: 12, now: T0 });
    expect(backups.every((b) => (b.vms?.length ?? 0) >= 1)).toBe(true);
    const lagging = backups.filter((b) =>
      b.vms?.some((vm) => vm.inRestorePoints !== undefined && vm.inRestorePoints.length < b.restorePoints.length),
    );
    expect(lagging.length).toBeGreaterThan(0);
  });
});
