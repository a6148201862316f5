import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exporterFlagsFromCmdline, findExporterArgs } from '../../src/healthcheck/exporter-args.js';
import { credentialsFromEnv, probeTarget } from '../../src/healthcheck/probe.js';
import { startExporter, waitUntil, type Running } from '../integration/process.js';
import { makeCa, makeLeaf } from '../web-config/support/certs.js';

const HEALTHCHECK = fileURLToPath(new URL('../../dist/healthcheck.js', import.meta.url));

function runHealthcheck(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HEALTHCHECK, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('exporterFlagsFromCmdline', () => {
  it('takes the flags after the entry script', () => {
    expect(
      exporterFlagsFromCmdline('node\0dist/main.js\0--web.listen-address=:9000\0--web.config.file=w.yml\0'),
    ).toEqual(['--web.listen-address=:9000', '--web.config.file=w.yml']);
    expect(exporterFlagsFromCmdline('node\0/usr/local/bin/veeam-em-exporter\0--demo\0')).toEqual(['--demo']);
  });

  it('ignores processes that are not the exporter', () => {
    expect(exporterFlagsFromCmdline('/sbin/tini\0--\0node\0')).toBeUndefined();
    expect(exporterFlagsFromCmdline('node\0dist/healthcheck.js\0')).toBeUndefined();
    expect(exporterFlagsFromCmdline('node\0dist/main.jsx\0')).toBeUndefined();
  });
});

describe('findExporterArgs', () => {
  const proc = mkdtempSync(join(tmpdir(), 'veeam-hc-proc-'));
  afterAll(() => rmSync(proc, { recursive: true, force: true }));

  it('finds the exporter when PID 1 is something else and the directory it runs in', async () => {
    mkdirSync(join(proc, '1'));
    writeFileSync(join(proc, '1', 'cmdline'), '/bin/sh\0-c\0sleep infinity\0');
    mkdirSync(join(proc, '7'));
    writeFileSync(join(proc, '7', 'cmdline'), 'node\0dist/main.js\0--web.listen-address=:9100\0');
    symlinkSync('/app', join(proc, '7', 'cwd'));
    mkdirSync(join(proc, 'self'));
    expect(await findExporterArgs(proc)).toEqual({ pid: 7, args: ['--web.listen-address=:9100'], cwd: '/app' });
  });

  it('answers undefined without /proc', async () => {
    expect(await findExporterArgs(join(proc, 'missing'))).toBeUndefined();
  });
});

describe('probeTarget', () => {
  it('dials loopback for a wildcard listen address and the named host otherwise', () => {
    expect(probeTarget({ port: 10398 })).toEqual({ host: '127.0.0.1', port: 10398, path: '/-/healthy' });
    expect(probeTarget({ host: '0.0.0.0', port: 1 }).host).toBe('127.0.0.1');
    expect(probeTarget({ host: '::', port: 1 }).host).toBe('::1');
    expect(probeTarget({ host: '10.1.2.3', port: 1 }).host).toBe('10.1.2.3');
  });

  it('refuses port 0, which has no fixed port to probe', () => {
    expect(() => probeTarget({ port: 0 })).toThrow(/port 0/);
  });
});

describe('credentialsFromEnv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'veeam-hc-env-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the password from the mounted file, without its trailing newline, before an inline one', async () => {
    const file = join(dir, 'password');
    writeFileSync(file, 's3cret with spaces \n');
    expect(
      await credentialsFromEnv({
        VEEAM_EM_HEALTHCHECK_USERNAME: 'probe',
        VEEAM_EM_HEALTHCHECK_PASSWORD_FILE: file,
        VEEAM_EM_HEALTHCHECK_PASSWORD: 'inline',
      }),
    ).toEqual({ username: 'probe', password: 's3cret with spaces ' });
    expect(await credentialsFromEnv({ VEEAM_EM_HEALTHCHECK_PASSWORD: 'inline' })).toEqual({ password: 'inline' });
    expect(await credentialsFromEnv({})).toEqual({});
  });

  it('names the variable and the file it cannot read, never a content', async () => {
    await expect(credentialsFromEnv({ VEEAM_EM_HEALTHCHECK_PASSWORD_FILE: join(dir, 'missing') })).rejects.toThrow(
      /VEEAM_EM_HEALTHCHECK_PASSWORD_FILE: cannot read .*missing: ENOENT/,
    );
  });
});

