import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../../src/metrics/types.js';
import { renderVmStatus } from '../../src/server/vm-status.js';
import type { VmEmRecord } from '../../src/vms/store.js';

const NOW = Date.UTC(2026, 10, 28, 12);
const HOUR = 3_600_000;
const B = '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3';
const backup: BackupRecord = {
  em: 'em01',
  backupId: B,
  rpoSeconds: 26 * 3600,
  revision: 0,
  metadata: {
    id: B,
    name: 'Daily <prod>',
    platform: 'VMware',
    backupType: 'Standard',
    backupServer: 'vbr',
    repository: 'r',
  },
};
const series = (vmName: string, ageMs: number) => ({
  backupId: B,
  vmId: `urn:${vmName}`,
  vmName,
  count: 3,
  newestMs: NOW - ageMs,
});

describe('status page: machines', () => {
  it('says per backup how many machines are within the RPO and names the stale ones, oldest first, escaped', () => {
    const vms: VmEmRecord[] = [
      {
        em: 'em01',
        dropped: 0,
        lastRead: { ok: true, kind: 'since', atMs: NOW },
        series: [
          series('web-01', 5 * HOUR),
          series('db-<03>', 77 * HOUR),
          series('app', 30 * HOUR),
          series('ok-2', HOUR),
        ],
      },
    ];
    const html = renderVmStatus(vms, [backup], NOW);
    expect(html).toContain('<td>Daily &lt;prod&gt;</td>');
    expect(html).toContain('>2 of 4</td>');
    expect(html).toContain('db-&lt;03&gt; (3d 5h), app (1d 6h)');
    expect(html).not.toContain('<03>');
  });

  it('shows a failed read and dropped series, and nothing at all without vms', () => {
    const html = renderVmStatus(
      [
        {
          em: 'em01',
          dropped: 7,
          lastRead: { ok: false, kind: 'full', atMs: NOW, message: 'em "em01": VM restore points: timed out' },
        },
      ],
      [backup],
      NOW,
    );
    expect(html).toContain('last read failed');
    expect(html).toContain('7 series dropped by vms.limit');
    expect(html).toContain('No machine has restore points');
    expect(renderVmStatus([], [backup], NOW)).toBe('');
  });

  it('leaves out machines of backups that are no longer watched', () => {
    const html = renderVmStatus(
      [
        {
          em: 'em01',
          dropped: 0,
          series: [{ ...series('x', HOUR), backupId: 'ffffffff-0000-4000-8000-000000000000' }],
        },
      ],
      [backup],
      NOW,
    );
    expect(html).not.toContain('>x');
  });

  it("lists the backups with the most stale machines first, in the page's own table style", () => {
    const other: BackupRecord = {
      ...backup,
      backupId: 'ffffffff-0000-4000-8000-000000000000',
      metadata: { ...backup.metadata!, id: 'ffffffff-0000-4000-8000-000000000000', name: 'A first by name' },
    };
    const vms: VmEmRecord[] = [
      {
        em: 'em01',
        dropped: 0,
        series: [
          series('fresh', HOUR),
          series('old-1', 40 * HOUR),
          series('old-2', 50 * HOUR),
          { ...series('x', 30 * HOUR), backupId: other.backupId },
        ],
      },
    ];
    const html = renderVmStatus(vms, [other, backup], NOW);
    expect(html.indexOf('Daily &lt;prod&gt;')).toBeLessThan(html.indexOf('A first by name'));
    expect(html).toContain('<div class="table-wrap"><table class="machines">');
    expect(html).toContain('<tr class="row-late"><td>Daily &lt;prod&gt;</td><td class="num late">1 of 3</td>');
  });
});
