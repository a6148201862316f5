import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmConfig } from '../../src/config/types.js';
import type { Exporter } from '../../src/exporter.js';
import { stableGuid, type SimBackup } from '../../src/simulator/index.js';
import {
  BACKUPS,
  HOUR,
  MINUTE,
  NOW,
  capturingLogger,
  createExporter,
  emConfig,
  exporterConfig,
  sample,
  siteBackups,
  startSite,
  type Site,
} from './harness.js';

const sites: Site[] = [];
const exporters: Exporter[] = [];
afterEach(async () => {
  await Promise.all(exporters.splice(0).map((e) => e.stop()));
  await Promise.all(sites.splice(0).map((s) => s.close()));
});

const PARENT = '11111111-2222-4333-8444-555555555555';
const LAPTOP = '66666666-7777-4888-9999-000000000001';
const TEST_PC = '66666666-7777-4888-9999-000000000002';
const TEST_JOB = '99999999-0000-4000-8000-000000000001';

/** The usual four backups, a job named Test…, and an agent policy with two machines. */
function discoverySite(): SimBackup[] {
  return [
    ...siteBackups(),
    { id: TEST_JOB, name: 'Test restore job', restorePoints: [NOW - HOUR] },
    { id: PARENT, name: 'Agent Policy', backupType: 'ParentBackup', platform: 'AgentForWindows', restorePoints: [] },
    {
      id: LAPTOP,
      name: 'laptop01',
      backupType: 'ChildBackup',
      platform: 'AgentForWindows',
      parentId: PARENT,
      restorePoints: [NOW - 3 * HOUR, NOW - 27 * HOUR],
    },
    {
      id: TEST_PC,
      name: 'Test-pc02',
      backupType: 'ChildBackup',
      platform: 'AgentForWindows',
      parentId: PARENT,
      restorePoints: [NOW - 2 * HOUR],
    },
  ];
}

async function site(): Promise<Site> {
  const s = await startSite({ backups: discoverySite() });
  sites.push(s);
  return s;
}

const DISCOVER_RPO = 30 * 3600;

function config(s: Site, overrides: Partial<EmConfig> = {}): EmConfig {
  return emConfig(s, {
    backups: [],
    discover: { include: '.*', exclude: '^Test', rpoSeconds: DISCOVER_RPO },
    ...overrides,
  });
}

function exporterFor(ems: EmConfig[], now: () => number = () => NOW, logger = pino({ level: 'silent' })): Exporter {
  const exporter = createExporter(exporterConfig(ems), logger, now);
  exporters.push(exporter);
  return exporter;
}

/** backup_id -> backup_name of every veeam_em_backup_info series. */
function infoNames(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(
    /^veeam_em_backup_info\{em="[^"]*",backup_id="([^"]+)",backup_name="((?:[^"\\]|\\.)*)"/gm,
  ))
    out[m[1]!] = m[2]!;
  return out;
}

