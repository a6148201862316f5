import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { readEmPassword } from './config/index.js';
import type { EmConfig, ExporterConfig } from './config/types.js';
import { createEmClient } from './em/index.js';
import type { EmClient, EmClientOptions } from './em/types.js';
import { createExporterMetrics, createExporterState } from './metrics/index.js';
import type { BackupTarget, ExporterState } from './metrics/types.js';
import { EmLiveness, EmPoller, defaultCycleTimeoutMs, type CycleOutcome } from './polling/index.js';
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
  /**
   * Everything that, when changed, needs a new client and poller: connection settings, the password
   * itself, the contents of the CA file, and the poll settings (schedule, limits, timeouts).
   */
  fingerprint: string;
  client: EmClient & EmVmClient;
  poller: EmPoller;
  /** Per-machine freshness, while `vms` is configured. */
  vms?: EmVms;
  /** How the last cycle ended: after `tls` or a deadline, the next one may need a new client (beforeCycle). */
  lastCycle?: CycleOutcome;
  /** The logout of the runtime this one replaced: its first logon waits for it, so EM never holds two of our sessions. */
  predecessor?: Promise<void>;
}

/** What the config says about one EM plus what the files it names hold now. */
interface EmIdentity {
  fingerprint: string;
  caPem: string | undefined;
}

