/**
 * Faults where the process matters: the real binary (dist/main.js), its HTTP endpoints and signals.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmSimulator } from '../../src/simulator/index.js';
import { siteBackups } from '../integration/harness.js';
import { MAIN, httpGet, startExporter, waitUntil, type Running } from '../integration/process.js';
import { BACKUPS, PASSWORD, USER, reservePort, sample, site, type Site } from './harness.js';

let running: Running | undefined;
afterEach(() => {
  running?.child.kill('SIGKILL');
  running = undefined;
});

/** A config for em01 at `url` and em02 at a healthy simulator; `schedule` every second unless told. */
async function writeConfig(healthy: Site, em01Url: string, schedule = '* * * * * *'): Promise<string> {
  const file = join(healthy.dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  const em = (name: string, url: string) => [
    `  - name: ${name}`,
    `    url: ${url}`,
    `    username: '${USER}'`,
    '    password: ${VEEAM_EM_PASSWORD}',
    '    tls:',
    `      caFile: ${healthy.caFile}`,
    '    backups:',
    `      - ${BACKUPS.daily}`,
    `      - ${BACKUPS.hourly}`,
  ];
  await writeFile(
    file,
    [
      'poll:',
      `  schedule: "${schedule}"`,
      '  timeout: 20s',
      '  retries: 0',
      'enterpriseManagers:',
      ...em('em01', em01Url),
      ...em('em02', healthy.started.url),
      '',
    ].join('\n'),
  );
  return file;
}

async function start(file: string, extraFlags: string[] = []): Promise<{ run: Running; base: string }> {
  const run = startExporter([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0', ...extraFlags], {
    VEEAM_EM_PASSWORD: PASSWORD,
  });
  running = run;
  const listening = await run.waitForLog((l) => l.msg === 'listening');
  return { run, base: `http://${String(listening.address)}` };
}

const metrics = async (base: string) => (await httpGet(`${base}/metrics`)).body;

/** Resolves with what `promise` gave, or rejects once `ms` have passed: a deadline, not a measurement. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))),
  ]);
}

/** The binary logs level labels, not numbers. */
const isWarning = (line: Record<string, unknown>): boolean => line.level === 'warn' || line.level === 'error';

function expectNoStackTraces(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at |"stack"|RequestError|"options":/);
  expect(stderr).not.toContain(PASSWORD);
}

