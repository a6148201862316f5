/**
 * The exporter in a real monitoring stack, all on loopback and all started here: two simulated
 * Enterprise Managers (in this process), the built exporter polling them every second, Prometheus
 * 2.42+ scraping it every second and evaluating the shipped alerting rules (rendered with short
 * `for:` durations, nothing else changed), and Alertmanager receiving the alerts. Everything is
 * checked through the HTTP APIs an operator would use.
 *
 * The tests run in the order written (vitest's default within a file). The last one stops an
 * Enterprise Manager, so the ones before it see a healthy em02.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { defaultRulesPath, renderRules } from '../../deploy/prometheus/render-rules.mjs';
import { EmSimulator, type SimBackup } from '../../src/simulator/index.js';
import { dashboardQueries, type DashboardQuery } from '../deploy/dashboard-queries.js';
import { AlertmanagerApi, PrometheusApi, type AmAlert, type InstantSample, type PromAlert } from './apis.js';
import { check, eventually, freePort, Proc, requireTools, truncate } from './stack.js';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** Short enough for a test run, long enough that "pending" is a real state between evaluations. */
const RULE_FOR = '3s';
const RULE_KEEP_FIRING_FOR = '5s';
const JOB = 'veeam-em';

const USER = 'EM01\\svc_monitor';
const PASSWORD = 'e2e-secret';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const IDS = {
  daily: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
  hourly: '3c9e2a41-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
  weekly: '7b6a400c-452c-41d1-bb81-ea682e89492d',
  stale: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
  empty: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
  /** Configured on em01, unknown to it. */
  unknown: 'deadbeef-0000-4000-8000-000000000000',
  /** The one backup of em02. */
  branch: '2b4d6f80-1a3c-4e5f-9b7d-0e2c4a6f8d1b',
  /** A fresh job on em01 with one machine that has failed for three days. */
  vmJob: '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9',
} as const;

const STALE_NAME = 'File Server "FS01" & Archive';

function em01Backups(now: number): SimBackup[] {
  return [
    {
      id: IDS.daily,
      name: 'Daily VM Backup',
      restorePoints: [now - 5 * HOUR, now - 29 * HOUR, now - 53 * HOUR],
      vms: [{ name: 'web-01' }, { name: 'web-02' }],
    },
    {
      id: IDS.hourly,
      name: 'Hourly SQL Backup',
      platform: 'HyperV',
      backupServer: 'vbr02.example.local',
      repository: 'SOBR Performance Tier',
      restorePoints: Array.from({ length: 24 }, (_, i) => now - 30 * 60_000 - i * HOUR),
    },
    // Two days old: stale against the 26h default, fresh against its own 8d RPO.
    {
      id: IDS.weekly,
      name: 'Weekly Archive',
      repository: 'Archive Repository',
      restorePoints: [now - 2 * DAY, now - 9 * DAY],
    },
    // Stale as a whole: its machines are as old, and must not page on top of the backup alert.
    {
      id: IDS.stale,
      name: STALE_NAME,
      restorePoints: [now - 3 * DAY, now - 4 * DAY, now - 5 * DAY],
      vms: [{ name: 'fs-01' }, { name: 'fs-02' }],
    },
    {
      id: IDS.vmJob,
      name: 'SQL Cluster Backup',
      restorePoints: [now - 3 * HOUR, now - 27 * HOUR, now - 51 * HOUR, now - 75 * HOUR],
      vms: [{ name: 'sql-01' }, { name: 'db-03', inRestorePoints: [now - 75 * HOUR] }],
    },
    { id: IDS.empty, name: 'New Agent Backup', platform: 'AgentForLinux', restorePoints: [] },
  ];
}

function em02Backups(now: number): SimBackup[] {
  return [
    {
      id: IDS.branch,
      name: 'Branch Office VMs',
      backupServer: 'vbr-branch.example.local',
      restorePoints: [now - 2 * HOUR, now - 26 * HOUR],
    },
  ];
}

