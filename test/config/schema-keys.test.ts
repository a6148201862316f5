import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { knownKeysAt, markedValues } from '../../src/config/schema-keys.js';

describe('key roles marked in the schema', () => {
  it('finds exactly the file and secret keys, through lists, nullish sections and transforms', () => {
    const tree = {
      enterpriseManagers: [
        { url: 'https://a', username: 'u', password: 'p', tls: { caFile: 'ca.pem', serverName: 'n' } },
        { url: 'https://b', username: 'u', passwordFile: 'pw', tls: null, name: 'x' },
      ],
    };
    expect(markedValues(configSchema, tree)).toEqual([
      { path: ['enterpriseManagers', 0, 'password'], value: 'p', role: { secret: true } },
      { path: ['enterpriseManagers', 0, 'tls', 'caFile'], value: 'ca.pem', role: { file: 'caFile' } },
      { path: ['enterpriseManagers', 1, 'passwordFile'], value: 'pw', role: { file: 'passwordFile' } },
    ]);
  });

  it('reads an invalid tree without throwing and ignores unknown keys and non-strings', () => {
    const tree = { enterpriseManagers: [{ Password: 'p', passwordFile: 42, tls: 'no' }, 'not a mapping'], poll: [] };
    expect(markedValues(configSchema, tree)).toEqual([]);
    expect(markedValues(configSchema, null)).toEqual([]);
  });

  it('leaves the shared schemas the marked keys are made of unmarked', () => {
    const tree = { enterpriseManagers: [{ username: 'u', apiVersion: 'v', name: 'n', tls: { serverName: 's' } }] };
    expect(markedValues(configSchema, tree)).toEqual([]);
  });

  it('lists the keys of a mapping behind wrappers without reading zod internals', () => {
    expect(knownKeysAt(configSchema, ['enterpriseManagers', 0, 'tls'])).toEqual([
      'caFile',
      'insecureSkipVerify',
      'serverName',
    ]);
    expect(knownKeysAt(configSchema, ['enterpriseManagers', 0, 'backups', 0])).toEqual(['id', 'rpo']);
    expect(knownKeysAt(configSchema, ['nowhere'])).toEqual([]);
  });
});
