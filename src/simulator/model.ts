import { formatBackupDateUtc, formatRestorePointName, stableGuid } from './names.js';
import type { NameStyle, SimBackup, SimVm } from './types.js';
import { storedVmPoints, type StoredVmPoint } from './vm-points.js';

/**
 * Format-neutral views of what EM returns. The XML and JSON renderers both draw from these, so the
 * two representations cannot drift apart in content, only in spelling.
 */

export interface LinkView {
  rel: string;
  href: string;
  name?: string;
  type?: string;
}

/** A reference (`Ref`/`EntityRef`) or an entity: common attributes, links and typed child elements. */
export interface ItemView {
  uid: string;
  name: string;
  href: string;
  type: string;
  links: LinkView[];
  /** Child elements of an entity, in schema order; null: absent (XML leaves it out, JSON says null). */
  fields?: ReadonlyArray<readonly [string, string | null]>;
  /** Attributes of an entity beyond UID, Name, Href and Type (e.g. `VmDisplayName`). */
  attributes?: ReadonlyArray<readonly [string, string]>;
}

export interface SessionView {
  href: string;
  userName: string;
  sessionId: string;
  links: LinkView[];
}

export interface ApiRootView {
  links: LinkView[];
  versions: Array<{ name: string; links: LinkView[] }>;
}

export interface PagingView {
  pagesCount: number;
  pageSize: number;
  pageNum: number;
  /** First, Previous, Next, Last: links without Name and Type. */
  links: LinkView[];
}

export interface QueryResultView {
  /** References (the query service's default) or entities (`format=Entities`). */
  format: 'refs' | 'entities';
  /** The plural list element under `Entities`, e.g. `RestorePoints` or `Backups`. */
  list: string;
  items: ItemView[];
  paging: PagingView;
}

/** One representation (XML, JSON v12, JSON v13) of every document the simulator serves. */
export interface Renderer {
  contentType: string;
  /** `EntityReferences` of `Ref`. */
  refList(items: ItemView[]): string;
  /** One `EntityRef`. */
  ref(item: ItemView): string;
  /** One entity; its element name is its `Type`. */
  entity(item: ItemView): string;
  /** `Backups`, `RestorePoints`, ...: entities under a plural root. */
  entityList(root: string, items: ItemView[]): string;
  apiRoot(v: ApiRootView): string;
  /** `QueryResult` of the query service: `Refs`, or `Entities` holding one list, then `PagingInfo`. */
  queryResult(q: QueryResultView): string;
  logonSession(s: SessionView): string;
  logonSessions(ss: SessionView[]): string;
  error(status: number, message: string): string;
  /** A body no parser of this format accepts, for fault injection. */
  malformed(): string;
}

export const SUPPORTED_VERSIONS = ['v1_5', 'v1_6', 'v1_7'] as const;

export interface StoredPoint {
  id: string;
  ms: number;
}

/** A backup with its defaults applied and its restore-point IDs worked out once. */
export class StoredBackup {
  readonly id: string;
  readonly name: string;
  readonly platform: string;
  readonly backupType: string;
  readonly backupServer: string;
  readonly repository: string;
  readonly serverId: string;
  readonly repositoryId: string;
  /** The ParentBackup a ChildBackup belongs to (bare lower-case GUID). */
  readonly parentId: string | undefined;
  private readonly times: number[];
  private readonly vms: readonly SimVm[];
  private cachedPoints: StoredPoint[] | undefined;
  private cachedVmPoints: StoredVmPoint[] | undefined;

  constructor(b: SimBackup) {
    this.id = b.id.toLowerCase();
    this.name = b.name;
    this.platform = b.platform ?? 'VMware';
    this.backupType = b.backupType ?? 'Standard';
    this.backupServer = b.backupServer ?? 'vbr01.example.local';
    this.repository = b.repository ?? 'Default Backup Repository';
    this.serverId = stableGuid('backupServer:' + this.backupServer);
    this.repositoryId = stableGuid('repository:' + this.backupServer + '/' + this.repository);
    this.times = b.restorePoints.slice();
    this.parentId = b.parentId?.toLowerCase();
    this.vms = (b.vms ?? []).map((vm) => ({ ...vm, inRestorePoints: vm.inRestorePoints?.slice() }));
  }

  get isParent(): boolean {
    return this.backupType.toLowerCase() === 'parentbackup';
  }

  /** In the order given: EM promises no order, and clients must not rely on one. */
  points(): StoredPoint[] {
    this.cachedPoints ??= this.times.map((ms) => ({ id: stableGuid(`restorePoint:${this.id}:${ms}`), ms }));
    return this.cachedPoints;
  }

  /** The VM restore points of all its restore points, restore point by restore point. */
  vmPoints(): StoredVmPoint[] {
    this.cachedVmPoints ??= storedVmPoints(this, this.points(), this.vms);
    return this.cachedVmPoints;
  }
}

/** Builds views for one request; `base` is `https://<Host header>/api`. */
export class Views {
  constructor(
    readonly base: string,
    readonly nameStyle: NameStyle,
  ) {}

  private backupHref(b: StoredBackup): string {
    return `${this.base}/backups/${b.id}`;
  }
  private serverLink(b: StoredBackup): LinkView {
    return {
      rel: 'Up',
      href: `${this.base}/backupServers/${b.serverId}`,
      name: b.backupServer,
      type: 'BackupServerReference',
    };
  }
  private repositoryLink(b: StoredBackup): LinkView {
    return {
      rel: 'Up',
      href: `${this.base}/repositories/${b.repositoryId}`,
      name: b.repository,
      type: 'RepositoryReference',
    };
  }

