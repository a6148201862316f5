/**
 * The query service, `GET /api/query?type=...`, for the two types an exporter needs: RestorePoint
 * and Backup. References by default, entities with `format=Entities`; `filter`, `sortAsc` /
 * `sortDesc`, and paging with `pageSize` (100 when absent, as every real answer shows) and `page`.
 */
import {
  FilterError,
  checkFilter,
  compareText,
  matches,
  parseFilter,
  type FieldReader,
  type FieldValue,
  type FilterNode,
} from './filter.js';
import type { ItemView, LinkView, QueryResultView, StoredBackup, StoredPoint, Views } from './model.js';
import { formatRestorePointName, stableGuid } from './names.js';
import { VM_POINT_FIELD_KINDS, readVmPointField, vmPointEntity, vmPointRef, type VmPointRecord } from './vm-points.js';

/** What EM documents when no `pageSize` is given: "all on one page", but it answers with pages of 100. */
export const DEFAULT_QUERY_PAGE_SIZE = 100;

export type QueryAnswer = { ok: true; view: QueryResultView } | { ok: false; status: number; message: string };

export interface QueryInput {
  /** Query parameter by case-insensitive name. */
  param: (name: string) => string | undefined;
  views: Views;
  backups: ReadonlyMap<string, StoredBackup>;
}

interface PointRecord {
  backup: StoredBackup;
  point: StoredPoint;
}

interface QueryType<R> {
  /** Spelling used in paging links and the Entities list. */
  list: string;
  kinds: Record<string, FieldValue['kind']>;
  read: FieldReader<R>;
  /** Records to test against the filter; narrowed by the backups the filter can only match. */
  records(candidates: ReadonlySet<string> | undefined): Iterable<R>;
  ref(record: R): ItemView;
  entity(record: R): ItemView;
  uid(record: R): string;
}

const text = (value: string): FieldValue => ({ kind: 'text', value });

function restorePointType(input: QueryInput): QueryType<PointRecord> {
  const { views, backups } = input;
  return {
    list: 'RestorePoints',
    kinds: {
      uid: 'text',
      name: 'text',
      creationtime: 'time',
      backupuid: 'text',
      backupname: 'text',
      backupserveruid: 'text',
      backupservername: 'text',
    },
    read({ backup, point }, field) {
      switch (field.toLowerCase()) {
        case 'uid':
          return text('urn:veeam:RestorePoint:' + point.id);
        case 'name':
          return text(formatRestorePointName(point.ms, views.nameStyle, point.id));
        case 'creationtime':
          return { kind: 'time', ms: point.ms };
        case 'backupuid':
          return text('urn:veeam:Backup:' + backup.id);
        case 'backupname':
          return text(backup.name);
        case 'backupserveruid':
          return text('urn:veeam:BackupServer:' + backup.serverId);
        case 'backupservername':
          return text(backup.backupServer);
        default:
          return undefined;
      }
    },
    *records(candidates) {
      const chosen =
        candidates === undefined ? backups.values() : [...candidates].flatMap((id) => backups.get(id) ?? []);
      for (const backup of chosen) for (const point of backup.points()) yield { backup, point };
    },
    ref: ({ backup, point }) => views.restorePointRef(backup, point),
    entity: ({ backup, point }) => views.restorePointEntity(backup, point),
    uid: ({ point }) => point.id,
  };
}

/** `type=VmRestorePoint`: it has no backup field, so every query reads every VM point. */
function vmRestorePointType(input: QueryInput): QueryType<VmPointRecord> {
  const { views, backups } = input;
  return {
    list: 'VmRestorePoints',
    kinds: VM_POINT_FIELD_KINDS,
    read: (record, field) => readVmPointField(record, field, views),
    *records() {
      for (const backup of backups.values()) for (const point of backup.vmPoints()) yield { backup, point };
    },
    ref: ({ backup, point }) => vmPointRef(backup, point, views),
    entity: ({ backup, point }) => vmPointEntity(backup, point, views),
    uid: ({ point }) => point.id,
  };
}

function backupType(input: QueryInput): QueryType<StoredBackup> {
  const { views, backups } = input;
  const parentOf = (b: StoredBackup): StoredBackup | undefined =>
    b.parentId === undefined ? undefined : backups.get(b.parentId);
  return {
    list: 'Backups',
    kinds: {
      uid: 'text',
      name: 'text',
      jobuid: 'text',
      jobname: 'text',
      repositoryuid: 'text',
      repositoryname: 'text',
      platform: 'text',
      backuptype: 'text',
    },
    read(b, field) {
      switch (field.toLowerCase()) {
        case 'uid':
          return text('urn:veeam:Backup:' + b.id);
        case 'name':
        case 'jobname':
          return text(b.name);
        case 'jobuid':
          return text('urn:veeam:Job:' + stableGuid('job:' + b.id));
        case 'repositoryuid':
          return text('urn:veeam:Repository:' + b.repositoryId);
        case 'repositoryname':
          return text(b.repository);
        case 'platform':
          return text(b.platform);
        case 'backuptype':
          return text(b.backupType);
        default:
          return undefined;
      }
    },
    *records(candidates) {
      if (candidates === undefined) yield* backups.values();
      else
        for (const id of candidates) {
          const b = backups.get(id);
          if (b !== undefined) yield b;
        }
    },
    ref: (b) => views.backupRef(b, parentOf(b)),
    entity: (b) => views.backupEntity(b, parentOf(b)),
    uid: (b) => b.id,
  };
}

const URN_ID = /^urn:veeam:backup:([0-9a-f-]{36})$/i;

/**
 * The backup IDs a filter can only match, when it pins the backup with `==` (an OR of such
 * comparisons, or an AND holding one); undefined when any backup may match. Only an index: the
 * whole filter is still evaluated on every record it lets through.
 */
