#!/usr/bin/env node
import type { Logger } from 'pino';
import { firstRunHint } from './cli/first-run.js';
import { HELP_TEXT, parseFlags, parseListenAddress, type Flags } from './cli/flags.js';
import { formatIssues, loadConfigFile } from './config/index.js';
import type { ExporterConfig } from './config/types.js';
import { demoReadyMessage, startDemo, type RunningDemo } from './demo/index.js';
import { Exporter } from './exporter.js';
import { createLogger } from './logging/index.js';
import { createHttpServer } from './server/index.js';
import { VERSION } from './version.js';
import { createSecuredServer, createWebGuard, formatWebConfigIssue, loadWebConfig, type WebGuard } from './web-config/index.js';

const EXIT_OK = 0;
const EXIT_RUNTIME = 1;
const EXIT_USAGE = 2;
/** Orchestrators wait a few seconds after SIGTERM before they kill; logout must fit in that. */
const SHUTDOWN_DEADLINE_MS = 4_500;

async function main(argv: string[]): Promise<number> {
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
  let demo: RunningDemo | undefined;
  let config: ExporterConfig;
  if (flags.demo) {
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

  if (flags.configCheck) {
    if (flags.webConfigFile) {
      const web = await loadWebConfig(flags.webConfigFile);
      if (!web.ok) {
        process.stderr.write(`${web.issues.map(formatWebConfigIssue).join('\n')}\n`);
        return EXIT_USAGE;
      }
    }
    process.stdout.write('config OK\n');
    await demo?.stop();
    return EXIT_OK;
  }

  const exporter = new Exporter({ config, logger: log, version: VERSION });
  if (flags.once) {
    const allOk = await exporter.runOnce();
    process.stdout.write(await exporter.metrics.render());
    await exporter.stop();
    await demo?.stop();
    return allOk ? EXIT_OK : EXIT_RUNTIME;
  }
  let guard: WebGuard | undefined;
  if (flags.webConfigFile) {
    const created = await createWebGuard(flags.webConfigFile, log);
    if (!created.ok) {
      process.stderr.write(`${created.issues.map(formatWebConfigIssue).join('\n')}\n`);
      await demo?.stop();
      return EXIT_USAGE;
    }
    guard = created.guard;
  }
  return serve(flags, exporter, log, demo, guard);
}

async function serve(flags: Flags, exporter: Exporter, log: Logger, demo: RunningDemo | undefined, guard: WebGuard | undefined): Promise<number> {
  // SIGHUP and POST /-/reload may race; one reload at a time keeps the swap atomic.
  let lastReload: Promise<unknown> = Promise.resolve();
  const reload = (): Promise<{ ok: true } | { ok: false; error: string }> => {
    const next = lastReload.then(async () => {
      const outcome = await reloadConfigs(flags, exporter, log, demo, guard).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        log.error({ err: error }, `config reload failed, keeping the running config: ${message}`);
        return { ok: false as const, error: message };
      });
      exporter.metrics.recordReload(outcome.ok);
      return outcome;
    });
    lastReload = next;
    return next;
  };

  const server = createHttpServer({
    telemetryPath: flags.telemetryPath,
    render: async () => ({ contentType: exporter.metrics.contentType, body: await exporter.metrics.renderParts() }),
    state: exporter.state,
    vms: () => exporter.vms.ems(),
    isReady: () => exporter.isReady(),
    version: VERSION,
    schedule: () => exporter.schedule,
    reload: flags.enableLifecycle ? reload : undefined,
    logger: log,
    createServer: (options, listener) => createSecuredServer(guard, listener, { serverOptions: options, logger: log }),
    limits: { maxConnections: flags.maxConnections, maxRequestsInFlight: flags.maxRequests },
  });
  const { host, port } = parseListenAddress(flags.listenAddress);
  let bound: { host: string; port: number };
  try {
    bound = await server.listen(host, port);
  } catch (error) {
    log.error({ err: error, address: flags.listenAddress }, 'cannot listen; is the port in use? (--web.listen-address)');
    await demo?.stop();
    return EXIT_RUNTIME;
  }
  const shownHost = bound.host.includes(':') ? `[${bound.host}]` : bound.host;
  const scheme = guard?.tlsOptions() ? 'https' : 'http';
  log.info({ address: `${shownHost}:${bound.port}`, scheme, version: VERSION }, 'listening');
  if (demo) process.stdout.write(demoReadyMessage(bound, scheme, flags.telemetryPath));

  void exporter.start().catch((error: unknown) => log.error({ err: error }, 'first poll cycle failed unexpectedly'));

  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting at once');
        process.exit(EXIT_RUNTIME);
      }
      stopping = true;
      log.info({ signal }, 'shutting down: logging out of Enterprise Manager');
      void (async () => {
        const deadline = new Promise<'late'>((r) => setTimeout(() => r('late'), SHUTDOWN_DEADLINE_MS).unref());
        if ((await Promise.race([exporter.stop(), deadline])) === 'late') {
          log.warn('Enterprise Manager did not answer the logout in time; its session ends by itself after 15 minutes idle');
        }
        await server.close();
        guard?.close();
        await demo?.stop();
        log.info('stopped');
        resolve(EXIT_OK);
      })();
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGHUP', () => {
      log.info('SIGHUP: reloading config');
      void reload();
    });
  });
}

/** Re-reads the web config and the config; either being invalid keeps everything that runs now. */
async function reloadConfigs(
  flags: Flags,
  exporter: Exporter,
  log: Logger,
  demo: RunningDemo | undefined,
  guard: WebGuard | undefined,
): Promise<{ ok: true } | { ok: false; error: string }> {
  if (guard) {
    const web = await guard.reload();
    if (!web.ok) {
      const error = web.issues.map(formatWebConfigIssue).join('\n');
      log.error({ file: flags.webConfigFile }, `web config reload failed, keeping the running one:\n${error}`);
      return { ok: false, error };
    }
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

main(process.argv.slice(2)).then(
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
