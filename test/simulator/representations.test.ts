import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EmSimulator, generateBackups, type SimBackup, type StartedSimulator } from '../../src/simulator/index.js';
import { extraMicros } from '../../src/simulator/names.js';
import { isWellFormedXml, logon, parseXml, request, type Res } from './helpers.js';

const DAILY: SimBackup = {
  id: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
  name: 'Daily VM Backup',
  platform: 'HyperV',
  backupType: 'ChildBackup',
  backupServer: 'vbr07.corp.local',
  repository: 'Repo & Co',
  restorePoints: [Date.UTC(2025, 5, 5, 1, 1, 27, 110), Date.UTC(2025, 4, 27, 12, 55, 3, 0)],
};
const SPECIAL: SimBackup = {
  id: '7B6A400C-452C-41D1-BB81-EA682E89492D', // upper-case on purpose: stored and served lower-case
  name: `SQL & "Exchange" <prod> 'eu'`,
  restorePoints: [],
};
const URL_ID = '7b6a400c-452c-41d1-bb81-ea682e89492d';

let sim: EmSimulator;
let started: StartedSimulator;
let token: string;
let api: string;

beforeAll(async () => {
  sim = new EmSimulator({ backups: [DAILY, SPECIAL] });
  started = await sim.start();
  token = await logon(started);
  api = `${started.url}/api`;
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  sim.setJsonStyle('v12');
  sim.setNameStyle('mssql');
  sim.setBackups([DAILY, SPECIAL]);
});

const get = (path: string, headers: Record<string, string> = {}): Promise<Res> =>
  request(started, path, { headers: { 'x-restsvcsessionid': token, ...headers } });
const getJson = async (path: string): Promise<any> => {
  const res = await get(path, { accept: 'application/json' });
  expect(res.headers['content-type']).toBe('application/json');
  return JSON.parse(res.body);
};

