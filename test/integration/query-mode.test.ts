import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Exporter } from '../../src/exporter.js';
import { stableGuid, type SimBackup } from '../../src/simulator/index.js';
import {
  BACKUPS,
  HOUR,
  NOW,
  createExporter,
  emConfig,
  exporterConfig,
  sample,
  startSite,
  type Site,
} from './harness.js';

const sites: Site[] = [];
const exporters: Exporter[] = [];
afterEach(async () => {
  await Promise.all(exporters.splice(0).map((e) => e.stop()));
  await Promise.all(sites.splice(0).map((s) => s.close()));
});

async function site(backups?: SimBackup[]): Promise<Site> {
  const s = await startSite(backups === undefined ? {} : { backups });
  sites.push(s);
  return s;
}

/** An exporter in query mode watching `backups` (all with a 26 h RPO) on `s`, clock at NOW unless given. */
function queryExporter(s: Site, backups: SimBackup[] | string[], now: () => number = () => NOW): Exporter {
  const ids = backups.map((b) => (typeof b === 'string' ? b : b.id));
  const exporter = createExporter(
    exporterConfig([
      emConfig(s, { restorePoints: 'query', backups: ids.map((id) => ({ id, rpoSeconds: 26 * 3600 })) }),
    ]),
    pino({ level: 'silent' }),
    now,
  );
  exporters.push(exporter);
  return exporter;
}

const BIG = stableGuid('big-backup');
/** One backup with 2,500 restore points and 99 with one each: more than one query request, and a first one of 3 pages. */
function bigSite(): SimBackup[] {
  return [
    {
      id: BIG,
      name: 'Big File Server',
      restorePoints: Array.from({ length: 2500 }, (_, i) => NOW - HOUR - i * 600_000),
    },
    ...Array.from({ length: 99 }, (_, i) => ({
      id: stableGuid(`small-${i}`),
      name: `Small ${i}`,
      restorePoints: [NOW - (i + 1) * 60_000],
    })),
  ];
}

const pointQueries = (s: Site) => s.sim.requests().filter((r) => r.url.startsWith('/api/query?type=RestorePoint'));
const param = (url: string, name: string) => new URLSearchParams(url.slice(url.indexOf('?') + 1)).get(name);
const idsOf = (url: string) =>
  [...(param(url, 'filter') ?? '').matchAll(/urn:veeam:Backup:([0-9a-f-]{36})/g)].map((m) => m[1]!);

