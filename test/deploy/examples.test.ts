import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROMTOOL_INSTALL } from './promtool.js';
import { REPO_ROOT, shippedRules } from './rules-file.js';
import { describeWithTool, findTool, run } from './tools.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const PROMETHEUS_CONFIG = join(DEPLOY, 'prometheus/prometheus.yml');
const ALERTMANAGER_CONFIG = join(DEPLOY, 'alertmanager/alertmanager.yml');
const COMPOSE = join(DEPLOY, 'docker-compose.yml');
const SYSTEMD_UNIT = join(DEPLOY, 'systemd/veeam-em-exporter.service');
const AMTOOL_INSTALL = 'install Debian package "prometheus-alertmanager" (apt-get install prometheus-alertmanager)';

// The caller names the shape it reads; a wrong one fails that test's assertions.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
const yamlFile = <T>(path: string): T => parse(readFileSync(path, 'utf8')) as T;
const rules = shippedRules();

interface PrometheusConfig {
  global: { scrape_interval: string };
  rule_files: string[];
  alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
  scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
}
interface ComposeService {
  build?: { context: string; dockerfile: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
}
interface Compose {
  services: Record<string, ComposeService>;
}

const prometheus = yamlFile<PrometheusConfig>(PROMETHEUS_CONFIG);
const compose = yamlFile<Compose>(COMPOSE);
const exporterJob = prometheus.scrape_configs.find((j) => j.job_name === 'veeam-em');

/** `host:container[:ro]` bind mounts of a service, host side resolved against deploy/. */
function bindMounts(service: string): Array<{ host: string; target: string }> {
  return (compose.services[service]?.volumes ?? [])
    .filter((v) => v.startsWith('.'))
    .map((v) => {
      const [host, target] = v.split(':');
      return { host: resolve(DEPLOY, host!), target: target! };
    });
}

function flag(service: string, name: string): string | undefined {
  const prefix = `--${name}=`;
  return compose.services[service]?.command?.find((c) => c.startsWith(prefix))?.slice(prefix.length);
}

describe('prometheus.yml', () => {
  it('scrapes the exporter on :10398 as job veeam-em', () => {
    expect(exporterJob, 'job veeam-em').toBeDefined();
    const target = exporterJob!.static_configs[0]!.targets[0]!;
    expect(target).toMatch(/:10398$/);
  });

  it('loads rule files that exist relative to it', () => {
    expect(prometheus.rule_files).toEqual(['veeam-em-alerts.yml']);
    for (const f of prometheus.rule_files) expect(existsSync(resolve(dirname(PROMETHEUS_CONFIG), f)), f).toBe(true);
  });

  // The shipped VeeamExporterDown watches up{job=~...}; a job it does not match is never watched.
  it('uses a job name the exporter-down alert selects', () => {
    const expr = rules.find((r) => r.alert === 'VeeamExporterDown')!.expr;
    const selector = /job=~"([^"]+)"/.exec(expr)![1]!;
    expect(new RegExp(`^(?:${selector})$`).test(exporterJob!.job_name)).toBe(true);
    expect(new RegExp(`^(?:${selector})$`).test('node')).toBe(false);
  });
});

describeWithTool('promtool', PROMTOOL_INSTALL, 'promtool check config', (promtool) => {
  it('accepts prometheus.yml and finds the alert rules through it', () => {
    const result = run(promtool, ['check', 'config', PROMETHEUS_CONFIG]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS: 1 rule files found');
    expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
  });
});

describe('alertmanager.yml', () => {
  interface AlertmanagerConfig {
    inhibit_rules: Array<{ source_matchers: string[]; target_matchers: string[]; equal: string[] }>;
    receivers: Array<{ name: string }>;
  }
  const am = yamlFile<AlertmanagerConfig>(ALERTMANAGER_CONFIG);
  const alertNames = (matchers: string[]) =>
    matchers.flatMap((m) => {
      const hit = /^alertname=~?"([^"]+)"$/.exec(m);
      return hit === null ? [] : hit[1]!.split('|');
    });
  const severityOf = (alert: string) => rules.find((r) => r.alert === alert)?.labels?.severity;

  it('inhibits only alerts that exist, by alerts that exist', () => {
    expect(am.inhibit_rules.length).toBeGreaterThan(0);
    for (const rule of am.inhibit_rules) {
      const names = [...alertNames(rule.source_matchers), ...alertNames(rule.target_matchers)];
      expect(names.length).toBeGreaterThan(1);
      for (const name of names) expect(severityOf(name), name).toBeDefined();
    }
  });

  it('never lets a warning silence a page', () => {
    for (const rule of am.inhibit_rules) {
      for (const target of alertNames(rule.target_matchers)) expect(severityOf(target), target).toBe('warning');
    }
  });

  // An inhibition whose `equal` labels the alerts lack would silence across EMs and exporters.
  it('inhibits only within the same labels the alerts carry', () => {
    for (const rule of am.inhibit_rules) {
      expect(rule.equal).toEqual(expect.arrayContaining(['job', 'instance']));
    }
  });
});

