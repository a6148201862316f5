import { z } from 'zod';
import { isPlainObject, type KeyPath, type PathIssue } from './path.js';

/** What a key's value means beyond its shape, marked where the key is declared in schema.ts. */
export interface KeyRole {
  /** The value names a file the loader checks; relative paths are relative to the config file. */
  file?: 'caFile' | 'passwordFile';
  /** The value is a secret: written literally, a world-readable config file exposes it. */
  secret?: true;
}

/** The marks of schema.ts, kept beside the schemas rather than in lists that must follow their keys. */
export const keyRoles = z.registry<KeyRole>();

/** `schema` marked with `role`; a copy, so a shared schema such as a non-empty string stays unmarked elsewhere. */
export function withRole<T extends z.ZodType>(schema: T, role: KeyRole): T {
  const marked = schema.clone();
  keyRoles.add(marked, role);
  return marked;
}

/** The concrete schemas behind optional/default/transform/union wrappers, and every mark met on the way. */
function concrete(schema: z.ZodType, roles: KeyRole[] = []): z.ZodType[] {
  const role = keyRoles.get(schema);
  if (role !== undefined) roles.push(role);
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) {
    return concrete(schema.unwrap() as z.ZodType, roles);
  }
  if (schema instanceof z.ZodPipe)
    return [schema.in as z.ZodType, schema.out as z.ZodType].flatMap((s) => concrete(s, roles));
  if (schema instanceof z.ZodUnion) return (schema.options as readonly z.ZodType[]).flatMap((s) => concrete(s, roles));
  return [schema];
}

/** The schemas a key or index leads to from a concrete schema. */
function child(schema: z.ZodType, segment: string | number): z.ZodType[] {
  if (typeof segment === 'string' && schema instanceof z.ZodObject) {
    const field = (schema.shape as Record<string, z.ZodType>)[segment];
    return Object.hasOwn(schema.shape, segment) && field !== undefined ? [field] : [];
  }
  if (typeof segment === 'number' && schema instanceof z.ZodArray) return [schema.element as z.ZodType];
  return [];
}

/** The keys a strict mapping at `path` accepts, for "unknown key" messages. */
export function knownKeysAt(schema: z.ZodType, path: KeyPath): string[] {
  let current = [schema];
  for (const segment of path) current = current.flatMap((s) => concrete(s)).flatMap((s) => child(s, segment));
  const mapping = current.flatMap((s) => concrete(s)).find((s) => s instanceof z.ZodObject);
  return mapping instanceof z.ZodObject ? Object.keys(mapping.shape) : [];
}

/** A string value in a config tree at a key the schema marks. */
export interface MarkedValue {
  path: KeyPath;
  value: string;
  role: KeyRole;
}

/** Every string value of `tree` at a marked key, found by walking the tree alongside the schema; the tree may be invalid. */
export function markedValues(schema: z.ZodType, tree: unknown, path: KeyPath = []): MarkedValue[] {
  const roles: KeyRole[] = [];
  const schemas = concrete(schema, roles);
  const out: MarkedValue[] = typeof tree === 'string' ? roles.map((role) => ({ path, value: tree, role })) : [];
  const seen = new Set<z.ZodType>();
  for (const s of schemas) {
    if (seen.has(s)) continue;
    seen.add(s);
    if (s instanceof z.ZodObject && isPlainObject(tree)) {
      for (const [key, value] of Object.entries(tree)) {
        for (const field of child(s, key)) out.push(...markedValues(field, value, [...path, key]));
      }
    } else if (s instanceof z.ZodArray && Array.isArray(tree)) {
      tree.forEach((item: unknown, i) => out.push(...markedValues(s.element as z.ZodType, item, [...path, i])));
    }
  }
  return out;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/** The known key a typo most likely meant: same letters ignoring case, or at most two edits away. */
function closestKey(unknown: string, known: readonly string[]): string | undefined {
  const lower = unknown.toLowerCase();
  const sameIgnoringCase = known.find((key) => key.toLowerCase() === lower);
  if (sameIgnoringCase !== undefined) return sameIgnoringCase;
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(lower, key.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  if (known.length === 0) return 'unknown key';
  const guess = closestKey(key, known);
  const list = `valid keys here: ${known.join(', ')}`;
  return guess === undefined ? `unknown key; ${list}` : `unknown key; did you mean "${guess}"? (${list})`;
}

/** A zod issue path as a key path. */
export function toKeyPath(path: readonly PropertyKey[]): KeyPath {
  return path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
}

/** A union branch that failed only because the value had the other branch's type says nothing. */
function isTypeMismatchOnly(branch: readonly z.core.$ZodIssue[]): boolean {
  return branch.every((issue) => issue.code === 'invalid_type' && issue.path.length === 0);
}

/**
 * zod issues as path issues: one issue per unknown key (named in the path), and a failed union
 * (a backup as GUID or as mapping) reported through the branch that matches the value's shape.
 */
export function fromZodIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  prefix: KeyPath = [],
): PathIssue[] {
  const out: PathIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...toKeyPath(issue.path)];
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys)
        out.push({ path: [...path, key], message: unknownKeyMessage(key, known), atKey: true });
      continue;
    }
    if (issue.code === 'invalid_union') {
      const telling = issue.errors.filter((branch) => !isTypeMismatchOnly(branch));
      const only = telling.length === 1 ? telling[0] : undefined;
      if (only !== undefined) {
        out.push(...fromZodIssues(only, schema, path));
        continue;
      }
    }
    const params = issue.code === 'custom' ? (issue.params ?? {}) : {};
    out.push({
      path,
      message: issue.message,
      ...(params.atKey === true ? { atKey: true } : {}),
      ...(params.relatesKeys === true ? { relatesKeys: true } : {}),
    });
  }
  return out;
}