describe('faults: the running binary', () => {
  it(
    'EM down at start-up: the process serves at once, veeam_em_up 0, and recovers by itself once EM listens',
    { timeout: 90_000 },
    async () => {
      const healthy = await site();
      const port = await reservePort();
      const { run, base } = await start(await writeConfig(healthy, `https://127.0.0.1:${port}`));

      expect((await httpGet(`${base}/-/healthy`)).status).toBe(200);
      await waitUntil(
        async () => (await httpGet(`${base}/-/ready`)).status === 200,
        'readiness after the first, failed cycle',
      );
      let text = await metrics(base);
      expect(sample(text, 'veeam_em_up', { em: 'em01' })).toBe(0);
      expect(sample(text, 'veeam_em_up', { em: 'em02' })).toBe(1);
      expect(sample(text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: BACKUPS.daily })).toBe(0);
      expect(sample(text, 'veeam_em_backup_poll_success', { em: 'em02', backup_id: BACKUPS.daily })).toBe(1);
      expect(sample(text, 'veeam_em_poll_errors_total', { em: 'em01', reason: 'network' })).toBeGreaterThanOrEqual(2);
      const page = (await httpGet(`${base}/`)).body;
      expect(page).toMatch(/<b>em01<\/b> <span class="down">down<\/span>/);
      expect(page).toMatch(/connection failed \(ECONNREFUSED/);

      // EM comes up on that port; no restart, no reload.
      const sim = new EmSimulator({ port, users: [{ username: USER, password: PASSWORD }], backups: siteBackups() });
      await sim.start();
      try {
        await waitUntil(
          async () => sample(await metrics(base), 'veeam_em_up', { em: 'em01' }) === 1,
          'em01 to recover',
          60_000,
        );
        text = await metrics(base);
        expect(sample(text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: BACKUPS.daily })).toBe(1);
        expect(sample(text, 'veeam_em_backup_restore_points', { em: 'em01', backup_id: BACKUPS.hourly })).toBe(24);
        expect(sim.sessions()).toHaveLength(1);

        // While down, each cycle said once for the whole EM why; the logon itself was not retried every second.
        const lines = run
          .stderr()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const failedLogons = lines.filter(
          (l) => l.em === 'em01' && l.backup_id === undefined && l.polls_failed === undefined && isWarning(l),
        );
        const cycleSummaries = lines.filter((l) => l.em === 'em01' && l.polls_failed !== undefined && isWarning(l));
        expect(lines.filter((l) => l.em === 'em01' && l.backup_id !== undefined && isWarning(l))).toEqual([]);
        for (const l of cycleSummaries)
          expect(String(l.msg)).toMatch(
            /ECONNREFUSED.*; 2 polls of this cycle failed without reaching EM \(2 network\)$/,
          );
        const cycles = lines.filter((l) => l.em === 'em01' && l.msg === 'poll cycle finished' && l.failed === 2).length;
        expect(failedLogons.length).toBeGreaterThanOrEqual(1);
        expect(cycles).toBeGreaterThan(failedLogons.length);
        expect(cycleSummaries.length).toBe(cycles);
        for (const l of failedLogons) expect(String(l.msg)).toMatch(/ECONNREFUSED.*not logging on again for 30s/);
        expect(lines.filter((l) => l.em === 'em02' && isWarning(l))).toEqual([]);
        expectNoStackTraces(run.stderr());

        run.child.kill('SIGTERM');
        expect(await within(5_000, run.exited, 'exit after SIGTERM')).toEqual({ code: 0, signal: null });
        expect(sim.openSessionCount()).toBe(0);
        expect(healthy.sim.openSessionCount()).toBe(0);
      } finally {
        await sim.stop();
      }
    },
  );

  it('SIGINT logs out of every EM within 5 s and exits 0', async () => {
    const a = await site();
    const b = await site();
    const { run, base } = await start(await writeConfig(b, a.started.url, '*/5 * * * *'));
    await waitUntil(async () => (await httpGet(`${base}/-/ready`)).status === 200, 'readiness');
    expect(a.sim.openSessionCount()).toBe(1);
    expect(b.sim.openSessionCount()).toBe(1);
    run.child.kill('SIGINT');
    expect(await within(5_000, run.exited, 'exit after SIGINT')).toEqual({ code: 0, signal: null });
    for (const s of [a, b]) expect(s.sim.sessions().map((x) => x.endedBy)).toEqual(['logout']);
    expectNoStackTraces(run.stderr());
  });

  it('SIGTERM while a poll waits on a slow EM: still logs out within 5 s and exits 0', async () => {
    const slow = await site();
    const healthy = await site();
    // The first cycle's restore-point requests to em01 are held far longer than the shutdown deadline.
    slow.sim.addFault({ match: { path: /\/restorePoints$/ }, latencyMs: 15_000 });
    const { run } = await start(await writeConfig(healthy, slow.started.url, '*/5 * * * *'));
    await waitUntil(
      () => slow.sim.requests().some((q) => q.status === 0),
      'a restore-point request held by EM',
      10_000,
    );
    await waitUntil(() => healthy.sim.openSessionCount() === 1, 'the healthy EM polled', 10_000);

    run.child.kill('SIGTERM');
    expect(await within(5_000, run.exited, 'exit after SIGTERM')).toEqual({ code: 0, signal: null });
    expect(slow.sim.sessions().map((x) => x.endedBy)).toEqual(['logout']);
    expect(healthy.sim.sessions().map((x) => x.endedBy)).toEqual(['logout']);
    expect(run.stderr()).not.toContain('did not answer the logout in time');
    // The abandoned cycle says once why it ended, without a warning per backup nor sending anyone to check DNS or firewalls.
    const lines = run
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.em === 'em01' && isWarning(l))).toEqual([]);
    const cancelled = lines.filter((l) => l.em === 'em01' && l.backups_not_polled !== undefined);
    expect(cancelled.map((l) => l.msg)).toEqual([
      "poll cycle cancelled with 2 of 2 backups not polled: the exporter is stopping or a reload replaced this EM's settings",
    ]);
    expect(
      lines
        .filter((l) => l.msg === 'logged out of EM')
        .map((l) => l.em)
        .sort(),
    ).toEqual(['em01', 'em02']);
    expectNoStackTraces(run.stderr());
  });

  it(
    'POST /-/reload that changes poll: answers at once while an EM hangs, and the healthy EM keeps polling',
    { timeout: 60_000 },
    async () => {
      const slow = await site();
      const healthy = await site();
      slow.sim.addFault({ match: { path: /\/restorePoints$/ }, latencyMs: 15_000 });
      const file = await writeConfig(healthy, slow.started.url, '*/2 * * * * *');
      const { run, base } = await start(file, ['--web.enable-lifecycle']);
      await waitUntil(
        () => slow.sim.requests().some((q) => q.status === 0),
        'a restore-point request held by em01',
        10_000,
      );

      await writeFile(file, (await readFile(file, 'utf8')).replace('timeout: 20s', 'timeout: 19s'));
      const reply = await within(3_000, fetch(`${base}/-/reload`, { method: 'POST' }), 'the reload answer');
      expect(reply.status).toBe(200);
      const polled = healthy.sim.requests().filter((q) => q.url.includes('/restorePoints')).length;
      await waitUntil(
        () => healthy.sim.requests().filter((q) => q.url.includes('/restorePoints')).length > polled,
        'em02 polled after the reload',
        10_000,
      );

      run.child.kill('SIGTERM');
      expect(await within(5_000, run.exited, 'exit after SIGTERM')).toEqual({ code: 0, signal: null });
      expect(slow.sim.openSessionCount()).toBe(0);
      expect(healthy.sim.openSessionCount()).toBe(0);
      expectNoStackTraces(run.stderr());
    },
  );

  it(
    'SIGTERM right after a reload while an EM hangs: every session opened, old and new, is logged out',
    { timeout: 60_000 },
    async () => {
      const slow = await site();
      const healthy = await site();
      slow.sim.addFault({ match: { path: /\/restorePoints$/ }, latencyMs: 15_000 });
      const file = await writeConfig(healthy, slow.started.url, '*/5 * * * *');
      const { run } = await start(file);
      await waitUntil(
        () => slow.sim.requests().some((q) => q.status === 0),
        'a restore-point request held by em01',
        10_000,
      );
      await waitUntil(() => healthy.sim.openSessionCount() === 1, 'the healthy EM polled', 10_000);

      await writeFile(file, (await readFile(file, 'utf8')).replace('timeout: 20s', 'timeout: 19s'));
      run.child.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 300));
      run.child.kill('SIGTERM');
      expect(await within(5_000, run.exited, 'exit after SIGTERM')).toEqual({ code: 0, signal: null });
      expect(slow.sim.sessions().length).toBeGreaterThanOrEqual(1);
      expect(slow.sim.openSessionCount()).toBe(0);
      expect(healthy.sim.openSessionCount()).toBe(0);
      expect(run.stderr()).not.toContain('did not answer the logout in time');
      expectNoStackTraces(run.stderr());
    },
  );

  it('SIGTERM while the logon is still waiting on EM: the session it opens is logged out within 5 s', async () => {
    const slow = await site();
    const healthy = await site();
    slow.sim.addFault({ match: { method: 'POST' }, latencyMs: 1_500 });
    const { run } = await start(await writeConfig(healthy, slow.started.url, '*/5 * * * *'));
    await waitUntil(() => slow.sim.requests().some((q) => q.status === 0), 'a logon held by em01', 10_000);
    run.child.kill('SIGTERM');
    expect(await within(5_000, run.exited, 'exit after SIGTERM')).toEqual({ code: 0, signal: null });
    expect(slow.sim.sessions().map((x) => x.endedBy)).toEqual(['logout']);
    expect(healthy.sim.openSessionCount()).toBe(0);
  });
});