describe('dist/healthcheck.js against the real exporter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'veeam-hc-'));
  let plain: Running;
  let secured: Running;
  let plainPort: number;
  let securedPort: number;
  const passwordFile = join(dir, 'probe.password');

  beforeAll(async () => {
    const ca = await makeCa('healthcheck test CA');
    const leaf = await makeLeaf(ca, 'localhost', 'server');
    const other = await makeLeaf(ca, 'localhost', 'server');
    writeFileSync(join(dir, 'exporter.crt'), leaf.cert);
    writeFileSync(join(dir, 'exporter.key'), leaf.key, { mode: 0o600 });
    writeFileSync(join(dir, 'other.crt'), other.cert);
    writeFileSync(join(dir, 'other.key'), other.key, { mode: 0o600 });
    const users = `basic_auth_users:\n  healthcheck: ${bcrypt.hashSync('probe-secret', 4)}\n`;
    writeFileSync(
      join(dir, 'web.yml'),
      `tls_server_config:\n  cert_file: exporter.crt\n  key_file: exporter.key\n${users}`,
    );
    // Same users, another certificate: what a probe sees when something else answers on the port.
    writeFileSync(
      join(dir, 'web-other-cert.yml'),
      `tls_server_config:\n  cert_file: other.crt\n  key_file: other.key\n${users}`,
    );
    writeFileSync(passwordFile, 'probe-secret\n', { mode: 0o600 });

    [plainPort, securedPort] = [await freePort(), await freePort()];
    plain = startExporter(['--demo', `--web.listen-address=127.0.0.1:${plainPort}`, '--log.level=warn']);
    secured = startExporter([
      '--demo',
      `--web.listen-address=127.0.0.1:${securedPort}`,
      `--web.config.file=${join(dir, 'web.yml')}`,
      '--log.level=warn',
    ]);
    await waitUntil(
      async () => (await runHealthcheck([`--web.listen-address=127.0.0.1:${plainPort}`])).code === 0,
      'the plain exporter',
      30_000,
    );
  }, 60_000);

  afterAll(async () => {
    for (const run of [plain, secured]) {
      run.child.kill('SIGTERM');
      await run.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const securedFlags = () => [
    `--web.listen-address=127.0.0.1:${securedPort}`,
    `--web.config.file=${join(dir, 'web.yml')}`,
  ];
  const probeEnv = { VEEAM_EM_HEALTHCHECK_USERNAME: 'healthcheck', VEEAM_EM_HEALTHCHECK_PASSWORD_FILE: passwordFile };

  it('is healthy on plain HTTP at another port', async () => {
    const result = await runHealthcheck([`--web.listen-address=127.0.0.1:${plainPort}`]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`http://127.0.0.1:${plainPort}/-/healthy: 200`);
  });

  it('is healthy over TLS with basic auth, using the same flags and a mounted password file', async () => {
    await waitUntil(
      async () => (await runHealthcheck(securedFlags(), probeEnv)).code === 0,
      'the TLS exporter',
      30_000,
    );
    const result = await runHealthcheck(securedFlags(), probeEnv);
    expect(result.stdout).toContain(`https://127.0.0.1:${securedPort}/-/healthy: 200`);
  });

  it('says which credential is missing when the web config asks for basic auth', async () => {
    const result = await runHealthcheck(securedFlags());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('VEEAM_EM_HEALTHCHECK_USERNAME');
  });

  it('is unhealthy on a wrong password', async () => {
    const result = await runHealthcheck(securedFlags(), {
      VEEAM_EM_HEALTHCHECK_USERNAME: 'healthcheck',
      VEEAM_EM_HEALTHCHECK_PASSWORD: 'wrong',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('HTTP 401');
  });

  it('sends no credential to a server whose certificate is not the configured one', async () => {
    const result = await runHealthcheck(
      [`--web.listen-address=127.0.0.1:${securedPort}`, `--web.config.file=${join(dir, 'web-other-cert.yml')}`],
      probeEnv,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is not the one in the web config');
  });

  it('is unhealthy when nothing listens', async () => {
    const result = await runHealthcheck([`--web.listen-address=127.0.0.1:${await freePort()}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ECONNREFUSED');
  });

  it('is unhealthy, with the flag named, on a flag the exporter would refuse', async () => {
    const result = await runHealthcheck(['--web.listen-address=nonsense']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--web.listen-address');
  });
});