/** The README's Metrics table, per-backup series: which exist for a backup with points, without points, and one EM does not know. */
const PER_BACKUP = [
  'veeam_em_backup_restore_points',
  'veeam_em_backup_newest_restore_point_timestamp_seconds',
  'veeam_em_backup_newest_restore_point_age_seconds',
  'veeam_em_backup_oldest_restore_point_timestamp_seconds',
  'veeam_em_backup_rpo_seconds',
  'veeam_em_backup_poll_success',
  'veeam_em_backup_last_success_timestamp_seconds',
  'veeam_em_backup_info',
];
const WITHOUT_POINTS = PER_BACKUP.filter((name) => !/_(newest|oldest)_restore_point_/.test(name));
// Never polled successfully: no count, no timestamps, no metadata; only the objective and the failure.
const NEVER_POLLED = ['veeam_em_backup_poll_success', 'veeam_em_backup_rpo_seconds'];

interface Expected {
  em: string;
  name: string;
  series: string[];
  rpoSeconds: number;
  points?: number;
  sim?: SimBackup;
}

/**
 * Dashboard queries that may legitimately return nothing in a run of a minute or two. Keep this
 * list empty unless a query needs data that cannot exist yet (say, a counter that only an
 * hours-long run increments), and say why next to each entry: `panelId/refId`.
 */
const DASHBOARD_EXCEPTIONS = new Map<string, string>([]);

