import type { Logger } from 'pino';
import { HELP_TEXT, parseFlags, type Flags } from './cli/flags.js';
import { firstRunHint } from './cli/first-run.js';
import { formatIssues, loadConfigFile } from './config/index.js';
import type { ExporterConfig } from './config/types.js';
import type { RunningDemo } from './demo/index.js';
import { Exporter } from './exporter.js';
import { createLogger } from './logging/index.js';
import { ReloadQueue } from './reload-queue.js';
import { createHttpServer, type ReloadResult } from './server/index.js';
import { VERSION } from './version.js';
import { createSecuredServer, createWebGuard, loadWebConfig, type WebGuard } from './web-config/index.js';

const EXIT_OK = 0;
const EXIT_RUNTIME = 1;
const EXIT_USAGE = 2;
/** Orchestrators wait a few seconds after SIGTERM before they kill; logout must fit in that. */
const SHUTDOWN_DEADLINE_MS = 4_500;

export type HandledSignal = 'SIGHUP' | 'SIGTERM' | 'SIGINT';
/** Hands the process's signals to `handler`, including those that arrived before it was ready. */
export type AdoptSignals = (handler: (signal: HandledSignal) => void) => void;

/**
 * What signals asked for. A stop request is seen at every step of start-up and stops the reload
 * queue at once; a SIGHUP queues a reload, which waits for the end of start-up if it comes earlier.
 */
class Lifecycle {
  stopSignal: HandledSignal | undefined;
  private stopListeners: Array<(signal: HandledSignal) => void> = [];
  readonly stopRequested: Promise<HandledSignal>;

  constructor(
    private readonly log: Logger,
    private readonly reloads: ReloadQueue,
  ) {
    this.stopRequested = new Promise((resolve) => this.stopListeners.push(resolve));
  }

  handle(signal: HandledSignal): void {
    if (signal === 'SIGHUP') {
      if (this.stopSignal !== undefined) return;
      if (this.reloads.started) this.log.info('SIGHUP: reloading config');
      else if (!this.reloads.fullReloadWaiting)
        this.log.info('SIGHUP during start-up: the config is reloaded once start-up is done');
      void this.reloads.queueFresh();
      return;
    }
    if (this.stopSignal !== undefined) {
      this.log.warn({ signal }, 'second signal: exiting at once');
      process.exit(EXIT_RUNTIME);
    }
    this.stopSignal = signal;
    this.reloads.stop();
    for (const listener of this.stopListeners.splice(0)) listener(signal);
  }
}

