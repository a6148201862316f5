/**
 * The exporter's poll cycle in a process of its own, so its peak RSS is the exporter's alone and
 * its event loop is not shared with the simulator or the benchmark. Driven over IPC by poll.ts.
 */
import { loadConfigFile, formatIssues } from '../config/index.js';
import { Exporter } from '../exporter.js';
import { createLogger } from '../logging/index.js';
import { createHttpServer, type HttpServer } from '../server/index.js';
import { serveIpc } from './children.js';

export interface CycleFigures {
  wallMs: number;
  /** CPU time of this process (user + system, thread pool included) during the cycle. */
  cpuMs: number;
  ok: boolean;
  /** Peak resident set of this process since it started. */
  maxRssBytes: number;
  rssBytes: number;
  heapUsedBytes: number;
}

let exporter: Exporter | undefined;
let server: HttpServer | undefined;

/** CPU time of this process so far (user + system, thread pool included), in microseconds. */
function cpuMicros(): number {
  const used = process.cpuUsage();
  return used.user + used.system;
}

function memory(): Pick<CycleFigures, 'maxRssBytes' | 'rssBytes' | 'heapUsedBytes'> {
  const m = process.memoryUsage();
  return { maxRssBytes: process.resourceUsage().maxRSS * 1024, rssBytes: m.rss, heapUsedBytes: m.heapUsed };
}

serveIpc(async (command) => {
  switch (command.cmd) {
    case 'prepare': {
      const loaded = await loadConfigFile(String(command.configFile), {
        ...process.env,
        ...(command.env as Record<string, string>),
      });
      if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
      exporter = new Exporter({
        config: loaded.config,
        logger: createLogger({ level: 'error', format: 'json' }),
        version: 'bench',
      });
      return memory();
    }
    case 'cycle': {
      if (exporter === undefined) throw new Error('prepare first');
      const started = performance.now();
      const cpu = process.cpuUsage();
      const ok = await exporter.runOnce();
      const used = process.cpuUsage(cpu);
      return {
        wallMs: performance.now() - started,
        cpuMs: (used.user + used.system) / 1000,
        ok,
        ...memory(),
      } satisfies CycleFigures;
    }
    case 'serve': {
      // The HTTP server main.js puts in front of the exporter, so a scrape here costs what it costs there.
      if (exporter === undefined) throw new Error('prepare first');
      const running = exporter;
      server = createHttpServer({
        telemetryPath: '/metrics',
        render: async () => ({ contentType: running.metrics.contentType, body: await running.metrics.renderParts() }),
        state: running.state,
        isReady: () => running.isReady(),
        version: 'bench',
        schedule: () => running.schedule,
        logger: createLogger({ level: 'error', format: 'json' }),
      });
      const bound = await server.listen('127.0.0.1', 0);
      return { port: bound.port, ...memory() };
    }
    case 'cpu':
      return cpuMicros();
    case 'memory':
      return memory();
    case 'render': {
      if (exporter === undefined) throw new Error('prepare first');
      const text = await exporter.metrics.render();
      return { bytes: Buffer.byteLength(text), ...memory() };
    }
    case 'stop':
      await server?.close();
      await exporter?.stop();
      setImmediate(() => process.exit(0));
      return true;
    default:
      throw new Error(`unknown command ${String(command.cmd)}`);
  }
});