describe('restorePoints: query', () => {
  it('reads 2,500 restore points of one backup in 3 pages of 1,000 and exports them all', async () => {
    const backups = bigSite();
    const s = await site(backups);
    const exporter = queryExporter(s, backups);
    expect(await exporter.runOnce()).toBe(true);
    const text = await exporter.metrics.render();
    expect(sample(text, 'veeam_em_backup_restore_points', { backup_id: BIG })).toBe(2500);
    expect(sample(text, 'veeam_em_backup_newest_restore_point_timestamp_seconds', { backup_id: BIG })).toBe(
      (NOW - HOUR) / 1000,
    );
    expect(sample(text, 'veeam_em_backup_oldest_restore_point_timestamp_seconds', { backup_id: BIG })).toBe(
      (NOW - HOUR - 2499 * 600_000) / 1000,
    );
    for (const b of backups.slice(1))
      expect(sample(text, 'veeam_em_backup_restore_points', { backup_id: b.id })).toBe(1);

    const withBig = pointQueries(s).filter((r) => idsOf(r.url).includes(BIG));
    expect(withBig.map((r) => param(r.url, 'page')).sort()).toEqual(['1', '2', '3']);
    expect(pointQueries(s).every((r) => param(r.url, 'pageSize') === '1000')).toBe(true);
    // No request per backup at all.
    expect(s.sim.requests().filter((r) => r.url.startsWith('/api/backups'))).toEqual([]);
  });

  it('fails the backups of a request whose page 2 fails, keeps their last values, and polls the others', async () => {
    const backups = bigSite();
    const s = await site(backups);
    let now = NOW;
    const exporter = queryExporter(s, backups, () => now);
    expect(await exporter.runOnce()).toBe(true);

    s.sim.clearRequests();
    s.sim.addFault({ match: { path: '/api/query', query: /^type=RestorePoint&.*(&|^)page=2(&|$)/ }, status: 500 });
    // Newer points everywhere: a backup that shows them was really read in the second cycle.
    s.sim.setBackups(backups.map((b) => ({ ...b, restorePoints: [...b.restorePoints, NOW + HOUR] })));
    now = NOW + 2 * HOUR;
    expect(await exporter.runOnce()).toBe(false);
    const text = await exporter.metrics.render();

    const failedRequest = pointQueries(s).find((r) => param(r.url, 'page') === '2');
    const hit = new Set(idsOf(failedRequest!.url));
    expect(hit.has(BIG)).toBe(true);
    expect(hit.size).toBeLessThan(backups.length);
    for (const b of backups) {
      const labels = { backup_id: b.id };
      if (hit.has(b.id)) {
        expect(sample(text, 'veeam_em_backup_poll_success', labels)).toBe(0);
        // Nothing truncated: the count and times of the last good poll stay.
        expect(sample(text, 'veeam_em_backup_restore_points', labels)).toBe(b.restorePoints.length);
        expect(sample(text, 'veeam_em_backup_newest_restore_point_timestamp_seconds', labels)).toBe(
          Math.max(...b.restorePoints) / 1000,
        );
        expect(sample(text, 'veeam_em_backup_last_success_timestamp_seconds', labels)).toBe(NOW / 1000);
      } else {
        expect(sample(text, 'veeam_em_backup_poll_success', labels)).toBe(1);
        expect(sample(text, 'veeam_em_backup_restore_points', labels)).toBe(b.restorePoints.length + 1);
        expect(sample(text, 'veeam_em_backup_newest_restore_point_timestamp_seconds', labels)).toBe(
          (NOW + HOUR) / 1000,
        );
      }
    }
    expect(sample(text, 'veeam_em_poll_errors_total', { reason: 'http_5xx' })).toBe(hit.size);
    expect(sample(text, 'veeam_em_up', { em: 'em01' })).toBe(1);
  });

  it('exports 0 for a backup without points, not_found for one EM does not know, and not_found once one is deleted', async () => {
    const s = await site();
    const missing = 'deadbeef-0000-4000-8000-00000000dead';
    let now = NOW;
    const exporter = queryExporter(s, [BACKUPS.daily, BACKUPS.empty, missing], () => now);
    expect(await exporter.runOnce()).toBe(false);
    let text = await exporter.metrics.render();
    expect(sample(text, 'veeam_em_backup_restore_points', { backup_id: BACKUPS.empty })).toBe(0);
    expect(sample(text, 'veeam_em_backup_poll_success', { backup_id: BACKUPS.empty })).toBe(1);
    expect(
      sample(text, 'veeam_em_backup_newest_restore_point_timestamp_seconds', { backup_id: BACKUPS.empty }),
    ).toBeUndefined();
    expect(sample(text, 'veeam_em_backup_poll_success', { backup_id: missing })).toBe(0);
    expect(sample(text, 'veeam_em_backup_restore_points', { backup_id: missing })).toBeUndefined();
    expect(sample(text, 'veeam_em_poll_errors_total', { reason: 'not_found' })).toBe(1);

    // EM deletes a backup with its points: it is not_found in the very next cycle, as in entity mode.
    s.sim.removeBackup(BACKUPS.daily);
    s.sim.clearRequests();
    now += 10 * 60_000;
    expect(await exporter.runOnce()).toBe(false);
    text = await exporter.metrics.render();
    expect(sample(text, 'veeam_em_backup_poll_success', { backup_id: BACKUPS.daily })).toBe(0);
    expect(sample(text, 'veeam_em_backup_restore_points', { backup_id: BACKUPS.daily })).toBe(3);
    expect(sample(text, 'veeam_em_backup_poll_success', { backup_id: BACKUPS.empty })).toBe(1);
    expect(sample(text, 'veeam_em_poll_errors_total', { reason: 'not_found' })).toBe(3);
    // Metadata of the backup never read (as entity mode retries it), the points query, then one
    // look-up of the backups it returned nothing for.
    expect(s.sim.requests().map((r) => [param(r.url, 'type'), idsOf(r.url).sort()])).toEqual([
      ['Backup', [missing]],
      ['RestorePoint', [BACKUPS.daily, BACKUPS.empty].sort()],
      ['Backup', [BACKUPS.daily, BACKUPS.empty].sort()],
    ]);
  });

  it('needs a handful of requests where entity mode needs two per backup', async () => {
    const backups: SimBackup[] = Array.from({ length: 300 }, (_, i) => ({
      id: stableGuid(`count-${i}`),
      name: `Job ${i}`,
      restorePoints: i % 17 === 5 ? [] : Array.from({ length: 14 }, (_, p) => NOW - (p * 24 + 1) * HOUR),
    }));
    const s = await site(backups);
    let now = NOW;
    const exporter = queryExporter(s, backups, () => now);
    expect(await exporter.runOnce()).toBe(true);
    const first = s.sim.requests();
    expect(first.filter((r) => r.url.startsWith('/api/backups'))).toEqual([]);
    const metadataQueries = first.filter((r) => r.url.startsWith('/api/query?type=Backup')).length;
    const restorePointQueries = first.filter((r) => r.url.startsWith('/api/query?type=RestorePoint')).length;
    expect(metadataQueries).toBeGreaterThanOrEqual(1);
    expect(metadataQueries).toBeLessThanOrEqual(4);
    expect(restorePointQueries).toBeLessThanOrEqual(8);
    expect(first).toHaveLength(1 + metadataQueries + restorePointQueries);

    // Later cycles: metadata is fresh, only the backups without points are looked up again, and the
    // counts of the last poll pack the backups so that each request's points fit one page.
    s.sim.clearRequests();
    now += 5 * 60_000;
    expect(await exporter.runOnce()).toBe(true);
    const second = s.sim.requests();
    const points = second.filter((r) => param(r.url, 'type') === 'RestorePoint');
    expect(points.every((r) => param(r.url, 'page') === '1')).toBe(true);
    expect(points).toHaveLength(Math.ceil(((300 - 18) * 14) / 1000));
    expect(second.filter((r) => param(r.url, 'type') === 'Backup')).toHaveLength(1);
    expect(second).toHaveLength(points.length + 1);
  });
});
