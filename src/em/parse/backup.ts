import type { BackupMetadata } from '../../domain.js';
import { field, isObject, keysHint, links, readDocument, text } from './document.js';
import { errorMessageOf } from './error-body.js';
import { ParseError, excerpt } from './parse-error.js';

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
    if (message !== undefined) throw new ParseError(`EM sent an Error document: ${excerpt(message)}`);
    throw new ParseError(`unexpected XML root <${excerpt(doc.rootName ?? '', 40)}> (expected Backup)`);
  }
  const node = doc.root;
  if (!isObject(node)) throw new ParseError('backup body is not an object');
  if (doc.format === 'json') {
    const message = errorMessageOf(doc);
    if (message !== undefined && field(node, 'UID') === undefined) {
      throw new ParseError(`EM sent an Error document: ${excerpt(message)}`);
    }
  }
  const name = text(field(node, 'Name'));
  if (name === undefined || name.trim() === '') throw new ParseError(`backup without a Name (keys: ${keysHint(node)})`);
  const uid = text(field(node, 'UID')) ?? '';
  const related = links(node);
  const linkName = (type: string): string =>
    (
      related.find((l) => l.rel.toLowerCase() === 'up' && l.type.toLowerCase() === type) ??
      related.find((l) => l.type.toLowerCase() === type)
    )?.name ?? '';
  return {
    id: uid.replace(BACKUP_URN, '').toLowerCase(),
    name,
    platform: text(field(node, 'Platform')) ?? '',
    backupType: text(field(node, 'BackupType')) ?? '',
    backupServer: linkName('backupserverreference'),
    repository: linkName('repositoryreference'),
  };
}
