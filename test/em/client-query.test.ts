import https from 'node:https';
import { describe, expect, it } from 'vitest';
import type { RestorePoint } from '../../src/domain.js';
import type { BackupOutcome } from '../../src/em/index.js';
import { stableGuid, type EmSimulator, type SimBackup, type StartedSimulator } from '../../src/simulator/index.js';
import { BACKUP_A, BACKUP_B, MISSING, POINTS_A, PASSWORD, USER, startHarness } from './client-harness.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 5, 7, 1, 0, 0);

/** `n` backups with `points(i)` restore points each, IDs stable per `seed`. */
function manyBackups(n: number, points: (i: number) => number, seed = 'q'): SimBackup[] {
  return Array.from({ length: n }, (_, i) => ({
    id: stableGuid(`${seed}:${i}`),
    name: `Job ${i}`,
    restorePoints: Array.from({ length: points(i) }, (_, p) => T0 - (i * 7 + p) * HOUR),
  }));
}

const queries = (sim: EmSimulator) => sim.requests().filter((r) => r.url.startsWith('/api/query?'));
const params = (url: string) => new URLSearchParams(url.slice(url.indexOf('?') + 1));
/** Backup IDs a query request's filter names. */
const idsOf = (url: string) =>
  [...(params(url).get('filter') ?? '').matchAll(/urn:veeam:Backup:([0-9a-f-]{36})/g)].map((m) => m[1]!);
const times = (outcome: BackupOutcome<RestorePoint[]> | undefined) => {
  if (outcome?.ok !== true) throw new Error(`expected points, got ${JSON.stringify(outcome)}`);
  return outcome.value.map((p) => p.timeMs).sort((a, b) => a - b);
};
const failure = <T>(outcome: BackupOutcome<T> | undefined) => {
  if (outcome?.ok !== false) throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome.error;
};

