import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIssues, loadConfigFile, type ConfigIssue } from '../../src/config/index.js';
import { BAD, FIXTURE_ENV } from './fixtures.js';

/** One expected issue: key path ('' = the document), line, and optionally column and message. */
type Expected = [path: string, line: number | undefined, column?: number, message?: RegExp];

/** Every file in bad/ and the exact issues it must produce, in file order. */
const CASES: Record<string, Expected[]> = {
  'unknown-key.yaml': [['poll.scheduel', 3, 3, /^unknown key; did you mean "schedule"\?/]],
  'unknown-top-level-key.yaml': [
    ['scrape_interval', 2, 1, /unknown key; valid keys here: poll, defaults, enterpriseManagers/],
  ],
  'unknown-key-in-backup.yaml': [['enterpriseManagers[0].backups[0].RPO', 8, 9, /did you mean "rpo"/]],
  'bad-duration.yaml': [['poll.timeout', 3, 12, /not a valid duration "30x"/]],
  'duration-without-unit.yaml': [['poll.timeout', 3, 12, /got a number; add a unit/]],
  'zero-rpo.yaml': [['defaults.rpo', 3, 8, /must be longer than 0/]],
  'bad-cron.yaml': [['poll.schedule', 3, 13, /"61" is not valid in the minute field/]],
  'cron-wrong-field-count.yaml': [['poll.schedule', 3, 13, /expected 5 or 6 fields but got 3/]],
  'missing-password.yaml': [['enterpriseManagers[0]', 3, 5, /one of password or passwordFile is required/]],
  'password-and-password-file.yaml': [
    ['enterpriseManagers[0].passwordFile', 6, 5, /only one of password and passwordFile/],
  ],
  'unset-env-var.yaml': [
    ['enterpriseManagers[0].password', 5, 15, /^environment variable VEEAM_EM_PASSWORD_UNSET is not set$/],
  ],
  'duplicate-backup.yaml': [
    [
      'enterpriseManagers[0].backups[1].id',
      8,
      13,
      /duplicate backup 0f7d1c2b-.*already listed at enterpriseManagers\[0\]\.backups\[0\]/,
    ],
  ],
  'bad-guid.yaml': [['enterpriseManagers[0].backups[1].id', 8, 13, /^not a GUID/]],
  'bad-guid-bare.yaml': [['enterpriseManagers[0].backups[0]', 7, 9, /^not a GUID/]],
  'backup-wrong-type.yaml': [['enterpriseManagers[0].backups[0]', 7, 9, /a backup GUID, or a mapping with id/]],
  'bad-url.yaml': [['enterpriseManagers[0].url', 3, 10, /must start with https:\/\/ or http:\/\//]],
  'url-with-credentials.yaml': [['enterpriseManagers[0].url', 3, 10, /must not contain credentials/]],
  'missing-url.yaml': [['enterpriseManagers[0].url', 3, 5, /^is required$/]],
  // The unclosed [ is reported where it opens (line 4), not where the file ends (line 6); what yaml
  // misread inside it (line 5) is left out.
  'yaml-syntax-error.yaml': [
    [
      '',
      4,
      21,
      /^YAML syntax error: Flow sequence .* end with a \] \(the \[ list that starts here is still open at line 6\)$/,
    ],
  ],
  'unclosed-quote.yaml': [
    [
      '',
      3,
      13,
      /^YAML syntax error: Missing closing "quote \(the quoted value that starts here is still open at line 11\)$/,
    ],
  ],
  'server-name-ip.yaml': [
    [
      'enterpriseManagers[0].tls.serverName',
      7,
      19,
      /^192\.0\.2\.10 is an IP address, which TLS cannot send as a server name.*put the IP in url and leave serverName out/,
    ],
  ],
  'duplicate-yaml-key.yaml': [['', 4, 3, /YAML syntax error: Map keys must be unique/]],
  'multiple-documents.yaml': [['', 8, 1, /YAML syntax error: .*multiple documents/]],
  'unresolved-alias.yaml': [['', 3, 8, /alias \*weekly refers to no anchor/]],
  'wrong-type.yaml': [['enterpriseManagers[0].tls.insecureSkipVerify', 7, 27, /expected true or false, got a string/]],
  'negative-concurrency.yaml': [['poll.concurrency', 3, 16, /must be an integer from 1 to 64/]],
  'concurrency-too-high.yaml': [['poll.concurrency', 3, 16, /must be an integer from 1 to 64/]],
  'fractional-retries.yaml': [['poll.retries', 3, 12, /expected an integer from 0 to 10, got a fractional number/]],
  'quoted-number.yaml': [['poll.concurrency', 3, 16, /got a string; remove the quotes/]],
  'bad-format.yaml': [['enterpriseManagers[0].format', 6, 13, /^must be xml or json$/]],
  'no-backups.yaml': [['enterpriseManagers[0].backups', 6, 14, /list at least one backup, or add discover:/]],
  'neither-backups-nor-discover.yaml': [
    ['enterpriseManagers[0].backups', 3, 5, /^is required: list the backups to watch, or add discover:/],
  ],
  'discover-bad-regex.yaml': [
    [
      'enterpriseManagers[0].discover.include',
      7,
      16,
      /^not a valid regular expression \(RE2 syntax\): missing closing \): `\^\(Daily\|Weekly`$/,
    ],
    [
      'enterpriseManagers[0].discover.exclude',
      8,
      16,
      /^not a valid regular expression \(RE2 syntax\): invalid character class range: `z-a`$/,
    ],
  ],
  'discover-backreference.yaml': [
    [
      'enterpriseManagers[0].discover.include',
      7,
      16,
      /^not a valid regular expression \(RE2 syntax\): backreferences .* are not supported$/,
    ],
  ],
  'discover-lookaround.yaml': [
    [
      'enterpriseManagers[0].discover.include',
      7,
      16,
      /^not a valid regular expression \(RE2 syntax\): lookahead and lookbehind .* are not supported$/,
    ],
    [
      'enterpriseManagers[0].discover.exclude',
      8,
      16,
      /^not a valid regular expression \(RE2 syntax\): lookahead and lookbehind .* are not supported$/,
    ],
  ],
  'discover-javascript-escape.yaml': [
    [
      'enterpriseManagers[0].discover.include',
      7,
      16,
      /^not a valid regular expression \(RE2 syntax\): write a character by code point as \\x\{00e9\}/,
    ],
  ],
  'discover-unknown-key.yaml': [
    [
      'enterpriseManagers[0].discover.includes',
      7,
      7,
      /did you mean "include"\? \(valid keys here: include, exclude, rpo\)/,
    ],
  ],
  'no-enterprise-managers.yaml': [['enterpriseManagers', 2, 1, /^is required$/]],
  'empty-enterprise-managers.yaml': [['enterpriseManagers', 2, 21, /list at least one Enterprise Manager/]],
  'empty.yaml': [['', undefined, undefined, /the config is empty/]],
  'duplicate-em-name.yaml': [
    ['enterpriseManagers[1].url', 8, 10, /duplicate Enterprise Manager name "em01.example.local".*set a distinct name/],
  ],
  'missing-ca-file.yaml': [
    ['enterpriseManagers[0].tls.caFile', 7, 15, /cannot read .*does-not-exist\.pem: no such file/],
  ],
  'ca-file-not-pem.yaml': [['enterpriseManagers[0].tls.caFile', 7, 15, /holds no PEM certificate/]],
  'missing-password-file.yaml': [
    ['enterpriseManagers[0].passwordFile', 5, 19, /cannot read .*does-not-exist\.password: no such file/],
  ],
  'several-errors.yaml': [
    ['poll.schedule', 3, 13],
    ['poll.concurrency', 4, 16],
    ['poll.timeout', 5, 12],
    ['defaults.rpo', 7, 8],
    ['enterpriseManagers[0].url', 9, 10],
    ['enterpriseManagers[0].password', 11, 15],
    ['enterpriseManagers[0].verifyTls', 12, 5],
    ['enterpriseManagers[0].backups[1]', 15, 9],
    ['enterpriseManagers[0].backups[2]', 16, 9],
  ],
};

async function issuesOf(file: string): Promise<ConfigIssue[]> {
  const result = await loadConfigFile(`${BAD}${file}`, FIXTURE_ENV);
  if (result.ok) throw new Error(`${file} was accepted`);
  return result.issues;
}

describe('bad configs', () => {
  it('has an expectation for every fixture and a fixture for every expectation', () => {
    const fixtures = readdirSync(BAD).filter((name) => name.endsWith('.yaml'));
    expect(fixtures.sort()).toEqual(Object.keys(CASES).sort());
  });

  it.each(Object.entries(CASES))('%s', async (file, expected) => {
    const issues = await issuesOf(file);
    expect(issues.map((issue) => [issue.path, issue.line])).toEqual(expected.map(([path, line]) => [path, line]));
    issues.forEach((issue, i) => {
      const [, , column, message] = expected[i] ?? [];
      expect(issue.file).toBe(`${BAD}${file}`);
      if (column !== undefined) expect(issue.column, issue.path).toBe(column);
      if (message !== undefined) expect(issue.message, issue.path).toMatch(message);
    });
  });

  it('never echoes a secret, even from a URL that holds one', async () => {
    const text = formatIssues(await issuesOf('url-with-credentials.yaml'));
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(FIXTURE_ENV.VEEAM_EM_PASSWORD);
  });
});
