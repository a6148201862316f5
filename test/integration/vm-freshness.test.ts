import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmConfig, VmsConfig } from '../../src/config/types.js';
import { StoredBackup } from '../../src/simulator/model.js';
import type { SimBackup } from '../../src/simulator/index.js';
import { parseExposition } from '../metrics/parse-exposition.js';
import {
  BACKUPS,
  DAY,
  HOUR,
  NOW,
  capturingLogger,
  createExporter,
  emConfig,
  exporterConfig,
  serveExporter,
  siteBackups,
  startSite,
  type Site,
} from './harness.js';

const VMS: VmsConfig = { include: '.*', limit: 50_000, overlapMs: HOUR, resyncMs: 6 * HOUR };
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const promtoolFound = spawnSync(PROMTOOL, ['--version']).status === 0;

/** The site's backups, each with machines: one failing for two days, a name EM gives twice, one without VmName. */
function vmSite(now = NOW): SimBackup[] {
  const [daily, hourly, weekly, empty] = siteBackups(now);
  return [
    {
      ...daily!,
      restorePoints: [now - 2 * DAY - 5 * HOUR + 123, now - 5 * HOUR + 7, now - DAY - 5 * HOUR],
      vms: [
        { name: 'web-01', delayMs: 30_001 },
        { name: 'db "02"', delayMs: 45_999, inRestorePoints: [now - 2 * DAY - 5 * HOUR + 123] },
        { name: 'twin', objRef: 'urn:VMware:Vm:root.vm-1', delayMs: 50_000 },
        { name: 'twin', objRef: 'urn:VMware:Vm:root.vm-2', delayMs: 51_000 },
        { name: 'app', displayName: 'app (display)', omitVmName: true, objRef: null, delayMs: 61_000 },
      ],
    },
    { ...hourly!, vms: [{ name: 'sql-01' }, { name: 'sql-02' }] },
    { ...weekly!, vms: [{ name: 'laptop-07' }] },
    { ...empty!, vms: [{ name: 'never-backed-up' }] },
  ];
}

/** What /metrics must say about machines: one entry per backup and machine with points, from the simulator's own model. */
function expectedSeries(
  backups: readonly SimBackup[],
  ids: readonly string[],
): Map<string, { count: number; newest: number; name: string }> {
  const out = new Map<string, { count: number; newest: number; name: string }>();
  for (const b of backups.filter((x) => ids.includes(x.id))) {
    for (const p of new StoredBackup(b).vmPoints()) {
      const name = p.vmName ?? p.displayName;
      const key = `${b.id}|${name}|${p.objRef ?? name}`;
      const e = out.get(key);
      out.set(key, { count: (e?.count ?? 0) + 1, newest: Math.max(e?.newest ?? -Infinity, p.ms / 1000), name });
    }
  }
  return out;
}

function seriesOf(text: string, family: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of parseExposition(text).samples.filter((x) => x.name === family)) {
    const key = `${s.labels.backup_id}|${s.labels.vm_name}|${s.labels.vm_id}`;
    expect(out.has(key), `one series per machine: ${key}`).toBe(false);
    out.set(key, s.value);
  }
  return out;
}

let site: Site | undefined;
afterEach(async () => {
  await site?.close();
  site = undefined;
});

async function setup(vms: VmsConfig | null = VMS, overrides: Partial<EmConfig> = {}) {
  site = await startSite({ backups: vmSite() });
  const log = capturingLogger();
  const em = emConfig(site, { ...(vms !== null ? { vms } : {}), ...overrides });
  const exporter = createExporter(exporterConfig([em]), log.logger);
  return { site, exporter, log, em };
}

const vmQueries = (s: Site) => s.sim.requests().filter((r) => r.url.includes('type=VmRestorePoint'));

