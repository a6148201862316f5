import type { BackupMetadata } from '../../domain.js';
import { field, isObject, keysHint, links, list, ownString, readDocument, text } from './document.js';
import { errorMessageOf } from './error-body.js';
import { ParseError, quote } from './parse-error.js';
import { jsonKind, unwrapList } from './query-result.js';

const BACKUP_URN = /^urn:veeam:Backup:/i;

/**
 * `GET /backups/{id}?format=Entity` reduced to the info-metric labels. Repository and backup server
 * come from the `Up` links' `Name`s. Only `Name` is required; fields older EMs lack (9.0 had no
 * BackupType) or a reference-only answer lacks come back as ''. `id` is '' when EM gave no UID.
 */
export function parseBackupEntity(body: string, contentType: string): BackupMetadata {
  const doc = readDocument(body, contentType);
  if (doc.format === 'xml' && doc.rootName !== 'Backup' && doc.rootName !== 'EntityRef') {
    const message = errorMessageOf(doc);
    if (message !== undefined) throw new ParseError(`EM sent an Error document: ${quote(message)}`);
    throw new ParseError(`unexpected XML root <${quote(doc.rootName ?? '', 40)}> (expected Backup)`);
  }
  const node = doc.root;
  if (!isObject(node)) throw new ParseError('backup body is not an object');
  if (doc.format === 'json') {
    const message = errorMessageOf(doc);
    if (message !== undefined && field(node, 'UID') === undefined) {
      throw new ParseError(`EM sent an Error document: ${quote(message)}`);
    }
  }
  return backupFromNode(node);
}

/**
 * One `Backup` entity (or reference) of any body, reduced to BackupMetadata. Only `Name` is
 * required; `id` is '' when the node has no UID.
 */
export function backupFromNode(node: unknown, which = 'backup'): BackupMetadata {
  if (!isObject(node)) throw new ParseError(`${which} is not an object`);
  const name = text(field(node, 'Name'));
  if (name === undefined || name.trim() === '')
    throw new ParseError(`${which} without a Name (keys: ${keysHint(node)})`);
  const uid = text(field(node, 'UID')) ?? '';
  const related = links(node);
  const linkName = (type: string): string =>
    (
      related.find((l) => l.rel.toLowerCase() === 'up' && l.type.toLowerCase() === type) ??
      related.find((l) => l.type.toLowerCase() === type)
    )?.name ?? '';
  // Kept in state for as long as the backup is watched: copies, so that no body stays pinned.
  return {
    id: ownString(uid.replace(BACKUP_URN, '').toLowerCase()),
    name: ownString(name),
    platform: ownString(text(field(node, 'Platform')) ?? ''),
    backupType: ownString(text(field(node, 'BackupType')) ?? ''),
    backupServer: ownString(linkName('backupserverreference')),
    repository: ownString(linkName('repositoryreference')),
  };
}

/**
 * `GET /backups?format=Entity` and `GET /backups/{id}/childbackups?format=Entity`: a `Backups` list
 * (`{"Backups": [...]}` in JSON, `backups` in EM 13). Every backup must carry a UID: a discovered
 * backup without one could not be polled. References (`EntityReferences`) are read the same way, with
 * platform and type left ''.
 */
export function parseBackupList(body: string, contentType: string): BackupMetadata[] {
  const doc = readDocument(body, contentType);
  let items: unknown[];
  if (doc.format === 'xml') {
    if (doc.rootName === 'Backups') items = list(field(doc.root, 'Backup'));
    else if (doc.rootName === 'EntityReferences') items = list(field(doc.root, 'Ref'));
    else {
      const message = errorMessageOf(doc);
      if (message !== undefined) throw new ParseError(`EM sent an Error document: ${quote(message)}`);
      throw new ParseError(`unexpected XML root <${quote(doc.rootName ?? '', 40)}> (expected Backups)`);
    }
  } else {
    const root = doc.root;
    // A bare null or array is not a shape EM answers with; "no backups" from it would drop them all.
    if (!isObject(root)) throw new ParseError(`unexpected JSON ${jsonKind(root)} (expected Backups)`);
    else {
      const backups = field(root, 'Backups');
      const value = backups !== undefined ? backups : field(root, 'Refs');
      if (value === undefined) {
        const message = errorMessageOf(doc);
        if (message !== undefined) throw new ParseError(`EM sent an Error document: ${quote(message)}`);
        throw new ParseError(`JSON without a Backups list (keys: ${keysHint(root)})`);
      }
      // A wrapper object around the list, as EM nests lists inside other documents, is tolerated.
      items = unwrapList(value, backups !== undefined ? 'Backups' : 'Refs');
    }
  }
  return items.map((item, i) => {
    const backup = backupFromNode(item, `backup #${i + 1}`);
    if (backup.id === '') throw new ParseError(`backup #${i + 1} ("${quote(backup.name, 60)}") has no UID`);
    return backup;
  });
}
