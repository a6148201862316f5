import type { ApiRootView, ItemView, LinkView, QueryResultView, Renderer, SessionView } from './model.js';
import type { JsonStyle } from './types.js';

const isUpper = (c: string | undefined): boolean => c !== undefined && c !== c.toLowerCase() && c === c.toUpperCase();

/**
 * .NET `JsonNamingPolicy.CamelCase`, which EM 13 applies by accident: the leading run of capitals
 * is lowered, except the last one when a lower-case letter follows (`UID` -> `uid`,
 * `NASJobs` -> `nasJobs`, `BackupDateUTC` -> `backupDateUTC`).
 */
export function dotnetCamelCase(name: string): string {
  if (!isUpper(name[0])) return name;
  // eslint-disable-next-line @typescript-eslint/no-misused-spread -- EM's property names are ASCII
  const chars = [...name];
  for (let i = 0; i < chars.length; i++) {
    if (i === 1 && !isUpper(chars[i])) break;
    const next = chars[i + 1];
    if (i > 0 && next !== undefined && !isUpper(next)) {
      if (next === ' ') chars[i] = chars[i]!.toLowerCase();
      break;
    }
    chars[i] = chars[i]!.toLowerCase();
  }
  return chars.join('');
}

type Obj = Record<string, unknown>;

/**
 * The entity lists a 12.x `QueryResult.Entities` always spells out, unused ones as null (a real
 * answer holds about fifty; these are the ones around restore points and backups).
 */
const ENTITY_SLOTS = [
  'Jobs',
  'Backups',
  'RestorePoints',
  'VmRestorePoints',
  'BackupFiles',
  'BackupServers',
  'BackupJobSessions',
  'BackupTaskSessions',
  'ReplicaJobSessions',
  'Repositories',
  'CloudTenants',
  'VmReplicaPoints',
] as const;

/**
 * EM 12/13 JSON: every property the schema knows is present (absent ones as explicit `null`),
 * type-specific elements come before the inherited `Name`, `UID`, `Links`, `Href`, `Type`, and a
 * list is an object holding the plural item name. v13 differs only in key casing.
 */
export function jsonRenderer(style: JsonStyle): Renderer {
  const cache = new Map<string, string>();
  const k =
    style === 'v13'
      ? (name: string): string => {
          let v = cache.get(name);
          if (v === undefined) cache.set(name, (v = dotnetCamelCase(name)));
          return v;
        }
      : (name: string): string => name;

  const link = (l: LinkView): Obj => ({
    [k('Rel')]: l.rel,
    [k('Href')]: l.href,
    [k('Name')]: l.name ?? null,
    [k('Type')]: l.type ?? null,
  });

  const ref = (it: ItemView): Obj => ({
    [k('Links')]: it.links.map(link),
    [k('UID')]: it.uid,
    [k('Name')]: it.name,
    [k('Href')]: it.href,
    [k('Type')]: it.type,
  });

  const entity = (it: ItemView): Obj => {
    const o: Obj = {};
    for (const [name, value] of it.fields ?? []) o[k(name)] = value;
    for (const [name, value] of it.attributes ?? []) o[k(name)] = value;
    o[k('Name')] = it.name;
    o[k('UID')] = it.uid;
    o[k('Links')] = it.links.map(link);
    o[k('Href')] = it.href;
    o[k('Type')] = it.type;
    return o;
  };

  const session = (s: SessionView): Obj => ({
    [k('UserName')]: s.userName,
    [k('SessionId')]: s.sessionId,
    [k('Links')]: s.links.map(link),
    [k('Href')]: s.href,
    [k('Type')]: 'LogonSession',
  });

  const queryResult = (q: QueryResultView): string => {
    let entities: Obj | null = null;
    if (q.format === 'entities') {
      entities = {};
      const slots: readonly string[] = ENTITY_SLOTS.includes(q.list as (typeof ENTITY_SLOTS)[number])
        ? ENTITY_SLOTS
        : [...ENTITY_SLOTS, q.list];
      // Each list keeps its own wrapper: "RestorePoints": {"RestorePoints": [...]}.
      for (const slot of slots) entities[k(slot)] = slot === q.list ? { [k(slot)]: q.items.map(entity) } : null;
    }
    const p = q.paging;
    return JSON.stringify({
      [k('Refs')]: q.format === 'refs' ? { [k('Refs')]: q.items.map(ref) } : null,
      [k('Entities')]: entities,
      [k('Resources')]: null,
      [k('Links')]: null,
      [k('PagingInfo')]: {
        [k('Links')]: p.links.map(link),
        [k('PageNum')]: p.pageNum,
        [k('PageSize')]: p.pageSize,
        [k('PagesCount')]: p.pagesCount,
      },
    });
  };

  return {
    // As captured from a real server: no charset parameter.
    contentType: 'application/json',
    refList: (items) => JSON.stringify({ [k('Refs')]: items.map(ref) }),
    ref: (it) => JSON.stringify(ref(it)),
    entity: (it) => JSON.stringify(entity(it)),
    entityList: (root, items) => JSON.stringify({ [k(root)]: items.map(entity) }),
    // The root repeats `SupportedVersions` inside itself and has null Href/Type, as captured from 12.3 and 13.
    apiRoot: (v: ApiRootView) =>
      JSON.stringify({
        [k('SupportedVersions')]: {
          [k('SupportedVersions')]: v.versions.map((ver) => ({
            [k('Links')]: ver.links.map(link),
            [k('Name')]: ver.name,
          })),
        },
        [k('Links')]: v.links.map(link),
        [k('Href')]: null,
        [k('Type')]: null,
      }),
    queryResult,
    logonSession: (s) => JSON.stringify(session(s)),
    logonSessions: (ss) => JSON.stringify({ [k('LogonSessions')]: ss.map(session) }),
    error: (status, message) =>
      JSON.stringify({
        [k('FirstChanceExceptionMessage')]: message,
        [k('Message')]: message,
        [k('StackTrace')]: null,
        [k('Status')]: null,
        [k('StatusCode')]: status,
      }),
    malformed: () => `{"${k('Refs')}":[{"${k('UID')}":"urn:veeam:Backup:,]}`,
  };
}
