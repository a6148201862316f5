import https from 'node:https';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeLeaf } from '../web-config/support/certs.js';
import { BACKUPS, PASSWORD, USER, sample, startSite, type Site } from './harness.js';
import { startExporter, waitUntil, type Running } from './process.js';

function get(
  port: number,
  path: string,
  ca: string,
  auth?: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path,
        ca,
        servername: 'localhost',
        headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {},
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('--web.config.file on the real binary', () => {
  let site: Site;
  let run: Running;
  let port: number;
  let ca: string;
  beforeAll(async () => {
    site = await startSite();
    const authority = await makeCa('test exporter CA');
    const leaf = await makeLeaf(authority, 'localhost', 'server');
    ca = authority.cert;
    await writeFile(join(site.dir, 'exporter.crt'), leaf.cert);
    await writeFile(join(site.dir, 'exporter.key'), leaf.key, { mode: 0o600 });
    await writeFile(
      join(site.dir, 'web.yml'),
      [
        'tls_server_config:',
        '  cert_file: exporter.crt',
        '  key_file: exporter.key',
        'http_server_config:',
        '  headers:',
        '    X-Frame-Options: deny',
        'basic_auth_users:',
        `  prometheus: ${bcrypt.hashSync('scrape-secret', 4)}`,
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
    );
    run = startExporter(
      [
        `--config.file=${join(site.dir, 'config.yaml')}`,
        `--web.config.file=${join(site.dir, 'web.yml')}`,
        '--web.listen-address=127.0.0.1:0',
      ],
      { VEEAM_EM_PASSWORD: PASSWORD },
    );
    const listening = await run.waitForLog((l) => l.msg === 'listening');
    expect(listening.scheme).toBe('https');
    port = Number(String(listening.address).split(':').pop());
  });
  afterAll(async () => {
    run.child.kill('SIGTERM');
    await run.exited;
    await site.close();
  });

  it('serves every endpoint over TLS behind basic auth, with the configured headers', async () => {
    for (const path of ['/', '/metrics', '/-/healthy']) {
      expect((await get(port, path, ca)).status).toBe(401);
      expect((await get(port, path, ca, 'prometheus:wrong')).status).toBe(401);
    }
    const ok = await get(port, '/-/healthy', ca, 'prometheus:scrape-secret');
    expect(ok.status).toBe(200);
    expect(ok.headers['x-frame-options']).toBe('deny');
  });

  it(
    'applies a web.yml changed on disk through the reload queue, leaving the config and its reload gauge alone',
    { timeout: 60_000 },
    async () => {
      const web = join(site.dir, 'web.yml');
      const original = await readFile(web, 'utf8');
      const auth = 'prometheus:scrape-secret';
      const gauge = async (): Promise<number | undefined> =>
        sample((await get(port, '/metrics', ca, auth)).body, 'veeam_em_exporter_config_last_reload_successful');
      expect(await gauge()).toBe(1);

      // Refused (TLS removed needs a restart): the running web config stays, the gauge says nothing of it.
      await writeFile(web, original.replace(/^tls_server_config:\n(  .*\n)+/m, ''));
      await run.waitForLog((l) => l.msg === 'web config change refused, still serving with the previous version');
      expect(await gauge()).toBe(1);

      // Accepted: a new password works, the old one no longer does; the main config was not reloaded.
      await writeFile(web, original.replace(/prometheus: .*/, `prometheus: ${bcrypt.hashSync('rotated-secret', 4)}`));
      await waitUntil(
        async () => (await get(port, '/-/healthy', ca, 'prometheus:rotated-secret')).status === 200,
        'the new password',
        20_000,
      );
      expect((await get(port, '/-/healthy', ca, auth)).status).toBe(401);
      expect(
        sample(
          (await get(port, '/metrics', ca, 'prometheus:rotated-secret')).body,
          'veeam_em_exporter_config_last_reload_successful',
        ),
      ).toBe(1);
      expect(run.stderr()).not.toContain('"msg":"config reloaded"');
      await writeFile(web, original);
      await waitUntil(
        async () => (await get(port, '/-/healthy', ca, auth)).status === 200,
        'the original password back',
        20_000,
      );
    },
  );

  it('--config.check validates the web config too', async () => {
    await writeFile(join(site.dir, 'bad-web.yml'), 'tls_server_config:\n  cert_file: exporter.crt\n  colour: blue\n');
    const check = startExporter(
      [
        '--config.check',
        `--config.file=${join(site.dir, 'config.yaml')}`,
        `--web.config.file=${join(site.dir, 'bad-web.yml')}`,
      ],
      { VEEAM_EM_PASSWORD: PASSWORD },
    );
    expect((await check.exited).code).toBe(2);
    expect(check.stderr()).toContain('tls_server_config.colour');
  });
});