describe('the exporter in a real Prometheus + Alertmanager stack', () => {
  const tools = requireTools(['prometheus', 'promtool', 'prometheus-alertmanager', 'amtool']);
  let dir: string;
  const sims: EmSimulator[] = [];
  let em02: EmSimulator;
  const procs: Proc[] = [];
  let exporter: Proc;
  let exporterAddress: string;
  let prom: PrometheusApi;
  let am: AlertmanagerApi;
  let promStartedS: number;
  const expected = new Map<string, Expected>();

  const diagnostics = (): string => procs.map((p) => p.describe()).join('\n\n');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vee-e2e-'));
    const now = Date.now();

    const em01 = new EmSimulator({ users: [{ username: USER, password: PASSWORD }], backups: em01Backups(now) });
    em02 = new EmSimulator({ users: [{ username: USER, password: PASSWORD }], backups: em02Backups(now) });
    sims.push(em01, em02);
    const [site1, site2] = [await em01.start(), await em02.start()];
    const caFile = join(dir, 'em-ca.pem');
    await writeFile(caFile, site1.caPem + (site2.caPem === site1.caPem ? '' : site2.caPem));

    const rpo: Record<string, number> = { [IDS.hourly]: 2 * 3600, [IDS.weekly]: 8 * 86400 };
    for (const backup of em01Backups(now)) {
      expected.set(backup.id, {
        em: 'em01',
        name: backup.name,
        series: backup.restorePoints.length > 0 ? PER_BACKUP : WITHOUT_POINTS,
        rpoSeconds: rpo[backup.id] ?? 26 * 3600,
        points: backup.restorePoints.length,
        sim: backup,
      });
    }
    expected.set(IDS.unknown, { em: 'em01', name: IDS.unknown, series: NEVER_POLLED, rpoSeconds: 26 * 3600 });
    for (const backup of em02Backups(now)) {
      expected.set(backup.id, {
        em: 'em02',
        name: backup.name,
        series: PER_BACKUP,
        rpoSeconds: 26 * 3600,
        points: backup.restorePoints.length,
        sim: backup,
      });
    }

    const emEntry = (name: string, url: string, backups: unknown[], extra: Record<string, unknown> = {}) => ({
      name,
      url,
      username: USER,
      password: '${VEEAM_EM_PASSWORD}',
      tls: { caFile },
      backups,
      ...extra,
    });
    const exporterConfig = join(dir, 'exporter.yaml');
    await writeFile(
      exporterConfig,
      stringify({
        // Six fields: every second, so a minute of test sees dozens of cycles. A generous timeout
        // and one retry, so a busy CI machine does not turn a slow answer into a failed poll (and
        // a healthy backup into a pending VeeamBackupPollFailing); a stopped EM refuses at once.
        poll: { schedule: '* * * * * *', timeout: '10s', retries: 1 },
        defaults: { rpo: '26h' },
        enterpriseManagers: [
          emEntry(
            'em01',
            site1.url,
            [
              IDS.daily,
              { id: IDS.hourly, rpo: '2h' },
              { id: IDS.weekly, rpo: '8d' },
              IDS.stale,
              IDS.empty,
              IDS.unknown,
              IDS.vmJob,
            ],
            { vms: {} },
          ),
          emEntry('em02', site2.url, [IDS.branch]),
        ],
      }),
    );
    exporter = new Proc(
      'veeam-em-exporter',
      process.execPath,
      [MAIN, `--config.file=${exporterConfig}`, '--web.listen-address=127.0.0.1:0'],
      {
        VEEAM_EM_PASSWORD: PASSWORD,
      },
    );
    procs.push(exporter);
    exporterAddress = await eventually(
      'the exporter to log "listening"',
      async () => {
        if (!exporter.running) throw new Error('the exporter exited');
        const line = exporter
          .tail(Infinity)
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { msg?: string; address?: string })
          .find((l) => l.msg === 'listening');
        return { value: line?.address, seen: exporter.tail() };
      },
      { timeoutMs: 20_000, intervalMs: 100, diagnostics },
    );

    const [amPort, promPort] = [await freePort(), await freePort()];

    const amConfig = join(dir, 'alertmanager.yml');
    await writeFile(
      amConfig,
      stringify({
        route: {
          receiver: 'nowhere',
          group_by: ['alertname', 'em'],
          group_wait: '1s',
          group_interval: '1s',
          repeat_interval: '1h',
        },
        receivers: [{ name: 'nowhere' }],
      }),
    );
    const rulesFile = join(dir, 'veeam-em-alerts.yml');
    await writeFile(
      rulesFile,
      renderRules(await readFile(defaultRulesPath, 'utf8'), { for: RULE_FOR, keepFiringFor: RULE_KEEP_FIRING_FOR }),
    );
    const promConfig = join(dir, 'prometheus.yml');
    await writeFile(
      promConfig,
      stringify({
        global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        rule_files: [rulesFile],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
        scrape_configs: [{ job_name: JOB, static_configs: [{ targets: [exporterAddress] }] }],
      }),
    );
    // The same checks docs/monitoring-stack.md tells operators to run; a failure here reads better than a dead process.
    for (const [tool, args] of [
      [tools.promtool, ['check', 'config', promConfig]],
      [tools.amtool, ['check-config', amConfig]],
    ] as const) {
      const result = check(tool, args);
      expect(result.code, `${tool} ${args.join(' ')}:\n${result.output}`).toBe(0);
    }

    procs.push(
      new Proc('alertmanager', tools['prometheus-alertmanager'], [
        `--config.file=${amConfig}`,
        `--storage.path=${join(dir, 'alertmanager-data')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        // Empty: no cluster, so it does not try to gossip with peers.
        '--cluster.listen-address=',
      ]),
    );
    promStartedS = Date.now() / 1000;
    procs.push(
      new Proc('prometheus', tools.prometheus, [
        `--config.file=${promConfig}`,
        `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ]),
    );
    prom = new PrometheusApi(`http://127.0.0.1:${promPort}`);
    am = new AlertmanagerApi(`http://127.0.0.1:${amPort}`);
    await eventually(
      'Alertmanager and Prometheus to be ready',
      async () => {
        for (const p of procs) if (!p.running) throw new Error(`${p.name} exited`);
        const ready = (await am.ready()) && (await prom.ready());
        return { value: ready ? true : undefined, seen: 'not ready yet' };
      },
      { timeoutMs: 30_000, diagnostics },
    );
  });

  afterAll(async () => {
    // Reverse order: Prometheus first, the exporter last (it logs out of the EMs on SIGTERM).
    for (const p of [...procs].reverse()) {
      try {
        await p.stop();
      } catch (error) {
        console.error(`stopping ${p.name} failed:`, error);
      }
    }
    for (const sim of sims) await sim.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** Waits until Prometheus shows `alertname` for the series matching `labels` in one of `states`. */
  async function promAlert(
    alertname: string,
    labels: Record<string, string>,
    states: ReadonlyArray<PromAlert['state']> = ['firing'],
  ): Promise<PromAlert> {
    return eventually(
      `Prometheus to show ${alertname} ${JSON.stringify(labels)} as ${states.join(' or ')}`,
      async () => {
        const alerts = await prom.alerts();
        const hit = alerts.find(
          (a) => a.labels.alertname === alertname && states.includes(a.state) && matches(a.labels, labels),
        );
        return { value: hit, seen: alerts };
      },
      { diagnostics },
    );
  }

  async function amAlert(alertname: string, labels: Record<string, string>): Promise<AmAlert> {
    return eventually(
      `Alertmanager to receive ${alertname} ${JSON.stringify(labels)}`,
      async () => {
        const alerts = await am.alerts();
        const hit = alerts.find(
          (a) => a.labels.alertname === alertname && a.status.state === 'active' && matches(a.labels, labels),
        );
        return { value: hit, seen: alerts };
      },
      { diagnostics },
    );
  }

  it('has every per-backup series of every backup in Prometheus, with the values and names EM holds', async () => {
    const byBackup = await eventually(
      'every expected per-backup series to be scraped',
      async () => {
        const samples = await prom.query(`{__name__=~"veeam_em_backup_.+", job="${JOB}"}`);
        const found = groupByBackup(samples);
        const missing = [...expected].flatMap(([id, want]) =>
          want.series.filter((name) => !found.get(id)?.has(name)).map((name) => `${name}{backup_id="${id}"}`),
        );
        return {
          value: missing.length === 0 ? found : undefined,
          seen: { missing, scraped: [...found].map(([id, names]) => [id, [...names].sort()]) },
        };
      },
      { diagnostics },
    );
    // Exactly these: nothing for backups the config does not hold, no timestamps without restore points.
    expect([...byBackup.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, want] of expected)
      expect([...byBackup.get(id)!].sort(), `series of ${want.name} (${id})`).toEqual([...want.series].sort());

    const samples = await prom.query(`{__name__=~"veeam_em_backup_.+", job="${JOB}"}`);
    for (const s of samples) {
      const want = expected.get(s.metric.backup_id!)!;
      // The exporter sets neither job nor instance; a clash would show up as exported_* labels.
      expect(s.metric, `labels of ${s.metric.__name__}`).toMatchObject({
        job: JOB,
        instance: exporterAddress,
        em: want.em,
        backup_name: want.name,
      });
      expect(Object.keys(s.metric).filter((k) => k.startsWith('exported_'))).toEqual([]);
    }
    const value = (name: string, id: string): number | undefined => {
      const s = samples.find((x) => x.metric.__name__ === name && x.metric.backup_id === id);
      return s === undefined ? undefined : Number(s.value[1]);
    };
    for (const [id, want] of expected) {
      expect(value('veeam_em_backup_rpo_seconds', id), `RPO of ${want.name}`).toBe(want.rpoSeconds);
      expect(value('veeam_em_backup_poll_success', id), `poll success of ${want.name}`).toBe(
        want.sim === undefined ? 0 : 1,
      );
      if (want.sim === undefined) continue;
      expect(value('veeam_em_backup_restore_points', id), `restore points of ${want.name}`).toBe(want.points);
      if (want.sim.restorePoints.length > 0) {
        expect(value('veeam_em_backup_newest_restore_point_timestamp_seconds', id)).toBe(
          Math.max(...want.sim.restorePoints) / 1000,
        );
        expect(value('veeam_em_backup_oldest_restore_point_timestamp_seconds', id)).toBe(
          Math.min(...want.sim.restorePoints) / 1000,
        );
      }
      const info = samples.find((x) => x.metric.__name__ === 'veeam_em_backup_info' && x.metric.backup_id === id)!;
      expect(info.metric).toMatchObject({
        platform: want.sim.platform ?? 'VMware',
        backup_server: want.sim.backupServer ?? 'vbr01.example.local',
        repository: want.sim.repository ?? 'Default Backup Repository',
      });
    }
  });

  it("fires VeeamBackupRestorePointTooOld for the stale backup and Alertmanager receives it with the backup's name", async () => {
    const alert = await promAlert('VeeamBackupRestorePointTooOld', { backup_id: IDS.stale });
    expect(alert.labels).toMatchObject({ em: 'em01', backup_name: STALE_NAME, severity: 'critical', job: JOB });
    // The description's template queries the RPO from this Prometheus: 26h.
    expect(alert.annotations.description).toContain('its RPO is 1d 2h');
    expect(alert.annotations.summary).toBe(`Backup ${STALE_NAME} on em01 has missed its RPO`);
    expect(Number(alert.value)).toBeGreaterThan(3 * 86400);

    const received = await amAlert('VeeamBackupRestorePointTooOld', { backup_id: IDS.stale });
    expect(received.labels).toMatchObject({ em: 'em01', backup_name: STALE_NAME, severity: 'critical' });
    expect(received.annotations.runbook_url).toBe('docs/alerts.md#veeambackuprestorepointtooold');
  });

  it('fires VeeamBackupNoRestorePoints for the backup without restore points', async () => {
    const rules = await prom.alertingRules();
    const rule = rules.find((r) => r.name === 'VeeamBackupNoRestorePoints');
    expect(rule, `alerting rules loaded: ${rules.map((r) => r.name).join(', ')}`).toBeDefined();
    expect(rule!.health).toBe('ok');

    const alert = await promAlert('VeeamBackupNoRestorePoints', { backup_id: IDS.empty });
    expect(alert.labels).toMatchObject({ em: 'em01', backup_name: 'New Agent Backup', severity: 'critical' });
    await amAlert('VeeamBackupNoRestorePoints', { backup_id: IDS.empty });

    const alerts = await prom.alerts();
    const others = alerts.filter(
      (a) => a.labels.alertname === 'VeeamBackupNoRestorePoints' && a.labels.backup_id !== IDS.empty,
    );
    expect(others, 'only the empty backup has no restore points').toEqual([]);
  });

  it('fires VeeamVmRestorePointTooOld once for the failing machine of a fresh job, and never per machine of a backup stale as a whole', async () => {
    const alert = await promAlert('VeeamVmRestorePointTooOld', { backup_id: IDS.vmJob, vm_name: 'db-03' });
    expect(alert.labels).toMatchObject({ em: 'em01', backup_name: 'SQL Cluster Backup', severity: 'critical' });
    // A machine's point is created a little after its restore point, 75 h ago.
    expect(Number(alert.value)).toBeGreaterThan(74 * 3600);
    const received = await amAlert('VeeamVmRestorePointTooOld', { backup_id: IDS.vmJob, vm_name: 'db-03' });
    expect(received.annotations.runbook_url).toBe('docs/alerts.md#veeamvmrestorepointtooold');
    // The whole-backup alert fires for the stale backup, and has for a while (the control) ...
    await promAlert('VeeamBackupRestorePointTooOld', { backup_id: IDS.stale });

    // ... while no machine alert was ever pending or firing but db-03's, not even for a moment.
    const sinceStart = `${Math.ceil(Date.now() / 1000 - promStartedS) + 60}s`;
    // ALERTS has a series per state (pending, firing): one per machine is what counts.
    const everVm = await prom.query(
      `max by (backup_id, vm_name) (max_over_time(ALERTS{alertname="VeeamVmRestorePointTooOld"}[${sinceStart}]))`,
    );
    expect(everVm.map((s) => `${s.metric.backup_id}/${s.metric.vm_name}`)).toEqual([`${IDS.vmJob}/db-03`]);
    expect(
      (await am.alerts())
        .filter((a) => a.labels.alertname === 'VeeamVmRestorePointTooOld')
        .map((a) => a.labels.vm_name),
    ).toEqual(['db-03']);

    // One series per machine, with its count and its newest point to the millisecond.
    const vmSamples = await prom.query(
      `{__name__=~"veeam_em_vm_(restore_points|newest_restore_point_timestamp_seconds)", job="${JOB}"}`,
    );
    const perVm = new Map<string, Record<string, number>>();
    for (const sample of vmSamples) {
      const key = `${sample.metric.backup_id}/${sample.metric.vm_name}`;
      perVm.set(key, { ...perVm.get(key), [sample.metric.__name__!]: Number(sample.value[1]) });
    }
    expect([...perVm.keys()].sort()).toEqual(
      [
        `${IDS.daily}/web-01`,
        `${IDS.daily}/web-02`,
        `${IDS.stale}/fs-01`,
        `${IDS.stale}/fs-02`,
        `${IDS.vmJob}/db-03`,
        `${IDS.vmJob}/sql-01`,
      ].sort(),
    );
    expect(perVm.get(`${IDS.vmJob}/sql-01`)?.veeam_em_vm_restore_points).toBe(4);
    expect(perVm.get(`${IDS.vmJob}/db-03`)?.veeam_em_vm_restore_points).toBe(1);
    const db03Newest = perVm.get(`${IDS.vmJob}/db-03`)?.veeam_em_vm_newest_restore_point_timestamp_seconds ?? 0;
    expect(db03Newest * 1000).toBeGreaterThan(Date.now() - 76 * HOUR);
    expect(db03Newest * 1000).toBeLessThan(Date.now() - 74 * HOUR);
  });

  it('raises nothing, not even pending, for the healthy backups', async () => {
    // Controls: the rules have been evaluated on scraped data long enough for alerts with a
    // backup_id to be pending and firing (the stale one, and the ID EM does not know).
    await promAlert('VeeamBackupRestorePointTooOld', { backup_id: IDS.stale });
    await promAlert('VeeamBackupPollFailing', { backup_id: IDS.unknown });

    const rules = await prom.alertingRules();
    const unhealthy = rules.filter((r) => r.health !== 'ok' || r.lastError);
    expect(unhealthy.map((r) => `${r.name}: ${r.lastError ?? r.health}`)).toEqual([]);

    const healthy = [IDS.daily, IDS.hourly, IDS.weekly, IDS.branch];
    const selector = `ALERTS{backup_id=~"${healthy.join('|')}"}`;
    // ALERTS holds a series for every pending or firing alert at every evaluation: a range over the
    // whole run catches one that came and went between two looks.
    const sinceStart = `${Math.ceil(Date.now() / 1000 - promStartedS) + 60}s`;
    expect(
      await prom.query(`max_over_time(${selector}[${sinceStart}])`),
      'ALERTS for healthy backups at any time since Prometheus started',
    ).toEqual([]);
    expect(
      (await prom.alerts()).filter((a) => healthy.includes(a.labels.backup_id as (typeof healthy)[number])),
    ).toEqual([]);
    expect((await am.alerts()).filter((a) => healthy.includes(a.labels.backup_id as (typeof healthy)[number]))).toEqual(
      [],
    );

    // The same selector does find the stale backup's alert, so an empty answer above is not a typo.
    expect((await prom.query(`ALERTS{backup_id=~"${IDS.stale}"}`)).length).toBeGreaterThan(0);
  });

  it('gives data for every query of the Grafana dashboard', async () => {
    const variableSets: Array<Record<string, string>> = [
      // All EMs and backups; windows sized for a 1 s scrape interval and a short run.
      {
        em: '.*',
        backup_name: '.*',
        __rate_interval: '10s',
        __interval: '1s',
        __range: '5m',
        __range_s: '300',
        __range_ms: '300000',
        __interval_ms: '1000',
      },
      // One EM picked in the variable drop-down.
      {
        em: 'em01',
        backup_name: '.*',
        __rate_interval: '10s',
        __interval: '1s',
        __range: '5m',
        __range_s: '300',
        __range_ms: '300000',
        __interval_ms: '1000',
      },
    ];
    const failures: string[] = [];
    let checked = 0;
    for (const vars of variableSets) {
      for (const q of dashboardQueries(vars)) {
        const key = `${q.panelId}/${q.refId}`;
        if (DASHBOARD_EXCEPTIONS.has(key)) continue;
        checked++;
        try {
          await eventually(
            `data for panel "${q.panelTitle}" ${q.refId} (em=${vars.em})`,
            async () => {
              const answer = await runDashboardQuery(prom, q, promStartedS);
              return { value: answer.finite > 0 ? true : undefined, seen: answer };
            },
            { timeoutMs: 30_000, intervalMs: 1_000 },
          );
        } catch (error) {
          failures.push(
            `panel ${key} "${q.panelTitle}" (em=${vars.em}): ${q.expr}\n  ${truncate((error as Error).message, 1_500)}`,
          );
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2 * 10);
    expect(failures, failures.length === 0 ? '' : `${failures.join('\n')}\n\n${diagnostics()}`).toEqual([]);
  });

  // Last: stops em02, which the tests above expect to be healthy.
  it('makes VeeamEnterpriseManagerDown pending when an Enterprise Manager goes away, and keeps its last values', async () => {
    await eventually(
      'em02 to be up in Prometheus',
      async () => {
        const up = await prom.query('veeam_em_up{em="em02"}');
        return { value: up.length === 1 && up[0]!.value[1] === '1' ? true : undefined, seen: up };
      },
      { diagnostics },
    );
    expect((await prom.alerts()).filter((a) => a.labels.alertname === 'VeeamEnterpriseManagerDown')).toEqual([]);

    await em02.stop();

    const alert = await promAlert('VeeamEnterpriseManagerDown', { em: 'em02' }, ['pending', 'firing']);
    expect(alert.labels).toMatchObject({ severity: 'warning', job: JOB, instance: exporterAddress });
    expect(Number(alert.value)).toBe(0);

    expect(valuesOf(await prom.query('veeam_em_up'))).toEqual({ em01: '1', em02: '0' });
    const down = (await prom.alerts()).filter((a) => a.labels.alertname === 'VeeamEnterpriseManagerDown');
    expect(down.map((a) => a.labels.em)).toEqual(['em02']);
    // A failed poll keeps the count of the last success; only poll_success says it failed.
    expect((await prom.query(`veeam_em_backup_restore_points{backup_id="${IDS.branch}"}`))[0]?.value[1]).toBe('2');
    expect((await prom.query(`veeam_em_backup_poll_success{backup_id="${IDS.branch}"}`))[0]?.value[1]).toBe('0');
  });
});

function matches(actual: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => actual[k] === v);
}

function groupByBackup(samples: InstantSample[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const s of samples) {
    const id = s.metric.backup_id;
    if (id === undefined) continue;
    let names = out.get(id);
    if (names === undefined) out.set(id, (names = new Set()));
    names.add(s.metric.__name__!);
  }
  return out;
}

function valuesOf(samples: InstantSample[]): Record<string, string> {
  return Object.fromEntries(samples.map((s) => [s.metric.em ?? '', s.value[1]]));
}

/** Runs a dashboard query the way its panel does; counts the finite values it returned. */
async function runDashboardQuery(
  prom: PrometheusApi,
  q: DashboardQuery,
  sinceS: number,
): Promise<{ series: number; finite: number; sample?: unknown }> {
  if (q.instant) {
    const result = await prom.query(q.expr);
    return {
      series: result.length,
      finite: result.filter((s) => Number.isFinite(Number(s.value[1]))).length,
      sample: result[0],
    };
  }
  const end = Date.now() / 1000;
  const start = Math.max(sinceS, end - 120);
  const result = await prom.queryRange(q.expr, start, end, 1);
  const finite = result.reduce((n, s) => n + s.values.filter(([, v]) => Number.isFinite(Number(v))).length, 0);
  return { series: result.length, finite, sample: result[0] };
}