describeWithTool('amtool', AMTOOL_INSTALL, 'amtool on alertmanager.yml', (amtool) => {
  it('check-config accepts it', () => {
    const result = run(amtool, ['check-config', ALERTMANAGER_CONFIG]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS');
  });

  it('check-config rejects a route to a receiver that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'amtool-'));
    const broken = join(dir, 'alertmanager.yml');
    writeFileSync(broken, readFileSync(ALERTMANAGER_CONFIG, 'utf8').replace('receiver: page', 'receiver: nobody'));
    const result = run(amtool, ['check-config', broken]);
    rmSync(dir, { recursive: true, force: true });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('undefined receiver "nobody"');
  });

  it.each(rules.map((r) => [r.alert, r.labels!.severity!] as const))(
    'routes %s (%s) to the right receiver',
    (alert, severity) => {
      const result = run(amtool, [
        'config',
        'routes',
        'test',
        `--config.file=${ALERTMANAGER_CONFIG}`,
        `alertname=${alert}`,
        `severity=${severity}`,
        'em=em01',
      ]);
      expect(result.code, result.output).toBe(0);
      expect(result.stdout.trim()).toBe(severity === 'critical' ? 'page' : 'ticket');
    },
  );
});

describe('docker-compose.yml', () => {
  it('has the exporter, Prometheus, Alertmanager and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'alertmanager',
      'grafana',
      'prometheus',
      'veeam-em-exporter',
    ]);
  });

  it('builds the exporter from the repository Dockerfile and publishes :10398', () => {
    const exporter = compose.services['veeam-em-exporter']!;
    expect(resolve(DEPLOY, exporter.build!.context)).toBe(resolve(REPO_ROOT));
    expect(existsSync(join(REPO_ROOT, 'package.json'))).toBe(true);
    expect(exporter.build!.dockerfile).toBe('Dockerfile');
    expect(exporter.ports).toContain('10398:10398');
  });

  it('gives the exporter its config and the password from the environment only', () => {
    const configPath = flag('veeam-em-exporter', 'config.file');
    const mount = bindMounts('veeam-em-exporter').find((m) => m.target === configPath);
    expect(mount, `mount for ${configPath}`).toBeDefined();
    const config = readFileSync(mount!.host, 'utf8');
    const password = /password:\s*(\S+)/.exec(config)?.[1];
    expect(password).toBe('${VEEAM_EM_PASSWORD}');
    expect(compose.services['veeam-em-exporter']!.environment?.VEEAM_EM_PASSWORD).toMatch(/^\$\{VEEAM_EM_PASSWORD:\?/);
  });

  it('bind-mounts only files and folders that exist', () => {
    for (const service of Object.keys(compose.services)) {
      for (const { host } of bindMounts(service)) expect(existsSync(host), `${service}: ${host}`).toBe(true);
    }
  });

  // Names in the example configs are compose service names; a rename on one side breaks the stack.
  it('points Prometheus at the compose services', () => {
    expect(compose.services[exporterJob!.static_configs[0]!.targets[0]!.split(':')[0]!]).toBeDefined();
    const am = prometheus.alerting.alertmanagers[0]!.static_configs[0]!.targets[0]!;
    expect(compose.services[am.split(':')[0]!]).toBeDefined();
    const configPath = flag('prometheus', 'config.file')!;
    const mount = bindMounts('prometheus').find((m) => configPath.startsWith(`${m.target}/`));
    expect(mount && resolve(mount.host, configPath.slice(mount.target.length + 1))).toBe(PROMETHEUS_CONFIG);
  });

  it('points Alertmanager at the example config', () => {
    const configPath = flag('alertmanager', 'config.file')!;
    const mount = bindMounts('alertmanager').find((m) => configPath.startsWith(`${m.target}/`));
    expect(mount && resolve(mount.host, configPath.slice(mount.target.length + 1))).toBe(ALERTMANAGER_CONFIG);
  });

  it('provisions Grafana with the Prometheus service and the dashboard', () => {
    const mounts = bindMounts('grafana');
    const provisioning = mounts.find((m) => m.target === '/etc/grafana/provisioning');
    expect(provisioning?.host).toBe(resolve(DEPLOY, 'grafana/provisioning'));

    const ds = yamlFile<{ datasources: Array<{ type: string; url: string; jsonData: { timeInterval: string } }> }>(
      join(DEPLOY, 'grafana/provisioning/datasources/prometheus.yml'),
    ).datasources[0]!;
    expect(ds.type).toBe('prometheus');
    expect(compose.services[new URL(ds.url).hostname]).toBeDefined();
    expect(new URL(ds.url).port).toBe('9090');
    expect(ds.jsonData.timeInterval).toBe(prometheus.global.scrape_interval);

    const provider = yamlFile<{ providers: Array<{ type: string; options: { path: string } }> }>(
      join(DEPLOY, 'grafana/provisioning/dashboards/veeam-em.yml'),
    ).providers[0]!;
    expect(provider.type).toBe('file');
    const dashboard = mounts.find((m) => dirname(m.target) === provider.options.path);
    expect(dashboard?.host).toBe(resolve(DEPLOY, 'grafana/veeam-em-dashboard.json'));
    expect(statSync(dashboard!.host).isFile()).toBe(true);
  });

  it('pins image versions, with a Prometheus new enough for keep_firing_for', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image === undefined || service.build !== undefined) continue;
      expect(service.image, name).toMatch(/:v?\d+\.\d+\.\d+$/);
    }
    const [major, minor] = /:v(\d+)\.(\d+)/.exec(compose.services.prometheus!.image!)!.slice(1).map(Number);
    expect(major! > 2 || (major === 2 && minor! >= 42)).toBe(true);
  });
});