describe('EM client: restore points through the query service', () => {
  it.each([
    ['XML', 'xml', 'v12'],
    ['JSON v12', 'json', 'v12'],
    ['JSON v13', 'json', 'v13'],
  ] as const)('gives each backup its own points, [] to one without any (%s)', async (_, format, jsonStyle) => {
    const { sim, makeClient, api } = await startHarness({ jsonStyle });
    const client = makeClient({ format });
    const result = await client.queryRestorePoints([BACKUP_A, `urn:veeam:Backup:${BACKUP_B.toUpperCase()}`]);
    expect([...result.keys()].sort()).toEqual([BACKUP_A, BACKUP_B].sort());
    expect(times(result.get(BACKUP_A))).toEqual(POINTS_A);
    expect(times(result.get(BACKUP_B))).toEqual([]);
    const [request] = queries(sim);
    expect(queries(sim)).toHaveLength(1);
    const p = params(request!.url);
    expect(Object.fromEntries(p)).toMatchObject({
      type: 'RestorePoint',
      format: 'Entities',
      sortDesc: 'CreationTime',
      pageSize: '1000',
      page: '1',
    });
    expect(p.get('filter')).toBe(`BackupUid=="urn:veeam:Backup:${BACKUP_A}",BackupUid=="urn:veeam:Backup:${BACKUP_B}"`);
    expect(api.filter((c) => c.endpoint === 'query').map((c) => c.code)).toEqual([200]);
  });

  it('reads every page, fetched through the runner it is given', async () => {
    const { sim, makeClient } = await startHarness({ backups: manyBackups(3, () => 9) });
    const client = makeClient({ queryPageSize: 10 });
    let ran = 0;
    const ids = manyBackups(3, () => 0).map((b) => b.id);
    const result = await client.queryRestorePoints(ids, (task) => {
      ran++;
      return task();
    });
    for (const id of ids) expect(times(result.get(id))).toHaveLength(9);
    expect(
      queries(sim)
        .map((r) => params(r.url).get('page'))
        .sort(),
    ).toEqual(['1', '2', '3']);
    expect(queries(sim).every((r) => params(r.url).get('pageSize') === '10')).toBe(true);
    expect(ran).toBe(3);
  });

  it('keeps URLs under 8 KB: 500 backups go out in several requests, each backup in exactly one', async () => {
    const backups = manyBackups(500, (i) => i % 3);
    const { sim, makeClient } = await startHarness({ backups });
    const result = await makeClient().queryRestorePoints(backups.map((b) => b.id));
    const requests = queries(sim);
    expect(requests.length).toBeGreaterThan(1);
    expect(
      requests.every(
        (r) => r.url.length + sim.requests()[0]!.headers.host!.toString().length + 'https://'.length < 8000,
      ),
    ).toBe(true);
    const asked = requests.flatMap((r) => idsOf(r.url));
    expect(asked.sort()).toEqual(backups.map((b) => b.id).sort());
    backups.forEach((b, i) => expect(times(result.get(b.id))).toHaveLength(i % 3));
  });

  it("fails only the backups whose request lost a page, with that page's reason", async () => {
    // About 84 backups fit in one request: only the first request, which holds the big backup, has a page 2.
    const backups = manyBackups(200, (i) => (i === 0 ? 150 : 1));
    const { sim, makeClient } = await startHarness({ backups });
    sim.addFault({ match: { path: '/api/query', query: /(^|&)page=2(&|$)/ }, status: 503 });
    const result = await makeClient({ queryPageSize: 100, retries: 0 }).queryRestorePoints(backups.map((b) => b.id));
    expect(queries(sim).filter((r) => params(r.url).get('page') === '2')).toHaveLength(1);
    const failedRequest = queries(sim).find((r) => params(r.url).get('page') === '2');
    const hit = new Set(idsOf(failedRequest!.url));
    expect(hit.has(backups[0]!.id)).toBe(true);
    expect(hit.size).toBeLessThan(backups.length);
    for (const b of backups) {
      const outcome = result.get(b.id);
      if (hit.has(b.id)) {
        const error = failure(outcome);
        expect(error.reason).toBe('http_5xx');
        expect(error.message).toMatch(
          new RegExp(`^em "em01": backup ${b.id}: query restore points \\(page 2 of \\d+\\): EM answered 503`),
        );
      } else {
        expect(times(outcome)).toHaveLength(1);
      }
    }
  });

  it('refuses a result whose page count changes between pages: nothing of it is used', async () => {
    const { sim, started, makeClient } = await startHarness({ backups: manyBackups(1, () => 25) });
    const client = makeClient({ queryPageSize: 10 });
    const [id] = manyBackups(1, () => 0).map((b) => b.id);
    // Page 2 as EM would answer it once more points arrived: one page more than page 1 said.
    const page2 = await rawPage(started, id!, 10, 2);
    sim.addFault({
      match: { path: '/api/query', query: /(^|&)page=2(&|$)/ },
      body: { raw: page2.replace('PagesCount="3"', 'PagesCount="4"') },
    });
    const error = failure((await client.queryRestorePoints([id!])).get(id!));
    expect(error.reason).toBe('parse');
    expect(error.message).toMatch(
      /page 2 reports 4 pages, page 1 reported 3: the result changed while its pages were read/,
    );
  });

  it('refuses a page short of the page size before the last one: items may be missing', async () => {
    const { sim, started, makeClient } = await startHarness({ backups: manyBackups(1, () => 25) });
    const [id] = manyBackups(1, () => 0).map((b) => b.id);
    const page2 = await rawPage(started, id!, 10, 2);
    const short = page2.replace(/\s*<RestorePoint [\s\S]*?<\/RestorePoint>/, '');
    sim.addFault({ match: { path: '/api/query', query: /(^|&)page=2(&|$)/ }, body: { raw: short } });
    const error = failure((await makeClient({ queryPageSize: 10 }).queryRestorePoints([id!])).get(id!));
    expect(error.message).toMatch(/page 2 of 3 holds 9 items, not a full page of 10/);
  });

  it('refuses a full page without PagingInfo, and follows Next links when PagesCount is missing', async () => {
    const { sim, started, makeClient } = await startHarness({ backups: manyBackups(1, () => 15) });
    const [id] = manyBackups(1, () => 0).map((b) => b.id);
    const page1 = await rawPage(started, id!, 10, 1);
    sim.addFault({
      match: { path: '/api/query', query: /(^|&)page=1(&|$)/ },
      body: { raw: page1.replace(/<PagingInfo[\s\S]*<\/PagingInfo>/, '') },
      times: 1,
    });
    const client = makeClient({ queryPageSize: 10 });
    expect(failure((await client.queryRestorePoints([id!])).get(id!)).message).toMatch(
      /page 1 is full \(10 items\) but has neither a Next link nor a PagesCount, so the list cannot be proven complete/,
    );

    sim.clearFaults();
    sim.clearRequests();
    sim.addFault({
      match: { path: '/api/query', query: /(^|&)page=1(&|$)/ },
      body: { raw: page1.replace(' PagesCount="2"', '') },
      times: 1,
    });
    expect(times((await client.queryRestorePoints([id!])).get(id!))).toHaveLength(15);
    expect(queries(sim).map((r) => params(r.url).get('page'))).toEqual(['1', '2']);
  });

  it('never exports a partial list: a second full page without PagesCount or Next fails the backup, not 20 of 25 points', async () => {
    const { sim, started, makeClient } = await startHarness({ backups: manyBackups(1, () => 25) });
    const [id] = manyBackups(1, () => 0).map((b) => b.id);
    const page1 = await rawPage(started, id!, 10, 1);
    const page2 = await rawPage(started, id!, 10, 2);
    const noCount = (page: string) => page.replace(/ PagesCount="\d+"/, '');
    // Page 1 links page 2; page 2 is full but links nothing further, and no page tells the count.
    sim.addFault({ match: { path: '/api/query', query: /(^|&)page=1(&|$)/ }, body: { raw: noCount(page1) } });
    sim.addFault({
      match: { path: '/api/query', query: /(^|&)page=2(&|$)/ },
      body: { raw: noCount(page2).replace(/\s*<Link [^>]*Rel="Next"[^>]*\/>/, '') },
    });
    const client = makeClient({ queryPageSize: 10 });
    sim.clearRequests();
    const error = failure((await client.queryRestorePoints([id!])).get(id!));
    expect(error.reason).toBe('parse');
    expect(error.message).toMatch(
      /page 2 is full \(10 items\) but has neither a Next link nor a PagesCount, so the list cannot be proven complete/,
    );
    expect(queries(sim).map((r) => params(r.url).get('page'))).toEqual(['1', '2']);

    // A page short of the page size that still links a Next page: items moved while reading.
    sim.clearFaults();
    sim.addFault({
      match: { path: '/api/query', query: /(^|&)page=1(&|$)/ },
      body: { raw: noCount(page1).replace(/\s*<RestorePoint [\s\S]*?<\/RestorePoint>/, '') },
    });
    expect(failure((await client.queryRestorePoints([id!])).get(id!)).message).toMatch(
      /page 1 holds 9 items, not a full page of 10, yet links a Next page/,
    );

    // Once EM pages properly again, every point is there.
    sim.clearFaults();
    expect(times((await client.queryRestorePoints([id!])).get(id!))).toHaveLength(25);
  });

  it('refuses a later page that reports another page size than page 1', async () => {
    const { sim, started, makeClient } = await startHarness({ backups: manyBackups(1, () => 25) });
    const [id] = manyBackups(1, () => 0).map((b) => b.id);
    const page3 = await rawPage(started, id!, 10, 3);
    sim.addFault({
      match: { path: '/api/query', query: /(^|&)page=3(&|$)/ },
      body: { raw: page3.replace('PageSize="10"', 'PageSize="5"') },
    });
    const error = failure((await makeClient({ queryPageSize: 10 }).queryRestorePoints([id!])).get(id!));
    expect(error.message).toMatch(/page 3 reports a page size of 5, page 1 reported 10/);
  });

  it('counts a point that moved to the next page while the pages were read once', async () => {
    const [backup] = manyBackups(1, () => 25);
    const { sim, started, makeClient } = await startHarness({ backups: [backup!] });
    const page1 = await rawPage(started, backup!.id, 10, 1);
    // A new point arrives after page 1 was read: newest first, every later point moves down by one,
    // so the last point of page 1 is the first of page 2. Still three pages.
    sim.upsertBackup({ ...backup!, restorePoints: [T0 + HOUR, ...backup!.restorePoints] });
    sim.addFault({ match: { path: '/api/query', query: /(^|&)page=1(&|$)/ }, body: { raw: page1 } });
    const result = await makeClient({ queryPageSize: 10 }).queryRestorePoints([backup!.id]);
    expect(times(result.get(backup!.id))).toEqual([...backup!.restorePoints].sort((a, b) => a - b));
  });

  it('refuses points that name no backup when several were asked for', async () => {
    const { sim, started, makeClient } = await startHarness();
    const page = await rawPage(started, BACKUP_A, 1000, 1);
    sim.addFault({
      match: { path: '/api/query' },
      body: { raw: page.replace(/<Link [^>]*Type="BackupReference"[^>]*\/>/g, '') },
    });
    const client = makeClient();
    const result = await client.queryRestorePoints([BACKUP_A, BACKUP_B]);
    expect(failure(result.get(BACKUP_B)).message).toMatch(
      /^em "em01": backup 7b6a400c-[^:]*: query restore points: restore point #1 .*has no BackupReference link/,
    );
    // Asked for one backup, the points can only be its own.
    expect(times((await client.queryRestorePoints([BACKUP_A])).get(BACKUP_A))).toEqual(POINTS_A);
  });

  it('says so when EM has no query service', async () => {
    const { sim, makeClient } = await startHarness();
    sim.addFault({ match: { path: '/api/query' }, status: 404 });
    const error = failure((await makeClient().queryRestorePoints([BACKUP_A])).get(BACKUP_A));
    expect(error.reason).toBe('http_4xx');
    expect(error.message).toMatch(/no query service here.*restorePoints: entity/);
  });

  it('words a failed logon for each backup', async () => {
    const { makeClient } = await startHarness({ users: [{ username: USER, password: `${PASSWORD}-changed` }] });
    const result = await makeClient().queryRestorePoints([BACKUP_A, BACKUP_B]);
    for (const id of [BACKUP_A, BACKUP_B]) {
      const error = failure(result.get(id));
      expect(error.reason).toBe('auth');
      expect(error.message.startsWith(`em "em01": backup ${id}: logon as "${USER}" refused`)).toBe(true);
    }
  });
});

