import { describe, expect, it } from 'vitest';
import { parseConfigText, type ConfigIssue, type ConfigResult, type EmConfig } from '../../src/config/index.js';

const ENV = { VEEAM_EM_PASSWORD: 'env-password' };
const GUID = '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3';

/** A config with one EM; `extra` lines are added to the EM entry (indented by the caller's 4 spaces). */
function oneEm(url: string, extra = ''): string {
  return `enterpriseManagers:
  - url: ${url}
    username: svc
    password: \${VEEAM_EM_PASSWORD}
    backups: [${GUID}]
${extra}`;
}

function accepted(result: ConfigResult): Extract<ConfigResult, { ok: true }> {
  if (!result.ok) throw new Error(result.issues.map((issue) => `${issue.path}: ${issue.message}`).join('\n'));
  return result;
}

function firstEm(text: string, file = 'config.yaml'): EmConfig {
  const em = accepted(parseConfigText(text, file, ENV)).config.enterpriseManagers[0];
  if (em === undefined) throw new Error('no EM');
  return em;
}

function issues(text: string, env: NodeJS.ProcessEnv = ENV): ConfigIssue[] {
  const result = parseConfigText(text, 'config.yaml', env);
  if (result.ok) throw new Error('accepted');
  return result.issues;
}

describe('url and name', () => {
  it.each([
    ['https://em01.example.local:9398', 'https://em01.example.local:9398', 'em01.example.local'],
    ['https://em01.example.local:9398/', 'https://em01.example.local:9398', 'em01.example.local'],
    ['https://em01.example.local:9398/api', 'https://em01.example.local:9398', 'em01.example.local'],
    ['https://em01.example.local:9398/api/', 'https://em01.example.local:9398', 'em01.example.local'],
    ['https://EM01.Example.Local:9398', 'https://em01.example.local:9398', 'em01.example.local'],
    ['https://proxy.example.local/veeam/api', 'https://proxy.example.local/veeam', 'proxy.example.local'],
    ['https://[::1]:9398', 'https://[::1]:9398', '::1'],
    ['http://127.0.0.1:9399', 'http://127.0.0.1:9399', '127.0.0.1'],
  ])('%s -> url %s, default name %s', (input, url, name) => {
    expect(firstEm(oneEm(input))).toMatchObject({ url, name });
  });

  it.each([
    'em01.example.local:9398',
    'ftp://em01',
    'https://',
    'https://em01/?v=1',
    'https://em01/#x',
    'https://u:p@em01',
  ])('rejects %s', (url) => {
    expect(issues(oneEm(url)).map((issue) => issue.path)).toEqual(['enterpriseManagers[0].url']);
  });

  it('keeps an explicit name', () => {
    expect(firstEm(oneEm('https://em01:9398', '    name: primary\n')).name).toBe('primary');
  });

  it('allows the same host twice when names tell them apart', () => {
    const text = `${oneEm('https://em01:9398', '    name: a\n')}${oneEm('https://em01:9398', '    name: b\n').replace('enterpriseManagers:\n', '')}`;
    expect(accepted(parseConfigText(text, 'config.yaml', ENV)).config.enterpriseManagers.map((em) => em.name)).toEqual([
      'a',
      'b',
    ]);
  });
});

describe('backups', () => {
  it('lower-cases GUIDs, strips the URN prefix and applies the default or own rpo', () => {
    const text = `defaults:
  rpo: 1d
enterpriseManagers:
  - url: https://em01:9398
    username: svc
    password: x
    backups:
      - URN:VEEAM:BACKUP:0F7D1C2B-3A4E-4B5F-8C6D-7E8F90A1B2C3
      - { id: 7B6A400C-452C-41D1-BB81-EA682E89492D, rpo: 1h30m }
`;
    expect(firstEm(text).backups).toEqual([
      { id: GUID, rpoSeconds: 86_400 },
      { id: '7b6a400c-452c-41d1-bb81-ea682e89492d', rpoSeconds: 5_400 },
    ]);
  });

  it('keeps sub-second rpo precision in seconds', () => {
    expect(
      firstEm(
        oneEm('https://em01', '    restorePoints: reference\n').replace(`[${GUID}]`, `[{id: ${GUID}, rpo: 1500ms}]`),
      ).backups[0]?.rpoSeconds,
    ).toBe(1.5);
  });
});