const exported = (text: string) =>
  [
    ...new Set([...text.matchAll(/^veeam_em_backup_restore_points\{[^}]*backup_id="([^"]+)"/gm)].map((m) => m[1]!)),
  ].sort();

describe('discover', () => {
  for (const mode of ['entity', 'query'] as const) {
    it(`polls every backup whose name matches, children of a parent included, with metadata from the listing (${mode})`, async () => {
      const s = await site();
      const exporter = exporterFor([config(s, { restorePoints: mode })]);
      expect(await exporter.runOnce()).toBe(true);
      const text = await exporter.metrics.render();
      expect(exported(text)).toEqual([BACKUPS.daily, BACKUPS.hourly, BACKUPS.weekly, BACKUPS.empty, LAPTOP].sort());
      expect(infoNames(text)).toEqual({
        [BACKUPS.daily]: 'Daily VM Backup',
        [BACKUPS.hourly]: 'Hourly \\"SQL\\" Backup',
        [BACKUPS.weekly]: 'Weekly File Server',
        [BACKUPS.empty]: 'New Agent Backup',
        [LAPTOP]: 'laptop01',
      });
      expect(text).toContain(
        `veeam_em_backup_info{em="em01",backup_id="${LAPTOP}",backup_name="laptop01",backup_server="vbr01.example.local",platform="AgentForWindows",backup_type="ChildBackup",repository="Default Backup Repository"} 1`,
      );
      expect(sample(text, 'veeam_em_backup_restore_points', { backup_id: LAPTOP })).toBe(2);
      expect(sample(text, 'veeam_em_backup_restore_points', { backup_id: BACKUPS.empty })).toBe(0);
      expect(sample(text, 'veeam_em_backup_rpo_seconds', { backup_id: BACKUPS.daily })).toBe(DISCOVER_RPO);

      const urls = s.sim.requests().map((r) => r.url);
      expect(urls.filter((u) => u.startsWith('/api/backups?') || u.includes('/childbackups'))).toEqual([
        '/api/backups?format=Entity',
        `/api/backups/${PARENT}/childbackups?format=Entity`,
      ]);
      // The listing told every name and label: no request per backup for metadata.
      expect(urls.filter((u) => /^\/api\/backups\/[^/?]+\?format=Entity$/.test(u))).toEqual([]);
      expect(urls.filter((u) => u.startsWith('/api/query?type=Backup'))).toEqual([]);
    });
  }

  it('reads a listing longer than one query page in pages from the next refresh on, with the same backups and labels', async () => {
    const many: SimBackup[] = Array.from({ length: 1_100 }, (_, i) => ({
      id: stableGuid(`many:${i}`),
      name: `Job ${String(i).padStart(4, '0')}`,
      repository: `Repository ${i % 3}`,
      restorePoints: [NOW - HOUR],
    }));
    const s = await startSite({ backups: [...discoverySite(), ...many] });
    sites.push(s);
    let now = NOW;
    const exporter = exporterFor([config(s, { restorePoints: 'query' })], () => now);
    expect(await exporter.runOnce()).toBe(true);
    const first = await exporter.metrics.render();
    expect(exported(first)).toHaveLength(1_105);

    s.sim.clearRequests();
    now = NOW + HOUR;
    expect(await exporter.runOnce()).toBe(true);
    const urls = s.sim.requests().map((r) => r.url);
    expect(urls.filter((u) => u.startsWith('/api/backups?'))).toEqual([]);
    expect(
      urls.filter((u) => u.startsWith('/api/query?type=Backup&format=Entities&sortAsc=UID&pageSize=1000&page=')),
    ).toHaveLength(2);
    expect(urls.filter((u) => u.includes('/childbackups'))).toEqual([
      `/api/backups/${PARENT}/childbackups?format=Entity`,
    ]);
    const second = await exporter.metrics.render();
    expect(exported(second)).toEqual(exported(first));
    expect(infoNames(second)).toEqual(infoNames(first));
    expect(second).toContain(
      `backup_id="${many[7]!.id}",backup_name="Job 0007",backup_server="vbr01.example.local",platform="VMware",backup_type="Standard",repository="Repository 1"} 1`,
    );
  });

  it('keeps the RPO of a backup that is also configured', async () => {
    const s = await site();
    const exporter = exporterFor([config(s, { backups: [{ id: BACKUPS.hourly, rpoSeconds: 2 * 3600 }] })]);
    await exporter.runOnce();
    const text = await exporter.metrics.render();
    expect(sample(text, 'veeam_em_backup_rpo_seconds', { backup_id: BACKUPS.hourly })).toBe(2 * 3600);
    expect(sample(text, 'veeam_em_backup_rpo_seconds', { backup_id: BACKUPS.weekly })).toBe(DISCOVER_RPO);
    expect(text.match(new RegExp(`^veeam_em_backup_rpo_seconds\\{[^}]*${BACKUPS.hourly}`, 'gm'))).toHaveLength(1);
  });

  it('drops a backup that vanished from EM at the next refresh, not before', async () => {
    const s = await site();
    let now = NOW;
    const exporter = exporterFor([config(s)], () => now);
    await exporter.runOnce();
    s.sim.removeBackup(BACKUPS.weekly);
    s.sim.removeBackup(LAPTOP);

    now += 5 * MINUTE;
    await exporter.runOnce();
    let text = await exporter.metrics.render();
    // Until discovery lists EM again, a gone backup is what it is in config: not found.
    expect(sample(text, 'veeam_em_backup_poll_success', { backup_id: BACKUPS.weekly })).toBe(0);
    expect(sample(text, 'veeam_em_poll_errors_total', { reason: 'not_found' })).toBe(2);

    now = NOW + HOUR;
    expect(await exporter.runOnce()).toBe(true);
    text = await exporter.metrics.render();
    expect(text).not.toContain(BACKUPS.weekly);
    expect(text).not.toContain(LAPTOP);
    expect(exported(text)).toEqual([BACKUPS.daily, BACKUPS.hourly, BACKUPS.empty].sort());
  });

  it('polls a backup that appeared at the next refresh', async () => {
    const s = await site();
    let now = NOW;
    const exporter = exporterFor([config(s, { restorePoints: 'query' })], () => now);
    await exporter.runOnce();
    const added = 'abcdef00-1111-4222-8333-444455556666';
    s.sim.upsertBackup({ id: added, name: 'New SQL Backup', restorePoints: [NOW - MINUTE] });
    now = NOW + HOUR;
    await exporter.runOnce();
    const text = await exporter.metrics.render();
    expect(sample(text, 'veeam_em_backup_restore_points', { backup_id: added, backup_name: 'New SQL Backup' })).toBe(1);
  });

  it('keeps the discovered set when the listing fails, counts the error, and lists again at the next cycle', async () => {
    const s = await site();
    let now = NOW;
    const log = capturingLogger();
    const exporter = exporterFor([config(s)], () => now, log.logger);
    expect(await exporter.runOnce()).toBe(true);
    expect(
      log
        .lines()
        .filter((l) => l.msg === 'discovery changed the set of polled backups')
        .map((l) => l.discovered),
    ).toEqual([5]);

    s.sim.addFault({ match: { path: '/api/backups', query: 'format=Entity' }, status: 503 });
    s.sim.clearRequests();
    now = NOW + HOUR;
    expect(await exporter.runOnce()).toBe(false);
    let text = await exporter.metrics.render();
    expect(exported(text)).toEqual([BACKUPS.daily, BACKUPS.hourly, BACKUPS.weekly, BACKUPS.empty, LAPTOP].sort());
    for (const id of exported(text)) expect(sample(text, 'veeam_em_backup_poll_success', { backup_id: id })).toBe(1);
    expect(sample(text, 'veeam_em_poll_errors_total', { reason: 'http_5xx' })).toBe(1);
    expect(sample(text, 'veeam_em_up', { em: 'em01' })).toBe(1);
    const warning = log.lines().find((l) => l.discovery === true);
    expect(String(warning?.msg)).toMatch(/^em "em01": GET backups \(discovery\): EM answered 503/);
    // Metadata was due as well: without a listing it is read per backup, as without discovery.
    expect(s.sim.requests().filter((r) => /^\/api\/backups\/[^/?]+\?format=Entity$/.test(r.url))).toHaveLength(5);

    s.sim.clearFaults();
    s.sim.clearRequests();
    now += 5 * MINUTE;
    expect(await exporter.runOnce()).toBe(true);
    expect(s.sim.requests().filter((r) => r.url === '/api/backups?format=Entity')).toHaveLength(1);
    text = await exporter.metrics.render();
    expect(sample(text, 'veeam_em_poll_errors_total', { reason: 'http_5xx' })).toBe(1);
  });

  it('keeps the known children of a parent whose child listing fails', async () => {
    const s = await site();
    let now = NOW;
    const exporter = exporterFor([config(s)], () => now);
    await exporter.runOnce();
    s.sim.addFault({ match: { path: `/api/backups/${PARENT}/childbackups` }, status: 500 });
    now = NOW + HOUR;
    expect(await exporter.runOnce()).toBe(false);
    const text = await exporter.metrics.render();
    expect(sample(text, 'veeam_em_backup_poll_success', { backup_id: LAPTOP })).toBe(1);
    expect(sample(text, 'veeam_em_poll_errors_total', { reason: 'http_5xx' })).toBe(1);
  });

  it('reports EM down when discovery cannot reach it and nothing else is known', async () => {
    const s = await site();
    const base = config(s);
    await s.sim.stop();
    const exporter = exporterFor([base]);
    expect(await exporter.runOnce()).toBe(false);
    const text = await exporter.metrics.render();
    expect(sample(text, 'veeam_em_up', { em: 'em01' })).toBe(0);
    expect(sample(text, 'veeam_em_poll_errors_total', { reason: 'network' })).toBe(1);
    expect(exported(text)).toEqual([]);
  });

  it('follows a reload: a new exclude drops series at once, removing discover drops every discovered one', async () => {
    const s = await site();
    const exporter = exporterFor([config(s)]);
    await exporter.runOnce();
    await exporter.reload(
      exporterConfig([config(s, { discover: { include: '.*', exclude: '^(Test|Hourly)', rpoSeconds: DISCOVER_RPO } })]),
    );
    let text = await exporter.metrics.render();
    expect(exported(text)).toEqual([BACKUPS.daily, BACKUPS.weekly, BACKUPS.empty, LAPTOP].sort());
    // Values read before the reload stay.
    expect(sample(text, 'veeam_em_backup_restore_points', { backup_id: BACKUPS.daily })).toBe(3);

    const { discover: _, ...withoutDiscover } = config(s, { backups: [{ id: BACKUPS.daily, rpoSeconds: 3600 }] });
    await exporter.reload(exporterConfig([withoutDiscover]));
    text = await exporter.metrics.render();
    expect(exported(text)).toEqual([BACKUPS.daily]);
    expect(sample(text, 'veeam_em_backup_rpo_seconds', { backup_id: BACKUPS.daily })).toBe(3600);
    expect(s.sim.sessions()).toHaveLength(1);
  });
});
