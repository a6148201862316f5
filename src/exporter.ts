import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { readEmPassword } from './config/index.js';
import type { EmConfig, ExporterConfig } from './config/types.js';
import { createEmClient } from './em/index.js';
import type { EmClient, EmClientOptions } from './em/types.js';
import { createExporterMetrics, createExporterState } from './metrics/index.js';
import type { BackupTarget, ExporterState } from './metrics/types.js';
import { EmPoller } from './polling/index.js';
import type { EmVmClient } from './em/vm-query.js';
import { EmVms } from './vms/em-vms.js';
import { VmStore } from './vms/store.js';

export interface ExporterOptions {
  config: ExporterConfig;
  logger: Logger;
  version: string;
  now?: () => number;
  /** Client timing the config does not expose (retry backoff, logon pause): for soak tests and benchmarks. */
  clientTuning?: Pick<EmClientOptions, 'retryBackoffMs' | 'logonRetryMs'>;
}

interface EmRuntime {
  config: EmConfig;
  /** Everything that, when changed, needs a new session: connection settings and the password itself. */
  fingerprint: string;
  client: EmClient & EmVmClient;
  poller: EmPoller;
  /** Per-machine freshness, while `vms` is configured. */
  vms?: EmVms;
}

/**
 * The composition root: config in, running pollers and a metrics registry out. `main` adds the
 * HTTP server and signals around it; tests drive it directly.
 */
export class Exporter {
  readonly state: ExporterState;
  readonly vms = new VmStore();
  readonly metrics: ReturnType<typeof createExporterMetrics>;
  private config: ExporterConfig;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly clientTuning: ExporterOptions['clientTuning'];
  private readonly runtimes = new Map<string, EmRuntime>();
  private ready = false;
  private started = false;

  constructor(options: ExporterOptions) {
    this.config = options.config;
    this.log = options.logger;
    this.now = options.now ?? Date.now;
    this.clientTuning = options.clientTuning;
    this.state = createExporterState();
    this.metrics = createExporterMetrics({
      state: this.state,
      schedule: options.config.poll.schedule,
      version: options.version,
      now: this.now,
      vms: this.vms,
    });
  }

  get schedule(): string {
    return this.config.poll.schedule;
  }

  /** True once the first cycle of every EM has ended, success or not. */
  isReady(): boolean {
    return this.ready;
  }

  /** Logs on and starts every schedule; the first cycles run at once. Resolves when they are done. */
  async start(): Promise<void> {
    await this.apply(this.config, false);
    this.started = true;
    await Promise.all([...this.runtimes.values()].map((rt) => rt.poller.start()));
    this.ready = true;
  }

  /** One cycle of every EM without any schedule (for --once); true when every poll succeeded. */
  async runOnce(): Promise<boolean> {
    await this.apply(this.config, false);
    const outcomes = await Promise.all([...this.runtimes.values()].map((rt) => rt.poller.runCycle()));
    this.ready = true;
    return outcomes.every((o) => o.failed === 0 && o.up);
  }

  /**
   * Swaps in a new, already validated config. EMs whose connection settings and password are unchanged
   * keep their session; the others are logged out and replaced; removed backups lose their series now.
   */
  async reload(config: ExporterConfig): Promise<void> {
    const scheduleChanged = JSON.stringify(config.poll) !== JSON.stringify(this.config.poll);
    this.config = config;
    this.metrics.setSchedule(config.poll.schedule);
    if (scheduleChanged) {
      // The schedule, limits and timeouts are baked into every poller and client: start them afresh.
      await Promise.all([...this.runtimes.keys()].map((em) => this.retire(em)));
    }
    await this.apply(config, this.started);
  }

  /** Stops polling and logs out of every EM at once: polls still waiting on EM are cancelled. */
  async stop(): Promise<void> {
    await Promise.all([...this.runtimes.keys()].map((em) => this.retire(em, true, true)));
  }

  private async apply(config: ExporterConfig, startNew: boolean): Promise<void> {
    const wanted = new Map(config.enterpriseManagers.map((em) => [em.name, em]));

    for (const name of this.runtimes.keys()) if (!wanted.has(name)) await this.retire(name);

    const toStart: EmPoller[] = [];
    const toPoll: EmPoller[] = [];
    for (const em of config.enterpriseManagers) {
      const fingerprint = await this.fingerprintOf(em);
      const existing = this.runtimes.get(em.name);
      if (existing && existing.fingerprint === fingerprint) {
        const before = new Set(existing.poller.targets().map((b) => b.id));
        const discoveryChanged = JSON.stringify(existing.config.discover) !== JSON.stringify(em.discover);
        existing.config = em;
        existing.poller.setBackups(em.backups);
        existing.poller.setDiscovery(em.discover);
        this.updateVms(existing);
        // A backup added by reload should not wait a whole schedule interval for its first values,
        // nor should a new or changed discovery.
        if (discoveryChanged || existing.poller.targets().some((b) => !before.has(b.id))) toPoll.push(existing.poller);
        continue;
      }
      if (existing) {
        this.log.info({ em: em.name }, 'connection settings or credentials changed: logging out and on again');
        await this.retire(em.name, false);
      }
      const runtime = await this.createRuntime(em, fingerprint, config);
      this.runtimes.set(em.name, runtime);
      toStart.push(runtime.poller);
    }
    // VM series last as long as the EM and its `vms:` do, across pollers replaced by a reload.
    for (const record of this.vms.ems()) if (wanted.get(record.em)?.vms === undefined) this.vms.forget(record.em);
    this.publishTargets();
    if (startNew) {
      for (const poller of toPoll) void poller.runCycle();
      for (const poller of toStart) void poller.start();
    }
  }

