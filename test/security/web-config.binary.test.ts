/**
 * --web.config.file on the real binary with everything on at once: mutual TLS (client certificates
 * from client_ca_file only), TLS 1.3 as the minimum, basic auth against an htpasswd-style $2y$ hash,
 * configured headers, and certificate rotation without a restart.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { get } from '../web-config/support/client.js';
import { makeCa, makeLeaf, type Pem } from '../web-config/support/certs.js';
import { BACKUPS, PASSWORD, USER, startSite, type Site } from '../integration/harness.js';
import { startExporter, waitUntil, type Running } from '../integration/process.js';

const SCRAPE_PASSWORD = 'scrape "secret" <&>';

describe('--web.config.file on the binary: mutual TLS, TLS 1.3, $2y$ basic auth, rotation', () => {
  let site: Site;
  let run: Running;
  let port: number;
  let serverCa: Pem;
  let client: Pem;
  let stranger: Pem;
  const webConfig = (): string => join(site.dir, 'web.yml');

  beforeAll(async () => {
    site = await startSite();
    const [sCa, cCa, otherCa] = await Promise.all([
      makeCa('exporter server CA'),
      makeCa('Prometheus client CA'),
      makeCa('stranger CA'),
    ]);
    serverCa = sCa;
    const [server, c, s] = await Promise.all([
      makeLeaf(sCa, 'localhost', 'server'),
      makeLeaf(cCa, 'prometheus', 'client'),
      makeLeaf(otherCa, 'prometheus', 'client'),
    ]);
    client = c;
    stranger = s;
    await writeFile(join(site.dir, 'server.crt'), server.cert);
    await writeFile(join(site.dir, 'server.key'), server.key, { mode: 0o600 });
    await writeFile(join(site.dir, 'client-ca.crt'), cCa.cert);
    // htpasswd writes $2y$; bcryptjs writes $2b$ for the same algorithm.
    const hash = bcrypt.hashSync(SCRAPE_PASSWORD, 4).replace(/^\$2b\$/, '$2y$');
    await writeFile(
      webConfig(),
      [
        'tls_server_config:',
        '  cert_file: server.crt',
        '  key_file: server.key',
        '  client_ca_file: client-ca.crt',
        '  client_auth_type: RequireAndVerifyClientCert',
        '  min_version: TLS13',
        'http_server_config:',
        '  headers:',
        '    X-Frame-Options: deny',
        '    Strict-Transport-Security: max-age=31536000',
        'basic_auth_users:',
        `  prometheus: ${hash}`,
        '',
      ].join('\n'),
    );
    await writeFile(
      join(site.dir, 'config.yaml'),
      [
        'enterpriseManagers:',
        `  - url: ${site.started.url}`,
        `    username: '${USER}'`,
        '    password: ${VEEAM_EM_PASSWORD}',
        `    tls: { caFile: ${site.caFile} }`,
        `    backups: [${BACKUPS.daily}]`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    run = startExporter(
      [
        `--config.file=${join(site.dir, 'config.yaml')}`,
        `--web.config.file=${webConfig()}`,
        '--web.listen-address=127.0.0.1:0',
      ],
      {
        VEEAM_EM_PASSWORD: PASSWORD,
      },
    );
    const listening = await run.waitForLog((l) => l.msg === 'listening');
    expect(listening.scheme).toBe('https');
    port = Number(String(listening.address).split(':').pop());
  });
  afterAll(async () => {
    run?.child.kill('SIGTERM');
    await run?.exited;
    await site?.close();
  });

  it('serves a client with a certificate from client_ca_file and the right password, with the configured headers', async () => {
    const reply = await get(port, '/metrics', {
      ca: serverCa.cert,
      ...client,
      user: 'prometheus',
      password: SCRAPE_PASSWORD,
    });
    expect(reply.status).toBe(200);
    expect(reply.protocol).toBe('TLSv1.3');
    expect(reply.body).toContain('veeam_em_exporter_build_info');
    expect(reply.headers['x-frame-options']).toBe('deny');
    expect(reply.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('answers a wrong or missing password with 401 even to a client with a good certificate', async () => {
    for (const credentials of [
      {},
      { user: 'prometheus', password: 'wrong' },
      { user: 'nobody', password: SCRAPE_PASSWORD },
    ]) {
      const reply = await get(port, '/metrics', { ca: serverCa.cert, ...client, ...credentials });
      expect(reply.status, JSON.stringify(credentials)).toBe(401);
      expect(reply.headers['www-authenticate']).toMatch(/^Basic /);
      expect(reply.body).not.toContain('veeam_em');
    }
  });

  it('refuses, during the handshake, a client without a certificate, with one from another CA, or limited to TLS 1.2', async () => {
    const auth = { user: 'prometheus', password: SCRAPE_PASSWORD };
    await expect(get(port, '/metrics', { ca: serverCa.cert, ...auth })).rejects.toThrow();
    await expect(get(port, '/metrics', { ca: serverCa.cert, ...stranger, ...auth })).rejects.toThrow();
    await expect(
      get(port, '/metrics', { ca: serverCa.cert, ...client, ...auth, maxVersion: 'TLSv1.2' }),
    ).rejects.toThrow(/version|protocol/i);
    // The refusals did not disturb the exporter.
    expect((await get(port, '/-/healthy', { ca: serverCa.cert, ...client, ...auth })).status).toBe(200);
  });

  it('is the exporter-toolkit format: promtool check web-config accepts the file', (ctx: TestContext) => {
    const promtool = spawnSync('promtool', ['check', 'web-config', webConfig()], { encoding: 'utf8' });
    if (promtool.error) {
      if (process.env.CI === 'true') throw promtool.error;
      ctx.skip('promtool not installed');
    }
    expect(`${promtool.stdout}${promtool.stderr}`).toContain('SUCCESS');
    expect(promtool.status).toBe(0);
  });

  it('serves a rotated certificate to new connections without a restart', async () => {
    const before = (
      await get(port, '/-/healthy', { ca: serverCa.cert, ...client, user: 'prometheus', password: SCRAPE_PASSWORD })
    ).serverFingerprint;
    const rotated = await makeLeaf(serverCa, 'localhost', 'server');
    await writeFile(join(site.dir, 'server.key'), rotated.key, { mode: 0o600 });
    await writeFile(join(site.dir, 'server.crt'), rotated.cert);
    let after = before;
    await waitUntil(async () => {
      after = (
        await get(port, '/-/healthy', { ca: serverCa.cert, ...client, user: 'prometheus', password: SCRAPE_PASSWORD })
      ).serverFingerprint;
      return after !== before;
    }, 'the rotated certificate');
    expect(after).toBeDefined();
    expect(run.child.exitCode).toBeNull();
  });
});
