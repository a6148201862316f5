import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKUPS, PASSWORD, USER, configYaml, sample, startSite, type Site } from './harness.js';
import { httpGet, startExporter, waitUntil, type Running } from './process.js';

async function writeConfig(site: Site, name: string): Promise<string> {
  const file = join(site.dir, name);
  await writeFile(file, configYaml(site, [BACKUPS.daily, BACKUPS.weekly]));
  return file;
}

async function startDaemon(site: Site, file: string): Promise<{ run: Running; base: string }> {
  const run = startExporter([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0', '--log.level=debug'], {
    VEEAM_EM_PASSWORD: PASSWORD,
  });
  const listening = await run.waitForLog((l) => l.msg === 'listening');
  return { run, base: `http://${String(listening.address)}` };
}

describe('the daemon', () => {
  let site: Site;
  let running: Running | undefined;
  beforeAll(async () => {
    site = await startSite();
  });
  afterEach(() => {
    running?.child.kill('SIGKILL');
    running = undefined;
    site.sim.clearFaults();
  });
  afterAll(() => site.close());

  it('serves, becomes ready after the first cycle, and on SIGTERM logs out and exits 0', async () => {
    const { run, base } = await startDaemon(site, await writeConfig(site, 'daemon.yaml'));
    running = run;
    expect((await httpGet(`${base}/-/healthy`)).status).toBe(200);
    await waitUntil(async () => (await httpGet(`${base}/-/ready`)).status === 200, 'readiness');

    const metrics = (await httpGet(`${base}/metrics`)).body;
    expect(sample(metrics, 'veeam_em_backup_restore_points', { backup_id: BACKUPS.daily })).toBe(3);
    expect(site.sim.openSessionCount()).toBe(1);

    // Scrapes read cached state: many of them cause no request to EM at all.
    site.sim.clearRequests();
    for (let i = 0; i < 5; i++) expect((await httpGet(`${base}/metrics`)).status).toBe(200);
    expect(site.sim.requests()).toHaveLength(0);

    const [session] = site.sim.sessions();
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(site.sim.openSessionCount()).toBe(0);
    expect(site.sim.sessions().find((s) => s.id === session!.id)?.endedBy).toBe('logout');

    // Nothing the exporter wrote holds a secret.
    const token = Buffer.from(session!.id).toString('base64');
    const everything = run.stdout() + run.stderr();
    for (const secret of [PASSWORD, session!.id, token, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('exits at once on a second signal while the logout is still pending', async () => {
    const { run, base } = await startDaemon(site, await writeConfig(site, 'second-signal.yaml'));
    running = run;
    await waitUntil(async () => (await httpGet(`${base}/-/ready`)).status === 200, 'readiness');
    site.sim.addFault({ match: { method: 'DELETE' }, latencyMs: 60_000 });
    run.child.kill('SIGINT');
    await run.waitForLog((l) => String(l.msg).startsWith('shutting down'));
    run.child.kill('SIGINT');
    const exit = await run.exited;
    expect(exit.code).not.toBe(0);
    expect(run.stderr()).toContain('second signal');
    // It did not wait for EM: the logout never completed.
    expect(site.sim.openSessionCount()).toBe(1);
    site.sim.expireAllSessions();
  });

  it('still exits 0 after SIGTERM when EM never answers the logout', async () => {
    const { run, base } = await startDaemon(site, await writeConfig(site, 'hung-logout.yaml'));
    running = run;
    await waitUntil(async () => (await httpGet(`${base}/-/ready`)).status === 200, 'readiness');
    site.sim.addFault({ match: { method: 'DELETE' }, latencyMs: 60_000 });
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stderr()).toContain('did not answer the logout in time');
    site.sim.expireAllSessions();
  });

  it('answers 404 for unknown paths and 405 for wrong methods', async () => {
    const { run, base } = await startDaemon(site, await writeConfig(site, 'routes.yaml'));
    running = run;
    expect((await httpGet(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    // Without --web.enable-lifecycle there is no reload endpoint.
    expect([403, 404, 405]).toContain((await fetch(`${base}/-/reload`, { method: 'POST' })).status);
  });
});

describe('reload of the running daemon', () => {
  let site: Site;
  let run: Running | undefined;
  beforeAll(async () => {
    site = await startSite();
  });
  afterAll(async () => {
    run?.child.kill('SIGKILL');
    await site.close();
  });

  it('swaps a valid config on POST /-/reload and SIGHUP, and keeps the running one when the new one is invalid', async () => {
    const file = await writeConfig(site, 'reload.yaml');
    const started = startExporter(
      [`--config.file=${file}`, '--web.listen-address=127.0.0.1:0', '--web.enable-lifecycle'],
      {
        VEEAM_EM_PASSWORD: PASSWORD,
      },
    );
    run = started;
    const listening = await started.waitForLog((l) => l.msg === 'listening');
    const base = `http://${String(listening.address)}`;
    await waitUntil(async () => (await httpGet(`${base}/-/ready`)).status === 200, 'readiness');
    const metrics = async () => (await httpGet(`${base}/metrics`)).body;
    expect(sample(await metrics(), 'veeam_em_backup_restore_points', { backup_id: BACKUPS.weekly })).toBe(2);

    // Invalid: the running config stays, and the reload metric says so.
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replace('backups:', 'backupz:'));
    const refused = await fetch(`${base}/-/reload`, { method: 'POST' });
    expect(refused.status).toBe(500);
    expect(await refused.text()).toContain('backupz');
    let text = await metrics();
    expect(sample(text, 'veeam_em_exporter_config_last_reload_successful')).toBe(0);
    expect(sample(text, 'veeam_em_backup_restore_points', { backup_id: BACKUPS.weekly })).toBe(2);

    // Valid, without the weekly backup: its series vanish at once, the session is kept.
    await writeFile(file, original.replace(`      - ${BACKUPS.weekly}\n`, ''));
    expect((await fetch(`${base}/-/reload`, { method: 'POST' })).status).toBe(200);
    text = await metrics();
    expect(sample(text, 'veeam_em_exporter_config_last_reload_successful')).toBe(1);
    expect(text).not.toContain(BACKUPS.weekly);
    expect(site.sim.sessions()).toHaveLength(1);

    // SIGHUP does the same: the weekly backup comes back and is polled at once.
    await writeFile(file, original);
    started.child.kill('SIGHUP');
    await waitUntil(
      async () => sample(await metrics(), 'veeam_em_backup_restore_points', { backup_id: BACKUPS.weekly }) === 2,
      'the SIGHUP reload',
    );

    // A new schedule reaches the HELP texts and the status page.
    await writeFile(file, `poll:\n  schedule: "*/7 * * * *"\n${original}`);
    expect((await fetch(`${base}/-/reload`, { method: 'POST' })).status).toBe(200);
    expect(await metrics()).toContain('(schedule "*/7 * * * *")');
    expect((await httpGet(`${base}/`)).body).toContain('*/7 * * * *');
  });
});
