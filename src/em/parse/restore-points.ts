import type { RestorePoint } from '../../domain.js';
import { isUnsetDate, parseRestorePointName, parseRfc3339Utc } from './datetime.js';
import { field, isObject, keysHint, list, ownString, readDocument, text, type EmDocument } from './document.js';
import { errorMessageOf } from './error-body.js';
import { ParseError, quote } from './parse-error.js';
import { jsonKind, queryResultItems, refuseErrorDocument, unwrapList } from './query-result.js';

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
  const items = doc.format === 'xml' ? xmlItems(doc) : jsonItems(doc);
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
    case 'QueryResult':
      return queryResultItems(doc, 'RestorePoints', 'RestorePoint');
    case 'Error':
      throw new ParseError(`EM sent an Error document: ${quote(errorMessageOf(doc) ?? 'no message')}`);
    default:
      throw new ParseError(
        `unexpected XML root <${quote(doc.rootName ?? '', 40)}> (expected RestorePoints or EntityReferences)`,
      );
  }
}

function jsonItems(doc: EmDocument): unknown[] {
  const root = doc.root;
  // A bare null or array is not a shape EM answers with: reading it as "no points" would report a
  // backup without restore points on the strength of a body that says nothing.
  if (!isObject(root))
    throw new ParseError(`unexpected JSON ${jsonKind(root)} (expected RestorePoints, Refs or a QueryResult)`);
  const restorePoints = field(root, 'RestorePoints');
  if (restorePoints !== undefined) return unwrapList(restorePoints, 'RestorePoints');
  if (field(root, 'Entities') !== undefined || field(root, 'Refs') !== undefined)
    return queryResultItems(doc, 'RestorePoints', 'RestorePoint');
  if (field(root, 'BackupDateUTC') !== undefined) return [root];
  refuseErrorDocument(doc);
  throw new ParseError(`JSON without RestorePoints or Refs (keys: ${keysHint(root)})`);
}

/** One restore point (entity or reference) of a list; `index` names it in errors. */
export function restorePoint(item: unknown, index: number): RestorePoint {
  if (!isObject(item)) throw new ParseError(`restore point #${index + 1} is not an object`);
  const uid = text(field(item, 'UID')) ?? '';
  // A copy: per-machine freshness keeps the IDs of restore points between polls.
  return { uid: ownString(uid), timeMs: pointTime(item, index, uid) };
}

/**
 * `BackupDateUTC` when the entity has a real one; the `Name` for references and for entities whose
 * date is absent, null or EM's 1753 "unset" sentinel. A date that is present but unreadable is an
 * error rather than a reason to fall back: it means EM changed format.
 */
function pointTime(item: Record<string, unknown>, index: number, uid: string): number {
  const which = `restore point #${index + 1}${uid ? ` (${quote(uid, 70)})` : ''}`;
  const date = text(field(item, 'BackupDateUTC'));
  if (date !== undefined && date.trim() !== '') {
    const ms = parseRfc3339Utc(date);
    if (ms === undefined) throw new ParseError(`${which}: BackupDateUTC "${quote(date, 40)}" is not an RFC 3339 time`);
    if (!isUnsetDate(ms)) return ms;
  }
  const name = text(field(item, 'Name'));
  if (name === undefined) throw new ParseError(`${which}: neither BackupDateUTC nor Name tells its time`);
  const ms = parseRestorePointName(name);
  if (ms === undefined) throw new ParseError(`${which}: cannot read a time from Name "${quote(name, 40)}"`);
  return ms;
}
