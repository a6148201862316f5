import https from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmSimulator, StartedSimulator } from '../../src/simulator/index.js';
import { BASIC, logon, parseXml, PASSWORD, request, startSim, USER } from './helpers.js';

let current: EmSimulator | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});

async function sim(
  options: Parameters<typeof startSim>[0] = {},
): Promise<{ sim: EmSimulator; started: StartedSimulator }> {
  const s = await startSim(options);
  current = s.sim;
  return s;
}

const basic = (user: string, password: string): string =>
  'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

describe('TLS', () => {
  it('is verified against the exposed PEM for 127.0.0.1 and localhost, and refused without it', async () => {
    const { started } = await sim();
    expect(started.url).toBe(`https://127.0.0.1:${started.port}`);
    expect(started.caPem).toContain('BEGIN CERTIFICATE');
    expect((await request(started, '/api/')).status).toBe(200);
    expect((await request(started, '/api/', { host: 'localhost', servername: 'localhost' })).status).toBe(200);
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      https
        .get({ host: '127.0.0.1', port: started.port, path: '/api/', agent: false }, () =>
          resolve(new Error('accepted')),
        )
        .on('error', resolve);
    });
    expect(err.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
  });

  it('serves several requests on one kept-alive connection', async () => {
    const { started } = await sim();
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: started.caPem });
    const reused: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = https.get({ host: '127.0.0.1', port: started.port, path: '/api/', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        });
        reused.push(req.reusedSocket);
        req.on('error', reject);
      });
    }
    agent.destroy();
    expect(reused).toEqual([false, true, true]);
  });

  it('stops promptly while a client holds an idle keep-alive connection', async () => {
    const { sim: s, started } = await sim();
    const agent = new https.Agent({ keepAlive: true, ca: started.caPem });
    await request(started, '/api/', { agent });
    const t0 = Date.now();
    await s.stop();
    current = undefined;
    expect(Date.now() - t0).toBeLessThan(1000);
    agent.destroy();
  });
});

describe('GET /api', () => {
  it('answers without a session and lists v1_5..v1_7', async () => {
    const { started } = await sim();
    const res = await request(started, '/api/');
    expect(res.status).toBe(200);
    const em = parseXml(res.body).EnterpriseManager;
    expect(em.SupportedVersions.SupportedVersion.map((v: any) => v['@_Name'])).toEqual(['v1_5', 'v1_6', 'v1_7']);
    expect(em.Links.Link.map((l: any) => l['@_Href'])).toContain(
      `https://127.0.0.1:${started.port}/api/sessionMngr/?v=latest`,
    );
  });

  it('nests SupportedVersions twice in JSON, with null Href and Type; camelCase in v13', async () => {
    const { sim: s, started } = await sim();
    const v12 = JSON.parse((await request(started, '/api', { headers: { accept: 'application/json' } })).body);
    expect(v12.SupportedVersions.SupportedVersions.map((v: any) => v.Name)).toEqual(['v1_5', 'v1_6', 'v1_7']);
    expect(v12.Href).toBeNull();
    expect(v12.Type).toBeNull();
    expect(v12.Links[0]).toEqual({
      Rel: 'Down',
      Href: `https://127.0.0.1:${started.port}/api/logonSessions`,
      Name: null,
      Type: 'LogonSessionList',
    });
    s.setJsonStyle('v13');
    const v13 = JSON.parse((await request(started, '/api', { headers: { accept: 'application/json' } })).body);
    expect(Object.keys(v13)).toEqual(['supportedVersions', 'links', 'href', 'type']);
    expect(v13.supportedVersions.supportedVersions[2].links[0].rel).toBe('Create');
  });
});

