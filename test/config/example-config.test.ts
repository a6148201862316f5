import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfigText } from '../../src/config/index.js';
import { configSchema } from '../../src/config/schema.js';
import { knownKeysAt } from '../../src/config/schema-keys.js';

const EXAMPLE = fileURLToPath(new URL('../../config.example.yaml', import.meta.url));
const ENV = { VEEAM_EM_PASSWORD: 'example-password' };

/** Every key the schema accepts, found by walking it. */
function allKeys(path: Array<string | number> = []): string[] {
  return knownKeysAt(configSchema, path).flatMap((key) => {
    const nested = key === 'enterpriseManagers' || key === 'backups' ? [...path, key, 0] : [...path, key];
    return [key, ...allKeys(nested)];
  });
}

describe('config.example.yaml', () => {
  it('passes the loader with the password variable set and holds the values of the contract', async () => {
    const result = parseConfigText(await readFile(EXAMPLE, 'utf8'), EXAMPLE, ENV);
    expect(result).toStrictEqual({
      ok: true,
      warnings: [],
      config: {
        poll: { schedule: '*/5 * * * *', concurrency: 4, timeoutMs: 30_000, retries: 2, metadataRefreshMs: 3_600_000 },
        defaults: { rpoSeconds: 26 * 3600 },
        enterpriseManagers: [
          {
            name: 'em01',
            url: 'https://em01.example.local:9398',
            username: 'EM01\\svc_monitor',
            password: 'example-password',
            apiVersion: 'latest',
            format: 'xml',
            restorePoints: 'entity',
            tls: {
              caFile: '/etc/veeam-em-exporter/em-ca.pem',
              insecureSkipVerify: false,
              serverName: 'em01.example.local',
            },
            backups: [
              { id: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3', rpoSeconds: 26 * 3600 },
              { id: '7b6a400c-452c-41d1-bb81-ea682e89492d', rpoSeconds: 8 * 24 * 3600 },
            ],
          },
        ],
      },
    });
  });

  it('fails to load only because its sample CA file does not exist here', async () => {
    const result = await loadConfigFile(EXAMPLE, ENV);
    expect(result).toMatchObject({ ok: false, issues: [{ path: 'enterpriseManagers[0].tls.caFile' }] });
    expect(!result.ok && result.issues).toHaveLength(1);
  });

  it('fails without the password variable, naming it', () => {
    return readFile(EXAMPLE, 'utf8').then((text) => {
      expect(parseConfigText(text, EXAMPLE, {})).toMatchObject({
        ok: false,
        issues: [
          { path: 'enterpriseManagers[0].password', message: 'environment variable VEEAM_EM_PASSWORD is not set' },
        ],
      });
    });
  });

  it('documents every key the schema accepts', async () => {
    const text = await readFile(EXAMPLE, 'utf8');
    const keys = allKeys();
    expect(keys).toContain('passwordFile');
    expect(keys.filter((key) => !new RegExp(`^\\s*(#\\s*)?(- )?${key}:`, 'm').test(text))).toEqual([]);
  });
});
