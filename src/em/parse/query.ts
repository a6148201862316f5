/**
 * Pages of the query service (`GET /query?type=...`): the items of one `QueryResult` and its
 * `PagingInfo`. Whether the pages add up is the caller's business; these only read one page and
 * refuse what they cannot read completely.
 */
import type { BackupMetadata, RestorePoint } from '../../domain.js';
import { backupFromNode } from './backup.js';
import {
  decodeXmlReferences,
  field,
  isObject,
  links,
  ownString,
  readDocument,
  text,
  type EmDocument,
} from './document.js';
import { ParseError, quote } from './parse-error.js';
import { queryResultItems } from './query-result.js';
import { restorePoint } from './restore-points.js';

export interface QueryPaging {
  /** Undefined when EM sent no PagingInfo or left the attribute out. */
  pagesCount?: number;
  pageSize?: number;
  pageNum?: number;
  /** Href of the `Next` link, as EM wrote it. */
  next?: string;
}

export interface QueryPage<T> {
  items: T[];
  paging: QueryPaging;
}

/** A restore point with the backup its `Up` `BackupReference` link names; undefined when it has none. */
export interface QueriedRestorePoint extends RestorePoint {
  backupId: string | undefined;
}

/** A GUID inside an Href, as a pattern source. */
export const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const BACKUP_HREF = new RegExp(`/backups/(${GUID})(?=[/?#]|$)`, 'i');

/**
 * The backup a restore point belongs to: the `Up` link of Type `BackupReference` (any
 * `BackupReference` link when no `Up` one exists), whose Href ends in the backup's GUID.
 */
export function backupIdOfLinks(node: unknown): string | undefined {
  const refs = linksOf(node).filter((l) => l.type.toLowerCase() === 'backupreference');
  const link = refs.find((l) => l.rel.toLowerCase() === 'up') ?? refs[0];
  const id = link === undefined ? undefined : BACKUP_HREF.exec(link.href)?.[1];
  return id?.toLowerCase();
}

const LINK_TAG = /<(?:[\w.-]+:)?Link\b([^>]*)>/g;
const ATTRIBUTE = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

type LinkInfo = ReturnType<typeof links>[number];

/**
 * The links of a node. Parsed links are taken as they are; where a reader asked for `<Links>` to be
 * left as raw text (`skipLinks`), a tag scan, which sees every `Link` because the document was
 * checked to be well-formed before.
 */
export function linksOf(node: unknown): LinkInfo[] {
  const raw = field(node, 'Links');
  if (typeof raw !== 'string') return links(node);
  const out: LinkInfo[] = [];
  for (const tag of raw.matchAll(LINK_TAG)) {
    const link: LinkInfo = { rel: '', type: '', name: '', href: '' };
    for (const attr of (tag[1] ?? '').matchAll(ATTRIBUTE)) {
      const name = (attr[1] ?? '').replace(/^.*:/, '').toLowerCase();
      if (name === 'rel' || name === 'type' || name === 'name' || name === 'href')
        link[name] = decodeXmlReferences(attr[2] ?? attr[3] ?? '');
    }
    out.push(link);
  }
  return out;
}

/** `type=RestorePoint`, entities (`BackupDateUTC`) or references (time from `Name`), XML or JSON. */
export function parseRestorePointQuery(body: string, contentType: string): QueryPage<QueriedRestorePoint> {
  // Links are read as elements: the one-pass XML reader (plain-xml.ts) builds them for less than a scan of their raw text costs.
  const doc = readDocument(body, contentType);
  const items = queryResultItems(doc, 'RestorePoints', 'RestorePoint');
  const points = new Array<QueriedRestorePoint>(items.length);
  // One copy per backup of the page (ownString), shared by its points.
  const backupIds = new Map<string, string>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const found = backupIdOfLinks(item);
    let backupId = found === undefined ? undefined : backupIds.get(found);
    if (found !== undefined && backupId === undefined) backupIds.set(found, (backupId = ownString(found)));
    points[i] = { ...restorePoint(item, i), backupId };
  }
  return { items: points, paging: pagingOf(doc) };
}

/** `type=Backup`: backup entities (or references, with platform and type ''), each with its UID. */
export function parseBackupQuery(body: string, contentType: string): QueryPage<BackupMetadata> {
  const doc = readDocument(body, contentType);
  const backups = queryResultItems(doc, 'Backups', 'Backup').map((item, i) => {
    const backup = backupFromNode(item, `backup #${i + 1}`);
    if (backup.id === '') throw new ParseError(`backup #${i + 1} ("${quote(backup.name, 60)}") has no UID`);
    return backup;
  });
  return { items: backups, paging: pagingOf(doc) };
}

function count(node: unknown, name: string): number | undefined {
  const raw = text(field(node, name));
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\s*\d{1,9}\s*$/.test(raw)) throw new ParseError(`PagingInfo ${name} "${quote(raw, 20)}" is not a count`);
  return Number(raw);
}

export function pagingOf(doc: EmDocument): QueryPaging {
  const info = field(doc.root, 'PagingInfo');
  if (!isObject(info)) return {};
  const paging: QueryPaging = {};
  const pagesCount = count(info, 'PagesCount');
  const pageSize = count(info, 'PageSize');
  const pageNum = count(info, 'PageNum');
  if (pagesCount !== undefined) paging.pagesCount = pagesCount;
  if (pageSize !== undefined) paging.pageSize = pageSize;
  if (pageNum !== undefined) paging.pageNum = pageNum;
  const next = linksOf(info).find((l) => l.rel.toLowerCase() === 'next')?.href;
  if (next) paging.next = next;
  return paging;
}
