import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { POLL_ERROR_REASONS } from '../domain.js';
import type { ApiObserver } from '../em/types.js';
import { helpTexts } from './help.js';
import { CounterFamily, HistogramFamily } from './counters.js';
import { joinParts, textPart, type ExpositionPart, type ExpositionSource } from './exposition.js';
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
  /**
   * Where the prom-client owned families (build info, reload outcome, process/Node.js) live. The
   * counters and the histogram whose HELP names the schedule are not on it (see counters.ts).
   */
  registry?: Registry;
  /** Per-machine freshness, for the EMs that have `vms` configured. */
  vms?: VmStore;
}

export interface ExporterMetrics {
  /** Holds the prom-client families only; `render()` adds the state-derived gauges and the poll counters. */
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
const GAUGES_NAMED_LIKE_COUNTERS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export function createExporterMetrics(opts: ExporterMetricsOptions): ExporterMetrics {
  const { state } = opts;
  const now = opts.now ?? Date.now;
  const registry = opts.registry ?? new Registry();
  // The type admits only a Prometheus registry, but a cast or a JavaScript caller can pass an OpenMetrics one.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) {
    throw new TypeError(
      'createExporterMetrics renders the Prometheus text format; pass a registry with that content type',
    );
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

  const overruns = new CounterFamily('veeam_em_poll_overruns_total', ['em']);
  const pollErrors = new CounterFamily('veeam_em_poll_errors_total', ['em', 'reason']);
  const apiRequests = new CounterFamily('veeam_em_api_requests_total', ['em', 'endpoint', 'code']);
  const apiDuration = new HistogramFamily(
    'veeam_em_api_request_duration_seconds',
    ['em', 'endpoint'],
    API_DURATION_BUCKETS,
  );
  /** The poll families, after the registry's as when prom-client held them: one blank line before each family. */
  const pollFamilies = (): string => {
    // Zero series for every configured EM, so rate() and increase() see the first error as an increase.
    for (const em of state.ems()) {
      overruns.inc([em.name], 0);
      for (const reason of POLL_ERROR_REASONS) pollErrors.inc([em.name, reason], 0);
    }
    return [
      overruns.render(help.pollOverruns),
      pollErrors.render(help.pollErrors),
      apiRequests.render(help.apiRequests),
      apiDuration.render(help.apiRequestDuration),
    ]
      .map((family) => `\n${family}`)
      .join('');
  };
  /** prom-client's families through its public text rendering, ending in a newline. */
  const runtime: ExpositionSource = { text: () => registry.metrics() };

  const renderState = createStateRenderer();
  const renderVms = createVmFamiliesRenderer();
  const renderParts = async (): Promise<ExpositionPart[]> => {
    const backups = state.backups();
    const own = renderState({ backups, ems: state.ems(), nowMs: now() }, help);
    if (opts.vms !== undefined) own.push(...renderVms(opts.vms.ems(), backups, schedule));
    own.push(textPart((await runtime.text()) + pollFamilies(), false));
    return own;
  };

  return {
    registry,
    contentType: registry.contentType,

    api: {
      request(em, endpoint, code, seconds) {
        apiRequests.inc([em, endpoint, String(code)]);
        if (Number.isFinite(seconds)) apiDuration.observe([em, endpoint], Math.max(0, seconds));
      },
    },

    events: {
      overrun(em) {
        overruns.inc([em]);
      },
      pollError(em, reason) {
        pollErrors.inc([em, reason]);
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
      for (const family of [overruns, pollErrors, apiRequests, apiDuration]) family.removeWhereFirst(em);
    },

    setSchedule(next) {
      schedule = next;
      help = helpTexts(next);
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