/** Runs the daemon with `argv` and exits the process with its code. */
export function run(argv: string[], adoptSignals: AdoptSignals): void {
  main(argv, adoptSignals).then(
    (code) => {
      process.exitCode = code;
      // Lingering keep-alive sockets or timers must not hold a finished process open.
      setTimeout(() => process.exit(code), 1_000).unref();
    },
    (error: unknown) => {
      process.stderr.write(`veeam-em-exporter: fatal: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(EXIT_RUNTIME);
    },
  );
}

async function main(argv: string[], adoptSignals: AdoptSignals): Promise<number> {
  const parsed = parseFlags(argv);
  if (!parsed.ok) {
    process.stderr.write(`veeam-em-exporter: ${parsed.error}\nTry --help.\n`);
    return EXIT_USAGE;
  }
  const flags = parsed.flags;
  if (flags.help) {
    process.stdout.write(HELP_TEXT);
    return EXIT_OK;
  }
  if (flags.version) {
    process.stdout.write(`veeam-em-exporter ${VERSION} (node ${process.version})\n`);
    return EXIT_OK;
  }

  const log = createLogger({ level: flags.logLevel, format: flags.logFormat });
  const reloads = new ReloadQueue(log);
  const life = new Lifecycle(log, reloads);
  adoptSignals((signal) => life.handle(signal));
  let demo: RunningDemo | undefined;
  let config: ExporterConfig;
  if (flags.demo) {
    // Only the demo needs the simulator and its certificate generator: production never loads them.
    const { startDemo } = await import('./demo/index.js');
    demo = await startDemo();
    config = demo.config;
    log.info({ simulator: demo.simulatorUrl }, 'demo: simulated Enterprise Manager started on loopback');
  } else {
    const firstRun = firstRunHint(flags.configFile);
    if (firstRun !== undefined) {
      process.stderr.write(firstRun);
      return EXIT_USAGE;
    }
    const loaded = await loadConfigFile(flags.configFile);
    if (!loaded.ok) {
      process.stderr.write(`${formatIssues(loaded.issues)}\n`);
      return EXIT_USAGE;
    }
    for (const warning of loaded.warnings) log.warn({ key: warning.path, file: warning.file }, warning.message);
    config = loaded.config;
  }
  if (life.stopSignal !== undefined) return stoppedDuringStartUp(life, log, demo);

  if (flags.configCheck) {
    if (flags.webConfigFile) {
      const web = await loadWebConfig(flags.webConfigFile);
      if (!web.ok) {
        process.stderr.write(`${formatIssues(web.issues)}\n`);
        return EXIT_USAGE;
      }
    }
    process.stdout.write('config OK\n');
    await demo?.stop();
    return EXIT_OK;
  }

  const exporter = new Exporter({ config, logger: log, version: VERSION });
  if (flags.once) {
    const ended = await Promise.race([exporter.runOnce(), life.stopRequested.then(() => 'stopped' as const)]);
    if (ended === 'stopped') {
      log.info({ signal: life.stopSignal }, 'stopping before the cycle ended: logging out of Enterprise Manager');
      await stopWithin(exporter, log);
      await demo?.stop();
      return EXIT_RUNTIME;
    }
    process.stdout.write(await exporter.metrics.render());
    await exporter.stop();
    await demo?.stop();
    return ended ? EXIT_OK : EXIT_RUNTIME;
  }
  let guard: WebGuard | undefined;
  if (flags.webConfigFile) {
    const created = await createWebGuard(flags.webConfigFile, log, {
      onFilesChanged: () => void reloads.queueWebConfig(),
    });
    if (!created.ok) {
      process.stderr.write(`${formatIssues(created.issues)}\n`);
      await demo?.stop();
      return EXIT_USAGE;
    }
    guard = created.guard;
  }
  // A signal can arrive during the awaits above; TypeScript keeps the narrowing of the check before them.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (life.stopSignal !== undefined) {
    guard?.close();
    return stoppedDuringStartUp(life, log, demo);
  }
  return serve(flags, exporter, log, life, reloads, demo, guard);
}

/** A stop signal before anything was polled: no session exists yet, so there is nothing to log out. */
async function stoppedDuringStartUp(life: Lifecycle, log: Logger, demo: RunningDemo | undefined): Promise<number> {
  log.info({ signal: life.stopSignal }, 'stopped during start-up');
  await demo?.stop();
  return EXIT_OK;
}

/** exporter.stop() within the stop deadline; true when every session was logged out in time. */
async function stopWithin(exporter: Exporter, log: Logger): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), SHUTDOWN_DEADLINE_MS)));
  const outcome = await Promise.race([exporter.stop(), deadline]);
  clearTimeout(timer);
  if (outcome === 'late') {
    log.warn('Enterprise Manager did not answer the logout in time; its session ends by itself after 15 minutes idle');
    return false;
  }
  return true;
}

async function serve(
  flags: Flags,
  exporter: Exporter,
  log: Logger,
  life: Lifecycle,
  reloads: ReloadQueue,
  demo: RunningDemo | undefined,
  guard: WebGuard | undefined,
): Promise<number> {
  const server = createHttpServer({
    telemetryPath: flags.telemetryPath,
    render: async () => ({ contentType: exporter.metrics.contentType, body: await exporter.metrics.renderParts() }),
    state: exporter.state,
    vms: () => exporter.vms.ems(),
    isReady: () => exporter.isReady(),
    version: VERSION,
    schedule: () => exporter.schedule,
    reload: flags.enableLifecycle
      ? () => {
          log.info('POST /-/reload: reloading config');
          return reloads.joinOrQueue();
        }
      : undefined,
    logger: log,
    createServer: (options, listener) => createSecuredServer(guard, listener, { serverOptions: options, logger: log }),
    limits: { maxConnections: flags.maxConnections, maxRequestsInFlight: flags.maxRequests },
  });
  const { host, port } = flags.listen;
  let bound: { host: string; port: number };
  try {
    bound = await server.listen(host, port);
  } catch (error) {
    log.error(
      { err: error, address: flags.listenAddress },
      'cannot listen; is the port in use? (--web.listen-address)',
    );
    guard?.close();
    await demo?.stop();
    return EXIT_RUNTIME;
  }
  const shownHost = bound.host.includes(':') ? `[${bound.host}]` : bound.host;
  const scheme = guard?.tlsOptions() ? 'https' : 'http';
  log.info({ address: `${shownHost}:${bound.port}`, scheme, version: VERSION }, 'listening');
  if (demo) {
    const { demoReadyMessage } = await import('./demo/index.js');
    process.stdout.write(demoReadyMessage(bound, scheme, flags.telemetryPath));
  }

  const shutdown = async (signal: HandledSignal): Promise<number> => {
    log.info({ signal }, 'shutting down: logging out of Enterprise Manager');
    await stopWithin(exporter, log);
    await server.close();
    guard?.close();
    await demo?.stop();
    log.info('stopped');
    return EXIT_OK;
  };
  if (life.stopSignal !== undefined) return shutdown(life.stopSignal);

  void exporter.start().catch((error: unknown) => log.error({ err: error }, 'first poll cycle failed unexpectedly'));
  if (reloads.fullReloadWaiting) log.info('applying the reload asked for during start-up: reloading config');
  reloads.start({
    reloadAll: () => reloadConfigs(flags, exporter, log, demo, guard),
    reloadWebConfig: () => reloadWebConfig(guard),
    recordReload: (ok) => exporter.metrics.recordReload(ok),
  });
  return shutdown(await life.stopRequested);
}

/** Re-reads the web config and the config; either being invalid keeps everything that runs now. */
async function reloadConfigs(
  flags: Flags,
  exporter: Exporter,
  log: Logger,
  demo: RunningDemo | undefined,
  guard: WebGuard | undefined,
): Promise<ReloadResult> {
  const web = await reloadWebConfig(guard);
  if (!web.ok) {
    log.error({ file: flags.webConfigFile }, `web config reload failed, keeping the running one:\n${web.error}`);
    return web;
  }
  if (demo) return { ok: false, error: 'the demo has no config file to reload' };
  const loaded = await loadConfigFile(flags.configFile);
  if (!loaded.ok) {
    const error = formatIssues(loaded.issues);
    log.error({ file: flags.configFile }, `config reload failed, keeping the running config:\n${error}`);
    return { ok: false, error };
  }
  for (const warning of loaded.warnings) log.warn({ key: warning.path, file: warning.file }, warning.message);
  await exporter.reload(loaded.config);
  log.info({ file: flags.configFile }, 'config reloaded');
  return { ok: true };
}

/** Re-reads the web config, if there is one; the guard logs a refusal and keeps the running one. */
async function reloadWebConfig(guard: WebGuard | undefined): Promise<ReloadResult> {
  if (!guard) return { ok: true };
  const web = await guard.reload();
  return web.ok ? web : { ok: false, error: formatIssues(web.issues) };
}
