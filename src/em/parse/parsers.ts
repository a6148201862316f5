/**
 * The body parsers the client uses, by name, so that a body can be parsed in a worker thread as
 * well as inline: a name crosses the thread boundary, a function does not.
 */
import { parseBackupEntity, parseBackupList } from './backup.js';
import { parseBackupQuery, parseRestorePointQuery } from './query.js';
import { parseRestorePoints } from './restore-points.js';
import { parseVmRestorePointQuery, parseVmRestorePoints } from './vm-restore-points.js';

export const PARSERS = {
  backupEntity: parseBackupEntity,
  backupList: parseBackupList,
  restorePoints: parseRestorePoints,
  restorePointQuery: parseRestorePointQuery,
  backupQuery: parseBackupQuery,
  vmRestorePointQuery: parseVmRestorePointQuery,
  vmRestorePoints: parseVmRestorePoints,
} as const;

export type ParserName = keyof typeof PARSERS;

/** What each parser returns. */
export type Parsed<N extends ParserName> = ReturnType<(typeof PARSERS)[N]>;