  /** A ChildBackup's `Up` link to its ParentBackup, whose name `parent` gives when known. */
  private parentLink(b: StoredBackup, parent: StoredBackup | undefined): LinkView[] {
    if (b.parentId === undefined) return [];
    return [
      { rel: 'Up', href: `${this.base}/backups/${b.parentId}`, name: parent?.name ?? '', type: 'BackupReference' },
    ];
  }

  /** A ParentBackup links to its children instead of restore points of its own. */
  private contentLinks(b: StoredBackup, href: string, files: boolean): LinkView[] {
    if (b.isParent) return [{ rel: 'Down', href: href + '/childbackups?format=Entity', type: 'BackupList' }];
    const links: LinkView[] = [{ rel: 'Down', href: href + '/restorePoints', type: 'RestorePointReferenceList' }];
    if (files) links.push({ rel: 'Down', href: href + '/backupFiles', type: 'BackupFileReferenceList' });
    return links;
  }

  backupRef(b: StoredBackup, parent?: StoredBackup): ItemView {
    const href = this.backupHref(b);
    return {
      uid: 'urn:veeam:Backup:' + b.id,
      name: b.name,
      href,
      type: 'BackupReference',
      links: [
        this.serverLink(b),
        this.repositoryLink(b),
        ...this.parentLink(b, parent),
        { rel: 'Alternate', href: href + '?format=Entity', name: b.name, type: 'Backup' },
        ...this.contentLinks(b, href, false),
      ],
    };
  }

  backupEntity(b: StoredBackup, parent?: StoredBackup): ItemView {
    const href = this.backupHref(b);
    return {
      uid: 'urn:veeam:Backup:' + b.id,
      name: b.name,
      href: href + '?format=Entity',
      type: 'Backup',
      links: [
        this.repositoryLink(b),
        this.serverLink(b),
        ...this.parentLink(b, parent),
        { rel: 'Alternate', href, name: b.name, type: 'BackupReference' },
        ...this.contentLinks(b, href, true),
      ],
      fields: [
        ['Platform', b.platform],
        ['BackupType', b.backupType],
      ],
    };
  }

  restorePointRef(b: StoredBackup, p: StoredPoint): ItemView {
    const href = `${this.base}/restorePoints/${p.id}`;
    const name = formatRestorePointName(p.ms, this.nameStyle, p.id);
    return {
      uid: 'urn:veeam:RestorePoint:' + p.id,
      name,
      href,
      type: 'RestorePointReference',
      links: [
        this.serverLink(b),
        { rel: 'Up', href: this.backupHref(b), name: b.name, type: 'BackupReference' },
        { rel: 'Alternate', href: href + '?format=Entity', name, type: 'RestorePoint' },
        { rel: 'Down', href: href + '/vmRestorePoints', type: 'VmRestorePointReferenceList' },
        { rel: 'Related', href: href + '/backupFiles', type: 'BackupFileReferenceList' },
      ],
    };
  }

  restorePointEntity(b: StoredBackup, p: StoredPoint): ItemView {
    const href = `${this.base}/restorePoints/${p.id}`;
    const name = formatRestorePointName(p.ms, this.nameStyle, p.id);
    return {
      uid: 'urn:veeam:RestorePoint:' + p.id,
      name,
      href: href + '?format=Entity',
      type: 'RestorePoint',
      links: [
        { rel: 'Up', href: this.backupHref(b), name: b.name, type: 'BackupReference' },
        this.serverLink(b),
        { rel: 'Alternate', href, name, type: 'RestorePointReference' },
        { rel: 'Down', href: href + '/vmRestorePoints', type: 'VmRestorePointReferenceList' },
        { rel: 'Related', href: href + '/backupFiles', type: 'BackupFileReferenceList' },
      ],
      fields: [['BackupDateUTC', formatBackupDateUtc(p.ms, this.nameStyle, p.id)]],
    };
  }

  apiRoot(): ApiRootView {
    return {
      links: [
        { rel: 'Down', href: `${this.base}/logonSessions`, type: 'LogonSessionList' },
        { rel: 'Create', href: `${this.base}/sessionMngr/?v=latest`, type: 'LogonSession' },
      ],
      versions: SUPPORTED_VERSIONS.map((v) => ({
        name: v,
        links: [{ rel: 'Create', href: `${this.base}/sessionMngr/?v=${v}`, type: 'LogonSession' }],
      })),
    };
  }

  logonSession(sessionId: string, userName: string): SessionView {
    const href = `${this.base}/logonSessions/${sessionId}`;
    const b = this.base;
    return {
      href,
      userName,
      sessionId,
      links: [
        { rel: 'Up', href: `${b}/`, type: 'EnterpriseManager' },
        { rel: 'Down', href: `${b}/backups`, type: 'BackupReferenceList' },
        { rel: 'Down', href: `${b}/restorePoints`, type: 'RestorePointReferenceList' },
        { rel: 'Down', href: `${b}/backupSessions`, type: 'BackupJobSessionReferenceList' },
        { rel: 'Down', href: `${b}/querySvc`, type: 'QueryService' },
        { rel: 'Down', href: `${b}/backups?format=Entity`, type: 'BackupList' },
        { rel: 'Down', href: `${b}/restorePoints?format=Entity`, type: 'RestorePointList' },
        { rel: 'Delete', href },
      ],
    };
  }
}
