import { dirname, isAbsolute, join } from 'node:path';
import { LineCounter, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { formatKeyPath, isPlainObject, sameKeyPath, setValueAt, type PathIssue } from './path.js';
import { locate, placeYamlErrors } from './positions.js';
import { configSchema } from './schema.js';
import { fromZodIssues, markedValues } from './schema-keys.js';
import type { ConfigIssue, ConfigResult } from './types.js';

/** A file the config names; checked by the loader, because parsing stays free of I/O. */
export interface FileReference {
  kind: 'caFile' | 'passwordFile';
  /** Resolved against the config file's directory. */
  fsPath: string;
  /** Where the reference is written, for the issue if the file is unusable. */
  at: ConfigIssue;
}

export interface ConfigAnalysis {
  result: ConfigResult;
  files: FileReference[];
  /** Passwords written literally in the file rather than taken from the environment. */
  inlinePasswords: ConfigIssue[];
}

/** Relative paths in the config are relative to the config file, as in Prometheus. */
export function resolveBesideConfig(configFile: string, path: string): string {
  return isAbsolute(path) ? path : join(dirname(configFile), path);
}

function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

function yamlProblems(
  problems: readonly YAMLError[],
  lines: LineCounter,
  file: string,
  label: string,
  doc?: Document,
): ConfigIssue[] {
  return placeYamlErrors(problems, lines, doc).map(({ message, offset }) => ({
    file,
    path: '',
    message: `${label}: ${message}`,
    ...positionOf(lines, offset),
  }));
}

export function analyzeConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): ConfigAnalysis {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const pin = (issue: PathIssue): ConfigIssue => ({
    file,
    path: formatKeyPath(issue.path),
    message: issue.message,
    ...locate(doc, lines, issue.path, issue.atKey),
  });
  const fail = (issues: ConfigIssue[]): ConfigAnalysis => ({
    result: { ok: false, issues: issues.sort(byPosition) },
    files: [],
    inlinePasswords: [],
  });

  // A document with syntax errors is only partly understood; its schema errors would mislead.
  if (doc.errors.length > 0) return fail(yamlProblems(doc.errors, lines, file, 'YAML syntax error', doc));
  const danglingAliases = unresolvedAliases(doc, lines, file);
  if (danglingAliases.length > 0) return fail(danglingAliases);
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    // an alias bomb beyond yaml's maxAliasCount
    return fail([{ file, path: '', message: `YAML error: ${(error as Error).message}` }]);
  }

  const expanded = expandEnvInTree(raw, env);
  const fileValues = markedValues(configSchema, expanded.value).flatMap(({ path, value, role }) =>
    role.file !== undefined && value !== ''
      ? [{ kind: role.file, path, fsPath: resolveBesideConfig(file, value) }]
      : [],
  );
  // The config the program sees names files as the loader checked them.
  for (const { path, fsPath } of fileValues) setValueAt(expanded.value, path, fsPath);
  const parsed = configSchema.safeParse(expanded.value);
  const shapeIssues = parsed.success ? [] : fromZodIssues(parsed.error.issues, configSchema);
  // A value that failed to expand would also fail validation; one issue per key is enough.
  const envPaths = expanded.issues.map((issue) => issue.path);
  const redundant = (issue: PathIssue): boolean =>
    issue.relatesKeys !== true && envPaths.some((path) => sameKeyPath(path, issue.path));
  const errors = [...expanded.issues, ...shapeIssues.filter((issue) => !redundant(issue))].map(pin);

  const files = fileValues.map(({ kind, path, fsPath }) => ({ kind, fsPath, at: pin({ path, message: '' }) }));
  const inlinePasswords = markedValues(configSchema, raw)
    .filter(({ value, role }) => role.secret === true && value !== '' && !isOnlyEnvReferences(value))
    .map(({ path }) => pin({ path, message: '' }));
  if (errors.length > 0 || !parsed.success)
    return { result: { ok: false, issues: errors.sort(byPosition) }, files, inlinePasswords };

  const warnings = [...parsed.data.warnings.map(pin), ...yamlProblems(doc.warnings, lines, file, 'YAML')];
  return {
    result: { ok: true, config: parsed.data.config, warnings: warnings.sort(byPosition) },
    files,
    inlinePasswords,
  };
}

/** yaml reports an alias to a missing anchor only when converting, and then without a position. */
function unresolvedAliases(doc: Document, lines: LineCounter, file: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) !== undefined) return;
      const position = alias.range === undefined || alias.range === null ? {} : positionOf(lines, alias.range[0]);
      issues.push({
        file,
        path: '',
        message: `YAML error: alias *${alias.source} refers to no anchor &${alias.source} before it`,
        ...position,
      });
    },
  });
  return issues;
}

function positionOf(lines: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

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
    if (close === -1)
      return { ok: false, error: 'unterminated "${": close it with "}", or write "$${" for a literal "${"' };
    const name = text.slice(i + 2, close);
    if (!NAME_RE.test(name)) {
      return {
        ok: false,
        error: `"\${${name}}" is not a valid environment variable reference: use \${NAME} with letters, digits and _`,
      };
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
        Object.defineProperty(out, key, {
          value: walk(item, [...path, key]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return node;
  };
  return { value: walk(root, []), issues };
}

/** Parses and validates config text; pure: files the config names are not looked at. */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  return analyzeConfigText(text, file, env).result;
}