  /**
   * The watched set, from config and discovery: every configured EM, and the backups each poller
   * polls. Series of backups that left (reload, or gone from EM's listing) vanish here.
   */
  private publishTargets(): void {
    const targets: BackupTarget[] = [...this.runtimes.values()].flatMap((rt) =>
      rt.poller.targets().map((b) => ({ em: rt.config.name, backupId: b.id, rpoSeconds: b.rpoSeconds })),
    );
    this.state.setTargets(
      this.config.enterpriseManagers.map((em) => em.name),
      targets,
    );
  }

  private async createRuntime(em: EmConfig, fingerprint: string, config: ExporterConfig): Promise<EmRuntime> {
    if (em.tls.insecureSkipVerify) {
      this.log.warn({ em: em.name }, 'TLS certificate verification is OFF for this EM (tls.insecureSkipVerify); anyone on the path can read its credentials');
    }
    const caPem = em.tls.caFile ? await readFile(em.tls.caFile, 'utf8') : undefined;
    const client = createEmClient(
      {
        name: em.name,
        url: em.url,
        username: em.username,
        password: () => readEmPassword(em),
        apiVersion: em.apiVersion,
        format: em.format,
        restorePoints: em.restorePoints,
        tls: { caPem, insecureSkipVerify: em.tls.insecureSkipVerify, serverName: em.tls.serverName },
        timeoutMs: config.poll.timeoutMs,
        retries: config.poll.retries,
        concurrency: config.poll.concurrency,
        maxResponseBytes: config.poll.maxResponseBytes,
        ...this.clientTuning,
      },
      { api: this.metrics.api, log: this.log.child({ em: em.name }) },
    );
    const vms = this.createVms(em, client);
    const poller = new EmPoller(
      {
        vms,
        em: em.name,
        client,
        backups: em.backups,
        discover: em.discover,
        restorePoints: em.restorePoints === 'query' ? 'query' : 'per-backup',
        onTargetsChanged: () => this.publishTargets(),
        concurrency: config.poll.concurrency,
        schedule: config.poll.schedule,
      },
      {
        state: this.state,
        events: this.metrics.events,
        log: this.log,
        now: this.now,
        metadataRefreshMs: config.poll.metadataRefreshMs,
      },
    );
    return { config: em, fingerprint, client, poller, ...(vms !== undefined ? { vms } : {}) };
  }

  private createVms(em: EmConfig, client: EmVmClient): EmVms | undefined {
    if (em.vms === undefined) return undefined;
    return new EmVms(em.name, em.vms, client, {
      store: this.vms,
      log: this.log,
      now: this.now,
      pollError: (name, reason) => this.metrics.events.pollError(name, reason),
    });
  }

  /** Reload of an EM that keeps its session: `vms` turned on, changed or off. */
  private updateVms(runtime: EmRuntime): void {
    const config = runtime.config.vms;
    if (config === undefined) {
      runtime.vms = undefined;
    } else if (runtime.vms !== undefined) {
      runtime.vms.setConfig(config);
    } else {
      runtime.vms = this.createVms(runtime.config, runtime.client);
    }
    runtime.poller.setVms(runtime.vms);
  }

  /**
   * Ends an EM's poller and client. A reload lets a running cycle finish first, so its values still
   * land; shutdown (`abandon`) logs out at once, cancelling what the cycle still waits for, because
   * a slow EM must not keep the process past its stop deadline with the session open.
   */
  private async retire(name: string, forget = true, abandon = false): Promise<void> {
    const runtime = this.runtimes.get(name);
    if (!runtime) return;
    this.runtimes.delete(name);
    if (abandon) {
      const stopped = runtime.poller.stop();
      await runtime.client.close();
      await stopped;
    } else {
      await runtime.poller.stop();
      await runtime.client.close();
    }
    if (forget) this.metrics.forgetEm(name);
  }

  private async fingerprintOf(em: EmConfig): Promise<string> {
    const { backups: _backups, discover: _discover, vms: _vms, ...connection } = em;
    let secret = '';
    try {
      secret = await readEmPassword(em);
    } catch {
      // An unreadable passwordFile fails the logon later, with the file named in that error.
    }
    // Hashed so the password is never held twice in memory as plain text nor compared as a string.
    return createHash('sha256').update(JSON.stringify(connection)).update('\0').update(secret).digest('hex');
  }
}
