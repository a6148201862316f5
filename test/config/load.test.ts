import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'config-load-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function config(password: string, extra = ''): string {
  return `enterpriseManagers:
  - url: https://em01:9398
    username: svc
    password: ${password}
    backups: [0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3]
${extra}`;
}

async function writeConfig(text: string, mode: number): Promise<string> {
  const file = join(dir, 'config.yaml');
  await writeFile(file, text);
  await chmod(file, mode);
  return file;
}

describe('loadConfigFile', () => {
  it('reports an unreadable config file against the file itself', async () => {
    const file = join(dir, 'missing.yaml');
    expect(await loadConfigFile(file, {})).toEqual({
      ok: false,
      issues: [{ file, path: '', message: 'cannot read the config file: no such file' }],
    });
  });

  it('warns when everyone may read a file that holds a password literally', async () => {
    const result = await loadConfigFile(await writeConfig(config('hunter2'), 0o644), {});
    expect(result).toMatchObject({
      ok: true,
      warnings: [
        { path: 'enterpriseManagers[0].password', line: 4, message: expect.stringMatching(/readable by every user/) },
      ],
    });
    expect(JSON.stringify(result.ok && result.warnings)).not.toContain('hunter2');
  });

  it('does not warn when only the owner may read it', async () => {
    expect(await loadConfigFile(await writeConfig(config('hunter2'), 0o600), {})).toMatchObject({
      ok: true,
      warnings: [],
    });
  });

  it('does not warn when the password comes from the environment', async () => {
    const result = await loadConfigFile(await writeConfig(config('${EM_PASSWORD}'), 0o644), { EM_PASSWORD: 'x' });
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it('reports file problems together with every other error, in file order', async () => {
    const text = config('x', '    tls:\n      caFile: absent.pem\n    colour: blue\n');
    const result = await loadConfigFile(await writeConfig(text, 0o600), {});
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.map((issue) => [issue.path, issue.line, issue.message])).toEqual([
      ['enterpriseManagers[0].tls.caFile', 7, `cannot read ${join(dir, 'absent.pem')}: no such file`],
      ['enterpriseManagers[0].colour', 8, expect.stringMatching(/^unknown key/)],
    ]);
  });

  it('refuses an empty password file', async () => {
    await writeFile(join(dir, 'empty.password'), '\n');
    const text = config('x').replace('password: x', 'passwordFile: empty.password');
    const result = await loadConfigFile(await writeConfig(text, 0o600), {});
    expect(result).toMatchObject({
      ok: false,
      issues: [{ path: 'enterpriseManagers[0].passwordFile', message: `${join(dir, 'empty.password')} is empty` }],
    });
  });

  it('refuses a directory as caFile', async () => {
    const text = config('x', `    tls:\n      caFile: ${dir}\n`);
    const result = await loadConfigFile(await writeConfig(text, 0o600), {});
    expect(result).toMatchObject({
      ok: false,
      issues: [{ path: 'enterpriseManagers[0].tls.caFile', message: `cannot read ${dir}: is a directory` }],
    });
  });
});
