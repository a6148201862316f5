import { stableGuid } from './names.js';
import type { SimBackup, SimVm } from './types.js';

export interface GenerateOptions {
  count: number;
  /** Restore points of a daily backup; default 14. Weekly ones get a quarter of that. */
  pointsPerBackup?: number;
  /** The moment the newest points were taken just before; default now. */
  now?: number;
  /** Different seeds give different IDs; default 'demo'. */
  seed?: string;
  /** Machines per backup; default 3 to 8, an agent backup 1. */
  vmsPerBackup?: number;
}

// Names include XML/HTML-special characters on purpose: the demo should show they survive end to end.
const KINDS = [
  { name: 'Daily VM Backup', platform: 'VMware', everyH: 24 },
  { name: 'SQL & Exchange <prod>', platform: 'VMware', everyH: 24 },
  { name: 'Hyper-V Cluster', platform: 'HyperV', everyH: 24 },
  { name: 'File Server "FS01"', platform: 'VMware', everyH: 12 },
  { name: 'Linux Agents', platform: 'AgentForLinux', everyH: 24 },
  { name: 'vCloud Tenants', platform: 'vCloud', everyH: 24 },
  { name: 'Weekly Archive', platform: 'VMware', everyH: 7 * 24 },
] as const;

/** Small deterministic PRNG (mulberry32); the same seed always gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Plausible backups for `--demo`, the CLI and benchmarks: mostly healthy, every 10th one stale by
 * three days, every 17th without restore points, spread over two backup servers. Each has a few
 * machines; in every 6th backup the last machine has missed the three newest restore points, so the
 * backup looks fresh while that machine is not.
 */
export function generateBackups(opts: GenerateOptions): SimBackup[] {
  const perBackup = opts.pointsPerBackup ?? 14;
  const now = opts.now ?? Date.now();
  const seed = opts.seed ?? 'demo';
  const out: SimBackup[] = [];
  for (let i = 0; i < opts.count; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const id = stableGuid(`${seed}:backup:${i}`);
    const rnd = mulberry32(parseInt(id.slice(0, 8), 16));
    const points: number[] = [];
    if (i % 17 !== 5) {
      const every = kind.everyH * 3600_000;
      const stale = i % 10 === 7 ? 3 * 24 * 3600_000 : 0;
      const n = kind.everyH > 24 ? Math.max(1, Math.ceil(perBackup / 4)) : perBackup;
      const newest = now - stale - Math.floor(rnd() * Math.min(every, 6 * 3600_000)) - 60_000;
      for (let p = 0; p < n; p++) points.push(newest - p * every - Math.floor(rnd() * 600_000));
    }
    out.push({
      id,
      name:
        opts.count > KINDS.length
          ? `${kind.name} ${String(i + 1).padStart(String(opts.count).length, '0')}`
          : kind.name,
      platform: kind.platform,
      backupType: 'Standard',
      backupServer: i % 2 === 0 ? 'vbr01.example.local' : 'vbr02.example.local',
      repository: kind.everyH > 24 ? 'Archive Repository' : 'Default Backup Repository',
      restorePoints: points,
      vms: machines(i, kind.platform, points, opts.vmsPerBackup),
    });
  }
  return out;
}

function machines(i: number, platform: string, points: readonly number[], perBackup: number | undefined): SimVm[] {
  const agent = /agent/i.test(platform);
  const count = perBackup ?? (agent ? 1 : 3 + (i % 6));
  const prefix = agent ? 'host' : 'vm';
  const vms: SimVm[] = Array.from({ length: count }, (_, v) => ({
    name: `${prefix}-${String(i + 1).padStart(4, '0')}-${v + 1}`,
  }));
  const newestFirst = [...points].sort((a, b) => b - a);
  if (i % 6 === 0 && vms.length > 1 && newestFirst.length > 3)
    vms[vms.length - 1]!.inRestorePoints = newestFirst.slice(3);
  return vms;
}
