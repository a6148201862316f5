import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, type ExporterConfig } from '../../src/config/index.js';
import { FIXTURE_ENV, GOOD } from './fixtures.js';

async function load(file: string): Promise<ExporterConfig> {
  const result = await loadConfigFile(`${GOOD}${file}`, FIXTURE_ENV);
  if (!result.ok) throw new Error(result.issues.map((issue) => issue.message).join('\n'));
  expect(result.warnings).toEqual([]);
  return result.config;
}

const H = 3600;
const MINIMAL_EM = {
  name: 'em01.example.local',
  url: 'https://em01.example.local:9398',
  username: 'EM01\\svc_monitor',
  password: FIXTURE_ENV.VEEAM_EM_PASSWORD,
  apiVersion: 'latest',
  format: 'xml',
  restorePoints: 'entity',
  tls: { insecureSkipVerify: false },
  backups: [{ id: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3', rpoSeconds: 26 * H }],
};

const DEFAULT_POLL = {
  schedule: '*/5 * * * *',
  concurrency: 4,
  timeoutMs: 30_000,
  retries: 2,
  metadataRefreshMs: 3_600_000,
};

describe('good configs', () => {
  it.each(readdirSync(GOOD).filter((name) => name.endsWith('.yaml')))(
    '%s loads without issues or warnings',
    async (file) => {
      await load(file);
    },
  );

  it('fills every default of the contract into a minimal config', async () => {
    expect(await load('minimal.yaml')).toStrictEqual({
      poll: DEFAULT_POLL,
      defaults: { rpoSeconds: 26 * H },
      enterpriseManagers: [MINIMAL_EM],
    });
  });

  it('treats empty sections as absent ones', async () => {
    expect(await load('empty-sections.yaml')).toEqual(await load('minimal.yaml'));
  });

  it('reads discover, with its defaults, and lets it stand in for backups', async () => {
    const config = await load('discover.yaml');
    expect(
      config.enterpriseManagers.map(({ name, restorePoints, backups, discover }) => ({
        name,
        restorePoints,
        backups,
        discover,
      })),
    ).toStrictEqual([
      {
        name: 'em01',
        restorePoints: 'query',
        backups: [],
        discover: { include: '^(Daily|Weekly) ', exclude: '[Tt]est', rpoSeconds: 8 * 24 * H },
      },
      {
        name: 'em02',
        restorePoints: 'entity',
        backups: [{ id: '7b6a400c-452c-41d1-bb81-ea682e89492d', rpoSeconds: 2 * H }],
        discover: { include: '.*', rpoSeconds: 30 * H },
      },
    ]);
  });

  it('has no discover unless the key is written', async () => {
    expect((await load('minimal.yaml')).enterpriseManagers[0]).not.toHaveProperty('discover');
  });

  it('reads every key of a full config and normalises URL, IDs and file paths', async () => {
    expect(await load('full.yaml')).toStrictEqual({
      poll: {
        schedule: '0 */10 * * * *',
        concurrency: 8,
        timeoutMs: 90_000,
        retries: 0,
        metadataRefreshMs: 6 * H * 1000,
      },
      defaults: { rpoSeconds: 48 * H },
      enterpriseManagers: [
        {
          name: 'em01',
          url: 'https://em01.example.local:9398',
          username: 'EM01\\svc_monitor',
          password: FIXTURE_ENV.VEEAM_EM_PASSWORD,
          apiVersion: '1.5',
          format: 'json',
          restorePoints: 'reference',
          tls: { caFile: `${GOOD}em-ca.pem`, insecureSkipVerify: false, serverName: 'em01.example.local' },
          backups: [
            { id: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3', rpoSeconds: 48 * H },
            { id: '7b6a400c-452c-41d1-bb81-ea682e89492d', rpoSeconds: 48 * H },
            { id: '2d1e0f3a-9b8c-4d7e-a6f5-0e1d2c3b4a59', rpoSeconds: 8 * 24 * H },
          ],
        },
        {
          name: 'em02.example.local',
          url: 'https://em02.example.local:9398',
          username: 'svc_monitor',
          passwordFile: `${GOOD}em02.password`,
          apiVersion: 'latest',
          format: 'xml',
          restorePoints: 'entity',
          tls: { insecureSkipVerify: false },
          backups: [{ id: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3', rpoSeconds: 48 * H }],
        },
      ],
    });
  });
});
