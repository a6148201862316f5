import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../src/config/index.js';

describe('formatIssues', () => {
  it('writes file:line:column: path: message, one line per issue', () => {
    const text = formatIssues([
      { file: 'config.yaml', path: 'enterpriseManagers[0].backups[1].id', message: 'not a GUID', line: 12, column: 5 },
      { file: 'config.yaml', path: '', message: 'YAML syntax error: Map keys must be unique', line: 3, column: 1 },
      { file: 'config.yaml', path: 'enterpriseManagers', message: 'is required' },
      { file: 'config.yaml', path: '', message: 'cannot read the config file: no such file' },
    ]);
    expect(text).toBe(
      [
        'config.yaml:12:5: enterpriseManagers[0].backups[1].id: not a GUID',
        'config.yaml:3:1: YAML syntax error: Map keys must be unique',
        'config.yaml: enterpriseManagers: is required',
        'config.yaml: cannot read the config file: no such file',
      ].join('\n'),
    );
  });

  it('keeps a multi-line message on its issue line', () => {
    expect(formatIssues([{ file: 'c.yaml', path: 'a', message: 'first\n  second', line: 1, column: 1 }])).toBe(
      'c.yaml:1:1: a: first second',
    );
  });

  it('prints nothing for no issues', () => {
    expect(formatIssues([])).toBe('');
  });
});
