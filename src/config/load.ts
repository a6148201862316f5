import { readFile, stat } from 'node:fs/promises';
import { checkReferencedFiles } from './file-checks.js';
import { describeFsError } from './fs-error.js';
import { analyzeConfigText } from './parse.js';
import type { ConfigIssue, ConfigResult } from './types.js';

const WORLD_READABLE = 0o004;

/** Reads, parses and validates the config file, then checks the files it names (caFile, passwordFile). */
export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<ConfigResult> {
  let text: string;
  let mode: number;
  try {
    [text, mode] = await Promise.all([readFile(path, 'utf8'), stat(path).then((info) => info.mode)]);
  } catch (error) {
    return { ok: false, issues: [{ file: path, path: '', message: `cannot read the config file: ${describeFsError(error)}` }] };
  }
  const analysis = analyzeConfigText(text, path, env);
  const fileIssues = await checkReferencedFiles(analysis.files);
  const { result } = analysis;
  if (!result.ok || fileIssues.length > 0) {
    const issues = [...(result.ok ? [] : result.issues), ...fileIssues];
    return { ok: false, issues: issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)) };
  }
  const exposed: ConfigIssue[] =
    (mode & WORLD_READABLE) !== 0
      ? analysis.inlinePasswords.map((at) => ({
          ...at,
          message: 'the config file is readable by every user and holds this password; chmod o-r it, or use passwordFile or ${VAR}',
        }))
      : [];
  return { ok: true, config: result.config, warnings: [...result.warnings, ...exposed] };
}
