/**
 * Freshness through routine operations: reloads, renewed certificate files, a hung EM, a failing
 * metadata read, and logs that stay readable when a whole EM fails. In-process exporters against
 * real HTTPS simulators.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import type { ExporterConfig } from '../../src/config/types.js';
import type { Exporter } from '../../src/exporter.js';
import { capturingLogger, createExporter, serveExporter } from '../integration/harness.js';
import { waitUntil } from '../integration/process.js';
import {
  ALL_BACKUPS,
  BACKUPS,
  WARN,
  emConfig,
  exporterConfig,
  onCleanup,
  sample,
  site,
  type LogLine,
  type Site,
} from './harness.js';

/** Resolves with what `promise` gave, or rejects once `ms` have passed: a deadline, not a measurement. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))),
  ]);
}

const restorePointRequests = (s: Site): number =>
  s.sim.requests().filter((q) => q.url.includes('/restorePoints')).length;
const held = (s: Site): boolean => s.sim.requests().some((q) => q.status === 0);

function start(config: ExporterConfig): { exporter: Exporter; log: ReturnType<typeof capturingLogger> } {
  const log = capturingLogger();
  const exporter = createExporter(config, log.logger, Date.now);
  onCleanup(() => exporter.stop());
  return { exporter, log };
}

const warnings = (log: ReturnType<typeof capturingLogger>, em: string): LogLine[] =>
  (log.lines() as LogLine[]).filter((l) => l.em === em && l.level >= WARN);

describe('operations: a reload never blinds a healthy EM', () => {
  const hangingPair = async () => {
    const slow = await site();
    const healthy = await site();
    // em01 holds its restore-point requests far longer than any test waits.
    slow.sim.addFault({ match: { path: /\/restorePoints$/ }, latencyMs: 60_000 });
    const ems = (format: 'xml' | 'json' = 'xml') => [
      emConfig(slow, { name: 'em01', format }),
      emConfig(healthy, { name: 'em02' }),
    ];
    const poll = { schedule: '* * * * * *', timeoutMs: 60_000, retries: 0, cycleTimeoutMs: 120_000 };
    return { slow, healthy, ems, poll };
  };

  it(
    'a reload that changes poll: returns at once while EM hangs; every EM gets a new poller, the old session is logged out, counters stay',
    { timeout: 60_000 },
    async () => {
      const { slow, healthy, ems, poll } = await hangingPair();
      const { exporter } = start(exporterConfig(ems(), poll));
      void exporter.start();
      await waitUntil(() => held(slow), 'a restore-point request held by em01', 10_000);
      await waitUntil(() => restorePointRequests(healthy) >= 8, 'two cycles of em02', 15_000);
      await waitUntil(
        async () => (sample(await exporter.metrics.render(), 'veeam_em_poll_overruns_total', { em: 'em01' }) ?? 0) >= 1,
        'a skipped tick of em01',
        15_000,
      );
      const before = await exporter.metrics.render();

      await within(3_000, exporter.reload(exporterConfig(ems(), { ...poll, concurrency: 3 })), 'reload');

      const polled = restorePointRequests(healthy);
      await waitUntil(() => restorePointRequests(healthy) >= polled + 8, 'em02 polling on after the reload', 10_000);
      // em01: its old cycle was cancelled and its session logged out; the new poller logged on at once.
      await waitUntil(
        () => slow.sim.sessions().length === 2 && slow.sim.sessions()[0]!.endedBy === 'logout',
        'em01 replaced',
        10_000,
      );
      expect(slow.sim.openSessionCount()).toBe(1);

      const after = await exporter.metrics.render();
      const requests = (text: string) =>
        sample(text, 'veeam_em_api_requests_total', { em: 'em02', endpoint: 'restore_points', code: '200' })!;
      expect(requests(after)).toBeGreaterThan(requests(before));
      expect(sample(after, 'veeam_em_poll_overruns_total', { em: 'em01' })).toBeGreaterThanOrEqual(
        sample(before, 'veeam_em_poll_overruns_total', { em: 'em01' })!,
      );
      expect(sample(after, 'veeam_em_api_requests_total', { em: 'em01', endpoint: 'login', code: '201' })).toBe(2);
      // Nothing of the cancelled cycle was recorded as a failure.
      expect(sample(after, 'veeam_em_poll_errors_total', { em: 'em01', reason: 'network' })).toBe(0);
      expect(sample(after, 'veeam_em_poll_errors_total', { em: 'em01', reason: 'timeout' })).toBe(0);
    },
  );

  it(
    'a reload that changes one EM leaves the others alone: same session, polling on schedule',
    { timeout: 60_000 },
    async () => {
      const { slow, healthy, ems, poll } = await hangingPair();
      const { exporter } = start(exporterConfig(ems(), poll));
      void exporter.start();
      await waitUntil(() => held(slow), 'a restore-point request held by em01', 10_000);

      // EM takes its time over the logout: the new poller must not log on meanwhile.
      slow.sim.addFault({ match: { method: 'DELETE' }, latencyMs: 1_000 });
      let mostOpen = 0;
      const watch = setInterval(() => (mostOpen = Math.max(mostOpen, slow.sim.openSessionCount())), 10);
      onCleanup(() => clearInterval(watch));
      await within(3_000, exporter.reload(exporterConfig(ems('json'), poll)), 'reload');

      const polled = restorePointRequests(healthy);
      await waitUntil(() => restorePointRequests(healthy) >= polled + 8, 'em02 polling on after the reload', 10_000);
      expect(healthy.sim.sessions()).toHaveLength(1);
      await waitUntil(() => slow.sim.sessions().length === 2, 'the new em01 session', 10_000);
      expect(slow.sim.sessions()[0]!.endedBy).toBe('logout');
      // The new poller logged on only after the old session was logged out: never two sessions at once.
      expect(mostOpen).toBe(1);
    },
  );
});

describe('operations: a reload keeps what is known of an EM it replaces', () => {
  it('a reload that changes poll: discovered backups keep their series, no metadata is re-read at once', async () => {
    const s = await site();
    const discovering = exporterConfig([emConfig(s, { backups: [], discover: { include: '.*', rpoSeconds: 86_400 } })]);
    const { exporter } = start(discovering);
    expect(await exporter.runOnce()).toBe(true);
    const hourly = { em: 'em01', backup_id: BACKUPS.hourly };
    expect(sample(await exporter.metrics.render(), 'veeam_em_backup_restore_points', hourly)).toBe(24);
    const listings = () => s.sim.requests().filter((q) => /^\/api\/backups(\?|$)/.test(q.url)).length;
    const listed = listings();

    await exporter.reload({ ...discovering, poll: { ...discovering.poll, concurrency: 3 } });
    // The replaced poller's listing carries over: the series are there before the new client lists EM.
    expect(sample(await exporter.metrics.render(), 'veeam_em_backup_restore_points', hourly)).toBe(24);
    expect(await exporter.runOnce()).toBe(true);
    expect(listings()).toBe(listed);
    expect(s.sim.sessions().map((x) => x.endedBy)).toEqual(['logout', undefined]);
  });
});

describe('operations: files the config names are part of the config', () => {
  /** A CA file that does not trust the simulator: any public root will do. */
  const wrongCa = rootCertificates[0]!;

  it('a CA file renewed in place and a reload with the same YAML: the next cycle uses the new file', async () => {
    const s = await site();
    const caFile = join(s.dir, 'renewed-ca.pem');
    await writeFile(caFile, wrongCa);
    const config = exporterConfig([emConfig(s, { tls: { caFile, insecureSkipVerify: false } })], { retries: 0 });
    const { exporter } = start(config);
    expect(await exporter.runOnce()).toBe(false);
    expect(sample(await exporter.metrics.render(), 'veeam_em_poll_errors_total', { em: 'em01', reason: 'tls' })).toBe(
      4,
    );

    await writeFile(caFile, s.started.caPem);
    await exporter.reload(config);
    expect(await exporter.runOnce()).toBe(true);
    expect(sample(await exporter.metrics.render(), 'veeam_em_up', { em: 'em01' })).toBe(1);
  });

  it(
    'after a TLS failure the CA file is re-read before the next cycle: fixing the file needs no reload',
    { timeout: 30_000 },
    async () => {
      const s = await site();
      const caFile = join(s.dir, 'renewed-ca.pem');
      await writeFile(caFile, wrongCa);
      const { exporter, log } = start(
        exporterConfig([emConfig(s, { tls: { caFile, insecureSkipVerify: false } })], {
          schedule: '* * * * * *',
          retries: 0,
        }),
      );
      void exporter.start();
      await waitUntil(
        async () =>
          (sample(await exporter.metrics.render(), 'veeam_em_poll_errors_total', { em: 'em01', reason: 'tls' }) ?? 0) >=
          4,
        'a TLS failure',
        10_000,
      );

      await writeFile(caFile, s.started.caPem);
      await waitUntil(
        async () => sample(await exporter.metrics.render(), 'veeam_em_up', { em: 'em01' }) === 1,
        'em01 up with the renewed CA',
        10_000,
      );
      expect(
        log.lines().some((l) => l.em === 'em01' && String(l.msg).startsWith('the CA file changed after a TLS failure')),
      ).toBe(true);
      expect(s.sim.openSessionCount()).toBe(1);
    },
  );
});