describe('XML', () => {
  it('lists backups as EntityReferences of BackupReference refs, attributes in server order', async () => {
    const res = await get('/api/backups');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(
      res.body.startsWith(
        '<?xml version="1.0" encoding="utf-8"?>\n<EntityReferences xmlns="http://www.veeam.com/ent/v1.0" xmlns:xsd=',
      ),
    ).toBe(true);
    expect(res.body).toContain(
      `<Ref UID="urn:veeam:Backup:${DAILY.id}" Name="Daily VM Backup" Href="${api}/backups/${DAILY.id}" Type="BackupReference">`,
    );
    expect(res.body).toMatch(
      /<Link Href="[^"]+\/repositories\/[^"]+" Name="Repo &amp; Co" Type="RepositoryReference" Rel="Up" \/>/,
    );
    const refs = parseXml(res.body).EntityReferences.Ref;
    expect(refs.map((r: any) => r['@_UID'])).toEqual([`urn:veeam:Backup:${DAILY.id}`, `urn:veeam:Backup:${URL_ID}`]);
    const down = refs[0].Links.Link.find((l: any) => l['@_Rel'] === 'Down');
    expect(down).toEqual({
      '@_Href': `${api}/backups/${DAILY.id}/restorePoints`,
      '@_Type': 'RestorePointReferenceList',
      '@_Rel': 'Down',
    });
  });

  it('serves one backup as EntityRef, and as a Backup entity with ?format=Entity', async () => {
    const ref = parseXml((await get(`/api/backups/${DAILY.id}`)).body).EntityRef;
    expect(ref['@_Type']).toBe('BackupReference');
    expect(ref['@_Href']).toBe(`${api}/backups/${DAILY.id}`);

    const res = await get(`/api/backups/${DAILY.id}?format=Entity`);
    expect(res.body).toContain(
      `<Backup xmlns="http://www.veeam.com/ent/v1.0" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" Href="${api}/backups/${DAILY.id}?format=Entity" Type="Backup" Name="Daily VM Backup" UID="urn:veeam:Backup:${DAILY.id}">`,
    );
    const b = parseXml(res.body).Backup;
    expect(b.Platform).toBe('HyperV');
    expect(b.BackupType).toBe('ChildBackup');
    const ups = b.Links.Link.filter((l: any) => l['@_Rel'] === 'Up').map((l: any) => [l['@_Type'], l['@_Name']]);
    expect(ups).toEqual([
      ['RepositoryReference', 'Repo & Co'],
      ['BackupServerReference', 'vbr07.corp.local'],
    ]);
  });

  it('applies defaults for platform, type, server and repository', async () => {
    const b = parseXml((await get(`/api/backups/${URL_ID}?format=Entity`)).body).Backup;
    expect([b.Platform, b.BackupType]).toEqual(['VMware', 'Standard']);
    const names = b.Links.Link.filter((l: any) => l['@_Rel'] === 'Up').map((l: any) => l['@_Name']);
    expect(names).toEqual(['Default Backup Repository', 'vbr01.example.local']);
  });

  it('lists backups as entities with ?format=Entity', async () => {
    const list = parseXml((await get('/api/backups?format=Entity')).body).Backups.Backup;
    expect(list.map((b: any) => b['@_Name'])).toEqual([DAILY.name, SPECIAL.name]);
  });

  it('lists restore points as references with SQL Server style names', async () => {
    const res = await get(`/api/backups/${DAILY.id}/restorePoints`);
    const refs = parseXml(res.body).EntityReferences.Ref;
    expect(refs.map((r: any) => r['@_Name'])).toEqual(['Jun  5 2025  1:01AM', 'May 27 2025 12:55PM']);
    expect(refs.every((r: any) => r['@_Type'] === 'RestorePointReference')).toBe(true);
    expect(refs[0]['@_UID']).toMatch(/^urn:veeam:RestorePoint:[0-9a-f-]{36}$/);
    expect(refs[0]['@_Href']).toBe(`${api}/restorePoints/${refs[0]['@_UID'].slice('urn:veeam:RestorePoint:'.length)}`);
    expect(refs[0].Links.Link.find((l: any) => l['@_Type'] === 'BackupReference')['@_Name']).toBe(DAILY.name);
  });

  it('lists restore points as RestorePoint entities with BackupDateUTC', async () => {
    const res = await get(`/api/backups/${DAILY.id}/restorePoints?format=Entity`);
    const rps = parseXml(res.body).RestorePoints.RestorePoint;
    expect(rps.map((r: any) => r.BackupDateUTC)).toEqual(['2025-06-05T01:01:27.11Z', '2025-05-27T12:55:03Z']);
    expect(rps.map((r: any) => r['@_Type'])).toEqual(['RestorePoint', 'RestorePoint']);
    expect(rps[0]['@_Href']).toMatch(/\?format=Entity$/);
    expect(res.body).toMatch(
      /<RestorePoint Href="[^"]+" Type="RestorePoint" Name="Jun  5 2025  1:01AM" UID="urn:veeam:RestorePoint:/,
    );
  });

  it('switches to PostgreSQL style names at run time', async () => {
    sim.setNameStyle('postgres');
    const refs = parseXml((await get(`/api/backups/${DAILY.id}/restorePoints`)).body).EntityReferences.Ref;
    const micros = (ref: any, ms: number): string => {
      const extra = extraMicros(ref['@_UID'].slice('urn:veeam:RestorePoint:'.length));
      const v = ms * 1000 + extra;
      return v === 0 ? '' : '.' + String(v).padStart(6, '0').replace(/0+$/, '');
    };
    expect(refs[0]['@_Name']).toBe(`2025-06-05 01:01:27${micros(refs[0], 110)}`);
    expect(refs[1]['@_Name']).toBe(`2025-05-27 12:55:03${micros(refs[1], 0)}`);
    expect(refs[0]['@_Name']).toMatch(/^2025-06-05 01:01:27\.11\d{0,4}$/);
    const rps = parseXml((await get(`/api/backups/${DAILY.id}/restorePoints?format=Entity`)).body).RestorePoints
      .RestorePoint;
    expect(rps.map((r: any) => r.BackupDateUTC)).toEqual(
      refs.map((r: { '@_Name': string }) => `${r['@_Name'].replace(' ', 'T')}Z`),
    );
  });

  it('keeps restore point IDs stable across requests and simulators', async () => {
    const uids = async (s: StartedSimulator, t: string): Promise<string[]> =>
      parseXml(
        (await request(s, `/api/backups/${DAILY.id}/restorePoints`, { headers: { 'x-restsvcsessionid': t } })).body,
      ).EntityReferences.Ref.map((r: any) => r['@_UID']);
    const first = await uids(started, token);
    expect(new Set(first).size).toBe(2);
    expect(await uids(started, token)).toEqual(first);
    const other = new EmSimulator({ backups: [DAILY] });
    const s2 = await other.start();
    try {
      expect(await uids(s2, await logon(s2))).toEqual(first);
    } finally {
      await other.stop();
    }
  });

  it('renders empty lists as empty elements', async () => {
    const res = await get(`/api/backups/${URL_ID}/restorePoints?format=Entity`);
    expect(res.body).toContain(
      '<RestorePoints xmlns="http://www.veeam.com/ent/v1.0" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" />',
    );
  });

  it('escapes names with markup and quotes, which parse back unchanged', async () => {
    const res = await get('/api/backups');
    expect(res.body).toContain(`Name="SQL &amp; &quot;Exchange&quot; &lt;prod&gt; 'eu'"`);
    expect(isWellFormedXml(res.body)).toBe(true);
    expect(parseXml(res.body).EntityReferences.Ref[1]['@_Name']).toBe(SPECIAL.name);
  });

  it('still produces well-formed XML from names with control characters', async () => {
    sim.upsertBackup({ ...SPECIAL, name: 'bad\u0001name\u0000' });
    const res = await get(`/api/backups/${URL_ID}?format=Entity`);
    expect(isWellFormedXml(res.body)).toBe(true);
    expect(parseXml(res.body).Backup['@_Name']).toBe('badname');
  });

  it('builds hrefs from the Host header', async () => {
    const res = await request(started, '/api/backups', {
      servername: 'localhost',
      headers: { 'x-restsvcsessionid': token, host: 'em01.example.local:9398' },
    });
    expect(parseXml(res.body).EntityReferences.Ref[0]['@_Href']).toBe(
      `https://em01.example.local:9398/api/backups/${DAILY.id}`,
    );
  });
});

