import { describe, expect, it } from 'vitest';
import { compileNamePattern, namePatternError } from '../../src/config/name-pattern.js';
import type { BackupMetadata } from '../../src/domain.js';
import { compileFilter, selectBackups } from '../../src/polling/discovery.js';

const backup = (name: string, n: number): BackupMetadata => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  name,
  platform: 'VMware',
  backupType: 'Standard',
  backupServer: 'vbr01',
  repository: 'repo',
});

describe('discovery name patterns', () => {
  it('decide a pattern with catastrophic backtracking at once instead of freezing the process', () => {
    // JavaScript's RegExp backtracks for seconds on the first and third names;
    // the event loop, and with it every scrape and health check, waits that long.
    const filter = compileFilter({ include: String.raw`^(\w+\s?)+$`, exclude: '^(a+)+$', rpoSeconds: 1 });
    const names = ['BackupJobSQLServerProdNode01xyz (daily)', 'Daily_VM', `${'a'.repeat(25)}!`, 'aaaa', 'Weekly SQL'];
    const started = performance.now();
    const chosen = selectBackups(
      names.map((name, i) => backup(name, i)),
      new Map(),
      filter,
    );
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(chosen.map((b) => b.name)).toEqual(['Daily_VM', 'Weekly SQL']);
  });

  it('match anywhere unless anchored, with RE2 syntax: (?i), \\x{…}, Unicode classes, named groups', () => {
    expect(compileNamePattern('SQL').test('Prod SQL nightly')).toBe(true);
    expect(compileNamePattern('^SQL').test('Prod SQL nightly')).toBe(false);
    expect(compileNamePattern('(?i)^prod sql').test('Prod SQL nightly')).toBe(true);
    expect(compileNamePattern(String.raw`Caf\x{e9}`).test('Café backup')).toBe(true);
    expect(compileNamePattern(String.raw`^\p{Greek}+$`).test('Αθήνα')).toBe(true);
    expect(compileNamePattern('^(?P<kind>Daily|Weekly) ').test('Weekly VMs')).toBe(true);
    expect(compileNamePattern('^.$').test('😀')).toBe(true);
  });

  it('refuse what only a backtracking engine can do, naming the construct', () => {
    expect(namePatternError(String.raw`^(\w+)-\1$`)).toMatch(/backreferences/);
    expect(namePatternError(String.raw`(?<name>\w+)\k<name>`)).toMatch(/backreferences/);
    expect(namePatternError('^(?!Test)')).toMatch(/lookahead and lookbehind/);
    expect(namePatternError('(?<!Daily )Copy')).toMatch(/lookahead and lookbehind/);
    expect(namePatternError('a{1001}')).toMatch(/invalid repeat count/);
    expect(namePatternError(String.raw`^(\w+\s?)+$`)).toBeUndefined();
  });
});
