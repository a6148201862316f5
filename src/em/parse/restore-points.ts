import type { RestorePoint } from '../../domain.js';
import { isUnsetDate, parseRestorePointName, parseRfc3339Utc } from './datetime.js';
import { field, isObject, keysHint, list, readDocument, text, type EmDocument } from './document.js';
import { errorMessageOf } from './error-body.js';
import { ParseError, excerpt } from './parse-error.js';

/**
 * Restore points from any of the bodies EM answers `GET /backups/{id}/restorePoints[?format=Entity]`
 * with: `RestorePoints` entities (time from `BackupDateUTC`), `EntityReferences` (time from the `Ref`
 * `Name`), or a query-service `QueryResult` holding either; XML or JSON.
 *
 * A point whose time cannot be read fails the whole body instead of being dropped: the exported
 * count must be the count EM reports, and a silent undercount would hide a format change.
 */
export function parseRestorePoints(body: string, contentType: string): RestorePoint[] {
  const doc = readDocument(body, contentType, { skipLinks: true });
  const items = doc.format === 'xml' ? xmlItems(doc) : jsonItems(doc.root);
  const points: RestorePoint[] = new Array<RestorePoint>(items.length);
  for (let i = 0; i < items.length; i++) points[i] = restorePoint(items[i], i);
  return points;
}

function xmlItems(doc: EmDocument): unknown[] {
  const root = doc.root;
  switch (doc.rootName) {
    case 'RestorePoints':
      return list(field(root, 'RestorePoint'));
    case 'EntityReferences':
      return list(field(root, 'Ref'));
    case 'RestorePoint':
    case 'EntityRef':
      return [root];
    case 'QueryResult': {
      const entities = field(root, 'Entities');
      if (isObject(entities)) return list(field(field(entities, 'RestorePoints'), 'RestorePoint'));
      return list(field(field(root, 'Refs'), 'Ref'));
    }
    case 'Error':
      throw new ParseError(`EM sent an Error document: ${excerpt(errorMessageOf(doc) ?? 'no message')}`);
    default:
      throw new ParseError(`unexpected XML root <${excerpt(doc.rootName ?? '', 40)}> (expected RestorePoints or EntityReferences)`);
  }
}

function jsonItems(root: unknown): unknown[] {
  if (root === null || Array.isArray(root)) return list(root);
  if (!isObject(root)) throw new ParseError(`unexpected JSON ${typeof root} (expected RestorePoints or Refs)`);
  const restorePoints = field(root, 'RestorePoints');
  if (restorePoints !== undefined) return unwrapList(restorePoints, 'RestorePoints');
  const entities = field(root, 'Entities');
  if (isObject(entities)) return unwrapList(field(entities, 'RestorePoints'), 'RestorePoints');
  const refs = field(root, 'Refs');
  if (refs !== undefined) return unwrapList(refs, 'Refs');
  if (field(root, 'BackupDateUTC') !== undefined) return [root];
  const message = text(field(root, 'Message'));
  if (message !== undefined && field(root, 'StatusCode') !== undefined) {
    throw new ParseError(`EM sent an Error document: ${excerpt(message)}`);
  }
  throw new ParseError(`JSON without RestorePoints or Refs (keys: ${keysHint(root)})`);
}

/**
 * EM nests lists inside query results once more: `"RestorePoints": {"RestorePoints": [...]}`; a bare
 * array or null is accepted too.
 */
export function unwrapList(value: unknown, name: string): unknown[] {
  if (isObject(value)) {
    const inner = field(value, name);
    if (inner === undefined) throw new ParseError(`JSON ${name} is an object without a ${name} list (keys: ${keysHint(value)})`);
    return list(inner);
  }
  if (value === null || Array.isArray(value)) return list(value);
  throw new ParseError(`JSON ${name} is a ${typeof value}, not a list`);
}

/** One restore point (entity or reference) of a list; `index` names it in errors. */
export function restorePoint(item: unknown, index: number): RestorePoint {
  if (!isObject(item)) throw new ParseError(`restore point #${index + 1} is not an object`);
  const uid = text(field(item, 'UID')) ?? '';
  return { uid, timeMs: pointTime(item, index, uid) };
}

/**
 * `BackupDateUTC` when the entity has a real one; the `Name` for references and for entities whose
 * date is absent, null or EM's 1753 "unset" sentinel. A date that is present but unreadable is an
 * error rather than a reason to fall back: it means EM changed format.
 */
function pointTime(item: Record<string, unknown>, index: number, uid: string): number {
  const which = `restore point #${index + 1}${uid ? ` (${excerpt(uid, 70)})` : ''}`;
  const date = text(field(item, 'BackupDateUTC'));
  if (date !== undefined && date.trim() !== '') {
    const ms = parseRfc3339Utc(date);
    if (ms === undefined) throw new ParseError(`${which}: BackupDateUTC "${excerpt(date, 40)}" is not an RFC 3339 time`);
    if (!isUnsetDate(ms)) return ms;
  }
  const name = text(field(item, 'Name'));
  if (name === undefined) throw new ParseError(`${which}: neither BackupDateUTC nor Name tells its time`);
  const ms = parseRestorePointName(name);
  if (ms === undefined) throw new ParseError(`${which}: cannot read a time from Name "${excerpt(name, 40)}"`);
  return ms;
}
