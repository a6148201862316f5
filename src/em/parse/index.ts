export { ParseError, excerpt, quote } from './parse-error.js';
export {
  EM_UNSET_DATE_MS,
  isUnsetDate,
  parseRfc3339Utc,
  parsePostgresStyleName,
  parseSqlServerStyleName,
  parseRestorePointName,
} from './datetime.js';
export { bodyFormat, decodeXmlReferences, type BodyFormat } from './document.js';
export { parseRestorePoints } from './restore-points.js';
export { parseBackupEntity, parseBackupList } from './backup.js';
export {
  backupIdOfLinks,
  parseBackupQuery,
  parseRestorePointQuery,
  type QueriedRestorePoint,
  type QueryPage,
  type QueryPaging,
} from './query.js';
export { parseLogonSession, sessionIdFromToken, type LogonSessionInfo } from './logon-session.js';
export { parseErrorMessage } from './error-body.js';
export { parseVmRestorePointQuery, parseVmRestorePoints } from './vm-restore-points.js';
