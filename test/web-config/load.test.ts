import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { loadWebConfig, type WebConfigIssue } from '../../src/web-config/index.js';

const FIXTURES = resolve('test/fixtures/web-config');
const fixture = (name: string): string => join(FIXTURES, name);

describe('loadWebConfig: a valid file', () => {
  it('reads every supported key and resolves file paths against the config file directory', async () => {
    const result = await loadWebConfig(fixture('good.yml'));
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const { config, warnings } = result;
    expect(warnings).toEqual([]);
    expect(config.file).toBe(fixture('good.yml'));
    expect(config.tls).toMatchObject({
      certFile: fixture('throwaway-test-only.crt'),
      keyFile: fixture('throwaway-test-only.key'),
      clientCaFile: fixture('throwaway-test-only.crt'),
      clientAuthType: 'RequireAndVerifyClientCert',
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256',
      ecdhCurve: 'X25519:P-256',
      honorCipherOrder: true,
    });
    expect(config.tls?.certFingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    // A blank header value means "unset", as in exporter-toolkit.
    expect(config.headers).toEqual({
      'Strict-Transport-Security': 'max-age=31536000',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'deny',
    });
    expect([...config.users.keys()]).toEqual(['alice']);
  });

  it('never shows key material or hashes when the config is logged or serialised', async () => {
    const result = await loadWebConfig(fixture('good.yml'));
    if (!result.ok) throw new Error('expected a valid config');
    const printed = `${JSON.stringify(result.config)}\n${inspect(result.config, { depth: 10 })}\n${JSON.stringify([...result.config.users])}`;
    expect(printed).not.toContain('PRIVATE KEY');
    expect(printed).not.toContain('$2y$');
    expect(result.config.tls?.keyPem.reveal()).toContain('PRIVATE KEY');
  });

  describe('with a scratch directory', () => {
    let dir: string | undefined;
    afterEach(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    });
    const write = async (text: string): Promise<string> => {
      dir = await mkdtemp(join(tmpdir(), 'web-config-'));
      const file = join(dir, 'web.yml');
      await writeFile(file, text);
      return file;
    };

    it('treats an empty file as plain HTTP without authentication, like exporter-toolkit', async () => {
      const result = await loadWebConfig(await write(''));
      expect(result).toMatchObject({ ok: true, config: { headers: {} } });
      if (result.ok) {
        expect(result.config.tls).toBeUndefined();
        expect(result.config.users.size).toBe(0);
      }
    });

    it('warns that basic auth without TLS sends passwords in clear text', async () => {
      const result = await loadWebConfig(
        await write('basic_auth_users:\n  alice: $2y$04$0172E.f4NmtUr3QhfP7TROPO2Vw8y1l.pYY9dKhd0e.YSwfabb1/O\n'),
      );
      expect(result.ok && result.warnings.map((w) => w.path)).toEqual(['basic_auth_users']);
    });

    it('reads a numeric header value as its text, as exporter-toolkit does', async () => {
      const result = await loadWebConfig(await write('http_server_config:\n  headers:\n    X-XSS-Protection: 0\n'));
      expect(result.ok && result.config.headers).toEqual({ 'X-XSS-Protection': '0' });
    });

    it('names the key and the file when a certificate file is missing', async () => {
      const file = await write(
        `tls_server_config:\n  cert_file: nowhere.crt\n  key_file: ${fixture('throwaway-test-only.key')}\n`,
      );
      const result = await loadWebConfig(file);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.issues).toHaveLength(1);
        expect(result.issues[0]).toMatchObject({ path: 'tls_server_config.cert_file', line: 2, column: 14 });
        expect(result.issues[0]?.message).toContain(join(dir ?? '', 'nowhere.crt'));
      }
    });

    it('refuses a key that does not belong to the certificate, without quoting the key', async () => {
      const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
      const file = await write(
        `tls_server_config:\n  cert_file: ${fixture('throwaway-test-only.crt')}\n  key_file: other.key\n`,
      );
      await writeFile(join(dir ?? '', 'other.key'), pem);
      const result = await loadWebConfig(file);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.issues.map((i) => i.path)).toEqual(['tls_server_config.key_file']);
        expect(result.issues[0]?.message).toMatch(/does not belong to the certificate/);
        expect(JSON.stringify(result.issues)).not.toContain(pem.split('\n')[1]);
      }
    });

    it('reports a YAML syntax error with its position and without quoting the line', async () => {
      const result = await loadWebConfig(await write('basic_auth_users:\n  alice: "$2y$04$secret-looking\n'));
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.issues[0]?.line).toBeGreaterThanOrEqual(2);
        expect(JSON.stringify(result.issues)).not.toContain('secret-looking');
      }
    });

    it('points an unclosed quote at the line that opens it, not where yaml gave up', async () => {
      const result = await loadWebConfig(
        await write(
          'tls_server_config:\n  cert_file: "server.crt\n  key_file: server.key\nbasic_auth_users:\n  alice: x\n',
        ),
      );
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.issues).toHaveLength(1);
        expect(result.issues[0]).toMatchObject({ line: 2, column: 14 });
        expect(result.issues[0]?.message).toMatch(/still open at line \d/);
      }
    });

    it('reports a missing or unreadable web config file in words, like the main config', async () => {
      const missing = join(tmpdir(), 'does-not-exist-web-config.yml');
      expect(await loadWebConfig(missing)).toMatchObject({
        ok: false,
        issues: [
          { file: missing, path: '', message: 'cannot read the web config file (--web.config.file): no such file' },
        ],
      });
      expect(await loadWebConfig(tmpdir())).toMatchObject({
        ok: false,
        issues: [{ path: '', message: 'cannot read the web config file (--web.config.file): is a directory' }],
      });
    });
  });
});

