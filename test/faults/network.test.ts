import { afterEach, describe, expect, it, vi } from 'vitest';
import { EmSimulator } from '../../src/simulator/index.js';
import {
  ALL_BACKUPS,
  BACKUPS,
  ONE,
  OTHERS,
  PASSWORD,
  USER,
  complaints,
  errorsTotal,
  expectCleanLog,
  expectOneEmWideWarning,
  expectOneWarningPerFailure,
  expectRecovered,
  expectUntouched,
  onCleanup,
  requestsTotal,
  reservePort,
  rig,
  sample,
  serveExporter,
  sessionSecrets,
} from './harness.js';
import { siteBackups } from '../integration/harness.js';
import { waitUntil } from '../integration/process.js';

const restorePointsOf = (id: string) => new RegExp(`^/api/backups/${id}/restorePoints$`);

afterEach(() => {
  vi.useRealTimers();
});

/** Moves the wall clock past the client's 30 s pause after a failed logon (only Date is faked). */
function skipLogonPause(): void {
  vi.setSystemTime(Date.now() + 31_000);
}

describe('faults: EM unreachable', () => {
  it('connection refused: every backup fails as network, veeam_em_up 0, values kept; recovers when EM listens again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const port = await reservePort();
    const r = await rig({ em: { url: `https://127.0.0.1:${port}` } });
    // em01's caFile trusts the simulator certificate, which is one per process: also the later one's.

    const during = await r.cycle();
    expect(during.ok).toBe(false);
    expect(sample(during.text, 'veeam_em_up', { em: 'em01' })).toBe(0);
    for (const id of ALL_BACKUPS)
      expect(sample(during.text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: id })).toBe(0);
    expect(errorsTotal(during.text, 'em01', 'network')).toBe(4);
    // One logon, retried once (poll.retries: 1), shared by all four backups.
    expect(requestsTotal(during.text, 'em01', 'login', 'error')).toBe(2);
    expectOneEmWideWarning(
      during.lines,
      'em01',
      ALL_BACKUPS,
      'network',
      /connection failed \(ECONNREFUSED: .*\): check url, DNS, the firewall/,
    );
    // Plus the one line of the failed logon itself, which says it backs off.
    const emLines = complaints(during.lines, 'em01').filter(
      (l) => l.backup_id === undefined && l.polls_failed === undefined,
    );
    expect(emLines).toHaveLength(1);
    expect(emLines[0]!.msg).toMatch(/ECONNREFUSED.*not logging on again for 30s/);
    expectUntouched(during);

    // EM comes (back) up on that port; the next cycle after the pause finds it.
    const sim = new EmSimulator({ port, users: [{ username: USER, password: PASSWORD }], backups: siteBackups() });
    await sim.start();
    onCleanup(() => sim.stop());
    const paused = await r.cycle();
    expect(sim.requests()).toHaveLength(0); // still pausing: nothing sent
    expect(complaints(paused.lines, 'em01').map((l) => l.polls_failed)).toEqual([4]);
    skipLogonPause();
    const after = await r.cycle();
    expectRecovered(after);
    expectUntouched(after);
    expect(errorsTotal(after.text, 'em01', 'network')).toBe(8);
    expectCleanLog(r.log, sessionSecrets(r.faulty, r.healthy));
  });

  it('DNS failure (.invalid host): network error naming the host; the other EM polls on', async () => {
    // RFC 2606 .invalid names fail at the resolver without network; the short timeout bounds a resolver that hangs.
    const r = await rig({ em: { url: 'https://em01.invalid:9398' }, poll: { timeoutMs: 3_000 } });
    const during = await r.cycle();
    expect(during.ok).toBe(false);
    expect(sample(during.text, 'veeam_em_up', { em: 'em01' })).toBe(0);
    expect(errorsTotal(during.text, 'em01', 'network')).toBe(4);
    expectOneEmWideWarning(
      during.lines,
      'em01',
      ALL_BACKUPS,
      'network',
      /connection failed \((ENOTFOUND|EAI_AGAIN): .*em01\.invalid.*\): check url, DNS/,
    );
    expectUntouched(during);
    expectCleanLog(r.log);
  });

  it('connection reset mid-body: retried, then that backup fails as network; the rest of the cycle is fine', async () => {
    const r = await rig();
    r.faulty.sim.addFault({ match: { path: restorePointsOf(ONE) }, drop: 'mid-body' });
    const during = await r.cycle();
    expect(sample(during.text, 'veeam_em_up', { em: 'em01' })).toBe(1);
    expect(sample(during.text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: ONE })).toBe(0);
    for (const id of OTHERS)
      expect(sample(during.text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: id })).toBe(1);
    expect(errorsTotal(during.text, 'em01', 'network')).toBe(1);
    expect(requestsTotal(during.text, 'em01', 'restore_points', 'error')).toBe(2);
    expectOneWarningPerFailure(
      during.lines,
      'em01',
      [ONE],
      'network',
      /GET restore points: connection failed \(\w+: .*, 2 attempts\)/,
    );
    expectUntouched(during);

    // A single reset is absorbed by the retry: counted, but no failure and no warning.
    r.faulty.sim.clearFaults();
    r.faulty.sim.addFault({ match: { path: restorePointsOf(ONE) }, drop: 'mid-body', times: 1 });
    const absorbed = await r.cycle();
    expectRecovered(absorbed);
    expect(requestsTotal(absorbed.text, 'em01', 'restore_points', 'error')).toBe(3);
    expect(errorsTotal(absorbed.text, 'em01', 'network')).toBe(1);
    expect(r.faulty.sim.sessions()).toHaveLength(1);
    expectCleanLog(r.log, sessionSecrets(r.faulty, r.healthy));
  });
});

