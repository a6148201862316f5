import { readFile, stat } from 'node:fs/promises';
import { describeFsError } from './fs-error.js';
import type { FileReference } from './parse.js';
import type { ConfigIssue } from './types.js';

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

async function readRegularFile(path: string): Promise<string> {
  const info = await stat(path);
  if (!info.isFile()) throw Object.assign(new Error('not a regular file'), { code: info.isDirectory() ? 'EISDIR' : undefined });
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
  if (ref.kind === 'passwordFile' && text.replace(/\r?\n$/, '') === '') return `${ref.fsPath} is empty`;
  return undefined;
}

export async function checkReferencedFiles(refs: readonly FileReference[]): Promise<ConfigIssue[]> {
  const problems = await Promise.all(refs.map(async (ref) => ({ ref, problem: await problemWith(ref) })));
  return problems.flatMap(({ ref, problem }) => (problem === undefined ? [] : [{ ...ref.at, message: problem }]));
}
