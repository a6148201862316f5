const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const URN_PREFIX_RE = /^urn:veeam:Backup:/i;

/** Bare lower-case GUID for a backup ID as written in the config (bare or `urn:veeam:Backup:` form). */
export function normalizeBackupId(text: string): string | undefined {
  const bare = text.replace(URN_PREFIX_RE, '');
  return GUID_RE.test(bare) ? bare.toLowerCase() : undefined;
}

export const BACKUP_ID_HINT =
  'expected a backup GUID such as 0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3 or urn:veeam:Backup:<GUID>';