describe('faults: slow EM', () => {
  it('a request timeout fails that backup as timeout, with the limit in the message; recovers when EM is quick again', async () => {
    const r = await rig({ poll: { timeoutMs: 400 } });
    r.faulty.sim.addFault({ match: { path: restorePointsOf(ONE) }, latencyMs: 5_000 });
    const during = await r.cycle();
    expect(sample(during.text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: ONE })).toBe(0);
    expect(errorsTotal(during.text, 'em01', 'timeout')).toBe(1);
    expect(requestsTotal(during.text, 'em01', 'restore_points', 'error')).toBe(2);
    expect(sample(during.text, 'veeam_em_up', { em: 'em01' })).toBe(1);
    expectOneWarningPerFailure(
      during.lines,
      'em01',
      [ONE],
      'timeout',
      /no answer within 400ms \(ETIMEDOUT, 2 attempts\): .*raise poll\.timeout \(now 400ms\)/,
    );
    expectUntouched(during);

    r.faulty.sim.clearFaults();
    const after = await r.cycle();
    expectRecovered(after);
    // The keep-alive socket the timeout abandoned did not cost the session.
    expect(r.faulty.sim.sessions()).toHaveLength(1);
    expectCleanLog(r.log, sessionSecrets(r.faulty, r.healthy));
  });

  it('a very slow EM: /metrics and the status page answer while its poll is still waiting', async () => {
    const r = await rig({ poll: { timeoutMs: 20_000 } });
    // Warm up: values to show.
    await r.cycle();
    r.faulty.sim.addFault({ match: { path: restorePointsOf(ONE) }, latencyMs: 6_000, times: 1 });
    const base = await serveExporter(r.exporter);
    let cycleDone = false;
    const cycle = r.cycle().then((result) => ((cycleDone = true), result));
    const pending = () =>
      r.faulty.sim.requests().filter((q) => restorePointsOf(ONE).test(q.url.split('?')[0]!) && q.status === 0);
    await waitUntil(() => pending().length === 1, 'the slow request to reach EM');

    const metrics = await fetch(`${base}/metrics`);
    const body = await metrics.text();
    const page = await fetch(`${base}/`);
    const html = await page.text();
    // Both answered while EM still holds the request and the cycle is not over.
    expect(pending()).toHaveLength(1);
    expect(cycleDone).toBe(false);
    expect(metrics.status).toBe(200);
    expect(page.status).toBe(200);
    expect(sample(body, 'veeam_em_backup_restore_points', { em: 'em01', backup_id: ONE })).toBe(3);
    expect(html).toContain('Daily VM Backup');

    const after = await cycle;
    expectRecovered(after);
    expect(pending()).toHaveLength(0);
  });
});

describe('faults: 5xx bursts', () => {
  it('a 503 or 500 answered once is retried: counted in veeam_em_api_requests_total, no failure, no warning', async () => {
    const r = await rig();
    r.faulty.sim.addFault({ match: { path: restorePointsOf(ONE) }, status: 503, times: 1 });
    r.faulty.sim.addFault({ match: { path: restorePointsOf(BACKUPS.hourly) }, status: 500, times: 1 });
    const result = await r.cycle();
    expect(result.ok).toBe(true);
    expectRecovered(result);
    expectUntouched(result);
    expect(requestsTotal(result.text, 'em01', 'restore_points', '503')).toBe(1);
    expect(requestsTotal(result.text, 'em01', 'restore_points', '500')).toBe(1);
    expect(requestsTotal(result.text, 'em01', 'restore_points', '200')).toBe(4);
    expect(errorsTotal(result.text, 'em01', 'http_5xx')).toBe(0);
  });

  it('a burst longer than the retries fails those backups as http_5xx; the next cycle recovers by itself', async () => {
    // One request at a time, in config order: the burst takes both attempts (retries: 1) of the first two backups.
    const r = await rig({ poll: { concurrency: 1 } });
    r.faulty.sim.addFault({ match: { path: /\/restorePoints$/ }, status: 503, times: 4 });
    const during = await r.cycle();
    const failed: string[] = [BACKUPS.daily, BACKUPS.hourly];
    for (const id of ALL_BACKUPS) {
      expect(sample(during.text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: id })).toBe(
        failed.includes(id) ? 0 : 1,
      );
    }
    expect(errorsTotal(during.text, 'em01', 'http_5xx')).toBe(failed.length);
    expect(requestsTotal(during.text, 'em01', 'restore_points', '503')).toBe(4);
    expect(sample(during.text, 'veeam_em_up', { em: 'em01' })).toBe(1);
    expectOneWarningPerFailure(
      during.lines,
      'em01',
      failed,
      'http_5xx',
      /EM answered 503 "The service is temporarily unavailable\. Try again later\." \(2 attempts\): check the EM service log/,
    );
    expectUntouched(during);

    const after = await r.cycle();
    expectRecovered(after);
    expect(errorsTotal(after.text, 'em01', 'http_5xx')).toBe(failed.length);
  });

  it('503 on everything, logon included: veeam_em_up 0 (never logged on), every backup http_5xx; recovers after the logon pause', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const r = await rig();
    r.faulty.sim.addFault({ status: 503 });
    const during = await r.cycle();
    expect(sample(during.text, 'veeam_em_up', { em: 'em01' })).toBe(0);
    expect(errorsTotal(during.text, 'em01', 'http_5xx')).toBe(4);
    expect(requestsTotal(during.text, 'em01', 'login', '503')).toBe(2);
    expectOneEmWideWarning(
      during.lines,
      'em01',
      ALL_BACKUPS,
      'http_5xx',
      /logon as "EM01\\svc_monitor": EM answered 503/,
    );
    expectUntouched(during);

    r.faulty.sim.clearFaults();
    skipLogonPause();
    expectRecovered(await r.cycle());
  });
});