describe('format parameter', () => {
  it.each(['format=Entity', 'format=entity', 'FORMAT=ENTITY'])('recognises %s', async (q) => {
    const res = await get(`/api/backups/${DAILY.id}/restorePoints?${q}`);
    expect(Object.keys(parseXml(res.body))).toContain('RestorePoints');
  });

  it('answers entity requests with references when told to ignore them', async () => {
    const old = new EmSimulator({ backups: [DAILY], ignoreEntityFormat: true });
    const s = await old.start();
    try {
      const res = await request(s, `/api/backups/${DAILY.id}/restorePoints?format=Entity`, {
        headers: { 'x-restsvcsessionid': await logon(s) },
      });
      expect(parseXml(res.body).EntityReferences.Ref).toHaveLength(2);
    } finally {
      await old.stop();
    }
  });
});

describe('JSON', () => {
  it('v12: PascalCase, documented property order, explicit nulls', async () => {
    const body = await getJson(`/api/backups/${DAILY.id}/restorePoints?format=Entity`);
    expect(Object.keys(body)).toEqual(['RestorePoints']);
    const rp = body.RestorePoints[0];
    expect(Object.keys(rp)).toEqual(['BackupDateUTC', 'Name', 'UID', 'Links', 'Href', 'Type']);
    expect(rp.BackupDateUTC).toBe('2025-06-05T01:01:27.11Z');
    expect(Object.keys(rp.Links[0])).toEqual(['Rel', 'Href', 'Name', 'Type']);
    expect(rp.Links.find((l: any) => l.Rel === 'Down')).toMatchObject({
      Name: null,
      Type: 'VmRestorePointReferenceList',
    });

    const refs = await getJson(`/api/backups/${DAILY.id}/restorePoints`);
    expect(Object.keys(refs)).toEqual(['Refs']);
    expect(Object.keys(refs.Refs[0])).toEqual(['Links', 'UID', 'Name', 'Href', 'Type']);

    const backup = await getJson(`/api/backups/${DAILY.id}?format=Entity`);
    expect(Object.keys(backup)).toEqual(['Platform', 'BackupType', 'Name', 'UID', 'Links', 'Href', 'Type']);
    expect(backup.Links[0]).toEqual({
      Rel: 'Up',
      Href: expect.stringMatching(/\/api\/repositories\//),
      Name: 'Repo & Co',
      Type: 'RepositoryReference',
    });
  });

  it('v13: camelCase by the .NET policy', async () => {
    sim.setJsonStyle('v13');
    const body = await getJson(`/api/backups/${DAILY.id}/restorePoints?format=Entity`);
    expect(Object.keys(body)).toEqual(['restorePoints']);
    expect(Object.keys(body.restorePoints[0])).toEqual(['backupDateUTC', 'name', 'uid', 'links', 'href', 'type']);
    expect(Object.keys(body.restorePoints[0].links[0])).toEqual(['rel', 'href', 'name', 'type']);
    expect(body.restorePoints[0].type).toBe('RestorePoint'); // values keep their case
    const refs = await getJson(`/api/backups/${DAILY.id}/restorePoints`);
    expect(Object.keys(refs)).toEqual(['refs']);
    expect(Object.keys(refs.refs[0])).toEqual(['links', 'uid', 'name', 'href', 'type']);
    const list = await getJson('/api/backups?format=Entity');
    expect(Object.keys(list.backups[0])).toEqual(['platform', 'backupType', 'name', 'uid', 'links', 'href', 'type']);
  });

  it('keeps special characters intact', async () => {
    const list = await getJson('/api/backups');
    expect(list.Refs[1].Name).toBe(SPECIAL.name);
  });

  it('renders errors in both casings', async () => {
    const v12 = await get('/api/backups/00000000-0000-0000-0000-000000000000', { accept: 'application/json' });
    expect(v12.status).toBe(404);
    expect(Object.keys(JSON.parse(v12.body))).toEqual([
      'FirstChanceExceptionMessage',
      'Message',
      'StackTrace',
      'Status',
      'StatusCode',
    ]);
    expect(JSON.parse(v12.body)).toMatchObject({ StackTrace: null, Status: null, StatusCode: 404 });
    sim.setJsonStyle('v13');
    const v13 = await get('/api/backups/00000000-0000-0000-0000-000000000000', {
      accept: 'text/plain, application/json;q=0.9',
    });
    expect(Object.keys(JSON.parse(v13.body))).toEqual([
      'firstChanceExceptionMessage',
      'message',
      'stackTrace',
      'status',
      'statusCode',
    ]);
  });

  it('speaks XML unless Accept names application/json', async () => {
    const res = await get('/api/backups', { accept: 'application/xml' });
    expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(isWellFormedXml(res.body)).toBe(true);
  });
});

describe('not found and wrong methods', () => {
  const error = (res: Res): any => parseXml(res.body).Error;

  it.each([
    ['an unknown GUID', '/api/backups/00000000-0000-0000-0000-000000000000'],
    [
      'restore points of an unknown GUID',
      '/api/backups/00000000-0000-0000-0000-000000000000/restorePoints?format=Entity',
    ],
    ['a URN instead of a GUID', `/api/backups/urn:veeam:Backup:${DAILY.id}`],
    ['a percent-encoded URN', `/api/backups/urn%3Aveeam%3ABackup%3A${DAILY.id}`],
    ['something that is no GUID', '/api/backups/daily'],
    ['an unknown path', '/api/jobs'],
    ['a deeper unknown path', `/api/backups/${DAILY.id}/backupFiles`],
  ])('answers 404 with an Error body for %s', async (_label, path) => {
    const res = await get(path);
    expect(res.status).toBe(404);
    expect(error(res)['@_StatusCode']).toBe('404');
    expect(error(res).FirstChanceExceptionMessage).toBe(error(res)['@_Message']);
  });

  it('answers 404 outside /api even without a session', async () => {
    expect((await request(started, '/')).status).toBe(404);
    expect((await request(started, '/metrics')).status).toBe(404);
  });

  it('accepts upper-case GUIDs and a trailing slash', async () => {
    expect((await get(`/api/backups/${URL_ID.toUpperCase()}/`)).status).toBe(200);
  });

  it('answers 405 with an Allow header to a wrong method', async () => {
    const res = await request(started, '/api/backups', { method: 'POST', headers: { 'x-restsvcsessionid': token } });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET');
    expect(error(res)['@_StatusCode']).toBe('405');
  });

  it('follows upsertBackup, removeBackup and setBackups', async () => {
    sim.removeBackup(DAILY.id.toUpperCase());
    expect((await get(`/api/backups/${DAILY.id}`)).status).toBe(404);
    sim.upsertBackup({ ...DAILY, name: 'Renamed', restorePoints: [0] });
    expect(parseXml((await get(`/api/backups/${DAILY.id}`)).body).EntityRef['@_Name']).toBe('Renamed');
    expect(parseXml((await get(`/api/backups/${DAILY.id}/restorePoints`)).body).EntityReferences.Ref).toHaveLength(1);
    sim.setBackups([]);
    expect((await get(`/api/backups/${DAILY.id}`)).status).toBe(404);
    expect((await get('/api/backups')).body).toContain(
      '<EntityReferences xmlns="http://www.veeam.com/ent/v1.0" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" />',
    );
  });
});

describe('scale', () => {
  it('serves 10,000 backups and one restore point list among them', async () => {
    const many = generateBackups({ count: 10_000, now: Date.UTC(2025, 5, 6) });
    sim.setBackups(many);
    const last = many.at(-1)!;
    const refs = await getJson('/api/backups');
    expect(refs.Refs).toHaveLength(10_000);
    const rps = await getJson(`/api/backups/${last.id}/restorePoints?format=Entity`);
    expect(rps.RestorePoints).toHaveLength(last.restorePoints.length);
    expect(rps.RestorePoints.map((r: any) => Date.parse(r.BackupDateUTC))).toEqual(last.restorePoints);
  });
});
