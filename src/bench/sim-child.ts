/**
 * The simulated Enterprise Manager in a process of its own, so the exporter under test does not
 * share an event loop with it. Driven over IPC by the scenarios: start, count requests, stop.
 */
import { generateBackups } from '../simulator/generate.js';
import { EmSimulator } from '../simulator/server.js';
import { serveIpc } from './children.js';
import { SIM_PASSWORD, SIM_USER, type SimCounts, type SimStart, type SimStarted } from './site.js';

let sim: EmSimulator | undefined;

function classify(method: string, url: string): keyof Omit<SimCounts, 'total'> {
  const path = url.split('?', 1)[0]!.toLowerCase();
  if (path.includes('/sessionmngr')) return 'logon';
  if (method === 'DELETE' && path.includes('/logonsessions/')) return 'logout';
  if (path.includes('/query')) return 'query';
  if (/\/backups\/[^/]+\/restorepoints$/.test(path)) return 'restorePoints';
  if (/\/backups\/[^/]+$/.test(path)) return 'backup';
  return 'other';
}

serveIpc(async (command) => {
  switch (command.cmd) {
    case 'start': {
      const opts = command as unknown as SimStart;
      // A fixed clock: the same seed yields the same backups and bodies in every run.
      const backups = generateBackups({
        count: opts.count,
        pointsPerBackup: opts.pointsPerBackup,
        seed: opts.seed,
        now: Date.UTC(2026, 0, 15, 12),
      });
      sim = new EmSimulator({
        users: [{ username: SIM_USER, password: SIM_PASSWORD }],
        backups,
        maxRecordedRequests: 1_000_000,
      });
      if (opts.latencyMs > 0) sim.addFault({ latencyMs: opts.latencyMs });
      const started = await sim.start();
      return { url: started.url, caPem: started.caPem, ids: backups.map((b) => b.id) } satisfies SimStarted;
    }
    case 'counts': {
      const counts: SimCounts = { total: 0, logon: 0, logout: 0, backup: 0, restorePoints: 0, query: 0, other: 0 };
      for (const r of sim?.requests() ?? []) {
        counts.total++;
        counts[classify(r.method, r.url)]++;
      }
      if (command.reset === true) sim?.clearRequests();
      return counts;
    }
    case 'stop':
      await sim?.stop();
      sim = undefined;
      setImmediate(() => process.exit(0));
      return true;
    default:
      throw new Error(`unknown command ${String(command.cmd)}`);
  }
});