describe('systemd unit', () => {
  const text = readFileSync(SYSTEMD_UNIT, 'utf8');
  /** Section -> key -> values, continuation lines joined, comments dropped. */
  const unit = new Map<string, Map<string, string[]>>();
  let section = '';
  for (const line of text.replace(/\\\n\s*/g, ' ').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(trimmed);
    if (header !== null) {
      section = header[1]!;
      unit.set(section, new Map());
      continue;
    }
    const eq = trimmed.indexOf('=');
    const key = trimmed.slice(0, eq);
    const values = unit.get(section)!;
    values.set(key, [...(values.get(key) ?? []), trimmed.slice(eq + 1)]);
  }
  const service = (key: string) => unit.get('Service')?.get(key) ?? [];

  it('reloads with SIGHUP to the main process', () => {
    expect(service('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
  });

  it('starts the exporter with the config under /etc/veeam-em-exporter', () => {
    const start = service('ExecStart');
    expect(start).toHaveLength(1);
    expect(start[0]).toMatch(/veeam-em-exporter .*--config\.file=\/etc\/veeam-em-exporter\/config\.yaml/);
  });

  it('reads the password from an environment file and runs unprivileged', () => {
    expect(service('EnvironmentFile')[0]).toMatch(/^-?\/etc\/veeam-em-exporter\//);
    expect(service('DynamicUser').includes('yes') || service('User').length > 0).toBe(true);
  });

  it('is hardened, without options that break Node', () => {
    for (const [key, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['RestrictAddressFamilies', 'AF_INET AF_INET6 AF_UNIX'],
    ] as const) {
      expect(service(key), key).toContain(value);
    }
    expect(service('CapabilityBoundingSet')).toEqual(['']);
    // V8's JIT needs writable+executable memory; with this the process dies at start.
    expect(service('MemoryDenyWriteExecute')).not.toContain('yes');
  });

  it('is installed for multi-user.target', () => {
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  // verify warns about unknown keys and bad values but still exits 0, so its output must be empty.
  it.skipIf(findTool('systemd-analyze') === undefined)('passes systemd-analyze verify without a warning', () => {
    const result = run('systemd-analyze', ['verify', SYSTEMD_UNIT]);
    expect(result.code, result.output).toBe(0);
    expect(result.output.trim()).toBe('');
  });
});
