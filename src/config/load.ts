import { readFile, stat } from 'node:fs/promises';
import { describeFsError } from './fs-error.js';
import { analyzeConfigText, type FileReference } from './parse.js';
import type { ConfigIssue, ConfigResult, EmConfig } from './types.js';

const WORLD_READABLE = 0o004;

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

/** The password a passwordFile holds: one trailing newline is dropped (`echo secret > file` adds it). */
function passwordInFile(text: string): string {
  return text.replace(/\r?\n$/, '');
}

async function readRegularFile(path: string): Promise<string> {
  const info = await stat(path);
  if (!info.isFile())
    throw Object.assign(new Error('not a regular file'), { code: info.isDirectory() ? 'EISDIR' : undefined });
  return readFile(path, 'utf8');
}

/** Why a referenced file cannot serve its purpose, or undefined when it can. Contents are never quoted. */
async function problemWith(ref: FileReference): Promise<string | undefined> {
  let text: string;
  try {
    text = await readRegularFile(ref.fsPath);
  } catch (error) {
    return `cannot read ${ref.fsPath}: ${describeFsError(error)}`;
  }
  if (ref.kind === 'caFile' && !text.includes(PEM_CERTIFICATE)) {
    return `${ref.fsPath} holds no PEM certificate (${PEM_CERTIFICATE}); caFile must be the EM's CA in PEM format`;
  }
  if (ref.kind === 'passwordFile' && passwordInFile(text) === '') return `${ref.fsPath} is empty`;
  return undefined;
}

async function checkReferencedFiles(refs: readonly FileReference[]): Promise<ConfigIssue[]> {
  const problems = await Promise.all(refs.map(async (ref) => ({ ref, problem: await problemWith(ref) })));
  return problems.flatMap(({ ref, problem }) => (problem === undefined ? [] : [{ ...ref.at, message: problem }]));
}

/** Reads, parses and validates the config file, then checks the files it names (caFile, passwordFile). */
export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<ConfigResult> {
  let text: string;
  let mode: number;
  try {
    [text, mode] = await Promise.all([readFile(path, 'utf8'), stat(path).then((info) => info.mode)]);
  } catch (error) {
    return {
      ok: false,
      issues: [{ file: path, path: '', message: `cannot read the config file: ${describeFsError(error)}` }],
    };
  }
  const analysis = analyzeConfigText(text, path, env);
  const fileIssues = await checkReferencedFiles(analysis.files);
  const { result } = analysis;
  if (!result.ok || fileIssues.length > 0) {
    const issues = [...(result.ok ? [] : result.issues), ...fileIssues];
    return {
      ok: false,
      issues: issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)),
    };
  }
  const exposed: ConfigIssue[] =
    (mode & WORLD_READABLE) !== 0
      ? analysis.inlinePasswords.map((at) => ({
          ...at,
          message:
            'the config file is readable by every user and holds this password; chmod o-r it, or use passwordFile or ${VAR}',
        }))
      : [];
  return { ok: true, config: result.config, warnings: [...result.warnings, ...exposed] };
}

/**
 * The EM password: inline, or read from passwordFile at each call so a rotated secret is picked up
 * without a restart; the file is read as the loader checked it (passwordInFile). Errors name the file,
 * never its contents.
 */
export async function readEmPassword(em: EmConfig): Promise<string> {
  if (em.password !== undefined) return em.password;
  const file = em.passwordFile;
  if (file === undefined)
    throw new Error(`Enterprise Manager ${em.name}: neither password nor passwordFile is configured`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(
      `Enterprise Manager ${em.name}: cannot read passwordFile ${file}: ${describeFsError(error)}; check that it exists and the exporter's user may read it`,
    );
  }
  const password = passwordInFile(text);
  if (password === '') throw new Error(`Enterprise Manager ${em.name}: passwordFile ${file} is empty`);
  return password;
}
