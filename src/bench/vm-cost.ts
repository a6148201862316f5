/**
 * What per-machine freshness costs EM: requests and response bytes of a full VM read (a resync), of
 * steady cycles, and of the naive alternative that reads `/restorePoints/{id}/vmRestorePoints` for
 * every restore point. Against the in-process simulator; figures go to docs/vm-freshness.md.
 *
 *   node dist/bench/vm-cost.js [backups=1000] [vmsPerBackup=10] [pointsPerBackup=14] [naiveSample=1000]
 */
import { pino } from 'pino';
import { createEmClient } from '../em/index.js';
import { EmSimulator, generateBackups, type SimBackup } from '../simulator/index.js';
import { tapRestorePoints } from '../vms/restore-point-tap.js';
import { VmTracker } from '../vms/tracker.js';
import { readVmPoints } from '../vms/vm-cycle.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 0, 15, 12);
const USER = 'EM01\\svc_monitor';
const PASSWORD = 'secret';

interface Cost {
  requests: number;
  bytes: number;
  ms: number;
}

async function main(): Promise<void> {
  const [count = 1000, vmsPerBackup = 10, pointsPerBackup = 14, naiveSample = 1000] = process.argv.slice(2).map(Number);
  // Every backup daily, with points, so the shape is exactly backups x VMs x points.
  const backups: SimBackup[] = generateBackups({
    count,
    vmsPerBackup,
    pointsPerBackup,
    now: NOW - 2 * HOUR,
    seed: 'vm-cost',
  }).map((b, i) => ({
    ...b,
    restorePoints: Array.from(
      { length: pointsPerBackup },
      (_, p) => NOW - 2 * HOUR - (i % 360) * 60_000 - p * 24 * HOUR,
    ),
    vms: b.vms!.map((vm) => ({ name: vm.name })),
  }));
  const sim = new EmSimulator({
    users: [{ username: USER, password: PASSWORD }],
    backups,
    maxRecordedRequests: 1_000_000,
  });
  const started = await sim.start();
  const client = createEmClient(
    {
      name: 'em01',
      url: started.url,
      username: USER,
      password: () => PASSWORD,
      apiVersion: 'latest',
      format: 'xml',
      restorePoints: 'query',
      tls: { caPem: started.caPem, insecureSkipVerify: false },
      timeoutMs: 120_000,
      retries: 0,
      concurrency: 4,
    },
    { api: { request: () => undefined }, log: pino({ level: 'silent' }) },
  );
  const measure = async (what: () => Promise<unknown>): Promise<Cost> => {
    sim.clearRequests();
    const t0 = performance.now();
    await what();
    const ms = performance.now() - t0;
    const recorded = sim.requests().filter((r) => !r.url.includes('sessionMngr'));
    return { requests: recorded.length, bytes: recorded.reduce((sum, r) => sum + (r.bytes ?? 0), 0), ms };
  };
  try {
    // Resync far off, so the cycles after the night show steady reads; the first one shows a full read.
    const tracker = new VmTracker({ overlapMs: HOUR, resyncMs: 7 * 24 * HOUR });
    const tapped = tapRestorePoints(client, () => tracker);
    const ids = backups.map((b) => b.id);
    const rpRead = await measure(() => tapped.queryRestorePoints(ids));
    let now = NOW;
    const cycle = async (): Promise<Cost & { kind: string; points: number }> => {
      let outcome: Awaited<ReturnType<typeof readVmPoints>> | undefined;
      const cost = await measure(
        async () => (outcome = await readVmPoints({ em: 'em01', client, tracker, now: () => now })),
      );
      if (!outcome?.ok)
        throw new Error(
          `VM read failed: ${outcome !== undefined && 'failure' in outcome ? outcome.failure.message : 'no outcome'}`,
        );
      return { ...cost, kind: outcome.plan.kind, points: outcome.points };
    };
    const full = await cycle();
    now += 5 * 60_000;
    const quiet = await cycle();
    // A night passes: every backup gets one new restore point with all its machines.
    now += 22 * HOUR;
    for (const [i, b] of backups.entries()) {
      b.restorePoints.push(now - 30 * 60_000 - (i % 360) * 60_000);
      sim.upsertBackup(b);
    }
    await tapped.queryRestorePoints(ids);
    const afterNight = await cycle();
    now += 5 * 60_000;
    const next = await cycle();

    // Naive: one request per restore point. A sample of them, scaled to all.
    const allRps = (await client.queryRestorePoints(ids)).values();
    const pointIds: string[] = [];
    for (const outcome of allRps)
      if (outcome.ok) for (const p of outcome.value) pointIds.push(p.uid.replace(/^urn:veeam:RestorePoint:/i, ''));
    const sample = pointIds.slice(0, Math.min(naiveSample, pointIds.length));
    const naiveSampled = await measure(async () => {
      for (let i = 0; i < sample.length; i += 8)
        await Promise.all(sample.slice(i, i + 8).map((id) => client.getVmRestorePoints(id)));
    });
    const scale = pointIds.length / sample.length;
    const naive: Cost = {
      requests: pointIds.length,
      bytes: Math.round(naiveSampled.bytes * scale),
      ms: naiveSampled.ms * scale,
    };

    const vmPoints = backups.reduce((sum, b) => sum + b.restorePoints.length * (b.vms?.length ?? 0), 0);
    const mib = (n: number): string =>
      n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(2)} MiB`;
    const row = (name: string, c: Cost, extra = ''): string =>
      `| ${name} | ${c.requests} | ${mib(c.bytes)} | ${(c.ms / 1000).toFixed(1)} s | ${extra} |`;
    console.log(
      `${count} backups x ${vmsPerBackup} VMs x ${pointsPerBackup} points (${pointIds.length} restore points, ${vmPoints} VM points after one more night), XML, page size 1000\n`,
    );
    console.log('| read | EM requests | response bytes | wall time | VM points returned |');
    console.log('|---|---:|---:|---:|---|');
    console.log(row('restore points of all backups (query mode, made by every cycle anyway)', rpRead));
    console.log(row('VM points: full read (first cycle, then every vms.resync)', full, String(full.points)));
    console.log(row('VM points: steady cycle, nothing new', quiet, String(quiet.points)));
    console.log(row('VM points: steady cycle after every backup ran once', afterNight, String(afterNight.points)));
    console.log(row('VM points: the cycle after that', next, String(next.points)));
    console.log(
      row(
        `naive: GET /restorePoints/{id}/vmRestorePoints for every restore point (${sample.length} measured, scaled)`,
        naive,
      ),
    );
  } finally {
    await client.close();
    await sim.stop();
  }
}

await main();
