/**
 * deploy/kubernetes/: renders the kustomizations with the real kubectl, validates every object against
 * the Kubernetes and prometheus-operator schemas (kubernetes-models), and checks that the pieces fit
 * together: the config the pod mounts is one the exporter accepts, the probes hit endpoints it serves,
 * the ServiceMonitor finds the Service, and the PrometheusRule carries the shipped alert rules.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { afterAll, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseFlags } from '../../src/cli/flags.js';
import { MAIN } from '../integration/process.js';
import { REPO_ROOT, RULES_PATH } from './rules-file.js';
import { describeWithTool, run } from './tools.js';

const KUBECTL_INSTALL = 'install kubectl (Debian: the kubernetes-client package, or the upstream binary)';
const BASE = join(REPO_ROOT, 'deploy/kubernetes/base');
const OVERLAY = join(REPO_ROOT, 'deploy/kubernetes/overlays/prometheus-operator');

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

// Every kind the manifests may contain, with the schema it must satisfy; anything else fails.
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

function validate(object: KubeObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (Model === undefined) throw new Error(`${object.apiVersion} ${object.kind} has no schema check here`);
  new Model(object as never).validate();
}

describeWithTool('kubectl', KUBECTL_INSTALL, 'Kubernetes manifests', (kubectl) => {
  const render = (dir: string): KubeObject[] => {
    const result = run(kubectl, ['kustomize', dir]);
    if (result.code !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.output}`);
    return parseAllDocuments(result.stdout).map((doc) => doc.toJS() as KubeObject);
  };
  const base = render(BASE);
  const overlay = render(OVERLAY);
  // Rendered manifests are walked as plain data.
  const find = (objects: KubeObject[], kind: string): any => {
    const hits = objects.filter((o) => o.kind === kind);
    expect(hits, kind).toHaveLength(1);
    return hits[0];
  };
  const scratch = mkdtempSync(join(tmpdir(), 'kube-test-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('renders the base into a ConfigMap, a Service and a Deployment, and the overlay adds monitoring', () => {
    expect(base.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Service']);
    expect(overlay.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'PrometheusRule',
      'Service',
      'ServiceMonitor',
    ]);
  });

  it.each([...base, ...overlay].map((o) => [`${o.kind} ${o.metadata.name}`, o] as const))(
    '%s passes its schema',
    (_, object) => {
      expect(() => validate(object)).not.toThrow();
    },
  );

  it('the schema check catches a broken object', () => {
    const deployment = structuredClone(find(base, 'Deployment'));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => validate(deployment)).toThrow(/containerPort/);
    const rule = structuredClone(find(overlay, 'PrometheusRule'));
    rule.spec.groups[0].rules[0].for = 900;
    expect(() => validate(rule)).toThrow(/for/);
  });

  it('runs unprivileged on a read-only root filesystem', () => {
    const pod = find(base, 'Deployment').spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    const container = pod.containers[0];
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('sets requests and limits, with the memory limit above the 10,000-backup peak of docs/scaling.md', () => {
    const { resources } = find(base, 'Deployment').spec.template.spec.containers[0];
    const mebibytes = (q: string): number => Number(/^(\d+)Mi$/.exec(q)?.[1] ?? Number.NaN);
    expect(mebibytes(resources.requests.memory)).toBeLessThanOrEqual(mebibytes(resources.limits.memory));
    const scaling = readFileSync(join(REPO_ROOT, 'docs/scaling.md'), 'utf8');
    const entityPeak = Number(/peak resident memory \| (\d+) MiB \(entity mode\)/.exec(scaling)?.[1]);
    expect(entityPeak).toBeGreaterThan(0);
    expect(mebibytes(resources.limits.memory)).toBeGreaterThan(entityPeak);
    expect(resources.requests.cpu).toBeDefined();
    expect(resources.limits.cpu).toBeDefined();
  });

  it('probes endpoints the exporter serves, on the port it listens on', () => {
    const container = find(base, 'Deployment').spec.template.spec.containers[0];
    const parsed = parseFlags(container.args);
    expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
    if (!parsed.ok) return;
    const port = container.ports.find((p: any) => p.name === 'http-metrics');
    expect(port.containerPort).toBe(parsed.flags.listen.port);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/-/healthy', port: 'http-metrics' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/-/healthy', port: 'http-metrics' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/-/ready', port: 'http-metrics' });
  });

  it('mounts a config the exporter accepts, with the password from a Secret only', () => {
    const pod = find(base, 'Deployment').spec.template.spec;
    const container = pod.containers[0];
    const configMap = find(base, 'ConfigMap');
    const volume = pod.volumes.find((v: any) => v.configMap !== undefined);
    expect(volume.configMap.name).toBe(configMap.metadata.name);
    const mount = container.volumeMounts.find((m: any) => m.name === volume.name);
    expect(mount.readOnly).toBe(true);
    const parsed = parseFlags(container.args);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.flags.configFile.startsWith(`${mount.mountPath}/`), parsed.flags.configFile).toBe(true);
    const key = parsed.flags.configFile.slice(`${mount.mountPath}/`.length);
    expect(Object.keys(configMap.data)).toContain(key);

    expect(container.env).toEqual([
      { name: 'VEEAM_EM_PASSWORD', valueFrom: { secretKeyRef: { name: 'veeam-em-exporter-em', key: 'password' } } },
    ]);
    const text: string = configMap.data[key];
    expect(text).toContain('${VEEAM_EM_PASSWORD}');
    const file = join(scratch, key);
    writeFileSync(file, text);
    const check = run('/usr/bin/env', [
      'VEEAM_EM_PASSWORD=not-a-real-password',
      process.execPath,
      MAIN,
      '--config.check',
      `--config.file=${file}`,
    ]);
    expect(check.code, check.output).toBe(0);
  });

  it('lets the ServiceMonitor find the Service and its port', () => {
    const service = find(overlay, 'Service');
    const monitor = find(overlay, 'ServiceMonitor');
    for (const [label, value] of Object.entries(monitor.spec.selector.matchLabels as Record<string, string>)) {
      expect(service.metadata.labels[label], label).toBe(value);
    }
    expect(service.spec.ports.map((p: any) => p.name)).toContain(monitor.spec.endpoints[0].port);
    const deployment = find(overlay, 'Deployment');
    expect(deployment.spec.template.spec.containers[0].ports.map((p: any) => p.name)).toContain(
      service.spec.ports.find((p: any) => p.name === monitor.spec.endpoints[0].port).targetPort,
    );
    for (const [label, value] of Object.entries(service.spec.selector as Record<string, string>)) {
      expect(deployment.spec.template.metadata.labels[label], label).toBe(value);
    }
  });

  it('carries the same alert rules as deploy/prometheus/veeam-em-alerts.yml', () => {
    const rulesFile = parseAllDocuments(readFileSync(RULES_PATH, 'utf8'))[0]!.toJS() as { groups: unknown[] };
    expect(find(overlay, 'PrometheusRule').spec.groups).toEqual(rulesFile.groups);
  });
});
