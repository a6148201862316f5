/**
 * How the exporter uses the query service: which URL asks for which backups, how many backups go
 * into one request, and whether the pages EM answered add up. Pure; the client does the I/O.
 */
import type { QueryPaging } from './parse/index.js';

export const QUERY_DEFAULTS = {
  /** Always sent: without it EM pages by 100 while its docs promise one page. */
  pageSize: 1000,
  /**
   * Longest request URL the exporter builds. http.sys and most proxies take 16 KB; half of that
   * leaves room for whatever sits in between.
   */
  maxUrlChars: 8000,
  /** A result that claims more pages than this is refused rather than followed. */
  maxPages: 10_000,
} as const;

export type QueryType = 'RestorePoint' | 'Backup';

export interface QueryRequest {
  /** `VmRestorePoint` has no backup field, so it is never batched by backup. */
  type: QueryType | 'VmRestorePoint';
  /** The filter as EM reads it (not yet encoded); undefined for none. */
  filter: string | undefined;
  pageSize: number;
}

/** `BackupUid=="urn:veeam:Backup:<id>"` or `UID==...`: the field that names a backup in each query type. */
export function backupClause(type: QueryType, id: string): string {
  return `${type === 'RestorePoint' ? 'BackupUid' : 'UID'}=="urn:veeam:Backup:${id}"`;
}

/** Path and query below /api. Restore points come newest first, so a point created while the pages are read can only repeat one. */
export function queryPath(request: QueryRequest, page: number): string {
  const parts = [`type=${request.type}`, 'format=Entities'];
  if (request.filter !== undefined) parts.push(`filter=${encodeURIComponent(request.filter)}`);
  if (request.type !== 'Backup') parts.push('sortDesc=CreationTime');
  // The unfiltered listing of discovery spans many pages: a fixed order keeps a page from repeating
  // or skipping backups another page holds.
  else if (request.filter === undefined) parts.push('sortAsc=UID');
  parts.push(`pageSize=${request.pageSize}`, `page=${page}`);
  return `/query?${parts.join('&')}`;
}

/**
 * Splits backup IDs into as few OR-filters as keep every request URL within `maxUrlChars`, given
 * the base URL (`https://em:9398/api`) the path is appended to. With `expected` (points per backup
 * at the last poll), a batch also ends before its points would overflow one page: a result that fits
 * one page takes one request, and cannot change between pages. Order is kept.
 */
export function batchFilters(
  type: QueryType,
  ids: readonly string[],
  baseUrl: string,
  pageSize: number,
  maxUrlChars: number,
  expected?: ReadonlyMap<string, number>,
): string[][] {
  const overhead = baseUrl.length + queryPath({ type, filter: '', pageSize }, QUERY_DEFAULTS.maxPages).length;
  const budget = Math.max(0, maxUrlChars - overhead);
  const comma = encodeURIComponent(',').length;
  const batches: string[][] = [];
  let current: string[] = [];
  let used = 0;
  let points = 0;
  for (const id of ids) {
    const clause = encodeURIComponent(backupClause(type, id)).length;
    const more = expected?.get(id) ?? 0;
    // One backup per request at least, however long the URL or the result becomes.
    if (current.length > 0 && (used + comma + clause > budget || points + more > pageSize)) {
      batches.push(current);
      current = [];
      used = 0;
      points = 0;
    }
    used += current.length > 0 ? comma + clause : clause;
    points += more;
    current.push(id);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export function filterOf(type: QueryType, ids: readonly string[]): string {
  return ids.map((id) => backupClause(type, id)).join(',');
}

/**
 * Why page `pageNum` of a result does not fit the first page's PagingInfo, or undefined when it
 * does. Every page but the last must be full and the last not empty: anything else means items
 * moved while the pages were read (or EM pages wrongly), and some could be missing.
 */
export function pageProblem(
  paging: QueryPaging,
  items: number,
  pageNum: number,
  pagesCount: number,
  pageSize: number,
): string | undefined {
  if (paging.pagesCount !== undefined && paging.pagesCount !== pagesCount) {
    return `page ${pageNum} reports ${paging.pagesCount} pages, page 1 reported ${pagesCount}`;
  }
  if (paging.pageNum !== undefined && paging.pageNum !== pageNum)
    return `page ${pageNum} was asked for, EM answered page ${paging.pageNum}`;
  if (paging.pageSize !== undefined && paging.pageSize !== pageSize)
    return `page ${pageNum} reports a page size of ${paging.pageSize}, page 1 reported ${pageSize}`;
  if (items > pageSize) return `page ${pageNum} holds ${items} items, more than the page size ${pageSize}`;
  if (pageNum < pagesCount && items !== pageSize)
    return `page ${pageNum} of ${pagesCount} holds ${items} items, not a full page of ${pageSize}`;
  if (pageNum === pagesCount && pagesCount > 1 && items === 0)
    return `the last page ${pageNum} of ${pagesCount} is empty`;
  return undefined;
}

/**
 * Why pages read by following `Next` links (no PagesCount) do not prove the list complete, or
 * undefined when they do. Only a last page short of the page size proves the end: a full last page
 * without a Next link may be a list cut off, and a page short of the page size that still links a
 * Next page means items moved while the pages were read.
 */
export function chainProblem(
  pages: ReadonlyArray<{ paging: QueryPaging; items: number }>,
  pageSize: number,
): string | undefined {
  for (const [i, page] of pages.entries()) {
    const pageNum = i + 1;
    const last = pageNum === pages.length;
    if (page.paging.pageNum !== undefined && page.paging.pageNum !== pageNum)
      return `page ${pageNum} of the Next links says it is page ${page.paging.pageNum}`;
    if (page.paging.pageSize !== undefined && page.paging.pageSize !== pageSize)
      return `page ${pageNum} reports a page size of ${page.paging.pageSize}, page 1 reported ${pageSize}`;
    if (page.items > pageSize) return `page ${pageNum} holds ${page.items} items, more than the page size ${pageSize}`;
    if (!last && page.items !== pageSize)
      return `page ${pageNum} holds ${page.items} items, not a full page of ${pageSize}, yet links a Next page`;
    if (last && page.items === pageSize) {
      return `page ${pageNum} is full (${pageSize} items) but has neither a Next link nor a PagesCount, so the list cannot be proven complete`;
    }
  }
  return undefined;
}

/** `/query?...` of a `Next` link, for the configured EM: a link never decides which host gets the session. */
export function nextPath(href: string): string | undefined {
  try {
    const url = new URL(href, 'https://em.invalid/api/');
    if (!/\/api\/query\/?$/i.test(url.pathname)) return undefined;
    return `/query${url.search}`;
  } catch {
    return undefined;
  }
}