/**
 * The composition root: config in, running pollers and a metrics registry out. `main` adds the
 * HTTP server and signals around it; tests drive it directly.
 *
 * Each EM has a runtime of its own, and a reload touches only the runtimes whose EM changed: the
 * others keep their session, schedule and counters. A replaced or removed runtime is abandoned, not
 * waited for: its cycle ends at once and its session is logged out in the background (bounded by the
 * client's logout timeout), and stop() waits for every such logout too.
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
  /** Logouts of abandoned runtimes still under way. */
  private readonly closing = new Set<Promise<void>>();
  /** start, reload, refresh and stop one at a time; none of them waits for EM. */
  private serial: Promise<unknown> = Promise.resolve();
  private ready = false;
  private started = false;
  private stopped = false;

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
    const firstCycles = await this.exclusive(async () => {
      await this.apply(this.config, false);
      this.started = true;
      return [...this.runtimes.values()].map((rt) => rt.poller.start());
    });
    await Promise.all(firstCycles);
    this.ready = true;
  }

  /** One cycle of every EM without any schedule (for --once); true when every poll succeeded. */
  async runOnce(): Promise<boolean> {
    await this.exclusive(() => this.apply(this.config, false));
    const outcomes = await Promise.all([...this.runtimes.keys()].map((name) => this.cycleOf(name)));
    this.ready = true;
    return outcomes.every((o) => o.failed === 0 && o.up && !o.abandoned);
  }

  /** One cycle of an EM, by whichever runtime it has when that cycle runs (beforeCycle may replace it). */
  private async cycleOf(name: string): Promise<CycleOutcome> {
    let runtime = this.runtimes.get(name)!;
    let outcome = await runtime.poller.runCycle();
    while (outcome.abandoned && !this.stopped && this.runtimes.has(name) && this.runtimes.get(name) !== runtime) {
      runtime = this.runtimes.get(name)!;
      outcome = await runtime.poller.runCycle();
    }
    return outcome;
  }

  /**
   * Swaps in a new, already validated config. EMs whose settings (and the files they name) are
   * unchanged keep their session and schedule; changed ones get a new poller at once while the old
   * one is cancelled and logged out in the background; removed backups lose their series now.
   * Resolves without waiting for any EM.
   */
  reload(config: ExporterConfig): Promise<void> {
    return this.exclusive(async () => {
      if (this.stopped) return;
      this.config = config;
      this.metrics.setSchedule(config.poll.schedule);
      await this.apply(config, this.started);
    });
  }

  /**
   * Stops polling and logs out of every EM at once: polls still waiting on EM are cancelled. Waits
   * too for the logouts of runtimes a reload replaced, so no session is left open.
   */
  stop(): Promise<void> {
    return this.exclusive(async () => {
      this.stopped = true;
      // abandon() never rejects and keeps its promise in this.closing, which is awaited next.
      for (const name of [...this.runtimes.keys()]) void this.abandon(name, false);
      while (this.closing.size > 0) await Promise.all(this.closing);
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.serial.then(work);
    this.serial = next.catch(() => undefined);
    return next;
  }

  private async apply(config: ExporterConfig, startNew: boolean): Promise<void> {
    if (this.stopped) return;
    const wanted = new Map(config.enterpriseManagers.map((em) => [em.name, em]));

    // abandon() never rejects and keeps its promise in this.closing, which stop() waits for.
    for (const name of [...this.runtimes.keys()]) if (!wanted.has(name)) void this.abandon(name, true);

    const toStart: EmPoller[] = [];
    const toPoll: EmPoller[] = [];
    for (const em of config.enterpriseManagers) {
      const identity = await this.identityOf(em, config);
      const existing = this.runtimes.get(em.name);
      if (existing?.fingerprint === identity.fingerprint) {
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
      let predecessor: Promise<void> | undefined;
      if (existing) {
        this.log.info(
          { em: em.name },
          'connection settings or credentials changed (or a file they name): this EM gets a new poller now, which logs on once the old session is logged out',
        );
        predecessor = this.abandon(em.name, false);
      }
      const runtime = this.createRuntime(em, identity, config);
      if (predecessor !== undefined) runtime.predecessor = predecessor;
      // Same EM, other settings: what the old poller knew of its backups still holds.
      if (existing?.config.url === em.url) runtime.poller.inheritFrom(existing.poller);
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
   * Before the next cycle of an EM whose last cycle went wrong in a way a new client cures:
   * - it failed with `tls`: the CA file may have been renewed in place. It is re-read (with every other
   *   file the config names) and, when it changed, used at once, so fixing the file needs no reload;
   * - it ended at its deadline: its requests may still be waiting on EM and would hold the connection
   *   slots of the next cycle, so the old client is closed, which cancels them and logs out.
   * Synchronous after the read, so no start, reload or stop can interleave with the swap.
   */
  private async beforeCycle(runtime: EmRuntime): Promise<void> {
    if (runtime.predecessor !== undefined) {
      await runtime.predecessor;
      delete runtime.predecessor;
    }
    const { lastCycle } = runtime;
    if (lastCycle === undefined || !(lastCycle.expired || lastCycle.reasons.includes('tls'))) return;
    const name = runtime.config.name;
    const identity = await this.identityOf(runtime.config, this.config);
    if (this.stopped || this.runtimes.get(name) !== runtime) return;
    if (lastCycle.expired) {
      this.log.info(
        { em: name },
        'the last cycle ended at its deadline: closing its requests still waiting on EM and logging on afresh',
      );
    } else if (identity.fingerprint !== runtime.fingerprint) {
      this.log.info(
        { em: name, file: runtime.config.tls.caFile },
        'the CA file changed after a TLS failure: logging on again with it now',
      );
    } else {
      return;
    }
    const predecessor = this.abandon(name, false);
    const replacement = this.createRuntime(runtime.config, identity, this.config);
    replacement.predecessor = predecessor;
    replacement.poller.inheritFrom(runtime.poller);
    this.runtimes.set(name, replacement);
    // The replacement's first cycle is the one this runtime was about to run; --once runs it itself.
    if (this.started) void replacement.poller.start();
  }

  /**
   * The watched set, from config and discovery: every configured EM, and the backups each poller
   * polls. Series of backups a reload removed vanish here; between reloads each EM's cycle publishes
   * what its discovery changed itself (ExporterState.setTargetsOf), so nothing calls back up here.
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

  private createRuntime(em: EmConfig, identity: EmIdentity, config: ExporterConfig): EmRuntime {
    const liveness = new EmLiveness(config.poll.timeoutMs);
    const api = this.metrics.api;
    const client = createEmClient(
      {
        name: em.name,
        url: em.url,
        username: em.username,
        password: () => readEmPassword(em),
        apiVersion: em.apiVersion,
        format: em.format,
        restorePoints: em.restorePoints,
        tls: { caPem: identity.caPem, insecureSkipVerify: em.tls.insecureSkipVerify, serverName: em.tls.serverName },
        timeoutMs: config.poll.timeoutMs,
        retries: config.poll.retries,
        concurrency: config.poll.concurrency,
        maxResponseBytes: config.poll.maxResponseBytes,
        ...this.clientTuning,
      },
      {
        api: {
          request(name, endpoint, code, seconds) {
            if (code !== 'error') liveness.answered();
            api.request(name, endpoint, code, seconds);
          },
        },
        log: this.log.child({ em: em.name }),
      },
    );
    const vms = this.createVms(em, client);
    const poller: EmPoller = new EmPoller(
      {
        ...(vms !== undefined ? { vms } : {}),
        em: em.name,
        client,
        backups: em.backups,
        discover: em.discover,
        restorePoints: em.restorePoints === 'query' ? 'query' : 'per-backup',
        concurrency: config.poll.concurrency,
        schedule: config.poll.schedule,
        // Never shorter than one request timeout: a request given poll.timeout to answer keeps it.
        cycleTimeoutMs:
          config.poll.cycleTimeoutMs ?? Math.max(defaultCycleTimeoutMs(config.poll.schedule), config.poll.timeoutMs),
        liveness,
        onCycleEnd: (outcome) => {
          runtime.lastCycle = outcome;
        },
        beforeCycle: () => this.beforeCycle(runtime),
      },
      {
        state: this.state,
        events: this.metrics.events,
        log: this.log,
        now: this.now,
        metadataRefreshMs: config.poll.metadataRefreshMs,
      },
    );
    const runtime: EmRuntime = {
      config: em,
      fingerprint: identity.fingerprint,
      client,
      poller,
      ...(vms !== undefined ? { vms } : {}),
    };
    return runtime;
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
      delete runtime.vms;
    } else if (runtime.vms !== undefined) {
      runtime.vms.setConfig(config);
    } else {
      const vms = this.createVms(runtime.config, runtime.client);
      if (vms !== undefined) runtime.vms = vms;
    }
    runtime.poller.setVms(runtime.vms);
  }

  /**
   * Ends an EM's runtime without waiting for it: its cycle ends at once, recording nothing more, and
   * closing the client cancels what is in flight and logs out (a logon in flight is let finish and
   * logged out too). `forget` (the EM left the config) drops its counters once the logout is done.
   * Resolves when the logout is done (never rejects).
   */
  private abandon(name: string, forget: boolean): Promise<void> {
    const runtime = this.runtimes.get(name);
    if (!runtime) return Promise.resolve();
    this.runtimes.delete(name);
    const closed = (async () => {
      const ended = runtime.poller.abandon();
      await runtime.client.close();
      await ended;
    })()
      .catch((error: unknown) =>
        this.log.error({ em: name, err: error }, 'could not end the session of a retired poller'),
      )
      .finally(() => {
        this.closing.delete(closed);
        if (forget && !this.runtimes.has(name)) this.metrics.forgetEm(name);
      });
    this.closing.add(closed);
    return closed;
  }

  private async identityOf(em: EmConfig, config: ExporterConfig): Promise<EmIdentity> {
    // Neither what is polled nor per-machine freshness needs a new session.
    const { backups: _backups, discover: _discover, vms: _vms, ...connection } = em;
    let secret = '';
    try {
      secret = await readEmPassword(em);
    } catch {
      // An unreadable passwordFile fails the logon later, with the file named in that error.
    }
    let caPem: string | undefined;
    if (em.tls.caFile !== undefined) {
      try {
        caPem = await readFile(em.tls.caFile, 'utf8');
      } catch (error) {
        // The config was validated with this file readable; the logon fails with `tls` until it is back.
        this.log.warn(
          { em: em.name, file: em.tls.caFile, err: error },
          'cannot read tls.caFile; verifying against the system CAs until it is readable again',
        );
      }
    }
    // Hashed so the password is never held twice in memory as plain text nor compared as a string.
    const fingerprint = createHash('sha256')
      .update(JSON.stringify({ connection, poll: config.poll }))
      .update('\0')
      .update(secret)
      .update('\0')
      .update(caPem ?? '')
      .digest('hex');
    return { fingerprint, caPem };
  }
}