describe('per-machine freshness against the simulator', () => {
  it('exports exactly one count and one newest timestamp per machine with points, to the millisecond, and promtool finds nothing', async () => {
    const { exporter } = await setup();
    await exporter.runOnce();
    const text = await exporter.metrics.render();
    const ids = Object.values(BACKUPS);
    const want = expectedSeries(vmSite(), ids);
    expect(want.size).toBe(5 + 2 + 1);
    const counts = seriesOf(text, 'veeam_em_vm_restore_points');
    const newest = seriesOf(text, 'veeam_em_vm_newest_restore_point_timestamp_seconds');
    expect(new Map([...counts])).toEqual(new Map([...want].map(([k, v]) => [k, v.count])));
    expect(new Map([...newest])).toEqual(new Map([...want].map(([k, v]) => [k, v.newest])));
    // The failing machine: one point, two days old, while the backup's newest is 5 hours old.
    expect(
      newest.get(`${BACKUPS.daily}|db "02"|${[...want.keys()].find((k) => k.includes('db "02"'))!.split('|')[2]}`),
    ).toBe((NOW - 2 * DAY - 5 * HOUR + 123 + 45_999) / 1000);
    // Twins stay apart by reference; a machine without VmName shows its display name, keyed by it.
    expect([...counts.keys()].filter((k) => k.includes('|twin|'))).toHaveLength(2);
    expect(counts.get(`${BACKUPS.daily}|app (display)|app (display)`)).toBe(3);
    // A backup with no points has no machine series; backup_name labels come from EM.
    expect([...counts.keys()].some((k) => k.startsWith(BACKUPS.empty))).toBe(false);
    const sample = parseExposition(text).samples.find(
      (s) => s.name === 'veeam_em_vm_restore_points' && s.labels.backup_id === BACKUPS.hourly,
    )!;
    expect(sample.labels).toMatchObject({ em: 'em01', backup_name: 'Hourly "SQL" Backup' });
    expect(parseExposition(text).help.get('veeam_em_vm_restore_points')).toContain('schedule "*/5 * * * *"');
    expect(parseExposition(text).samples.find((s) => s.name === 'veeam_em_vm_series_dropped')).toMatchObject({
      labels: { em: 'em01' },
      value: 0,
    });
    if (promtoolFound) {
      const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
        status: 0,
        stdout: '',
        stderr: '',
      });
    }
    await exporter.stop();
  });

  it('reads in full first, then only what is new; a new point and retention show at the next cycle', async () => {
    const { exporter, site } = await setup();
    await exporter.runOnce();
    expect(vmQueries(site).map((r) => r.url)).toEqual([expect.not.stringContaining('filter=')]);
    site.sim.clearRequests();

    // A new restore point for the daily backup (web-01 and the twins, not db "02"), and retention drops the oldest.
    const backups = vmSite();
    const daily = backups[0]!;
    const fresh = NOW - 10 * 60_000;
    daily.restorePoints = [...daily.restorePoints.filter((ms) => ms !== NOW - 2 * DAY - 5 * HOUR + 123), fresh];
    daily.vms = daily.vms!.map((vm) => (vm.name === 'db "02"' ? { ...vm, inRestorePoints: [] } : vm));
    site.sim.setBackups(backups);
    await exporter.runOnce();
    const queries = vmQueries(site);
    expect(queries).toHaveLength(1);
    expect(decodeURIComponent(queries[0]!.url)).toMatch(/filter=CreationTime>="2026-11-2\dT\d\d:\d\d:\d\dZ"/);
    const text = await exporter.metrics.render();
    const counts = seriesOf(text, 'veeam_em_vm_restore_points');
    const newest = seriesOf(text, 'veeam_em_vm_newest_restore_point_timestamp_seconds');
    expect(new Map(counts)).toEqual(
      new Map([...expectedSeries(backups, Object.values(BACKUPS))].map(([k, v]) => [k, v.count])),
    );
    expect(new Map(newest)).toEqual(
      new Map([...expectedSeries(backups, Object.values(BACKUPS))].map(([k, v]) => [k, v.newest])),
    );
    // db "02" had its only point in the restore point retention removed: its series is gone.
    expect([...counts.keys()].some((k) => k.includes('db "02"'))).toBe(false);
    await exporter.stop();
  });

  it('a failed read keeps the last values and counts a poll error; garbage costs nothing else', async () => {
    const { exporter, site, log } = await setup();
    await exporter.runOnce();
    const before = seriesOf(await exporter.metrics.render(), 'veeam_em_vm_newest_restore_point_timestamp_seconds');
    site.sim.addFault({ match: { path: '/api/query', query: /type=VmRestorePoint/ }, body: 'malformed' });
    await exporter.runOnce();
    const text = await exporter.metrics.render();
    expect(seriesOf(text, 'veeam_em_vm_newest_restore_point_timestamp_seconds')).toEqual(before);
    expect(
      parseExposition(text).samples.find((s) => s.name === 'veeam_em_poll_errors_total' && s.labels.reason === 'parse')
        ?.value,
    ).toBe(1);
    expect(
      parseExposition(text)
        .samples.filter((s) => s.name === 'veeam_em_backup_poll_success')
        .every((s) => s.value === 1),
    ).toBe(true);
    expect(log.text()).toMatch(/VM series keep their last values/);
    await exporter.stop();
  });

  it('limit drops the series beyond it, says how many, and warns; include/exclude pick by name', async () => {
    const { exporter, log } = await setup({ ...VMS, limit: 3, exclude: '^twin$' });
    await exporter.runOnce();
    const text = await exporter.metrics.render();
    const counts = seriesOf(text, 'veeam_em_vm_restore_points');
    expect(counts.size).toBe(3);
    expect([...counts.keys()].some((k) => k.includes('|twin|'))).toBe(false);
    expect(parseExposition(text).samples.find((s) => s.name === 'veeam_em_vm_series_dropped')?.value).toBe(6 - 3);
    expect(log.text()).toMatch(/more VM series than vms.limit/);
    await exporter.stop();
  });

  it('off by default: no VM request and no VM family; a reload turns it on and off without a new logon', async () => {
    const { exporter, site, em } = await setup(null);
    await exporter.runOnce();
    expect(vmQueries(site)).toHaveLength(0);
    expect(await exporter.metrics.render()).not.toContain('veeam_em_vm_');
    await exporter.reload(exporterConfig([{ ...em, vms: VMS }]));
    await exporter.runOnce();
    expect(seriesOf(await exporter.metrics.render(), 'veeam_em_vm_restore_points').size).toBe(8);
    await exporter.reload(exporterConfig([em]));
    expect(await exporter.metrics.render()).not.toContain('veeam_em_vm_');
    expect(site.sim.sessions()).toHaveLength(1);
    // A backup removed from the config takes its machines along at once.
    await exporter.reload(exporterConfig([{ ...em, vms: VMS }]));
    await exporter.runOnce();
    await exporter.reload(
      exporterConfig([{ ...em, vms: VMS, backups: em.backups.filter((b) => b.id !== BACKUPS.daily) }]),
    );
    const counts = seriesOf(await exporter.metrics.render(), 'veeam_em_vm_restore_points');
    expect([...counts.keys()].some((k) => k.startsWith(BACKUPS.daily))).toBe(false);
    expect(counts.size).toBe(3);
    await exporter.stop();
  });

  it('the status page names the stale machine of a backup that looks healthy', async () => {
    const { exporter } = await setup();
    await exporter.runOnce();
    const served = await serveExporter(exporter, { now: () => NOW });
    try {
      const html = await (await fetch(`${served.base}/`)).text();
      expect(html).toContain('Machines (VM freshness)');
      expect(html).toMatch(
        /<td>Daily VM Backup<\/td><td class="num late">4 of 5<\/td><td>db &quot;02&quot; \(2d 4h\)<\/td>/,
      );
    } finally {
      await served.close();
      await exporter.stop();
    }
  });

  it('a reload that excludes a machine ends its series at once, without reading EM', async () => {
    const { exporter, site, em } = await setup();
    await exporter.runOnce();
    site.sim.clearRequests();
    await exporter.reload(exporterConfig([{ ...em, vms: { ...VMS, exclude: '^db "02"$' } }]));
    const counts = seriesOf(await exporter.metrics.render(), 'veeam_em_vm_restore_points');
    expect([...counts.keys()].some((k) => k.includes('db "02"'))).toBe(false);
    expect(counts.size).toBe(7);
    expect(vmQueries(site)).toHaveLength(0);
    await exporter.stop();
  });

  it('stopping while EM hangs on a VM read returns at once and leaves no session open', async () => {
    const { exporter, site } = await setup();
    site.sim.addFault({ match: { path: '/api/query', query: /type=VmRestorePoint/ }, latencyMs: 20_000 });
    const cycle = exporter.runOnce();
    const deadline = Date.now() + 10_000;
    while (vmQueries(site).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(vmQueries(site)).toHaveLength(1);
    const started = Date.now();
    await exporter.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    await cycle.catch(() => undefined);
    expect(site.sim.openSessionCount()).toBe(0);
  });

  it('agent machines: each ChildBackup gets its machine; a ParentBackup and a backup without VM points get none', async () => {
    const parent = '11111111-2222-4333-8444-555555555555';
    const child = '66666666-7777-4888-9999-000000000000';
    site = await startSite({
      backups: [
        ...vmSite(),
        {
          id: parent,
          name: 'Agent Policy',
          backupType: 'ParentBackup',
          platform: 'AgentForWindows',
          restorePoints: [],
        },
        {
          id: child,
          name: 'Agent Policy - laptop01',
          backupType: 'ChildBackup',
          platform: 'AgentForWindows',
          parentId: parent,
          restorePoints: [NOW - 3 * HOUR],
          vms: [{ name: 'laptop01', objRef: null }],
        },
      ],
    });
    const em = emConfig(site, { vms: VMS });
    const exporter = createExporter(
      exporterConfig([
        { ...em, backups: [...em.backups, { id: parent, rpoSeconds: 93600 }, { id: child, rpoSeconds: 93600 }] },
      ]),
      capturingLogger().logger,
    );
    await exporter.runOnce();
    const counts = seriesOf(await exporter.metrics.render(), 'veeam_em_vm_restore_points');
    expect(counts.get(`${child}|laptop01|laptop01`)).toBe(1);
    expect([...counts.keys()].some((k) => k.startsWith(parent) || k.startsWith(BACKUPS.empty))).toBe(false);
    await exporter.stop();
  });

  it('keeps VM series across a reload that restarts the poller (new schedule), and drops them with the EM', async () => {
    const { exporter, em } = await setup();
    await exporter.runOnce();
    const before = seriesOf(await exporter.metrics.render(), 'veeam_em_vm_newest_restore_point_timestamp_seconds');
    expect(before.size).toBe(8);
    await exporter.reload(exporterConfig([em], { schedule: '*/10 * * * *' }));
    const text = await exporter.metrics.render();
    expect(seriesOf(text, 'veeam_em_vm_newest_restore_point_timestamp_seconds')).toEqual(before);
    expect(parseExposition(text).help.get('veeam_em_vm_restore_points')).toContain('schedule "*/10 * * * *"');
    await exporter.reload(exporterConfig([{ ...em, name: 'em02' }]));
    expect(seriesOf(await exporter.metrics.render(), 'veeam_em_vm_restore_points').size).toBe(0);
    await exporter.stop();
  });

  it('a poller replaced by reload hands its VM state over: the next read stays incremental', async () => {
    const { exporter, em, site } = await setup();
    await exporter.runOnce();
    await exporter.reload(exporterConfig([em], { schedule: '*/10 * * * *' }));
    site.sim.clearRequests();
    await exporter.runOnce();
    const queries = vmQueries(site);
    expect(queries).toHaveLength(1);
    expect(decodeURIComponent(queries[0]!.url)).toContain('filter=CreationTime>=');
    expect(seriesOf(await exporter.metrics.render(), 'veeam_em_vm_restore_points').size).toBe(8);
    await exporter.stop();
  });

  it('a VM read still running at the cycle deadline ends there: it fails as timeout, keeps the series, and the next cycle reads on a fresh client', async () => {
    site = await startSite({ backups: vmSite() });
    const log = capturingLogger();
    const em = emConfig(site, { vms: VMS });
    const exporter = createExporter(exporterConfig([em], { cycleTimeoutMs: 3_000, timeoutMs: 30_000 }), log.logger);
    await exporter.runOnce();
    const before = seriesOf(await exporter.metrics.render(), 'veeam_em_vm_newest_restore_point_timestamp_seconds');
    expect(before.size).toBe(8);

    site.sim.addFault({ match: { path: '/api/query', query: /type=VmRestorePoint/ }, latencyMs: 25_000, times: 1 });
    const started = Date.now();
    await exporter.runOnce();
    expect(Date.now() - started).toBeLessThan(15_000);
    const text = await exporter.metrics.render();
    expect(seriesOf(text, 'veeam_em_vm_newest_restore_point_timestamp_seconds')).toEqual(before);
    // The backups of that cycle were polled and recorded before the VM read began.
    expect(
      parseExposition(text)
        .samples.filter((x) => x.name === 'veeam_em_backup_poll_success')
        .every((x) => x.value === 1),
    ).toBe(true);
    const timeouts = parseExposition(text).samples.find(
      (x) => x.name === 'veeam_em_poll_errors_total' && x.labels.reason === 'timeout',
    );
    expect(timeouts?.value).toBe(1);
    const record = exporter.vms.ems()[0]!;
    expect(record.lastRead).toMatchObject({ ok: false, kind: 'since' });
    expect(record.lastRead?.message).toContain('cycle reached its deadline');

    // The cut read left its request on the old client; the next cycle logs on afresh, reads on
    // from where the last successful read stopped, and no session is left behind.
    site.sim.clearRequests();
    await exporter.runOnce();
    expect(log.text()).toContain('the last cycle ended at its deadline');
    const queries = vmQueries(site);
    expect(queries).toHaveLength(1);
    expect(decodeURIComponent(queries[0]!.url)).toContain('filter=CreationTime>=');
    expect(exporter.vms.ems()[0]!.lastRead).toMatchObject({ ok: true, kind: 'since' });
    await exporter.stop();
    expect(site.sim.openSessionCount()).toBe(0);
  });

  it('a reload that replaces the poller while EM hangs on a VM read returns at once; the old read records nothing', async () => {
    const { exporter, em, site } = await setup();
    await exporter.runOnce();
    const before = exporter.vms.ems()[0]!;
    site.sim.addFault({ match: { path: '/api/query', query: /type=VmRestorePoint/ }, latencyMs: 20_000, times: 1 });
    site.sim.clearRequests();
    const cycle = exporter.runOnce();
    const deadline = Date.now() + 10_000;
    while (vmQueries(site).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(vmQueries(site)).toHaveLength(1);
    const started = Date.now();
    await exporter.reload(exporterConfig([em], { schedule: '*/10 * * * *' }));
    expect(Date.now() - started).toBeLessThan(2_000);
    await cycle;
    expect(exporter.vms.ems()[0]).toEqual(before);
    await exporter.stop();
    expect(site.sim.openSessionCount()).toBe(0);
  });
});
