import { readFile } from 'node:fs/promises';
import { describeFsError } from './fs-error.js';
import type { EmConfig } from './types.js';

/**
 * The EM password: inline, or read from passwordFile at each call so a rotated secret is picked up
 * without a restart. One trailing newline is dropped (`echo secret > file` adds it). Errors name the
 * file, never its contents.
 */
export async function readEmPassword(em: EmConfig): Promise<string> {
  if (em.password !== undefined) return em.password;
  const file = em.passwordFile;
  if (file === undefined) throw new Error(`Enterprise Manager ${em.name}: neither password nor passwordFile is configured`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(
      `Enterprise Manager ${em.name}: cannot read passwordFile ${file}: ${describeFsError(error)}; check that it exists and the exporter's user may read it`,
    );
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new Error(`Enterprise Manager ${em.name}: passwordFile ${file} is empty`);
  return password;
}
