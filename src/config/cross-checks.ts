import { normalizeBackupId } from './schema.js';
import { isLoopbackHost, normalizeEmUrl, type EmUrlResult } from './em-url.js';
import { formatKeyPath, isPlainObject, type PathIssue } from './path.js';

/**
 * Rules that compare entries of a list (duplicate backups and names), and the warnings. They read the
 * raw (env-expanded) tree defensively, so they are reported together with every shape error instead
 * of only after the schema passes.
 */
export function crossCheck(root: unknown): { errors: PathIssue[]; warnings: PathIssue[] } {
  const errors: PathIssue[] = [];
  const warnings: PathIssue[] = [];
  const ems = isPlainObject(root) && Array.isArray(root.enterpriseManagers) ? root.enterpriseManagers : [];
  const firstEmWithName = new Map<string, number>();
  ems.forEach((em: unknown, i) => {
    if (!isPlainObject(em)) return;
    const at = ['enterpriseManagers', i] as const;
    const url = typeof em.url === 'string' ? normalizeEmUrl(em.url) : undefined;
    checkDuplicateBackups(em, at, errors);
    checkDuplicateName(em, url, at, firstEmWithName, errors);
    if (em.tls !== null && isPlainObject(em.tls) && em.tls.insecureSkipVerify === true) {
      warnings.push({
        path: [...at, 'tls', 'insecureSkipVerify'],
        message: 'TLS certificate verification is off for this Enterprise Manager: anyone on the path can read its credentials; set tls.caFile to its CA instead',
      });
    }
    if (url?.ok === true && url.url.startsWith('http:') && !isLoopbackHost(url.hostname)) {
      warnings.push({
        path: [...at, 'url'],
        message: 'plain http: the password and the session ID cross the network unencrypted; use https://',
      });
    }
  });
  return { errors, warnings };
}

type EmPath = readonly ['enterpriseManagers', number];

function checkDuplicateBackups(em: Record<string, unknown>, at: EmPath, errors: PathIssue[]): void {
  if (!Array.isArray(em.backups)) return;
  const firstIndex = new Map<string, number>();
  em.backups.forEach((entry: unknown, j) => {
    const raw = typeof entry === 'string' ? entry : isPlainObject(entry) && typeof entry.id === 'string' ? entry.id : undefined;
    const id = raw === undefined ? undefined : normalizeBackupId(raw);
    if (id === undefined) return;
    const first = firstIndex.get(id);
    if (first === undefined) {
      firstIndex.set(id, j);
      return;
    }
    const path = typeof entry === 'string' ? [...at, 'backups', j] : [...at, 'backups', j, 'id'];
    errors.push({ path, message: `duplicate backup ${id}: already listed at ${formatKeyPath([...at, 'backups', first])}` });
  });
}

function checkDuplicateName(
  em: Record<string, unknown>,
  url: EmUrlResult | undefined,
  at: EmPath,
  firstEmWithName: Map<string, number>,
  errors: PathIssue[],
): void {
  const explicit = typeof em.name === 'string' && em.name !== '';
  let name: string | undefined;
  if (explicit) name = em.name as string;
  else if (url?.ok === true) name = url.hostname;
  if (name === undefined) return;
  const first = firstEmWithName.get(name);
  if (first === undefined) {
    firstEmWithName.set(name, at[1]);
    return;
  }
  const clash = `duplicate Enterprise Manager name "${name}": enterpriseManagers[${first}] has it too, and the name is the em label`;
  if (explicit) errors.push({ path: [...at, 'name'], message: clash });
  else errors.push({ path: [...at, 'url'], message: `${clash}; set a distinct name` });
}
