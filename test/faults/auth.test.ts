import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ALL_BACKUPS,
  BACKUPS,
  ONE,
  OTHERS,
  complaints,
  emConfig,
  errorsTotal,
  expectCleanLog,
  expectOneEmWideWarning,
  expectOneWarningPerFailure,
  expectRecovered,
  expectUntouched,
  exporterConfig,
  requestsTotal,
  rig,
  sample,
  sessionSecrets,
} from './harness.js';
import { waitUntil } from '../integration/process.js';

const ROLES = /Portal Administrator, Portal User or Restore Operator/;
const logons = (r: { faulty: { sim: { requests(): ReadonlyArray<{ method: string; url: string }> } } }) =>
  r.faulty.sim.requests().filter((q) => q.method === 'POST' && q.url.startsWith('/api/sessionMngr')).length;

afterEach(() => {
  vi.useRealTimers();
});

describe('faults: sessions', () => {
  it('a session expiring mid-cycle costs one re-logon and no failed poll; the other EM keeps its session', async () => {
    const r = await rig({ poll: { concurrency: 1 } });
    await r.cycle();
    // The first restore-point request of the next cycle is held until the session has expired under it.
    r.faulty.sim.addFault({ match: { path: /\/restorePoints$/ }, latencyMs: 2_000, times: 1 });
    const next = r.cycle();
    await waitUntil(() => r.faulty.sim.requests().some((q) => q.status === 0), 'the held request');
    r.faulty.sim.expireAllSessions();
    const result = await next;

    expect(result.ok).toBe(true);
    expectRecovered(result);
    expectUntouched(result);
    expect(requestsTotal(result.text, 'em01', 'restore_points', '401')).toBe(1);
    expect(requestsTotal(result.text, 'em01', 'login', '201')).toBe(2);
    expect(errorsTotal(result.text, 'em01', 'auth')).toBe(0);
    const renewals = result.lines.filter((l) => l.em === 'em01' && /no longer accepts the logon session/.test(l.msg));
    expect(renewals).toHaveLength(1);
    expect(renewals[0]!.level).toBe(30);
    expect(r.faulty.sim.sessions().map((s) => s.endedBy)).toEqual(['expired', undefined]);
    expect(r.healthy.sim.sessions()).toHaveLength(1);
    expectCleanLog(r.log, sessionSecrets(r.faulty, r.healthy));
  });
});

