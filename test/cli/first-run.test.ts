/**
 * The command line as a new user meets it: the built binary, started in a directory of the test's
 * choosing, with what it prints on stderr and stdout and its exit code.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstRunHint } from '../../src/cli/first-run.js';
import { demoReadyMessage } from '../../src/demo/index.js';
import { MAIN } from '../integration/process.js';

interface Run {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** Resolves once `pattern` matches what the process has written so far (stdout and stderr). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

function run(args: string[], cwd: string, env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    notify();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    notify();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      resolve(code);
      notify();
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    // Generous: these run beside other suites on a busy machine.
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${pattern} within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        function check(): void {
          if (pattern.test(out + err)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          } else if (child.exitCode !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`exited (${child.exitCode}) before ${pattern}; stdout:\n${out}\nstderr:\n${err}`));
          }
        }
        waiters.add(check);
        check();
      });
    },
  };
}

async function finished(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = run(args, cwd, env);
  const code = await r.exited;
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

const GUID = '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3';

/** A valid config for an EM nobody answers at: enough to start, check and reload. */
function configText(extraTls = ''): string {
  return [
    'poll:',
    '  schedule: "0 0 1 1 *"',
    'enterpriseManagers:',
    '  - url: https://127.0.0.1:1',
    "    username: 'EM01\\svc_monitor'",
    '    password: ${VEEAM_EM_PASSWORD}',
    ...(extraTls === '' ? [] : ['    tls:', `      ${extraTls}`]),
    '    backups:',
    `      - ${GUID}`,
    '',
  ].join('\n');
}

const ENV = { VEEAM_EM_PASSWORD: 'first-run-secret' };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vee-first-run-'));
});
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function emptyDir(name: string): Promise<string> {
  return mkdtemp(join(dir, `${name}-`));
}

describe('first run', { timeout: 60_000 }, () => {
  it('without arguments and without config.yaml, says what to do and exits 2', async () => {
    const cwd = await emptyDir('empty');
    const { code, stderr, stdout } = await finished([], cwd);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('no config file: config.yaml does not exist in');
    expect(stderr).toContain('--demo');
    expect(stderr).toContain('--config.file=PATH');
    expect(stderr).toContain('--config.check');
    // The shipped example, by a path that exists.
    const example = /copy (\S+config\.example\.yaml) to config\.yaml/.exec(stderr)?.[1];
    expect(example, stderr).toBeDefined();
    expect(existsSync(example!)).toBe(true);
    expect(stderr.match(/--help/g)).toHaveLength(1);
    expect(stderr).not.toMatch(/ENOENT|at .*\.js:\d+/);
  });

  it('with a config.yaml in the directory, reads it instead', async () => {
    const cwd = await emptyDir('with-config');
    await writeFile(join(cwd, 'config.yaml'), 'poll: [\n', { mode: 0o600 });
    const { code, stderr } = await finished(['--config.check'], cwd);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^config\.yaml:1:7: YAML syntax error: /);
    expect(stderr).not.toContain('To get started');
  });

  it('with a config file named on the command line that is missing, says so plainly, without the first-run text', async () => {
    const { code, stderr } = await finished(['--config.file=missing.yaml'], await emptyDir('named'));
    expect(code).toBe(2);
    expect(stderr).toBe('missing.yaml: cannot read the config file: no such file\n');
  });
});

describe('usage errors', { timeout: 60_000 }, () => {
  it.each([
    [['--verison'], 'unknown flag --verison; did you mean --version?'],
    [['--config-file=config.yaml'], 'unknown flag --config-file; did you mean --config.file?'],
    [
      ['config.yaml'],
      'unexpected argument "config.yaml": this program takes only flags; did you mean --config.file=config.yaml?',
    ],
    [['--no-such-flag'], 'unknown flag --no-such-flag'],
  ])('%j: one line naming the fix, then the usage hint once', async (argv, message) => {
    const { code, stderr } = await finished(argv, dir);
    expect(code).toBe(2);
    expect(stderr).toBe(`veeam-em-exporter: ${message}\nTry --help.\n`);
  });
});