describe('operations: a hung EM is visible within one timeout', () => {
  it(
    'veeam_em_up drops once EM has not answered for poll.timeout, while the cycle is still running',
    { timeout: 30_000 },
    async () => {
      const s = await site();
      // 4 backups one at a time, 3 attempts of 1.5 s each: the cycle alone would take 18 s.
      const { exporter, log } = start(
        exporterConfig([emConfig(s)], { timeoutMs: 1_500, retries: 2, concurrency: 1, cycleTimeoutMs: 60_000 }),
      );
      expect(await exporter.runOnce()).toBe(true);
      expect(sample(await exporter.metrics.render(), 'veeam_em_up', { em: 'em01' })).toBe(1);

      s.sim.addFault({ match: { path: /\/restorePoints$/ }, latencyMs: 60_000 });
      let ended = false;
      void exporter.runOnce().then(() => (ended = true));
      const hungAt = Date.now();
      await waitUntil(
        async () => sample(await exporter.metrics.render(), 'veeam_em_up', { em: 'em01' }) === 0,
        'veeam_em_up 0',
        6_000,
      );
      expect(Date.now() - hungAt).toBeLessThan(6_000);
      expect(ended).toBe(false);
      expect(
        warnings(log, 'em01').some((l) => /no answer from EM for 1\.5s \(poll\.timeout\) while polling/.test(l.msg)),
      ).toBe(true);
      // The status page follows at once too.
      const server = await serveExporter(exporter);
      onCleanup(() => server.close());
      expect(await (await fetch(`${server.base}/`)).text()).toMatch(/<b>em01<\/b> <span class="down">down<\/span>/);
    },
  );

  it(
    'a cycle ends at poll.cycleTimeout: what it could not finish fails as timeout, values are kept, the next cycle recovers',
    { timeout: 30_000 },
    async () => {
      const s = await site();
      const { exporter, log } = start(
        exporterConfig([emConfig(s)], { timeoutMs: 4_000, retries: 0, concurrency: 1, cycleTimeoutMs: 1_500 }),
      );
      expect(await exporter.runOnce()).toBe(true);

      s.sim.addFault({ match: { path: /\/restorePoints$/ }, latencyMs: 60_000 });
      expect(await within(5_000, exporter.runOnce(), 'the cycle to end at its deadline')).toBe(false);
      const text = await exporter.metrics.render();
      expect(sample(text, 'veeam_em_poll_errors_total', { em: 'em01', reason: 'timeout' })).toBe(4);
      expect(sample(text, 'veeam_em_up', { em: 'em01' })).toBe(0);
      for (const id of ALL_BACKUPS)
        expect(sample(text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: id })).toBe(0);
      expect(sample(text, 'veeam_em_backup_restore_points', { em: 'em01', backup_id: BACKUPS.hourly })).toBe(24);
      const deadline = warnings(log, 'em01').filter((l) =>
        /poll cycle ended at its deadline of 2s \(poll\.cycleTimeout\) with 4 of 4 backups not polled/.test(l.msg),
      );
      expect(deadline).toHaveLength(1);
      // One line for the cycle, none per backup.
      expect(warnings(log, 'em01').filter((l) => l.backup_id !== undefined)).toEqual([]);

      s.sim.clearFaults();
      const metadataReads = () => s.sim.requests().filter((q) => /^\/api\/backups\/[^/?]+(\?|$)/.test(q.url)).length;
      const readBefore = metadataReads();
      expect(await within(10_000, exporter.runOnce(), 'the next cycle')).toBe(true);
      // The fresh client takes over when metadata was last read: no burst of metadata reads.
      expect(metadataReads()).toBe(readBefore);
      expect(sample(await exporter.metrics.render(), 'veeam_em_up', { em: 'em01' })).toBe(1);
      // The expired cycle's requests were cancelled with its client, whose session was logged out.
      expect(s.sim.sessions().map((x) => x.endedBy)).toEqual(['logout', undefined]);
    },
  );
});

