import type { BackupRecord, ExporterState } from '../metrics/types.js';
import type { EmStatus, StatusPageModel } from './status-page.js';

/** Groups the state's backups under their Enterprise Manager, in configuration order. */
export function buildStatusModel(state: ExporterState, page: Omit<StatusPageModel, 'ems'>): StatusPageModel {
  const byEm = new Map<string, EmStatus & { backups: BackupRecord[] }>();
  for (const em of state.ems()) byEm.set(em.name, { ...em, backups: [] });
  for (const record of state.backups()) {
    let em = byEm.get(record.em);
    if (em === undefined) byEm.set(record.em, (em = { name: record.em, backups: [] }));
    em.backups.push(record);
  }
  return { ...page, ems: [...byEm.values()] };
}
