import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/em/index.js';
import { parseVmRestorePointQuery, parseVmRestorePoints } from '../../src/em/parse/index.js';
import { jsonRenderer } from '../../src/simulator/json.js';
import { StoredBackup, Views, type Renderer } from '../../src/simulator/model.js';
import { vmPointEntity, vmPointRef } from '../../src/simulator/vm-points.js';
import { xmlRenderer } from '../../src/simulator/xml.js';

const XML = 'application/xml; charset=utf-8';
const JSON_CT = 'application/json';
const T0 = Date.UTC(2025, 5, 1, 1, 0, 0);
const BACKUP = new StoredBackup({
  id: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
  name: 'Daily & <prod>',
  restorePoints: [T0, T0 + 86_400_000],
  vms: [
    { name: 'web-01', delayMs: 30_123, objRef: 'urn:VMware:Vm:7f3a.vm-123' },
    { name: 'app', displayName: 'app (prod)', omitVmName: true, objRef: null, delayMs: 61_000, inRestorePoints: [T0] },
  ],
});

const renderers: Array<[string, Renderer, string]> = [
  ['XML', xmlRenderer, XML],
  ['JSON v12', jsonRenderer('v12'), JSON_CT],
  ['JSON v13', jsonRenderer('v13'), JSON_CT],
];

function expected() {
  return BACKUP.vmPoints().map((p) => ({
    uid: `urn:veeam:VmRestorePoint:${p.id}`,
    restorePointId: p.restorePoint.id,
    timeMs: p.ms,
    vmName: p.vmName ?? p.displayName,
    vmId: p.objRef ?? p.vmName ?? p.displayName,
  }));
}

describe.each(renderers)('VM restore points in %s', (_label, renderer, contentType) => {
  for (const nameStyle of ['mssql', 'postgres'] as const) {
    const views = new Views('https://em01.example.local:9398/api', nameStyle);
    it(`reads a query page of entities to the millisecond (${nameStyle} times)`, () => {
      const body = renderer.queryResult({
        format: 'entities',
        list: 'VmRestorePoints',
        items: BACKUP.vmPoints().map((p) => vmPointEntity(BACKUP, p, views)),
        paging: { pagesCount: 1, pageSize: 1000, pageNum: 1, links: [] },
      });
      const page = parseVmRestorePointQuery(body, contentType);
      expect(page.items).toEqual(expected());
      expect(page.items.find((p) => p.vmName === 'web-01')?.vmId).toBe('urn:VMware:Vm:7f3a.vm-123');
      // No VmName and no HierarchyObjRef: the display name stands for both.
      expect(page.items.find((p) => p.vmName === 'app (prod)')?.vmId).toBe('app (prod)');
      expect(page.paging).toEqual({ pagesCount: 1, pageSize: 1000, pageNum: 1 });
    });
  }

  it('reads the entity list and the references of one restore point', () => {
    const views = new Views('https://em/api', 'mssql');
    const rp = BACKUP.points()[0]!;
    const mine = BACKUP.vmPoints().filter((p) => p.restorePoint.id === rp.id);
    const entities = parseVmRestorePoints(
      renderer.entityList(
        'VmRestorePoints',
        mine.map((p) => vmPointEntity(BACKUP, p, views)),
      ),
      contentType,
    );
    expect(entities.map((p) => p.restorePointId)).toEqual([rp.id, rp.id]);
    // References carry no CreationTimeUTC: the time comes from the Name, to the second.
    const refs = parseVmRestorePoints(renderer.refList(mine.map((p) => vmPointRef(BACKUP, p, views))), contentType);
    expect(refs.map((p) => p.timeMs)).toEqual(mine.map((p) => Math.floor(p.ms / 1000) * 1000));
    expect(refs.map((p) => p.vmName)).toEqual(['web-01', 'app (prod)']);
  });
});

describe('bad VM restore points fail the whole page', () => {
  const page = (item: string) =>
    `<QueryResult xmlns="http://www.veeam.com/ent/v1.0"><Entities><VmRestorePoints>${item}</VmRestorePoints></Entities><PagingInfo PagesCount="1" PageSize="10" PageNum="1"/></QueryResult>`;
  const link =
    '<Links><Link Rel="Up" Type="RestorePointReference" Href="https://em/api/restorePoints/a1b2c3d4-1111-4aaa-8bbb-0123456789ab"/></Links>';

  it('without the Up link to its restore point', () => {
    expect(() =>
      parseVmRestorePointQuery(
        page(
          `<VmRestorePoint UID="urn:veeam:VmRestorePoint:x" VmDisplayName="a"><CreationTimeUTC>2025-06-01T01:00:00Z</CreationTimeUTC></VmRestorePoint>`,
        ),
        XML,
      ),
    ).toThrow(/no Up RestorePointReference link/);
  });
  it('with an unreadable CreationTimeUTC', () => {
    expect(() =>
      parseVmRestorePointQuery(
        page(
          `<VmRestorePoint UID="u" VmDisplayName="a">${link}<CreationTimeUTC>yesterday</CreationTimeUTC></VmRestorePoint>`,
        ),
        XML,
      ),
    ).toThrow(ParseError);
  });
  it('naming no machine', () => {
    expect(() =>
      parseVmRestorePointQuery(
        page(`<VmRestorePoint UID="u">${link}<CreationTimeUTC>2025-06-01T01:00:00Z</CreationTimeUTC></VmRestorePoint>`),
        XML,
      ),
    ).toThrow(/names no machine/);
  });
  it('an answer for another type', () => {
    expect(() =>
      parseVmRestorePointQuery(`<QueryResult><Entities><RestorePoints/></Entities></QueryResult>`, XML),
    ).toThrow(/without VmRestorePoints/);
  });
  it('an empty result is no error', () => {
    expect(
      parseVmRestorePointQuery(
        `{"Refs":null,"Entities":{"VmRestorePoints":{"VmRestorePoints":null}},"PagingInfo":{"PageNum":1,"PageSize":10,"PagesCount":0}}`,
        JSON_CT,
      ).items,
    ).toEqual([]);
  });
  it('a point without UID is keyed by restore point and machine', () => {
    const [p] = parseVmRestorePointQuery(
      page(
        `<VmRestorePoint VmDisplayName="a">${link}<CreationTimeUTC>2025-06-01T01:00:00.5Z</CreationTimeUTC><VmName>a</VmName></VmRestorePoint>`,
      ),
      XML,
    ).items;
    expect(p).toEqual({
      uid: 'a1b2c3d4-1111-4aaa-8bbb-0123456789ab/a',
      restorePointId: 'a1b2c3d4-1111-4aaa-8bbb-0123456789ab',
      timeMs: Date.UTC(2025, 5, 1, 1, 0, 0, 500),
      vmName: 'a',
      vmId: 'a',
    });
  });
});
