import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { describeFsError } from '../config/fs-error.js';
import { webConfigSchema } from './schema.js';
import { Secret } from './secret.js';
import { loadTlsFiles } from './tls-files.js';
import { UNSUPPORTED_TOOLKIT_KEYS } from './toolkit-names.js';
import type { WebConfigIssue, WebConfigResult } from './types.js';
import { validateWebConfig, type PendingIssue, type TlsPlan } from './validate.js';
import { formatPath, parseYaml } from './yaml-source.js';

/** A load attempt plus the files it depends on, so a watcher can follow files a rejected version names. */
export interface WebConfigAttempt {
  result: WebConfigResult;
  referencedFiles: string[];
}

/**
 * Reads an exporter-toolkit web config file, validates it and reads the TLS files it names. Every problem
 * is reported at once, each with its key path and, where known, line and column.
 */
export async function loadWebConfig(path: string): Promise<WebConfigResult> {
  return (await attemptWebConfig(path)).result;
}

export async function attemptWebConfig(path: string, now: Date = new Date()): Promise<WebConfigAttempt> {
  const file = resolve(path);
  const fail = (issues: WebConfigIssue[], referencedFiles: string[] = [file]): WebConfigAttempt => ({
    result: { ok: false, issues },
    referencedFiles,
  });

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    // Worded like the main config's file errors: "no such file", not ENOENT.
    return fail([
      { file, path: '', message: `cannot read the web config file (--web.config.file): ${describeFsError(error)}` },
    ]);
  }

  const parsed = parseYaml(text);
  if (!parsed.ok) {
    return fail(parsed.errors.map((e) => ({ file, path: '', message: `invalid YAML: ${e.message}`, ...position(e) })));
  }
  const source = parsed.source;
  const pin = (pending: PendingIssue): WebConfigIssue => {
    const where = source.locate(pending.path, pending.atKey ? 'key' : 'value');
    return { file, path: formatPath(pending.path), message: pending.message, ...(where ?? {}) };
  };

  // exporter-toolkit treats an empty file as "no TLS, no auth".
  const data = source.data ?? {};
  const shaped = webConfigSchema.safeParse(data);
  if (!shaped.success) return fail(shaped.error.issues.flatMap((issue) => schemaIssues(issue)).map(pin));

  const dir = dirname(file);
  const raw = shaped.data;
  const tlsRaw = raw.tls_server_config;
  // Relative paths resolve against the web config's directory, as exporter-toolkit does.
  const resolveIn = (p: string | undefined): string | undefined => (p ? resolve(dir, p) : undefined);
  const referencedFiles = [
    file,
    resolveIn(tlsRaw?.cert_file),
    resolveIn(tlsRaw?.key_file),
    resolveIn(tlsRaw?.client_ca_file),
  ].filter((f): f is string => f !== undefined);

  const validated = validateWebConfig(raw);
  const warnings = validated.warnings.map(pin);
  if (validated.issues.length > 0) return fail(validated.issues.map(pin), referencedFiles);

  const plan: TlsPlan | undefined = validated.value.tls && {
    ...validated.value.tls,
    certFile: resolve(dir, validated.value.tls.certFile),
    keyFile: resolve(dir, validated.value.tls.keyFile),
    ...(validated.value.tls.clientCaFile ? { clientCaFile: resolve(dir, validated.value.tls.clientCaFile) } : {}),
  };
  const tlsLoaded = plan ? await loadTlsFiles(plan, now) : undefined;
  warnings.push(...(tlsLoaded?.warnings ?? []).map(pin));
  if (tlsLoaded && tlsLoaded.issues.length > 0) return fail(tlsLoaded.issues.map(pin), referencedFiles);

  const users = new Map([...validated.value.users].map(([user, hash]) => [user, new Secret(hash)]));
  return {
    result: {
      ok: true,
      config: {
        file,
        ...(tlsLoaded?.settings ? { tls: tlsLoaded.settings } : {}),
        headers: validated.value.headers,
        users,
      },
      warnings,
    },
    referencedFiles,
  };
}

function schemaIssues(issue: z.core.$ZodIssue): PendingIssue[] {
  const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const unsupported = UNSUPPORTED_TOOLKIT_KEYS[formatPath(path)] ?? {};
    return issue.keys.map((key) => ({
      path: [...path, key],
      atKey: true,
      message: unsupported[key]
        ? `not supported by this exporter: ${unsupported[key]}`
        : `unknown key ${JSON.stringify(key)}`,
    }));
  }
  if (issue.code === 'invalid_type' && issue.expected === 'object') {
    const what = path.length === 0 ? 'the web config' : 'this section';
    return [{ path, message: `${what} must be a YAML mapping of keys to values` }];
  }
  return [{ path, message: issue.message }];
}

function position(e: { line?: number; column?: number }): { line?: number; column?: number } {
  return e.line !== undefined && e.column !== undefined ? { line: e.line, column: e.column } : {};
}