interface BadCase {
  file: string;
  path: string;
  line: number;
  column: number;
  message: RegExp;
}

// One problem per file, so each must produce exactly one issue, at this key path and position.
const BAD_CASES: BadCase[] = [
  {
    file: 'unknown-key.yml',
    path: 'tls_server_config.client_auth',
    line: 4,
    column: 3,
    message: /unknown key "client_auth"/,
  },
  {
    file: 'unsupported-toolkit-key.yml',
    path: 'tls_server_config.client_allowed_sans',
    line: 6,
    column: 3,
    message: /not supported by this exporter/,
  },
  { file: 'http2.yml', path: 'http_server_config.http2', line: 2, column: 10, message: /HTTP\/2 is not supported/ },
  {
    file: 'header-name.yml',
    path: 'http_server_config.headers.X-Powered-By',
    line: 4,
    column: 5,
    message: /cannot be configured/,
  },
  {
    file: 'header-value.yml',
    path: 'http_server_config.headers.X-Frame-Options',
    line: 3,
    column: 22,
    message: /expected one of deny, sameorigin/,
  },
  {
    file: 'client-auth-type.yml',
    path: 'tls_server_config.client_auth_type',
    line: 4,
    column: 21,
    message: /RequireAndVerifyClientCert/,
  },
  {
    file: 'missing-key-file.yml',
    path: 'tls_server_config.key_file',
    line: 1,
    column: 1,
    message: /key_file .*is required/,
  },
  { file: 'bcrypt-hash.yml', path: 'basic_auth_users.bob', line: 3, column: 8, message: /not a bcrypt hash/ },
  {
    file: 'min-version.yml',
    path: 'tls_server_config.min_version',
    line: 4,
    column: 16,
    message: /unknown TLS version "TLS1\.2"/,
  },
];

describe('loadWebConfig: each bad file is refused with its key path and position', () => {
  it.each(BAD_CASES)('$file -> $path', async ({ file, path, line, column, message }) => {
    const result = await loadWebConfig(fixture(`bad/${file}`));
    expect(result.ok).toBe(false);
    const issues: WebConfigIssue[] = result.ok ? [] : result.issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: fixture(`bad/${file}`), path, line, column });
    expect(issues[0]?.message).toMatch(message);
  });

  it('does not echo a rejected password hash value', async () => {
    const result = await loadWebConfig(fixture('bad/bcrypt-hash.yml'));
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });
});
