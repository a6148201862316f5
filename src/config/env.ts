import { isPlainObject, type PathIssue } from './path.js';

/**
 * `${VAR}` expansion in config string values. `$${` stands for a literal `${`; any other `$` is
 * literal, so passwords such as `pa$$word` survive untouched.
 */

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ONLY_REFERENCES_RE = /^(?:\$\{[A-Za-z_][A-Za-z0-9_]*\})+$/;

export type ExpandResult = { ok: true; value: string } | { ok: false; error: string };

export function expandEnvRefs(text: string, env: NodeJS.ProcessEnv): ExpandResult {
  let out = '';
  const unset: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      out += text.charAt(i);
      i += 1;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close === -1) return { ok: false, error: 'unterminated "${": close it with "}", or write "$${" for a literal "${"' };
    const name = text.slice(i + 2, close);
    if (!NAME_RE.test(name)) {
      return { ok: false, error: `"\${${name}}" is not a valid environment variable reference: use \${NAME} with letters, digits and _` };
    }
    const value = env[name];
    if (value === undefined) unset.push(name);
    else out += value;
    i = close + 1;
  }
  if (unset.length === 1) return { ok: false, error: `environment variable ${unset[0]} is not set` };
  if (unset.length > 1) return { ok: false, error: `environment variables ${unset.join(', ')} are not set` };
  return { ok: true, value: out };
}

/** True when the raw value is nothing but `${VAR}` references, i.e. the secret itself lives elsewhere. */
export function isOnlyEnvReferences(text: string): boolean {
  return ONLY_REFERENCES_RE.test(text);
}

const UNEXPANDABLE_PASSWORD =
  'holds "${" that is not a reference to a set environment variable (the value is not shown: it is a password); write "$${" for a literal "${", or use ${NAME} alone';

/** Expands every string value in a parsed YAML tree; an unset variable becomes an issue at its key path. */
export function expandEnvInTree(root: unknown, env: NodeJS.ProcessEnv): { value: unknown; issues: PathIssue[] } {
  const issues: PathIssue[] = [];
  const walk = (node: unknown, path: Array<string | number>): unknown => {
    if (typeof node === 'string') {
      const expanded = expandEnvRefs(node, env);
      if (expanded.ok) return expanded.value;
      // The error quotes what stands between "${" and "}": in a literal password, that is part of it.
      const quotesSecret = String(path[path.length - 1]).toLowerCase() === 'password' && !isOnlyEnvReferences(node);
      issues.push({ path: [...path], message: quotesSecret ? UNEXPANDABLE_PASSWORD : expanded.error });
      return node;
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (isPlainObject(node)) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(node)) {
        // defineProperty, because a `__proto__` key must stay a key (and be rejected as unknown).
        Object.defineProperty(out, key, { value: walk(item, [...path, key]), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return node;
  };
  return { value: walk(root, []), issues };
}