describe('schedule', () => {
  it.each(['*/5 * * * *', '0 */5 * * * *', '30 2 * * 1-5'])('accepts %j', (schedule) => {
    const result = accepted(
      parseConfigText(`poll:\n  schedule: "${schedule}"\n${oneEm('https://em01')}`, 'config.yaml', ENV),
    );
    expect(result.config.poll.schedule).toBe(schedule);
  });

  it.each(['* * * *', '* * * * * * *', '*/5 * * * 8', '0 0 31 2 *', ''])('rejects %j', (schedule) => {
    expect(issues(`poll:\n  schedule: "${schedule}"\n${oneEm('https://em01')}`)).toMatchObject([
      { path: 'poll.schedule', line: 2, message: expect.stringMatching(/^not a valid cron schedule: /) },
    ]);
  });
});

describe('environment variables', () => {
  it('expands ${VAR} in any string, including the URL', () => {
    const result = accepted(
      parseConfigText(oneEm('https://${EM_HOST}:9398'), 'config.yaml', { ...ENV, EM_HOST: 'em07' }),
    );
    expect(result.config.enterpriseManagers[0]).toMatchObject({
      url: 'https://em07:9398',
      name: 'em07',
      password: 'env-password',
    });
  });

  it('turns $${ into a literal ${', () => {
    const text = oneEm('https://em01').replace('${VEEAM_EM_PASSWORD}', () => "'pa$${x}$$'");
    expect(firstEm(text).password).toBe('pa${x}$$');
  });

  it('reports a variable set to the empty string as an empty password, not as unset', () => {
    expect(issues(oneEm('https://em01'), { VEEAM_EM_PASSWORD: '' })).toMatchObject([
      { path: 'enterpriseManagers[0].password', message: 'must not be empty' },
    ]);
  });

  it('reports an unset variable once, not again as an invalid value', () => {
    const found = issues(oneEm('${EM_URL}'));
    expect(found).toMatchObject([
      { path: 'enterpriseManagers[0].url', message: 'environment variable EM_URL is not set' },
    ]);
  });

  it('still reports a rule relating two keys at a key whose variable is unset, and a shape error beside it', () => {
    const found = issues(oneEm('https://em01', '    passwordFile: ${PW_FILE}\n    retries: 3\n'));
    expect(found.map(({ path, message, line, column }) => ({ path, message, line, column }))).toEqual([
      {
        path: 'enterpriseManagers[0].passwordFile',
        message: 'set only one of password and passwordFile',
        line: 6,
        column: 5,
      },
      {
        path: 'enterpriseManagers[0].passwordFile',
        message: 'environment variable PW_FILE is not set',
        line: 6,
        column: 19,
      },
      { path: 'enterpriseManagers[0].retries', message: expect.stringMatching(/^unknown key/), line: 7, column: 5 },
    ]);
  });
});

describe('warnings', () => {
  it('warns, at its line, when TLS verification is off', () => {
    const result = accepted(
      parseConfigText(oneEm('https://em01', '    tls:\n      insecureSkipVerify: true\n'), 'config.yaml', ENV),
    );
    expect(result.warnings).toMatchObject([
      {
        path: 'enterpriseManagers[0].tls.insecureSkipVerify',
        line: 7,
        message: expect.stringMatching(/verification is off/),
      },
    ]);
    expect(result.config.enterpriseManagers[0]?.tls.insecureSkipVerify).toBe(true);
  });

  it('warns about plain http to another host, not to loopback', () => {
    expect(accepted(parseConfigText(oneEm('http://em01:9399'), 'c.yaml', ENV)).warnings).toMatchObject([
      { path: 'enterpriseManagers[0].url' },
    ]);
    expect(accepted(parseConfigText(oneEm('http://127.0.0.1:9399'), 'c.yaml', ENV)).warnings).toEqual([]);
  });
});

