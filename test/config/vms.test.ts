import { describe, expect, it } from 'vitest';
import { parseConfigText, type ConfigIssue } from '../../src/config/index.js';

const ENV = { VEEAM_EM_PASSWORD: 'env-password' };

function config(vms: string): string {
  return `enterpriseManagers:
  - url: https://em01.example.local:9398
    username: svc
    password: \${VEEAM_EM_PASSWORD}
    backups: [0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3]
${vms}`;
}

function vmsOf(text: string) {
  const result = parseConfigText(text, 'config.yaml', ENV);
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return result.config.enterpriseManagers[0]!.vms;
}

function issues(text: string): ConfigIssue[] {
  const result = parseConfigText(text, 'config.yaml', ENV);
  if (result.ok) throw new Error('accepted');
  return result.issues;
}

describe('vms', () => {
  it('is off by default', () => {
    expect(vmsOf(config(''))).toBeUndefined();
  });

  it('an empty vms: turns it on with every default', () => {
    expect(vmsOf(config('    vms:\n'))).toEqual({
      include: '.*',
      limit: 50_000,
      overlapMs: 3_600_000,
      resyncMs: 6 * 3_600_000,
    });
  });

  it('takes include, exclude, limit, overlap and resync', () => {
    const text = config(
      '    vms:\n      include: "^prod-"\n      exclude: "^tmp-"\n      limit: 100\n      overlap: 2h\n      resync: 1d\n',
    );
    expect(vmsOf(text)).toEqual({
      include: '^prod-',
      exclude: '^tmp-',
      limit: 100,
      overlapMs: 7_200_000,
      resyncMs: 86_400_000,
    });
  });

  it('reports every bad key at once, by path and position, with a suggestion for a typo', () => {
    const found = issues(config('    vms:\n      exclude: "("\n      limit: 0\n      overlap: 5\n      inclde: x\n'));
    const byPath = Object.fromEntries(found.map((i) => [i.path, i]));
    expect(byPath['enterpriseManagers[0].vms.exclude']?.message).toMatch(/not a valid regular expression/);
    expect(byPath['enterpriseManagers[0].vms.exclude']).toMatchObject({ line: 7, column: 16 });
    expect(byPath['enterpriseManagers[0].vms.limit']?.message).toMatch(/integer from 1/);
    expect(byPath['enterpriseManagers[0].vms.overlap']?.message).toMatch(/unit/);
    expect(found.some((i) => /inclde/.test(i.path + i.message) && /did you mean "?include"?/i.test(i.message))).toBe(
      true,
    );
  });

  it('takes patterns in the linear-time syntax of discover patterns, with the same errors', () => {
    const found = issues(config('    vms:\n      include: "^(?!tmp-)"\n'));
    const issue = found.find((i) => i.path === 'enterpriseManagers[0].vms.include');
    expect(issue?.message).toMatch(/RE2 syntax.*lookahead/);
  });
});
