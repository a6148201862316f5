/**
 * VM restore points (`VmRestorePoint`): from a query-service page (`type=VmRestorePoint`), or from
 * `GET /restorePoints/{id}/vmRestorePoints` (a `VmRestorePoints` entity list or references). A VM
 * point names no backup; it reaches one through the restore point its `Up` link names.
 */
import type { VmRestorePoint } from '../../domain.js';
import { isUnsetDate, parseRestorePointName, parseRfc3339Utc } from './datetime.js';
import { field, isObject, keysHint, list, ownString, readDocument, text } from './document.js';
import { errorMessageOf } from './error-body.js';
import { ParseError, quote } from './parse-error.js';
import { GUID, linksOf, pagingOf, type QueryPage } from './query.js';
import { jsonKind, queryResultItems, refuseErrorDocument, unwrapList } from './query-result.js';

const RESTORE_POINT_HREF = new RegExp(`/restorePoints/(${GUID})(?=[/?#]|$)`, 'i');

/** `type=VmRestorePoint&format=Entities` (or references, timed by their `Name`), XML or JSON. */
export function parseVmRestorePointQuery(body: string, contentType: string): QueryPage<VmRestorePoint> {
  const doc = readDocument(body, contentType);
  const items = queryResultItems(doc, 'VmRestorePoints', 'VmRestorePoint');
  return { items: items.map((item, i) => vmRestorePoint(item, i)), paging: pagingOf(doc) };
}

/** `GET /restorePoints/{id}/vmRestorePoints[?format=Entity]`: the VM points of one restore point. */
export function parseVmRestorePoints(body: string, contentType: string): VmRestorePoint[] {
  const doc = readDocument(body, contentType);
  let items: unknown[];
  if (doc.format === 'xml') {
    switch (doc.rootName) {
      case 'VmRestorePoints':
        items = list(field(doc.root, 'VmRestorePoint'));
        break;
      case 'EntityReferences':
        items = list(field(doc.root, 'Ref'));
        break;
      case 'VmRestorePoint':
      case 'EntityRef':
        items = [doc.root];
        break;
      case 'Error':
        throw new ParseError(`EM sent an Error document: ${quote(errorMessageOf(doc) ?? 'no message')}`);
      default:
        throw new ParseError(
          `unexpected XML root <${quote(doc.rootName ?? '', 40)}> (expected VmRestorePoints or EntityReferences)`,
        );
    }
  } else {
    const root = doc.root;
    if (!isObject(root)) throw new ParseError(`unexpected JSON ${jsonKind(root)} (expected VmRestorePoints or Refs)`);
    refuseErrorDocument(doc);
    const entities = field(root, 'VmRestorePoints');
    const refs = field(root, 'Refs');
    if (entities !== undefined) items = unwrapList(entities, 'VmRestorePoints');
    else if (refs !== undefined) items = unwrapList(refs, 'Refs');
    else throw new ParseError(`JSON without VmRestorePoints or Refs (keys: ${keysHint(root)})`);
  }
  return items.map((item, i) => vmRestorePoint(item, i));
}

/**
 * One VM point. Every field the exporter needs must be readable, or the whole body fails: a point
 * dropped silently would make a machine look staler than it is, or vanish.
 */
export function vmRestorePoint(item: unknown, index: number): VmRestorePoint {
  if (!isObject(item)) throw new ParseError(`VM restore point #${index + 1} is not an object`);
  const rawUid = nonEmpty(text(field(item, 'UID')));
  const name = nonEmpty(text(field(item, 'Name')));
  const which = `VM restore point #${index + 1}${rawUid !== undefined ? ` (${quote(rawUid, 80)})` : ''}`;

  const up = linksOf(item).find(
    (l) => l.type.toLowerCase() === 'restorepointreference' && (l.rel === '' || l.rel.toLowerCase() === 'up'),
  );
  const restorePointId = up === undefined ? undefined : RESTORE_POINT_HREF.exec(up.href)?.[1]?.toLowerCase();
  if (restorePointId === undefined)
    throw new ParseError(`${which} has no Up RestorePointReference link, so its backup is unknown`);

  const vmName =
    nonEmpty(text(field(item, 'VmName'))) ?? nonEmpty(text(field(item, 'VmDisplayName'))) ?? nameBeforeAt(name);
  if (vmName === undefined)
    throw new ParseError(`${which} names no machine (neither VmName, VmDisplayName nor a "vm@time" Name)`);
  const vmId = nonEmpty(text(field(item, 'HierarchyObjRef'))) ?? vmName;

  // Copies: the tracker keeps VM points for days, and none of them may pin the body.
  return {
    uid: ownString(rawUid ?? `${restorePointId}/${vmId}`),
    restorePointId: ownString(restorePointId),
    timeMs: pointTime(item, which, name),
    vmName: ownString(vmName),
    vmId: ownString(vmId),
  };
}

function pointTime(item: Record<string, unknown>, which: string, name: string | undefined): number {
  const created = nonEmpty(text(field(item, 'CreationTimeUTC')));
  if (created !== undefined) {
    const ms = parseRfc3339Utc(created);
    if (ms === undefined)
      throw new ParseError(`${which}: CreationTimeUTC "${quote(created, 40)}" is not an RFC 3339 time`);
    if (!isUnsetDate(ms)) return ms;
  }
  const ms = name === undefined ? undefined : parseRestorePointName(name);
  if (ms === undefined)
    throw new ParseError(`${which}: neither CreationTimeUTC nor Name ("${quote(name ?? '', 40)}") tells its time`);
  return ms;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** `web-01` of `web-01@2025-06-05 01:01:27`. */
function nameBeforeAt(name: string | undefined): string | undefined {
  const at = name?.lastIndexOf('@') ?? -1;
  return at > 0 ? nonEmpty(name!.slice(0, at)) : undefined;
}
