import { describe, expect, it, vi } from 'vitest';
import { createdSinceFilter, type EmClient, type EmVmClient } from '../../src/em/index.js';
import { POOL_MIN_BYTES, acquireParsePool, releaseParsePool } from '../../src/em/parse-pool.js';
import type { SimBackup } from '../../src/simulator/index.js';
import { startHarness } from './client-harness.js';

const T0 = Date.UTC(2025, 5, 1, 1, 0, 0, 250);
const DAY = 86_400_000;
const BACKUP: SimBackup = {
  id: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
  name: 'Daily',
  restorePoints: Array.from({ length: 30 }, (_, i) => T0 + i * DAY),
  vms: [
    { name: 'web-01', delayMs: 30_123 },
    { name: 'db-02', delayMs: 45_001 },
  ],
};

async function vmHarness(format: 'xml' | 'json', jsonStyle: 'v12' | 'v13' = 'v12') {
  const h = await startHarness({ backups: [BACKUP], jsonStyle }, { format, queryPageSize: 7 });
  return { ...h, vm: h.client as EmClient & EmVmClient };
}

describe.each([
  ['xml', 'v12'],
  ['json', 'v12'],
  ['json', 'v13'],
] as const)('queryVmRestorePoints (%s %s)', (format, style) => {
  it('reads every page of the whole set, newest first, to the millisecond', async () => {
    const { vm, sim } = await vmHarness(format, style);
    const points = await vm.queryVmRestorePoints(undefined);
    expect(points).toHaveLength(60);
    expect(points[0]!.timeMs).toBe(T0 + 29 * DAY + 45_001);
    expect(points.map((p) => p.timeMs)).toEqual([...points.map((p) => p.timeMs)].sort((a, b) => b - a));
    expect(new Set(points.map((p) => p.uid)).size).toBe(60);
    // 60 points at 7 a page: 9 pages, each asked for once.
    const pages = sim.requests().filter((r) => r.url.includes('type=VmRestorePoint'));
    expect(pages).toHaveLength(9);
    expect(pages[0]!.url).toContain('sortDesc=CreationTime');
    expect(pages[0]!.url).toContain('pageSize=7');
  });

  it('asks only for the points created since a moment', async () => {
    const { vm, sim } = await vmHarness(format, style);
    const since = T0 + 28 * DAY + 40_000;
    const points = await vm.queryVmRestorePoints(createdSinceFilter(since));
    expect(points.map((p) => p.vmName)).toEqual(['db-02', 'web-01', 'db-02']);
    expect(sim.requests().filter((r) => r.url.includes('type=VmRestorePoint'))).toHaveLength(1);
  });
});

describe('VM restore point failures', () => {
  it('a failed page fails the whole read with context and reason', async () => {
    const { vm, sim } = await vmHarness('xml');
    sim.addFault({ match: { path: '/api/query', query: /(^|&)page=3(&|$)/ }, status: 404 });
    await expect(vm.queryVmRestorePoints(undefined)).rejects.toMatchObject({
      reason: 'http_4xx',
      message: expect.stringMatching(/^em "em01": VM restore points/),
    });
  });

  it('a garbled page is a parse error that names the query', async () => {
    const { vm, sim } = await vmHarness('json');
    sim.addFault({ match: { path: '/api/query' }, body: 'truncated', times: 1 });
    await expect(vm.queryVmRestorePoints(undefined)).rejects.toMatchObject({ reason: 'parse' });
  });

  it('reads the VM points of one restore point', async () => {
    const { vm, sim } = await vmHarness('xml');
    const rp = (await vm.queryVmRestorePoints(createdSinceFilter(T0 + 29 * DAY)))[0]!.restorePointId;
    const points = await vm.getVmRestorePoints(rp);
    expect(points.map((p) => p.vmName).sort()).toEqual(['db-02', 'web-01']);
    expect(sim.requests().at(-1)!.url).toBe(`/api/restorePoints/${rp}/vmRestorePoints?format=Entity`);
  });

  it('filters floor to the second', () => {
    expect(createdSinceFilter(Date.UTC(2025, 5, 1, 1, 2, 3, 999))).toBe('CreationTime>="2025-06-01T01:02:03Z"');
  });

  it('parses a VM page larger than the inline limit in the parser pool, the way large restore-point bodies are', async () => {
    const pool = acquireParsePool();
    if (pool === undefined) throw new Error('dist/em/parse-worker.js is missing: run npm run build');
    try {
      const many: SimBackup = {
        ...BACKUP,
        restorePoints: BACKUP.restorePoints.slice(0, 10),
        vms: Array.from({ length: 300 }, (_, i) => ({ name: `vm-${i}`, delayMs: i * 1000 })),
      };
      const h = await startHarness({ backups: [many] }, { format: 'xml', queryPageSize: 5000 });
      const vm = h.client as EmClient & EmVmClient;
      const parse = vi.spyOn(pool, 'parse');
      const points = await vm.queryVmRestorePoints(undefined);
      expect(points).toHaveLength(3000);
      expect(new Set(points.map((p) => p.vmName)).size).toBe(300);
      const page = h.sim.requests().find((r) => r.url.includes('type=VmRestorePoint'));
      expect(page?.bytes ?? 0).toBeGreaterThan(POOL_MIN_BYTES);
      expect(parse.mock.calls.map((call) => call[0])).toEqual(['vmRestorePointQuery']);
    } finally {
      releaseParsePool(pool);
    }
  });
});
