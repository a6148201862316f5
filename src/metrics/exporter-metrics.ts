import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { POLL_ERROR_REASONS, type ApiEndpoint } from '../domain.js';
import type { ApiObserver } from '../em/types.js';
import { helpTexts } from './help.js';
import { joinParts, type ExpositionPart } from './exposition.js';
import { createStateRenderer } from './state-families.js';
import type { ExporterState, PollEvents } from './types.js';
import type { VmStore } from '../vms/store.js';
import { createVmFamiliesRenderer } from './vm-families.js';

export interface ExporterMetricsOptions {
  state: ExporterState;
  /** The poll schedule, named in every HELP text. */
  schedule: string;
  version: string;
  /** Clock for ages; Unix ms. */
  now?: () => number;
  /** Where the prom-client owned families (counters, histogram, build info, process/Node.js) live. */
  registry?: Registry;
  /** Per-machine freshness, for the EMs that have `vms` configured. */
  vms?: VmStore;
}

export interface ExporterMetrics {
  /** Holds the prom-client families only; `render()` adds the state-derived gauges. */
  registry: Registry;
  api: ApiObserver;
  events: PollEvents;
  contentType: string;
  /** The whole exposition: state gauges computed at this instant plus the registry. */
  render(): Promise<string>;
  /** The same exposition in parts, some reused from the last scrape (see ExpositionPart), for a server to encode. */
  renderParts(): Promise<ExpositionPart[]>;
  /** Drop the counter and histogram series of an Enterprise Manager that left the config. */
  forgetEm(em: string): void;
  /** After a reload changed `poll.schedule`: HELP texts name the schedule in force. */
  setSchedule(schedule: string): void;
  /** Outcome of a SIGHUP or /-/reload, as Prometheus itself reports its own reloads. */
  recordReload(ok: boolean): void;
}

/** An API that answers in 10 ms on a good day and runs into the 30 s default timeout on a bad one. */
export const API_DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60];

/**
 * prom-client names these gauges `_total`, which promtool rejects for non-counters; the unsuffixed
 * gauges with per-type labels carry the same numbers.
 */
const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createExporterMetrics(opts: ExporterMetricsOptions): ExporterMetrics {
  const { state } = opts;
  const now = opts.now ?? Date.now;
  const registry = opts.registry ?? new Registry();
  // The type admits only a Prometheus registry, but a cast or a JavaScript caller can pass an OpenMetrics one.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) {
    throw new TypeError('createExporterMetrics renders the Prometheus text format; pass a registry with that content type');
  }
  let help = helpTexts(opts.schedule);
  let schedule = opts.schedule;
  const registers = [registry];

  addDefaultMetrics(registry);

  new Gauge({
    name: 'veeam_em_exporter_build_info',
    help: help.buildInfo,
    labelNames: ['version', 'nodejs_version'],
    registers,
  }).set({ version: opts.version, nodejs_version: process.version }, 1);

  // The config in force at start-up was loaded successfully, so a fresh process reports success.
  const reloadSuccessful = new Gauge({
    name: 'veeam_em_exporter_config_last_reload_successful',
    help: 'Whether the last configuration reload attempt was successful (1) or kept the running config because the new one was invalid (0).',
    registers,
  });
  const reloadSuccessTime = new Gauge({
    name: 'veeam_em_exporter_config_last_reload_success_timestamp_seconds',
    help: 'Unix time of the last successful configuration load, at start-up or by reload.',
    registers,
  });
  reloadSuccessful.set(1);
  reloadSuccessTime.set(now() / 1000);

  // Zero series for every configured EM, so rate() and increase() see the first error as an increase.
  const overruns = new Counter({
    name: 'veeam_em_poll_overruns_total',
    help: help.pollOverruns,
    labelNames: ['em'],
    registers,
    collect() {
      for (const em of state.ems()) this.inc({ em: em.name }, 0);
    },
  });
  const pollErrors = new Counter({
    name: 'veeam_em_poll_errors_total',
    help: help.pollErrors,
    labelNames: ['em', 'reason'],
    registers,
    collect() {
      for (const em of state.ems()) {
        for (const reason of POLL_ERROR_REASONS) this.inc({ em: em.name, reason }, 0);
      }
    },
  });
  const apiRequests = new Counter({
    name: 'veeam_em_api_requests_total',
    help: help.apiRequests,
    labelNames: ['em', 'endpoint', 'code'],
    registers,
  });
  const apiDuration = new Histogram({
    name: 'veeam_em_api_request_duration_seconds',
    help: help.apiRequestDuration,
    labelNames: ['em', 'endpoint'],
    buckets: API_DURATION_BUCKETS,
    registers,
  });

  const renderState = createStateRenderer();
  const renderVms = createVmFamiliesRenderer();
  const renderParts = async (): Promise<ExpositionPart[]> => {
    const backups = state.backups();
    const own = renderState({ backups, ems: state.ems(), nowMs: now() }, help);
    if (opts.vms !== undefined) own.push(...renderVms(opts.vms.ems(), backups, schedule));
    own.push({ text: await registry.metrics(), stable: false });
    return own;
  };

  // prom-client can only remove complete label sets, so remember which ones each EM produced.
  const apiLabelSets = new Map<string, Map<string, { endpoint: ApiEndpoint; code: string }>>();

  return {
    registry,
    contentType: registry.contentType,

    api: {
      request(em, endpoint, code, seconds) {
        const codeLabel = String(code);
        let seen = apiLabelSets.get(em);
        if (seen === undefined) apiLabelSets.set(em, (seen = new Map<string, { endpoint: ApiEndpoint; code: string }>()));
        seen.set(`${endpoint}\u0000${codeLabel}`, { endpoint, code: codeLabel });
        apiRequests.inc({ em, endpoint, code: codeLabel });
        if (Number.isFinite(seconds)) apiDuration.observe({ em, endpoint }, Math.max(0, seconds));
      },
    },

    events: {
      overrun(em) {
        overruns.inc({ em });
      },
      pollError(em, reason) {
        pollErrors.inc({ em, reason });
      },
    },

    async render() {
      return joinParts(await renderParts());
    },

    renderParts,

    recordReload(ok) {
      reloadSuccessful.set(ok ? 1 : 0);
      if (ok) reloadSuccessTime.set(now() / 1000);
    },

    forgetEm(em) {
      overruns.remove({ em });
      for (const reason of POLL_ERROR_REASONS) pollErrors.remove({ em, reason });
      for (const { endpoint, code } of apiLabelSets.get(em)?.values() ?? []) {
        apiRequests.remove({ em, endpoint, code });
        apiDuration.remove({ em, endpoint });
      }
      apiLabelSets.delete(em);
    },

    setSchedule(next) {
      schedule = next;
      help = helpTexts(next);
      // prom-client reads `help` at each scrape but does not declare it on its classes.
      const helpOf = (metric: object) => metric as { help: string };
      helpOf(overruns).help = help.pollOverruns;
      helpOf(pollErrors).help = help.pollErrors;
      helpOf(apiRequests).help = help.apiRequests;
      helpOf(apiDuration).help = help.apiRequestDuration;
    },
  };
}

function addDefaultMetrics(registry: Registry): void {
  // A caller's registry may already carry them; registering twice would throw.
  if (registry.getSingleMetric('process_cpu_user_seconds_total') === undefined) {
    collectDefaultMetrics({ register: registry });
  }
  for (const name of GAUGES_NAMED_LIKE_COUNTERS) registry.removeSingleMetric(name);
}