describe('operations: metadata never blocks freshness', () => {
  it('GET /backups/{id} failing: restore points are read all the same, the failure counted on its own', async () => {
    const s = await site();
    s.sim.addFault({ match: { path: new RegExp(`^/api/backups/${BACKUPS.daily}$`) }, status: 500 });
    const { exporter, log } = start(exporterConfig([emConfig(s)]));
    await exporter.runOnce();
    let text = await exporter.metrics.render();
    const daily = { em: 'em01', backup_id: BACKUPS.daily };
    expect(sample(text, 'veeam_em_backup_restore_points', daily)).toBe(3);
    expect(sample(text, 'veeam_em_backup_newest_restore_point_age_seconds', daily)).toBeGreaterThan(0);
    expect(sample(text, 'veeam_em_backup_poll_success', daily)).toBe(1);
    expect(sample(text, 'veeam_em_backup_info', daily)).toBeUndefined(); // until the first metadata read succeeds
    expect(sample(text, 'veeam_em_poll_errors_total', { em: 'em01', reason: 'http_5xx' })).toBe(1);
    expect(sample(text, 'veeam_em_up', { em: 'em01' })).toBe(1);
    const lines = warnings(log, 'em01');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ backup_id: BACKUPS.daily, endpoint: 'backup', reason: 'http_5xx' });

    s.sim.clearFaults();
    expect(await exporter.runOnce()).toBe(true);
    text = await exporter.metrics.render();
    expect(sample(text, 'veeam_em_backup_info', daily)).toBe(1);
  });

  it('query mode: a failing backup query does not keep the restore points from being read', async () => {
    const s = await site();
    s.sim.addFault({ match: { path: '/api/query', query: /(^|&)type=Backup(&|$)/ }, status: 500 });
    const { exporter } = start(exporterConfig([emConfig(s, { restorePoints: 'query' })]));
    await exporter.runOnce();
    const text = await exporter.metrics.render();
    expect(sample(text, 'veeam_em_backup_restore_points', { em: 'em01', backup_id: BACKUPS.hourly })).toBe(24);
    expect(sample(text, 'veeam_em_backup_restore_points', { em: 'em01', backup_id: BACKUPS.daily })).toBe(3);
    for (const id of ALL_BACKUPS)
      expect(sample(text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: id })).toBe(1);
    expect(sample(text, 'veeam_em_poll_errors_total', { em: 'em01', reason: 'http_5xx' })).toBe(4);
  });
});

