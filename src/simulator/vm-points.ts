/**
 * VM restore points: one per machine in each restore point that holds it, created a little after
 * the restore point itself, as a job processes its machines one after another. Their views and the
 * `VmRestorePoint` query type live here so the backup-level model stays as it was.
 */
import type { FieldValue } from './filter.js';
import type { ItemView, LinkView, StoredPoint, Views } from './model.js';
import { formatBackupDateUtc, formatRestorePointName, stableGuid } from './names.js';
import type { SimVm } from './types.js';

/** The parts of a stored backup VM points need (model.ts imports this file, so no class import here). */
export interface VmPointOwner {
  readonly id: string;
  readonly name: string;
  readonly platform: string;
  readonly backupServer: string;
  readonly serverId: string;
}

export interface StoredVmPoint {
  id: string;
  /** Creation time, Unix ms. */
  ms: number;
  restorePoint: StoredPoint;
  vmName: string | null;
  displayName: string;
  objRef: string | null;
  /** First point of the machine in this backup: a full; the rest increments. */
  full: boolean;
}

/** `urn:VMware:Vm:<host>.vm-<n>` (or the platform's word), stable for a machine name on a backup server. */
export function defaultObjRef(owner: VmPointOwner, name: string): string {
  const kind = /hyper/i.test(owner.platform) ? 'HyperV' : /agent/i.test(owner.platform) ? 'Agent' : 'VMware';
  const n = parseInt(stableGuid(`vm:${owner.backupServer}:${name}`).slice(0, 6), 16) % 100_000;
  return `urn:${kind}:Vm:${owner.serverId}.vm-${n}`;
}

export function storedVmPoints(
  owner: VmPointOwner,
  points: readonly StoredPoint[],
  vms: readonly SimVm[],
): StoredVmPoint[] {
  if (vms.length === 0) return [];
  const byTime = [...points].sort((a, b) => a.ms - b.ms);
  const out: StoredVmPoint[] = [];
  for (const vm of vms) {
    const wanted = vm.inRestorePoints === undefined ? undefined : new Set(vm.inRestorePoints);
    const delay =
      vm.delayMs ?? 20_000 + (parseInt(stableGuid(`vmdelay:${owner.id}:${vm.name}`).slice(0, 6), 16) % 60_000);
    const objRef = vm.objRef === undefined ? defaultObjRef(owner, vm.name) : vm.objRef;
    let first = true;
    for (const rp of byTime) {
      if (wanted !== undefined && !wanted.has(rp.ms)) continue;
      out.push({
        id: stableGuid(`vmRestorePoint:${rp.id}:${vm.name}:${objRef ?? ''}`),
        ms: rp.ms + delay,
        restorePoint: rp,
        vmName: vm.omitVmName === true ? null : vm.name,
        displayName: vm.displayName ?? vm.name,
        objRef,
        full: first,
      });
      first = false;
    }
  }
  return out;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `vm@2025-06-05 01:01:27` (SQL Server) or with microseconds (PostgreSQL), as EM names VM points. */
function vmPointName(p: StoredVmPoint, views: Views): string {
  const d = new Date(p.ms);
  const stamp = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  const frac =
    views.nameStyle === 'postgres' ? formatBackupDateUtc(p.ms, 'postgres', p.id).replace(/^[^.]*(\.\d+)?Z$/, '$1') : '';
  return `${p.displayName}@${stamp}${frac}`;
}

function vmLinks(owner: VmPointOwner, p: StoredVmPoint, views: Views, alternate: LinkView): LinkView[] {
  const rpName = formatRestorePointName(p.restorePoint.ms, views.nameStyle, p.restorePoint.id);
  return [
    {
      rel: 'Up',
      href: `${views.base}/backupServers/${owner.serverId}`,
      name: owner.backupServer,
      type: 'BackupServerReference',
    },
    {
      rel: 'Up',
      href: `${views.base}/restorePoints/${p.restorePoint.id}`,
      name: rpName,
      type: 'RestorePointReference',
    },
    {
      rel: 'Up',
      href: `${views.base}/backupFiles/${stableGuid('file:' + p.restorePoint.id)}`,
      name: `${owner.name}.vbk`,
      type: 'BackupFileReference',
    },
    alternate,
  ];
}

export function vmPointRef(owner: VmPointOwner, p: StoredVmPoint, views: Views): ItemView {
  const href = `${views.base}/vmRestorePoints/${p.id}`;
  const name = vmPointName(p, views);
  return {
    uid: 'urn:veeam:VmRestorePoint:' + p.id,
    name,
    href,
    type: 'VmRestorePointReference',
    links: vmLinks(owner, p, views, { rel: 'Alternate', href: href + '?format=Entity', name, type: 'VmRestorePoint' }),
  };
}

export function vmPointEntity(owner: VmPointOwner, p: StoredVmPoint, views: Views): ItemView {
  const href = `${views.base}/vmRestorePoints/${p.id}`;
  const name = vmPointName(p, views);
  return {
    uid: 'urn:veeam:VmRestorePoint:' + p.id,
    name,
    href: href + '?format=Entity',
    type: 'VmRestorePoint',
    attributes: [['VmDisplayName', p.displayName]],
    links: vmLinks(owner, p, views, { rel: 'Alternate', href, name, type: 'VmRestorePointReference' }),
    fields: [
      ['CreationTimeUTC', formatBackupDateUtc(p.ms, views.nameStyle, p.id)],
      ['VmName', p.vmName],
      ['Algorithm', p.full ? 'Full' : 'Incremental'],
      ['PointType', p.full ? 'Full' : 'Increment'],
      ['HierarchyObjRef', p.objRef],
    ],
  };
}

export interface VmPointRecord {
  backup: VmPointOwner;
  point: StoredVmPoint;
}

export const VM_POINT_FIELD_KINDS: Record<string, FieldValue['kind']> = {
  uid: 'text',
  name: 'text',
  creationtime: 'time',
  type: 'text',
  algorithm: 'text',
  restorepointid: 'text',
  restorepointname: 'text',
  vmdisplayname: 'text',
  backupserveruid: 'text',
  backupservername: 'text',
};

export function readVmPointField(
  { backup, point }: VmPointRecord,
  field: string,
  views: Views,
): FieldValue | undefined {
  const text = (value: string): FieldValue => ({ kind: 'text', value });
  switch (field.toLowerCase()) {
    case 'uid':
      return text('urn:veeam:VmRestorePoint:' + point.id);
    case 'name':
      return text(vmPointName(point, views));
    case 'creationtime':
      return { kind: 'time', ms: point.ms };
    case 'type':
      return text(point.full ? 'Full' : 'Increment');
    case 'algorithm':
      return text(point.full ? 'Full' : 'Incremental');
    case 'restorepointid':
      return text('urn:veeam:RestorePoint:' + point.restorePoint.id);
    case 'restorepointname':
      return text(formatRestorePointName(point.restorePoint.ms, views.nameStyle, point.restorePoint.id));
    case 'vmdisplayname':
      return text(point.displayName);
    case 'backupserveruid':
      return text('urn:veeam:BackupServer:' + backup.serverId);
    case 'backupservername':
      return text(backup.backupServer);
    default:
      return undefined;
  }
}
