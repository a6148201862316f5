import type { z } from 'zod';
import type { KeyPath, PathIssue } from './path.js';
import { closestKey, knownKeysAt } from './schema-keys.js';

function unknownKeyMessage(key: string, known: readonly string[]): string {
  if (known.length === 0) return 'unknown key';
  const guess = closestKey(key, known);
  const list = `valid keys here: ${known.join(', ')}`;
  return guess === undefined ? `unknown key; ${list}` : `unknown key; did you mean "${guess}"? (${list})`;
}

/** A union branch that failed only because the value had the other branch's type says nothing. */
function isTypeMismatchOnly(branch: readonly z.core.$ZodIssue[]): boolean {
  return branch.every((issue) => issue.code === 'invalid_type' && issue.path.length === 0);
}

/**
 * zod issues as path issues: one issue per unknown key (named in the path), and a failed union
 * (a backup as GUID or as mapping) reported through the branch that matches the value's shape.
 */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType, prefix: KeyPath = []): PathIssue[] {
  const out: PathIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)))];
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys) out.push({ path: [...path, key], message: unknownKeyMessage(key, known), atKey: true });
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
    out.push({ path, message: issue.message });
  }
  return out;
}