describe('EM client: backups through the query service', () => {
  it('gives metadata of the backups EM knows and not_found for the others', async () => {
    const { sim, makeClient } = await startHarness({ jsonStyle: 'v13' });
    const result = await makeClient({ format: 'json' }).queryBackups([BACKUP_B, MISSING]);
    expect(result.get(BACKUP_B)).toEqual({
      ok: true,
      value: {
        id: BACKUP_B,
        name: 'Weekly & Monthly',
        platform: 'HyperV',
        backupType: 'Standard',
        backupServer: 'vbr02.example.local',
        repository: 'SOBR-01',
      },
    });
    const error = failure(result.get(MISSING));
    expect(error.reason).toBe('not_found');
    expect(error.message).toMatch(
      new RegExp(`^em "em01": backup ${MISSING}: query backups: EM does not return this backup`),
    );
    expect(Object.fromEntries(params(queries(sim)[0]!.url))).toMatchObject({
      type: 'Backup',
      format: 'Entities',
      filter: `UID=="urn:veeam:Backup:${BACKUP_B}",UID=="urn:veeam:Backup:${MISSING}"`,
      pageSize: '1000',
    });
  });
});

describe('EM client: listings for discovery', () => {
  it('lists top-level backups, and the children of a parent', async () => {
    const parent = '11111111-2222-4333-8444-555555555555';
    const child = '66666666-7777-4888-9999-000000000000';
    const { sim, api, client } = await startHarness();
    sim.upsertBackup({
      id: parent,
      name: 'Agents',
      backupType: 'ParentBackup',
      platform: 'AgentForWindows',
      restorePoints: [],
    });
    sim.upsertBackup({
      id: child,
      name: 'Agents - pc01',
      backupType: 'ChildBackup',
      platform: 'AgentForWindows',
      parentId: parent,
      restorePoints: [T0],
    });
    expect((await client.listBackups()).map((b) => [b.id, b.backupType])).toEqual([
      [BACKUP_A, 'Standard'],
      [BACKUP_B, 'Standard'],
      [parent, 'ParentBackup'],
    ]);
    expect(await client.listChildBackups(parent)).toEqual([
      {
        id: child,
        name: 'Agents - pc01',
        platform: 'AgentForWindows',
        backupType: 'ChildBackup',
        backupServer: 'vbr01.example.local',
        repository: 'Default Backup Repository',
      },
    ]);
    expect(api.map((c) => c.endpoint).filter((e) => e !== 'login')).toEqual(['backups', 'child_backups']);
    expect(
      sim
        .requests()
        .map((r) => r.url)
        .slice(1),
    ).toEqual(['/api/backups?format=Entity', `/api/backups/${parent}/childbackups?format=Entity`]);
  });

  it('reports a failed listing with the EM and what to check', async () => {
    const { sim, client } = await startHarness();
    sim.addFault({ match: { path: '/api/backups' }, status: 500 });
    await expect(client.listBackups()).rejects.toMatchObject({
      reason: 'http_5xx',
      message: expect.stringMatching(/^em "em01": GET backups \(discovery\): EM answered 500/),
    });
    await expect(client.listChildBackups(MISSING)).rejects.toMatchObject({
      reason: 'not_found',
      message: expect.stringContaining(`backup ${MISSING}`),
    });
  });
});