describe('faults: refused credentials', () => {
  it('a wrong password is not retried in a loop: one logon per pause over many cycles, and the log says it backs off', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const r = await rig({ em: { password: 'wrong-password' } });
    const cycles = [];
    for (let i = 0; i < 5; i++) cycles.push(await r.cycle());
    expect(logons(r)).toBe(1);
    for (const c of cycles) {
      expect(sample(c.text, 'veeam_em_up', { em: 'em01' })).toBe(0);
      expectOneEmWideWarning(
        c.lines,
        'em01',
        ALL_BACKUPS,
        'auth',
        /logon as "EM01\\svc_monitor" refused \(EM answered 401 .*check username and password .*Portal Administrator, Portal User or Restore Operator/,
      );
      expectUntouched(c);
    }
    const backingOff = cycles
      .flatMap((c) => c.lines)
      .filter((l) => l.em === 'em01' && l.backup_id === undefined && l.polls_failed === undefined && l.level >= 40);
    expect(backingOff).toHaveLength(1);
    expect(backingOff[0]!.msg).toMatch(/not logging on again for 30s$/);
    expect(complaints(cycles[4]!.lines, 'em01').find((l) => l.polls_failed !== undefined)!.msg).toMatch(
      /not logging on again for another \d+s\); 4 polls of this cycle failed without reaching EM \(4 auth\)$/,
    );
    expect(errorsTotal(cycles[4]!.text, 'em01', 'auth')).toBe(20);
    expect(requestsTotal(cycles[4]!.text, 'em01', 'login', '401')).toBe(1);

    // Half a minute later: exactly one more attempt.
    vi.setSystemTime(Date.now() + 31_000);
    await r.cycle();
    await r.cycle();
    expect(logons(r)).toBe(2);
    expect(r.faulty.sim.sessions()).toHaveLength(0);

    // The operator fixes the password: the reload logs on at once.
    await r.exporter.reload(
      exporterConfig([emConfig(r.faulty, { name: 'em01' }), emConfig(r.healthy, { name: 'em02' })], { retries: 1 }),
    );
    const after = await r.cycle();
    expectRecovered(after);
    expectCleanLog(r.log, [...sessionSecrets(r.faulty, r.healthy), 'wrong-password']);
  });

  it('401 on every request, logon included: the same pause; recovers by itself when EM accepts again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const r = await rig();
    r.faulty.sim.addFault({ status: 401 });
    for (let i = 0; i < 4; i++) {
      const c = await r.cycle();
      expect(sample(c.text, 'veeam_em_up', { em: 'em01' })).toBe(0);
      expectOneEmWideWarning(c.lines, 'em01', ALL_BACKUPS, 'auth', /refused \(EM answered 401/);
    }
    expect(logons(r)).toBe(1);
    r.faulty.sim.clearFaults();
    vi.setSystemTime(Date.now() + 31_000);
    expectRecovered(await r.cycle());
    expect(logons(r)).toBe(2);
  });

  it('401 on every GET although logon works (a proxy dropping the session header): no logon per request, no session left open', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const r = await rig({ poll: { concurrency: 1 } });
    r.faulty.sim.addFault({ match: { method: 'GET' }, status: 401 });
    const cycles = [];
    for (let i = 0; i < 4; i++) cycles.push(await r.cycle());
    // The first logon, then one re-logon to tell an expired session from a refused one; then a pause.
    expect(logons(r)).toBe(2);
    for (const c of cycles) {
      expect(sample(c.text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: ONE })).toBe(0);
      // The first cycle reached EM (it answered 401), so each backup says why; later ones fail in the logon pause, EM-wide.
      const check = c === cycles[0] ? expectOneWarningPerFailure : expectOneEmWideWarning;
      check(
        c.lines,
        'em01',
        ALL_BACKUPS,
        'auth',
        /(rejected|refused) even with a fresh logon session.*Portal Administrator, Portal User or Restore Operator.*X-RestSvcSessionId/,
      );
      expectUntouched(c);
    }
    const backingOff = cycles
      .flatMap((c) => c.lines)
      .filter((l) => l.em === 'em01' && l.backup_id === undefined && l.polls_failed === undefined && l.level >= 40);
    expect(backingOff).toHaveLength(1);
    expect(backingOff[0]!.msg).toMatch(/refused even with a fresh logon session .*; not logging on again for 30s$/);
    // Every session it opened, it closed: EM accepted the logouts.
    expect(r.faulty.sim.openSessionCount()).toBe(0);
    expect(r.faulty.sim.sessions().every((s) => s.endedBy === 'logout')).toBe(true);

    r.faulty.sim.clearFaults();
    vi.setSystemTime(Date.now() + 31_000);
    expectRecovered(await r.cycle());
    expect(r.faulty.sim.openSessionCount()).toBe(1);
    expectCleanLog(r.log, sessionSecrets(r.faulty, r.healthy));
  });

  it.each([1, 4])(
    'backups that always answer 401 cost at most one re-logon per 30 s, not one each per cycle; the rest fail as auth (concurrency %i)',
    async (concurrency) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const r = await rig({ poll: { concurrency } });
      // The first cycle proves the session works.
      expectRecovered(await r.cycle());
      const refused: string[] = [BACKUPS.daily, BACKUPS.weekly];
      for (const id of refused)
        r.faulty.sim.addFault({ match: { path: new RegExp(`^/api/backups/${id}/restorePoints$`) }, status: 401 });
      const cycles = [];
      for (let i = 0; i < 3; i++) cycles.push(await r.cycle());
      // One logon at start, one re-logon over three cycles (before: one per refused backup per cycle).
      expect(logons(r)).toBe(2);
      for (const c of cycles) {
        expect(sample(c.text, 'veeam_em_up', { em: 'em01' })).toBe(1);
        for (const id of ALL_BACKUPS)
          expect(sample(c.text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: id })).toBe(
            refused.includes(id) ? 0 : 1,
          );
        expectOneWarningPerFailure(
          c.lines,
          'em01',
          refused,
          'auth',
          /401.*(Portal Administrator, Portal User or Restore Operator)/,
        );
        expectUntouched(c);
      }
      // No pause of the whole EM: the session works for the other backups.
      expect(
        cycles.flatMap((c) => c.lines).filter((l) => l.em === 'em01' && l.backup_id === undefined && l.level >= 40),
      ).toEqual([]);
      expect(errorsTotal(cycles[2]!.text, 'em01', 'auth')).toBe(6);

      // Half a minute on, one more re-logon is allowed, and only one.
      vi.setSystemTime(Date.now() + 31_000);
      await r.cycle();
      expect(logons(r)).toBe(3);
      expect(r.faulty.sim.openSessionCount()).toBe(1);
      r.faulty.sim.clearFaults();
      expectRecovered(await r.cycle());
      expectCleanLog(r.log, sessionSecrets(r.faulty, r.healthy));
    },
  );

  it('403 at logon (the account holds no EM role): auth, veeam_em_up 0, the message names the roles', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const r = await rig();
    r.faulty.sim.addFault({ match: { method: 'POST' }, status: 403 });
    const during = await r.cycle();
    expect(sample(during.text, 'veeam_em_up', { em: 'em01' })).toBe(0);
    expect(errorsTotal(during.text, 'em01', 'auth')).toBe(4);
    expectOneEmWideWarning(during.lines, 'em01', ALL_BACKUPS, 'auth', ROLES);
    expect(complaints(during.lines, 'em01').find((l) => l.polls_failed !== undefined)!.msg).toMatch(
      /logon as "EM01\\svc_monitor": EM answered 403 .*the account needs an Enterprise Manager role/,
    );
    expectUntouched(during);
    r.faulty.sim.clearFaults();
    vi.setSystemTime(Date.now() + 31_000);
    expectRecovered(await r.cycle());
  });

  it('403 on one backup (outside the role scope): only that backup fails as auth, EM stays up, the message names the roles', async () => {
    const r = await rig();
    r.faulty.sim.addFault({ match: { path: new RegExp(`^/api/backups/${ONE}/restorePoints$`) }, status: 403 });
    const during = await r.cycle();
    expect(sample(during.text, 'veeam_em_up', { em: 'em01' })).toBe(1);
    expect(sample(during.text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: ONE })).toBe(0);
    for (const id of OTHERS)
      expect(sample(during.text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: id })).toBe(1);
    // Not retried, and no re-logon: a 403 is not an expired session.
    expect(requestsTotal(during.text, 'em01', 'restore_points', '403')).toBe(1);
    expect(requestsTotal(during.text, 'em01', 'login', '201')).toBe(1);
    expectOneWarningPerFailure(
      during.lines,
      'em01',
      [ONE],
      'auth',
      /GET restore points: EM answered 403 .*may not read this backup: give it an Enterprise Manager role \(Portal Administrator, Portal User or Restore Operator\)/,
    );
    expectUntouched(during);
    r.faulty.sim.clearFaults();
    expectRecovered(await r.cycle());
  });
});