describe('rules across entries', () => {
  const OTHER = '7b6a400c-452c-41d1-bb81-ea682e89492d';
  const pathsAndMessages = (found: ConfigIssue[]) =>
    found.map(({ path, message, line, column }) => ({ path, message, line, column }));

  it('reports a repeated explicit name at the name, and a repeated host at the url', () => {
    const text = `${oneEm('https://em01:9398', '    name: primary\n')}${oneEm('https://em02:9398', '    name: primary\n').replace('enterpriseManagers:\n', '')}${oneEm('https://EM02/api').replace('enterpriseManagers:\n', '')}`;
    expect(pathsAndMessages(issues(text))).toEqual([
      {
        path: 'enterpriseManagers[1].name',
        line: 11,
        column: 11,
        message:
          'duplicate Enterprise Manager name "primary": enterpriseManagers[0] has it too, and the name is the em label',
      },
    ]);
    const hosts = `${oneEm('https://em02:9398', '    name: em02\n')}${oneEm('https://EM02/api').replace('enterpriseManagers:\n', '')}`;
    expect(pathsAndMessages(issues(hosts))).toEqual([
      {
        path: 'enterpriseManagers[1].url',
        line: 7,
        column: 10,
        message:
          'duplicate Enterprise Manager name "em02": enterpriseManagers[0] has it too, and the name is the em label; set a distinct name',
      },
    ]);
  });

  it('allows the same backup on two Enterprise Managers', () => {
    const text = `${oneEm('https://em01')}${oneEm('https://em02').replace('enterpriseManagers:\n', '')}`;
    expect(
      accepted(parseConfigText(text, 'config.yaml', ENV)).config.enterpriseManagers.map((em) =>
        em.backups.map((backup) => backup.id),
      ),
    ).toEqual([[GUID], [GUID]]);
  });

  it('points at a repeated bare GUID itself and at the id of a repeated mapping, comparing normalised IDs', () => {
    const text = oneEm('https://em01').replace(
      `[${GUID}]`,
      `[${OTHER}, ${GUID.toUpperCase()}, {id: ${OTHER}}, urn:veeam:Backup:${GUID}]`,
    );
    expect(pathsAndMessages(issues(text))).toMatchObject([
      {
        path: 'enterpriseManagers[0].backups[2].id',
        message: `duplicate backup ${OTHER}: already listed at enterpriseManagers[0].backups[0]`,
      },
      {
        path: 'enterpriseManagers[0].backups[3]',
        message: `duplicate backup ${GUID}: already listed at enterpriseManagers[0].backups[1]`,
      },
    ]);
  });

  it('reports duplicates together with the errors of other keys and entries, in file order', () => {
    const text = `enterpriseManagers:
  - url: https://em01
    username: svc
    password: x
    backups:
      - ${GUID}
      - nope
      - { id: ${GUID}, rpo: 5x }
      - { id: ${GUID}, colour: blue }
  - url: https://em01:443
    username: 7
    backups: [${GUID}]
`;
    expect(issues(text).map(({ path, message }) => [path, message.replace(/:.*/, '')])).toEqual([
      ['enterpriseManagers[0].backups[1]', 'not a GUID'],
      ['enterpriseManagers[0].backups[2].id', `duplicate backup ${GUID}`],
      ['enterpriseManagers[0].backups[2].rpo', 'not a valid duration "5x"'],
      ['enterpriseManagers[0].backups[3].id', `duplicate backup ${GUID}`],
      ['enterpriseManagers[0].backups[3].colour', 'unknown key; valid keys here'],
      ['enterpriseManagers[1]', 'one of password or passwordFile is required'],
      ['enterpriseManagers[1].url', 'duplicate Enterprise Manager name "em01"'],
      ['enterpriseManagers[1].username', 'expected a string, got a number; quote the value so YAML reads it as text'],
    ]);
  });

  it('still compares names whose variable is unset, reporting both problems', () => {
    const text = `${oneEm('https://em01', '    name: ${EM_NAME}\n')}${oneEm('https://em02', '    name: ${EM_NAME}\n').replace('enterpriseManagers:\n', '')}`;
    expect(issues(text).map(({ path, message }) => [path, message.replace(/:.*/, '')])).toEqual([
      ['enterpriseManagers[0].name', 'environment variable EM_NAME is not set'],
      ['enterpriseManagers[1].name', 'environment variable EM_NAME is not set'],
      ['enterpriseManagers[1].name', 'duplicate Enterprise Manager name "${EM_NAME}"'],
    ]);
  });

  it('takes no name from a URL that failed, whatever its value looks like', () => {
    const text = `${oneEm('https://em01')}${oneEm('{ url: https://em01, hostname: em01 }').replace('enterpriseManagers:\n', '')}`;
    expect(issues(text).map((issue) => issue.path)).toEqual(['enterpriseManagers[1].url']);
  });
});