/** Whether the process has a handler for SIGHUP yet (bit 0 of SigCgt). */
async function catchesSighup(pid: number): Promise<boolean> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    return mask !== undefined && (BigInt(`0x${mask}`) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** Waits until the process handles SIGHUP at all, or `ms` at the latest: the first instant a signal can be survived. */
async function firstInstant(pid: number, ms = 300): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !(await catchesSighup(pid))) await new Promise((r) => setTimeout(r, 2));
}

describe('faults: signals from the first instant', () => {
  it('a SIGHUP before the config is loaded is logged, applied once start-up is done, and kills nothing', async () => {
    const healthy = await site();
    const run = startExporter(
      [
        `--config.file=${await writeConfig(healthy, healthy.started.url, '*/5 * * * *')}`,
        '--web.listen-address=127.0.0.1:0',
      ],
      {
        VEEAM_EM_PASSWORD: PASSWORD,
      },
    );
    running = run;
    await firstInstant(run.child.pid!);
    run.child.kill('SIGHUP');
    await run.waitForLog((l) => l.msg === 'SIGHUP during start-up: the config is reloaded once start-up is done');
    await run.waitForLog((l) => l.msg === 'config reloaded');
    await waitUntil(() => healthy.sim.openSessionCount() === 2, 'both EMs logged on', 10_000);
    run.child.kill('SIGTERM');
    expect(await within(5_000, run.exited, 'exit after SIGTERM')).toEqual({ code: 0, signal: null });
    expect(healthy.sim.openSessionCount()).toBe(0);
  });

  it('a SIGTERM before the config is loaded ends start-up cleanly: exit 0, nothing polled', async () => {
    const healthy = await site();
    const run = startExporter(
      [
        `--config.file=${await writeConfig(healthy, healthy.started.url, '*/5 * * * *')}`,
        '--web.listen-address=127.0.0.1:0',
      ],
      {
        VEEAM_EM_PASSWORD: PASSWORD,
      },
    );
    running = run;
    await firstInstant(run.child.pid!);
    run.child.kill('SIGTERM');
    expect(await within(5_000, run.exited, 'exit after SIGTERM')).toEqual({ code: 0, signal: null });
    expect(run.stderr()).toContain('stopped during start-up');
    expect(healthy.sim.sessions()).toEqual([]);
  });
});

describe('faults: resource limits at start-up', () => {
  it('too few file descriptors (ulimit -n 64): one clear line, exit 1, no stack trace', async () => {
    const healthy = await site();
    const file = await writeConfig(healthy, healthy.started.url, '*/5 * * * *');
    const child = spawn(
      'sh',
      ['-c', 'ulimit -n 64 && exec "$0" "$1" "--config.file=$2"', process.execPath, MAIN, file],
      {
        env: { PATH: process.env.PATH ?? '', VEEAM_EM_PASSWORD: PASSWORD },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(await within(20_000, exited, 'exit')).toBe(1);
    expect(stderr).toMatch(
      /^veeam-em-exporter: fatal: cannot load the program: .*; the open-file limit is too low \(only \d+ more files could be opened; ulimit -n, systemd LimitNOFILE\): allow at least 1024\n$/,
    );
    expectNoStackTraces(stderr);
  });
});