describe('--config.check', { timeout: 60_000 }, () => {
  it('words a missing web config file like a missing config file', async () => {
    const cwd = await emptyDir('web');
    await writeFile(join(cwd, 'config.yaml'), configText(), { mode: 0o600 });
    const { code, stderr } = await finished(['--config.check', '--web.config.file=web.yml'], cwd, ENV);
    expect(code).toBe(2);
    expect(stderr).toContain('web.yml: cannot read the web config file (--web.config.file): no such file');
    expect(stderr).not.toContain('ENOENT');
  });

  it('reports an IP address in tls.serverName with what to do, and no Node deprecation warning', async () => {
    const cwd = await emptyDir('sni');
    await writeFile(join(cwd, 'config.yaml'), configText('serverName: 127.0.0.1'), { mode: 0o600 });
    const { code, stderr } = await finished(['--config.check'], cwd, ENV);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^config\.yaml:8:19: enterpriseManagers\[0\]\.tls\.serverName: 127\.0\.0\.1 is an IP address, .*put the IP in url and leave serverName out/,
    );
    expect(stderr).not.toMatch(/DeprecationWarning|DEP0123/);
  });

  it('points a YAML syntax error at the line where the unclosed quote starts', async () => {
    const cwd = await emptyDir('quote');
    await writeFile(join(cwd, 'config.yaml'), configText().replace('"0 0 1 1 *"', '"0 0 1 1 *'), { mode: 0o600 });
    const { code, stderr } = await finished(['--config.check'], cwd, ENV);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^config\.yaml:2:13: YAML syntax error: Missing closing "quote \(the quoted value that starts here is still open at line 9\)\n$/,
    );
  });
});

describe('--log.format=pretty', () => {
  it('prints the problems of a refused reload as indented lines, not as \\n', async () => {
    const cwd = await emptyDir('pretty');
    const file = join(cwd, 'config.yaml');
    await writeFile(file, configText(), { mode: 0o600 });
    const r = run(['--log.format=pretty', '--web.listen-address=127.0.0.1:0'], cwd, ENV);
    try {
      await r.waitFor(/ INFO {2}listening /);
      await writeFile(file, configText().replace('"0 0 1 1 *"', '"61 * * * *"').replace(GUID, 'not-a-guid'));
      await chmod(file, 0o600);
      r.child.kill('SIGHUP');
      await r.waitFor(/config reload failed[\s\S]*backups\[0\][^\n]*\n/);
      const lines = r.stderr().split('\n');
      const head = lines.findIndex((line) => / ERROR config reload failed, keeping the running config:/.test(line));
      expect(head, r.stderr()).toBeGreaterThanOrEqual(0);
      expect(lines[head + 1]).toMatch(/^ {4}config\.yaml:2:13: poll\.schedule: /);
      expect(lines[head + 2]).toMatch(/^ {4}config\.yaml:8:\d+: enterpriseManagers\[0\]\.backups\[0\]: /);
      expect(r.stderr()).not.toContain('\\n');
    } finally {
      r.child.kill('SIGTERM');
      await r.exited;
    }
  }, 150_000);
});

describe('--demo', () => {
  it('says that it listens on loopback only', async () => {
    const r = run(['--demo', '--web.listen-address=127.0.0.1:0'], dir);
    try {
      await r.waitFor(/Demo exporter ready: .*\n.*\n/);
      expect(r.stdout()).toMatch(
        /^Demo exporter ready: http:\/\/127\.0\.0\.1:(\d+)\/metrics \(status page: http:\/\/127\.0\.0\.1:\1\/\)\nIt listens on loopback only, so other hosts cannot reach it; to serve them, pass --web\.listen-address=:\1\.\n$/,
      );
    } finally {
      r.child.kill('SIGTERM');
      await r.exited;
    }
  }, 90_000);

  it.each([
    [{ host: '127.0.0.1', port: 10398 }, 'http://127.0.0.1:10398/metrics', /loopback only/],
    [{ host: '::1', port: 10398 }, 'http://[::1]:10398/metrics', /loopback only/],
    [{ host: '::', port: 9000 }, 'http://localhost:9000/metrics', /every interface: other hosts can reach it/],
    [{ host: '192.0.2.7', port: 9000 }, 'http://192.0.2.7:9000/metrics', /on 192\.0\.2\.7 only/],
  ])('words where %j can be reached', (bound, url, reach) => {
    const message = demoReadyMessage(bound, 'http', '/metrics');
    expect(message).toContain(`Demo exporter ready: ${url}`);
    expect(message).toMatch(reach);
  });
});

describe('firstRunHint', () => {
  it('speaks only when the default config file is missing', () => {
    expect(firstRunHint('config.yaml', () => true)).toBeUndefined();
    expect(firstRunHint('/etc/veeam-em-exporter/config.yaml', () => false)).toBeUndefined();
    expect(firstRunHint('config.yaml', () => false)).toContain('no config file');
  });

  it('names the example by its path when it is there, by its name when it is not', () => {
    expect(
      firstRunHint('config.yaml', (path) => path === '/opt/x/config.example.yaml', '/opt/x/config.example.yaml'),
    ).toContain('copy /opt/x/config.example.yaml to config.yaml');
    expect(firstRunHint('config.yaml', () => false, '/opt/x/config.example.yaml')).toContain(
      'copy config.example.yaml (in the package or the source repository)',
    );
  });
});