describe('operations: logs stay readable when a whole EM fails', () => {
  const manyBackups = (n: number) => Array.from({ length: n }, () => ({ id: randomUUID(), rpoSeconds: 86_400 }));

  it('a wrong password with 100 backups: one line for the EM per cycle, not one per backup', async () => {
    const s = await site();
    const { exporter, log } = start(
      exporterConfig([emConfig(s, { password: 'wrong', backups: manyBackups(100) })], { retries: 0 }),
    );
    await exporter.runOnce();
    const first = warnings(log, 'em01');
    // The failed logon itself (said once per logon pause) and the cycle's summary.
    expect(first).toHaveLength(2);
    expect(first.filter((l) => l.polls_failed === 100)).toHaveLength(1);
    await exporter.runOnce();
    const second = warnings(log, 'em01').slice(first.length);
    expect(second.map((l) => l.polls_failed)).toEqual([100]);
  });

  it(
    'a stop mid-cycle with 300 queued backups: one summary line, no line per backup',
    { timeout: 30_000 },
    async () => {
      const s = await site();
      s.sim.addFault({ match: { path: /^\/api\/backups\// }, latencyMs: 60_000 });
      const { exporter, log } = start(
        exporterConfig([emConfig(s, { backups: manyBackups(300) })], {
          concurrency: 2,
          retries: 0,
          timeoutMs: 60_000,
          cycleTimeoutMs: 120_000,
        }),
      );
      void exporter.runOnce();
      await waitUntil(() => held(s), 'a request held by EM', 10_000);
      await within(5_000, exporter.stop(), 'stop');
      expect(warnings(log, 'em01')).toEqual([]);
      const summary = log.lines().filter((l) => l.em === 'em01' && l.backups_not_polled !== undefined);
      expect(summary.map((l) => l.backups_not_polled)).toEqual([300]);
      expect(s.sim.openSessionCount()).toBe(0);
    },
  );
});
