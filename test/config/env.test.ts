import { describe, expect, it } from 'vitest';
import { expandEnvInTree, expandEnvRefs, isOnlyEnvReferences } from '../../src/config/parse.js';

describe('expandEnvRefs', () => {
  const env = { PASSWORD: 's3cret', EMPTY: '', HOST: 'em01' };

  it.each([
    ['${PASSWORD}', 's3cret'],
    ['https://${HOST}:9398', 'https://em01:9398'],
    ['${EMPTY}', ''],
    ['pa$$word', 'pa$$word'],
    ['cost $5', 'cost $5'],
    ['$${PASSWORD}', '${PASSWORD}'],
    ['a$${b}${HOST}', 'a${b}em01'],
    ['no refs', 'no refs'],
  ])('expands %j to %j', (text, expected) => {
    expect(expandEnvRefs(text, env)).toEqual({ ok: true, value: expected });
  });

  it('names an unset variable', () => {
    expect(expandEnvRefs('${MISSING}', env)).toEqual({ ok: false, error: 'environment variable MISSING is not set' });
  });

  it('names every unset variable of one value', () => {
    expect(expandEnvRefs('${A}:${B}', env)).toEqual({ ok: false, error: 'environment variables A, B are not set' });
  });

  it.each(['${1ABC}', '${}', '${A-B}', '${A:-default}'])('refuses the malformed reference %j', (text) => {
    const result = expandEnvRefs(text, env);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/not a valid environment variable reference/);
  });

  it('refuses an unterminated reference', () => {
    expect(expandEnvRefs('${PASSWORD', env)).toMatchObject({ ok: false, error: expect.stringMatching(/unterminated/) });
  });
});

describe('expandEnvInTree', () => {
  it('expands strings at any depth and reports unset ones at their key path', () => {
    const tree = { a: ['${X}', { b: '${NOPE}', n: 4, t: true, z: null }] };
    const { value, issues } = expandEnvInTree(tree, { X: 'x' });
    expect(value).toEqual({ a: ['x', { b: '${NOPE}', n: 4, t: true, z: null }] });
    expect(issues).toEqual([{ path: ['a', 1, 'b'], message: 'environment variable NOPE is not set' }]);
  });

  it('keeps a __proto__ key as an own key instead of changing the prototype', () => {
    const tree = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
    const { value } = expandEnvInTree(tree, {});
    expect(Object.keys(value as object)).toEqual(['__proto__']);
    expect((value as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('isOnlyEnvReferences', () => {
  it.each([
    ['${A}', true],
    ['${A}${B}', true],
    ['x${A}', false],
    ['literal', false],
    ['$${A}', false],
  ])('%j -> %s', (text, expected) => {
    expect(isOnlyEnvReferences(text)).toBe(expected);
  });
});
