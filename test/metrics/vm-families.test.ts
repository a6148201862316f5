import { describe, expect, it } from 'vitest';
import { joinParts } from '../../src/metrics/exposition.js';
import type { BackupRecord } from '../../src/metrics/types.js';
import { createVmFamiliesRenderer, renderVmFamilies } from '../../src/metrics/vm-families.js';
import type { VmEmRecord } from '../../src/vms/store.js';
import { parseExposition } from './parse-exposition.js';

const B = '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3';
const backup = (name: string): BackupRecord => ({
  em: 'em01',
  backupId: B,
  rpoSeconds: 93600,
  revision: 0,
  metadata: { id: B, name, platform: 'VMware', backupType: 'Standard', backupServer: 'vbr', repository: 'r' },
});
const record: VmEmRecord = {
  em: 'em01',
  dropped: 2,
  series: [
    { backupId: B, vmId: 'urn:VMware:Vm:h.vm-1', vmName: 'db "01"\\x', count: 14, newestMs: 1_764_000_000_123 },
    { backupId: 'ffffffff-0000-4000-8000-000000000000', vmId: 'x', vmName: 'gone', count: 1, newestMs: 1 },
  ],
};

describe('VM families', () => {
  it('renders count and newest time to the millisecond, escaped, only for watched backups, and the dropped gauge', () => {
    const exp = parseExposition(renderVmFamilies([record], [backup('Daily')], '*/5 * * * *'));
    expect(exp.samples).toEqual([
      {
        name: 'veeam_em_vm_restore_points',
        labels: {
          em: 'em01',
          backup_id: B,
          backup_name: 'Daily',
          vm_name: 'db "01"\\x',
          vm_id: 'urn:VMware:Vm:h.vm-1',
        },
        value: 14,
      },
      {
        name: 'veeam_em_vm_newest_restore_point_timestamp_seconds',
        labels: {
          em: 'em01',
          backup_id: B,
          backup_name: 'Daily',
          vm_name: 'db "01"\\x',
          vm_id: 'urn:VMware:Vm:h.vm-1',
        },
        value: 1_764_000_000.123,
      },
      { name: 'veeam_em_vm_series_dropped', labels: { em: 'em01' }, value: 2 },
    ]);
    expect(exp.help.get('veeam_em_vm_newest_restore_point_timestamp_seconds')).toContain('schedule "*/5 * * * *"');
    expect(renderVmFamilies([], [backup('Daily')], 's')).toBe('');
  });

  it('reuses the lines of an unchanged record, and renders again when a backup is renamed or the schedule changes', () => {
    const render = createVmFamiliesRenderer();
    const first = render([record], [backup('Daily')], 'a');
    const again = render([record], [backup('Daily')], 'a');
    expect(again[1]).toBe(first[1]);
    expect(again[1]!.stable).toBe(true);
    const renamed = render([record], [backup('Nightly')], 'a');
    expect(renamed[1]).not.toBe(first[1]);
    expect(joinParts(renamed)).toContain('backup_name="Nightly"');
    expect(joinParts(render([record], [backup('Nightly')], 'b'))).toContain('schedule "b"');
    // A new record (a VM read) is rendered afresh.
    const next = render([{ ...record, series: [{ ...record.series![0]!, count: 15 }] }], [backup('Nightly')], 'b');
    expect(joinParts(next)).toMatch(/veeam_em_vm_restore_points\{[^}]*\} 15\n/);
  });
});
