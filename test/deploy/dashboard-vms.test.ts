import { describe, expect, it } from 'vitest';
import { allPanels, loadDashboard } from './dashboard-queries.js';

describe('VM row of the dashboard', () => {
  const panels = allPanels(loadDashboard());
  const table = panels.find((p) => p.title === 'Stalest VMs');

  it('lists the stalest machines by the age of their newest point, with age / RPO and their count', () => {
    expect(table?.type).toBe('table');
    const exprs = (table?.targets ?? []).map((t) => t.expr as string);
    expect(exprs[0]).toMatch(
      /^topk\(25, max by \(em, backup_id, backup_name, vm_name, vm_id\) \(time\(\) - veeam_em_vm_newest_restore_point_timestamp_seconds\{/,
    );
    expect(exprs[1]).toContain('group_left() veeam_em_backup_rpo_seconds');
    expect(exprs[2]).toContain('veeam_em_vm_restore_points');
    const row = panels.find((p) => p.type === 'row' && /Machines/.test(p.title ?? ''));
    expect((row?.gridPos as { y: number }).y).toBeLessThan((table?.gridPos as { y: number }).y);
  });
});
