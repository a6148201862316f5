/**
 * What the exporter asks EM about VM restore points. A separate interface from EmClient, so code
 * that never reads machines (and the fakes that test it) need not know about them.
 */
import type { VmRestorePoint } from '../domain.js';
import type { TaskRunner } from './types.js';

export interface EmVmClient {
  /**
   * Every VM restore point `filter` selects (all of them when undefined), through
   * `GET /query?type=VmRestorePoint&format=Entities`, newest first, every page read and checked.
   * Throws an EmError when a page fails or the pages do not add up.
   */
  queryVmRestorePoints(filter: string | undefined, run?: TaskRunner): Promise<VmRestorePoint[]>;
  /** `GET /restorePoints/{id}/vmRestorePoints?format=Entity`: the VM points of one restore point. */
  getVmRestorePoints(restorePointId: string): Promise<VmRestorePoint[]>;
}

/**
 * `CreationTime>="2025-06-05T01:01:27Z"`: VM points created at or after `ms`, floored to the second
 * (every documented filter value has whole seconds; the overlap margin dwarfs the difference), in
 * the UTC EM demands of filter values.
 */
export function createdSinceFilter(ms: number): string {
  return `CreationTime>="${new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')}"`;
}

/** What failures of VM reads name in place of a backup. */
export const VM_SUBJECT = 'VM restore points';

export const VM_QUERY_NOT_FOUND = {
  reason: 'http_4xx' as const,
  advice: 'EM does not answer for VM restore points here: check url, or remove vms: from this EM',
};
