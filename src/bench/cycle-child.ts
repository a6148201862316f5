/**
 * The exporter's poll cycle in a process of its own, so its peak RSS is the exporter's alone and
 * its event loop is not shared with the simulator or the benchmark. Driven over IPC by poll.ts.
 */
import { loadConfigFile, formatIssues } from '../config/index.js';
import { Exporter } from '../exporter.js';
import { createLogger } from '../logging/index.js';
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

function memory(): Pick<CycleFigures, 'maxRssBytes' | 'rssBytes' | 'heapUsedBytes'> {
  const m = process.memoryUsage();
  return { maxRssBytes: process.resourceUsage().maxRSS * 1024, rssBytes: m.rss, heapUsedBytes: m.heapUsed };
}

serveIpc(async (command) => {
  switch (command.cmd) {
    case 'prepare': {
      const loaded = await loadConfigFile(String(command.configFile), { ...process.env, ...(command.env as Record<string, string>) });
      if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
      exporter = new Exporter({ config: loaded.config, logger: createLogger({ level: 'error', format: 'json' }), version: 'bench' });
      return memory();
    }
    case 'cycle': {
      if (exporter === undefined) throw new Error('prepare first');
      const started = performance.now();
      const cpu = process.cpuUsage();
      const ok = await exporter.runOnce();
      const used = process.cpuUsage(cpu);
      return { wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000, ok, ...memory() } satisfies CycleFigures;
    }
    case 'render': {
      if (exporter === undefined) throw new Error('prepare first');
      const text = await exporter.metrics.render();
      return { bytes: Buffer.byteLength(text), ...memory() };
    }
    case 'stop':
      await exporter?.stop();
      setImmediate(() => process.exit(0));
      return true;
    default:
      throw new Error(`unknown command ${String(command.cmd)}`);
  }
});
