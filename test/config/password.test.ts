import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readEmPassword, type EmConfig } from '../../src/config/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'config-password-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function em(source: { password?: string; passwordFile?: string }): EmConfig {
  return {
    name: 'em01',
    url: 'https://em01:9398',
    username: 'svc',
    apiVersion: 'latest',
    format: 'xml',
    restorePoints: 'entity',
    tls: { insecureSkipVerify: false },
    backups: [],
    ...source,
  };
}

async function fileWith(content: string): Promise<string> {
  const file = join(dir, 'password');
  await writeFile(file, content);
  return file;
}

describe('readEmPassword', () => {
  it('returns an inline password as is', async () => {
    expect(await readEmPassword(em({ password: ' spaced \n' }))).toBe(' spaced \n');
  });

  it.each([
    ['secret\n', 'secret'],
    ['secret\r\n', 'secret'],
    ['secret', 'secret'],
    ['secret\n\n', 'secret\n'],
    [' secret ', ' secret '],
  ])('reads %j from a file as %j', async (content, expected) => {
    expect(await readEmPassword(em({ passwordFile: await fileWith(content) }))).toBe(expected);
  });

  it('reads the file again at each call, so a rotated secret is used', async () => {
    const config = em({ passwordFile: await fileWith('old\n') });
    expect(await readEmPassword(config)).toBe('old');
    await fileWith('new\n');
    expect(await readEmPassword(config)).toBe('new');
  });

  it('names the EM and the file when the file is missing', async () => {
    const file = join(dir, 'absent');
    await expect(readEmPassword(em({ passwordFile: file }))).rejects.toThrow(
      `Enterprise Manager em01: cannot read passwordFile ${file}: no such file`,
    );
  });

  it('refuses an empty file without quoting anything from it', async () => {
    const file = await fileWith('\n');
    await expect(readEmPassword(em({ passwordFile: file }))).rejects.toThrow(
      `Enterprise Manager em01: passwordFile ${file} is empty`,
    );
  });

  it('refuses a config with neither source', async () => {
    await expect(readEmPassword(em({}))).rejects.toThrow(/neither password nor passwordFile/);
  });
});