describe('EM client: a discovery listing too long or too large for one answer', () => {
  const parent = '11111111-2222-4333-8444-555555555555';
  const child = '66666666-7777-4888-9999-000000000000';
  /** 40 standalone backups, an agent policy and its machine. */
  function site(): SimBackup[] {
    return [
      ...manyBackups(40, () => 1, 'listing'),
      { id: parent, name: 'Agents', backupType: 'ParentBackup', platform: 'AgentForWindows', restorePoints: [] },
      {
        id: child,
        name: 'Agents - pc01',
        backupType: 'ChildBackup',
        platform: 'AgentForWindows',
        parentId: parent,
        restorePoints: [T0],
      },
    ];
  }
  const sorted = (list: Array<{ id: string; backupType: string }>) => list.map((b) => `${b.id} ${b.backupType}`).sort();
  const topLevel = site()
    .filter((b) => b.parentId === undefined)
    .map((b) => ({ id: b.id, backupType: b.backupType ?? 'Standard' }));

  it.each([
    ['XML', 'xml', 'v12'],
    ['JSON v13', 'json', 'v13'],
  ] as const)(
    'reads a listing longer than one page whole once, then in pages of the query service, children left to their parent (%s)',
    async (_, format, jsonStyle) => {
      const { sim, makeClient } = await startHarness({ backups: site(), jsonStyle });
      const client = makeClient({ format, queryPageSize: 10 });
      const run = (task: () => Promise<unknown>) => ((runs += 1), task());
      let runs = 0;
      const whole = await client.listBackups(run as never);
      expect(sorted(whole)).toEqual(sorted(topLevel));
      expect(runs).toBe(1);
      expect(
        sim
          .requests()
          .map((r) => r.url)
          .slice(1),
      ).toEqual(['/api/backups?format=Entity']);

      sim.clearRequests();
      runs = 0;
      const paged = await client.listBackups(run as never);
      expect(sorted(paged)).toEqual(sorted(topLevel));
      // 42 backups in the query service (the child too): 5 pages of 10, each through the limiter.
      const urls = sim.requests().map((r) => r.url);
      expect(urls).toHaveLength(5);
      expect(runs).toBe(5);
      for (const [i, url] of urls.entries()) {
        expect(url.split('?')[0]).toBe('/api/query');
        expect(Object.fromEntries(params(url))).toEqual({
          type: 'Backup',
          format: 'Entities',
          sortAsc: 'UID',
          pageSize: '10',
          page: String(i + 1),
        });
      }
      expect(paged.find((b) => b.id === parent)).toMatchObject({
        name: 'Agents',
        backupType: 'ParentBackup',
        platform: 'AgentForWindows',
      });
    },
  );

  it('lists a backup once that a backup created between two pages pushed onto the next page', async () => {
    const { sim, makeClient } = await startHarness({ backups: site() });
    const client = makeClient({ queryPageSize: 10 });
    await client.listBackups();
    let added = false;
    const run = async <T>(task: () => Promise<T>): Promise<T> => {
      const value = await task();
      // Sorts first: every later page starts one backup earlier than it did.
      if (!added) sim.upsertBackup({ id: '00000000-0000-4000-8000-000000000001', name: 'First', restorePoints: [] });
      added = true;
      return value;
    };
    const listed = await client.listBackups(run);
    expect(new Set(listed.map((b) => b.id)).size).toBe(listed.length);
    expect(sorted(listed)).toEqual(sorted(topLevel));
  });

  it('keeps a small listing whole: one request, no query', async () => {
    const { sim, client } = await startHarness({ backups: site() });
    for (let i = 0; i < 2; i++) expect(sorted(await client.listBackups())).toEqual(sorted(topLevel));
    expect(
      sim
        .requests()
        .map((r) => r.url)
        .slice(1),
    ).toEqual(['/api/backups?format=Entity', '/api/backups?format=Entity']);
  });

  it('pages at once through a listing larger than maxResponseBytes, where the whole listing failed before', async () => {
    const { sim, makeClient } = await startHarness({ backups: site() });
    // The whole listing is about 40 kB; a page of 10 backups fits in 16 kB.
    const client = makeClient({ maxResponseBytes: 16 * 1024, queryPageSize: 10 });
    expect(sorted(await client.listBackups())).toEqual(sorted(topLevel));
    const urls = sim
      .requests()
      .map((r) => r.url)
      .slice(1);
    expect(urls[0]).toBe('/api/backups?format=Entity');
    expect(
      urls.slice(1).every((u) => u.startsWith('/api/query?type=Backup&format=Entities&sortAsc=UID&pageSize=10&page=')),
    ).toBe(true);
    expect(urls).toHaveLength(6);
  });

  it('fails a paged listing that changed between its pages, and goes back to the whole listing after a refusal', async () => {
    const { sim, makeClient } = await startHarness({ backups: site() });
    const client = makeClient({ queryPageSize: 10 });
    await client.listBackups();
    // Ten backups added while the pages are read: the later pages count one page more.
    let added = false;
    const run = async <T>(task: () => Promise<T>): Promise<T> => {
      const value = await task();
      if (!added) {
        added = true;
        for (let i = 0; i < 10; i++)
          sim.upsertBackup({ id: stableGuid(`late:${i}`), name: `Late ${i}`, restorePoints: [] });
      }
      return value;
    };
    await expect(client.listBackups(run)).rejects.toMatchObject({
      reason: 'parse',
      message: expect.stringMatching(/^em "em01": discovery: query backups: .*changed while its pages were read/),
    });

    sim.addFault({ match: { path: '/api/query' }, status: 400 });
    await expect(client.listBackups()).rejects.toMatchObject({
      reason: 'http_4xx',
      message: expect.stringMatching(/^em "em01": discovery: query backups \(page 1\): EM answered 400/),
    });
    sim.clearFaults();
    sim.clearRequests();
    expect(await client.listBackups()).toHaveLength(topLevel.length + 10);
    // (Pages of the read that failed first may still be answered meanwhile.)
    expect(sim.requests().filter((r) => r.url.startsWith('/api/backups'))).toHaveLength(1);
  });
});

/** What the simulator answers for one page of a one-backup query, read with a logon session of its own. */
async function rawPage(started: StartedSimulator, id: string, pageSize: number, page: number): Promise<string> {
  const send = (path: string, method: string, headers: Record<string, string>) =>
    new Promise<{ headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port: started.port, path, method, headers, ca: started.caPem, agent: false },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const logon = await send('/api/sessionMngr/?v=latest', 'POST', { authorization: basic });
  const token = String(logon.headers['x-restsvcsessionid']);
  const filter = encodeURIComponent(`BackupUid=="urn:veeam:Backup:${id}"`);
  const answer = await send(
    `/api/query?type=RestorePoint&format=Entities&filter=${filter}&sortDesc=CreationTime&pageSize=${pageSize}&page=${page}`,
    'GET',
    {
      'x-restsvcsessionid': token,
    },
  );
  return answer.body;
}
