/** Key paths into the config document, e.g. ['enterpriseManagers', 0, 'backups', 1, 'id']. */
export type KeyPath = ReadonlyArray<string | number>;

/** An issue before it is pinned to a file position. */
export interface PathIssue {
  path: KeyPath;
  message: string;
  /** Point at the key itself rather than its value (unknown keys). */
  atKey?: boolean;
  /** A rule relating several keys: reported even where the key's own value failed to expand. */
  relatesKeys?: boolean;
}

const PLAIN_KEY_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `enterpriseManagers[0].backups[1].id`; odd keys are quoted so the path stays unambiguous. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY_RE.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function valueAt(root: unknown, path: KeyPath): unknown {
  let node = root;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === 'number') node = node[segment];
    else if (isPlainObject(node) && typeof segment === 'string' && Object.hasOwn(node, segment)) node = node[segment];
    else return undefined;
  }
  return node;
}

/** Replaces the value at `path`, which must exist, in a tree of plain objects and arrays. */
export function setValueAt(root: unknown, path: KeyPath, value: unknown): void {
  const parent = valueAt(root, path.slice(0, -1));
  const key = path[path.length - 1];
  if (Array.isArray(parent) && typeof key === 'number') parent[key] = value;
  else if (isPlainObject(parent) && typeof key === 'string' && Object.hasOwn(parent, key)) parent[key] = value;
}

export function sameKeyPath(a: KeyPath, b: KeyPath): boolean {
  return a.length === b.length && a.every((segment, i) => segment === b[i]);
}