function pinnedBackups(node: FilterNode, field: string): Set<string> | undefined {
  switch (node.kind) {
    case 'cmp': {
      if (node.op !== '==' || node.field.toLowerCase() !== field) return undefined;
      const id = URN_ID.exec(node.value.trim())?.[1];
      return new Set(id === undefined ? [] : [id.toLowerCase()]);
    }
    case 'or': {
      const union = new Set<string>();
      for (const item of node.items) {
        const ids = pinnedBackups(item, field);
        if (ids === undefined) return undefined;
        for (const id of ids) union.add(id);
      }
      return union;
    }
    case 'and': {
      for (const item of node.items) {
        const ids = pinnedBackups(item, field);
        if (ids !== undefined) return ids;
      }
      return undefined;
    }
  }
}

function positiveInt(raw: string | undefined, name: string): number | { error: string } | undefined {
  if (raw === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(raw) || Number(raw) < 1 || Number(raw) > 2 ** 31 - 1) {
    return { error: `Parameter [${name}] must be a positive integer, got [${raw}].` };
  }
  return Number(raw);
}

export function runQuery(input: QueryInput): QueryAnswer {
  const { param } = input;
  const typeName = param('type');
  if (typeName === undefined || typeName.trim() === '')
    return { ok: false, status: 400, message: 'Parameter [type] is required.' };
  switch (typeName.trim().toLowerCase()) {
    case 'restorepoint':
      return answer(input, typeName, restorePointType(input), 'backupuid');
    case 'backup':
      return answer(input, typeName, backupType(input), 'uid');
    case 'vmrestorepoint':
      return answer(input, typeName, vmRestorePointType(input), 'backupuid');
    default:
      return { ok: false, status: 400, message: `Query type [${typeName}] is not supported.` };
  }
}

function answer<R>(input: QueryInput, typeName: string, type: QueryType<R>, pinField: string): QueryAnswer {
  const { param } = input;
  const pageSize = positiveInt(param('pageSize'), 'pageSize') ?? DEFAULT_QUERY_PAGE_SIZE;
  const page = positiveInt(param('page'), 'page') ?? 1;
  if (typeof pageSize !== 'number') return { ok: false, status: 400, message: pageSize.error };
  if (typeof page !== 'number') return { ok: false, status: 400, message: page.error };

  const filterText = param('filter');
  let filter: FilterNode | undefined;
  const sortAsc = param('sortAsc');
  const sortDesc = param('sortDesc');
  const sortField = sortDesc ?? sortAsc;
  try {
    if (filterText !== undefined && filterText.trim() !== '') {
      filter = parseFilter(filterText);
      checkFilter(filter, (field) => type.kinds[field.toLowerCase()]);
    }
    if (sortField !== undefined && type.kinds[sortField.toLowerCase()] === undefined) {
      throw new FilterError(`Field [${sortField}] cannot be sorted on in this query.`);
    }
  } catch (err) {
    if (err instanceof FilterError) return { ok: false, status: 400, message: err.message };
    throw err;
  }

  const candidates = filter === undefined ? undefined : pinnedBackups(filter, pinField);
  const found: R[] = [];
  for (const record of type.records(candidates)) {
    if (filter === undefined || matches(filter, record, type.read)) found.push(record);
  }
  if (sortField !== undefined) {
    const direction = sortDesc !== undefined ? -1 : 1;
    const key = (r: R): FieldValue | undefined => type.read(r, sortField);
    found.sort((a, b) => direction * compareValues(key(a), key(b)) || compareText(type.uid(a), type.uid(b)));
  }

  const pagesCount = Math.max(1, Math.ceil(found.length / pageSize));
  const slice = found.slice((page - 1) * pageSize, page * pageSize);
  const entities = param('format')?.toLowerCase() === 'entities';
  const link = (rel: string, n: number): LinkView => ({
    rel,
    href: pageHref(input, typeName, { filterText, sortAsc, sortDesc }, pageSize, n),
  });
  const links = [link('First', 1)];
  if (page > 1) links.push(link('Previous', Math.min(page - 1, pagesCount)));
  if (page < pagesCount) links.push(link('Next', page + 1));
  links.push(link('Last', pagesCount));
  return {
    ok: true,
    view: {
      format: entities ? 'entities' : 'refs',
      list: type.list,
      items: slice.map((r) => (entities ? type.entity(r) : type.ref(r))),
      paging: { pagesCount, pageSize, pageNum: page, links },
    },
  };
}

function compareValues(a: FieldValue | undefined, b: FieldValue | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  if (a.kind === 'time' && b.kind === 'time') return Math.sign(a.ms - b.ms);
  if (a.kind === 'text' && b.kind === 'text') return compareText(a.value, b.value);
  return 0;
}

/** A paging link as EM builds it: the same query with another page, values percent-encoded. */
function pageHref(
  input: QueryInput,
  typeName: string,
  q: { filterText: string | undefined; sortAsc: string | undefined; sortDesc: string | undefined },
  pageSize: number,
  page: number,
): string {
  const parts = [`type=${encodeURIComponent(typeName)}`];
  const format = input.param('format');
  if (format !== undefined) parts.push(`format=${encodeURIComponent(format)}`);
  if (q.filterText !== undefined) parts.push(`filter=${encodeURIComponent(q.filterText)}`);
  if (q.sortDesc !== undefined) parts.push(`sortDesc=${encodeURIComponent(q.sortDesc)}`);
  else if (q.sortAsc !== undefined) parts.push(`sortAsc=${encodeURIComponent(q.sortAsc)}`);
  parts.push(`pageSize=${pageSize}`, `page=${page}`);
  return `${input.views.base}/query?${parts.join('&')}`;
}