describe('logon', () => {
  it('answers 201 with the token in header and cookie, token = base64(SessionId)', async () => {
    const { sim: s, started } = await sim();
    const res = await request(started, '/api/sessionMngr/?v=latest', {
      method: 'POST',
      headers: { authorization: BASIC },
    });
    expect(res.status).toBe(201);
    const body = parseXml(res.body).LogonSession;
    expect(body.UserName).toBe(USER);
    const token = res.headers['x-restsvcsessionid'];
    expect(token).toBe(Buffer.from(body.SessionId).toString('base64'));
    expect(res.headers['set-cookie']).toEqual([`X-RestSvcSessionId=${String(token)}; Path=/api;`]);
    expect(body['@_Href']).toBe(`https://127.0.0.1:${started.port}/api/logonSessions/${body.SessionId}`);
    const del = body.Links.Link.find((l: any) => l['@_Rel'] === 'Delete');
    expect(del).toEqual({ '@_Href': body['@_Href'], '@_Rel': 'Delete' });
    expect(s.openSessionCount()).toBe(1);
    expect(s.sessions()).toEqual([{ id: body.SessionId, user: USER, createdAt: expect.any(Number) }]);
  });

  it('renders LogonSession as JSON v12 with elements first', async () => {
    const { started } = await sim();
    const res = await request(started, '/api/sessionMngr/?v=v1_7', {
      method: 'POST',
      headers: { authorization: BASIC, accept: 'application/json' },
    });
    const body = JSON.parse(res.body);
    expect(Object.keys(body)).toEqual(['UserName', 'SessionId', 'Links', 'Href', 'Type']);
    expect(body.Links.at(-1)).toEqual({ Rel: 'Delete', Href: body.Href, Name: null, Type: null });
  });

  it.each([
    ['wrong password', basic(USER, 'nope')],
    ['unknown user', basic('EM01\\intruder', PASSWORD)],
    ['no colon', 'Basic ' + Buffer.from('justauser').toString('base64')],
    ['other scheme', 'Bearer abc'],
  ])('refuses %s with 401, WWW-Authenticate and an Error body', async (_label, authorization) => {
    const { sim: s, started } = await sim();
    const res = await request(started, '/api/sessionMngr/?v=latest', { method: 'POST', headers: { authorization } });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic Realm=RestSvc');
    expect(parseXml(res.body).Error['@_StatusCode']).toBe('401');
    expect(res.headers['x-restsvcsessionid']).toBeUndefined();
    expect(s.sessions()).toHaveLength(0);
  });

  it('refuses a missing Authorization header', async () => {
    const { started } = await sim();
    const res = await request(started, '/api/sessionMngr/', { method: 'POST' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic Realm=RestSvc');
  });

  it('takes the Windows user name case-insensitively but the password exactly', async () => {
    const { started } = await sim();
    const ok = await request(started, '/api/sessionMngr/', {
      method: 'POST',
      headers: { authorization: basic(USER.toUpperCase(), PASSWORD) },
    });
    expect(ok.status).toBe(201);
    const bad = await request(started, '/api/sessionMngr/', {
      method: 'POST',
      headers: { authorization: basic(USER, PASSWORD.toUpperCase()) },
    });
    expect(bad.status).toBe(401);
  });

  it('accepts the advertised versions and refuses others with 400', async () => {
    const { started } = await sim();
    for (const v of ['latest', 'v1_5', 'v1_6', 'v1_7']) {
      const res = await request(started, `/api/sessionMngr/?v=${v}`, {
        method: 'POST',
        headers: { authorization: BASIC },
      });
      expect(res.status, v).toBe(201);
    }
    const old = await request(started, '/api/sessionMngr/?v=v1_4', {
      method: 'POST',
      headers: { authorization: BASIC },
    });
    expect(old.status).toBe(400);
  });

  it('answers 405 to GET on sessionMngr without asking for a session', async () => {
    const { started } = await sim();
    const res = await request(started, '/api/sessionMngr/');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });
});

describe('using a session', () => {
  const BK = { id: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3', name: 'Daily', restorePoints: [] };

  it('answers 401 with an Error body without a session, in XML and JSON', async () => {
    const { started } = await sim({ backups: [BK] });
    const xml = await request(started, `/api/backups/${BK.id}`);
    expect(xml.status).toBe(401);
    expect(parseXml(xml.body).Error['@_StatusCode']).toBe('401');
    const json = await request(started, `/api/backups/${BK.id}`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(401);
    expect(JSON.parse(json.body).StatusCode).toBe(401);
    const bogus = await request(started, '/api/backups', { headers: { 'x-restsvcsessionid': 'bm90LWEtc2Vzc2lvbg==' } });
    expect(bogus.status).toBe(401);
  });

  it('reuses one token for many requests without creating sessions', async () => {
    const { sim: s, started } = await sim({ backups: [BK] });
    const token = await logon(started);
    for (let i = 0; i < 5; i++) {
      expect(
        (await request(started, `/api/backups/${BK.id}`, { headers: { 'X-RestSvcSessionId': token } })).status,
      ).toBe(200);
    }
    expect(s.sessions()).toHaveLength(1);
    expect(s.openSessionCount()).toBe(1);
  });

  it('finds the header whatever its case', async () => {
    const { started } = await sim();
    const token = await logon(started);
    expect((await request(started, '/api/backups', { headers: { 'X-RESTSVCSESSIONID': token } })).status).toBe(200);
  });

  it('lets the cookie beat the header, in both directions', async () => {
    const { started } = await sim();
    const stale = await logon(started);
    const fresh = await logon(started);
    const staleId = Buffer.from(stale, 'base64').toString();
    expect(
      (
        await request(started, `/api/logonSessions/${staleId}`, {
          method: 'DELETE',
          headers: { 'x-restsvcsessionid': stale },
        })
      ).status,
    ).toBe(204);
    const staleCookie = await request(started, '/api/backups', {
      headers: { cookie: `other=1; X-RestSvcSessionId=${stale}`, 'x-restsvcsessionid': fresh },
    });
    expect(staleCookie.status).toBe(401);
    const freshCookie = await request(started, '/api/backups', {
      headers: { cookie: `X-RestSvcSessionId=${fresh}`, 'x-restsvcsessionid': stale },
    });
    expect(freshCookie.status).toBe(200);
  });

  it('lists open logon sessions', async () => {
    const { started } = await sim();
    const a = await logon(started);
    await logon(started);
    const res = await request(started, '/api/logonSessions', { headers: { 'x-restsvcsessionid': a } });
    expect(parseXml(res.body).LogonSessions.LogonSession).toHaveLength(2);
    const json = JSON.parse(
      (
        await request(started, '/api/logonSessions', {
          headers: { 'x-restsvcsessionid': a, accept: 'application/json' },
        })
      ).body,
    );
    expect(json.LogonSessions.map((x: any) => x.UserName)).toEqual([USER, USER]);
  });
});

describe('logout', () => {
  it('answers 204 to deleting the own session, after which the token is dead', async () => {
    const { sim: s, started } = await sim();
    const token = await logon(started);
    const id = Buffer.from(token, 'base64').toString();
    expect(s.openSessionCount()).toBe(1);
    const res = await request(started, `/api/logonSessions/${id}`, {
      method: 'DELETE',
      headers: { 'x-restsvcsessionid': token },
    });
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
    expect(s.openSessionCount()).toBe(0);
    expect(s.sessions()[0]?.endedBy).toBe('logout');
    expect((await request(started, '/api/backups', { headers: { 'x-restsvcsessionid': token } })).status).toBe(401);
  });

  it("refuses to end somebody else's session, and needs a session to try", async () => {
    const { sim: s, started } = await sim();
    const mine = await logon(started);
    const theirs = await logon(started);
    const theirId = Buffer.from(theirs, 'base64').toString();
    const res = await request(started, `/api/logonSessions/${theirId}`, {
      method: 'DELETE',
      headers: { 'x-restsvcsessionid': mine },
    });
    expect(res.status).toBe(404);
    expect(s.openSessionCount()).toBe(2);
    expect((await request(started, `/api/logonSessions/${theirId}`, { method: 'DELETE' })).status).toBe(401);
    expect(s.openSessionCount()).toBe(2);
  });
});

describe('idle expiry', () => {
  it('slides with every request and expires after the idle gap', async () => {
    let now = 1_000_000;
    const { sim: s, started } = await sim({ now: () => now, sessionIdleTimeoutMs: 1000 });
    const token = await logon(started);
    const get = async (): Promise<number> =>
      (await request(started, '/api/backups', { headers: { 'x-restsvcsessionid': token } })).status;
    now += 999;
    expect(await get()).toBe(200);
    now += 999; // 1998 ms after logon, but only 999 after the last request
    expect(await get()).toBe(200);
    expect(s.openSessionCount()).toBe(1);
    now += 1000;
    expect(s.openSessionCount()).toBe(0);
    expect(await get()).toBe(401);
    expect(s.sessions()[0]?.endedBy).toBe('expired');
  });

  it('defaults to 15 minutes', async () => {
    let now = 0;
    const { sim: s, started } = await sim({ now: () => now });
    const token = await logon(started);
    now += 15 * 60_000 - 1;
    expect((await request(started, '/api/backups', { headers: { 'x-restsvcsessionid': token } })).status).toBe(200);
    now += 15 * 60_000 - 1;
    expect(s.openSessionCount()).toBe(1);
    now += 1;
    expect(s.openSessionCount()).toBe(0);
  });

  it('expireAllSessions ends every open session at once', async () => {
    const { sim: s, started } = await sim();
    const a = await logon(started);
    await logon(started);
    s.expireAllSessions();
    expect(s.openSessionCount()).toBe(0);
    expect(s.sessions().map((x) => x.endedBy)).toEqual(['expired', 'expired']);
    expect((await request(started, '/api/backups', { headers: { 'x-restsvcsessionid': a } })).status).toBe(401);
  });
});