describe('warnings and errors together', () => {
  it('lists only the errors when a config with warnings fails', () => {
    const found = issues(oneEm('http://em01', '    tls:\n      insecureSkipVerify: true\n    retries: 3\n'));
    expect(found.map((issue) => issue.path)).toEqual(['enterpriseManagers[0].retries']);
  });

  it('warns once per key, each at its own position, in file order', () => {
    const text = `${oneEm('http://em01', '    tls:\n      insecureSkipVerify: true\n')}${oneEm('http://[::1]:9399', '    name: local\n    tls: { insecureSkipVerify: true }\n').replace('enterpriseManagers:\n', '')}`;
    expect(
      accepted(parseConfigText(text, 'c.yaml', ENV)).warnings.map(({ path, line, column }) => ({ path, line, column })),
    ).toEqual([
      { path: 'enterpriseManagers[0].url', line: 2, column: 10 },
      { path: 'enterpriseManagers[0].tls.insecureSkipVerify', line: 7, column: 27 },
      { path: 'enterpriseManagers[1].tls.insecureSkipVerify', line: 13, column: 32 },
    ]);
  });
});

describe('purity and paths', () => {
  it('does not look at the files a config names', () => {
    const em = firstEm(oneEm('https://em01', '    tls:\n      caFile: /nonexistent/ca.pem\n'));
    expect(em.tls.caFile).toBe('/nonexistent/ca.pem');
  });

  it('resolves relative file paths against the config file directory', () => {
    const text = oneEm('https://em01', '    tls:\n      caFile: certs/ca.pem\n').replace(
      'password: ${VEEAM_EM_PASSWORD}',
      'passwordFile: secret',
    );
    const em = firstEm(text, '/etc/veeam-em-exporter/config.yaml');
    expect(em.tls.caFile).toBe('/etc/veeam-em-exporter/certs/ca.pem');
    expect(em.passwordFile).toBe('/etc/veeam-em-exporter/secret');
  });
});

describe('issue reporting', () => {
  it('never repeats a password that has the wrong type', () => {
    const found = issues(oneEm('https://em01').replace('${VEEAM_EM_PASSWORD}', '987654321'));
    expect(found).toMatchObject([
      { path: 'enterpriseManagers[0].password', message: expect.stringMatching(/expected a string, got a number/) },
    ]);
    expect(JSON.stringify(found)).not.toContain('987654321');
  });

  it('rejects a __proto__ key as unknown instead of letting it through', () => {
    expect(issues(`__proto__:\n  polluted: true\n${oneEm('https://em01')}`)).toMatchObject([
      { path: '__proto__', message: expect.stringMatching(/^unknown key/) },
    ]);
  });

  it('reports issues in file order, each with a position', () => {
    const found = issues(`enterpriseManagers:
  - url: nope
    username: 5
    backups: [bad]
poll:
  retries: 11
`);
    expect(found.map((issue) => [issue.path, issue.line])).toEqual([
      ['enterpriseManagers[0]', 2],
      ['enterpriseManagers[0].url', 2],
      ['enterpriseManagers[0].username', 3],
      ['enterpriseManagers[0].backups[0]', 4],
      ['poll.retries', 6],
    ]);
  });
});
