/**
 * The incremental VM tracker against the simulator through random histories: after every cycle its
 * newest timestamps equal those of a full re-read, and after every resync everything does.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmClient } from '../../src/em/index.js';
import { EmSimulator, type SimBackup, type SimVm, type StartedSimulator } from '../../src/simulator/index.js';
import { tapRestorePoints } from '../../src/vms/restore-point-tap.js';
import { VmTracker, type VmSeries } from '../../src/vms/tracker.js';
import { readVmPoints } from '../../src/vms/vm-cycle.js';

const USER = 'EM01\\svc_monitor';
const PASSWORD = 'secret';
const HOUR = 3_600_000;
const OVERLAP = HOUR;
const RESYNC = 72 * HOUR;
const T0 = Date.UTC(2026, 0, 1);

let sim: EmSimulator;
let started: StartedSimulator;
let client: ReturnType<typeof createEmClient>;

beforeAll(async () => {
  sim = new EmSimulator({ users: [{ username: USER, password: PASSWORD }], maxRecordedRequests: 1000 });
  started = await sim.start();
  client = createEmClient(
    {
      name: 'em01',
      url: started.url,
      username: USER,
      password: () => PASSWORD,
      apiVersion: 'latest',
      format: 'xml',
      restorePoints: 'entity',
      tls: { caPem: started.caPem, insecureSkipVerify: false },
      timeoutMs: 10_000,
      retries: 0,
      concurrency: 4,
      queryPageSize: 5,
    },
    { api: { request: () => undefined }, log: pino({ level: 'silent' }) },
  );
});
afterAll(async () => {
  await client.close();
  await sim.stop();
});

/** A history, drawn as numbers so fast-check can shrink it; each cycle's events read them in turn. */
interface Step {
  advanceMs: number;
  /** Per backup: [has a new point, its age, VM skip mask, late arrival, retention, delete by hand, add VM, remove VM]. */
  events: number[][];
}

const stepArb = (backups: number): fc.Arbitrary<Step> =>
  fc.record({
    advanceMs: fc.integer({ min: 2 * HOUR, max: 30 * HOUR }),
    events: fc.array(fc.array(fc.nat({ max: 1_000_000 }), { minLength: 8, maxLength: 8 }), {
      minLength: backups,
      maxLength: backups,
    }),
  });

interface Model {
  backup: SimBackup;
  vms: Array<SimVm & { removed?: boolean }>;
  keep: number;
}

function byKey(series: readonly VmSeries[], withCount: boolean): Record<string, unknown> {
  return Object.fromEntries(
    series.map((s) => [`${s.backupId}/${s.vmId}`, withCount ? s : { vmName: s.vmName, newestMs: s.newestMs }]),
  );
}

/** The same EM read afresh: a new tracker, every backup's restore points, every VM point. */
async function fullReRead(ids: readonly string[]): Promise<VmSeries[]> {
  const reference = new VmTracker({ overlapMs: OVERLAP, resyncMs: 0 });
  const tapped = tapRestorePoints(client, () => reference);
  for (const id of ids) await tapped.getRestorePoints(id);
  reference.applyFull(await client.queryVmRestorePoints(undefined), Date.now());
  return reference.series();
}

function applyStep(models: Model[], step: Step, now: number, previousNow: number, counter: { vm: number }): void {
  models.forEach((model, b) => {
    const [hasNew = 0, age = 0, skipMask = 0, late = 0, retention = 0, byHand = 0, addVm = 0, removeVm = 0] =
      step.events[b] ?? [];
    const points = model.backup.restorePoints;
    const addPoint = (ms: number): void => {
      if (points.includes(ms)) return;
      points.push(ms);
      model.vms.forEach((vm, v) => {
        // Some machines skip a cycle (a locked snapshot, say); removed ones never come back.
        if (!vm.removed && (skipMask >> v) % 4 !== 0) vm.inRestorePoints!.push(ms);
      });
    };
    if (addVm % 7 === 0)
      model.vms.push({ name: `vm-${b}-${counter.vm++}`, delayMs: 20_000 + (addVm % 60_000), inRestorePoints: [] });
    if (removeVm % 9 === 0 && model.vms.length > 1) model.vms[removeVm % model.vms.length]!.removed = true;
    // A new point created since the last cycle, with its machines' points tens of seconds later.
    if (hasNew % 5 !== 0) addPoint(now - 5 * 60_000 - (age % (now - previousNow - 10 * 60_000)));
    // A late arrival: created before the last cycle, reaching EM only now, within the overlap or
    // (EM collecting late, the backup's poll failing) hours beyond it.
    if (late % 4 === 0) addPoint(previousNow - 2 * 60_000 - (late % Math.floor(OVERLAP * 0.7)));
    if (late % 10 === 1) addPoint(previousNow - OVERLAP - (late % (10 * HOUR)));
    // Retention deletes the oldest points beyond the backup's limit.
    points.sort((x, y) => y - x);
    if (retention % 3 === 0) points.splice(model.keep);
    // A restore point deleted by hand.
    if (byHand % 10 === 0 && points.length > 1) points.splice(byHand % points.length, 1);
    for (const vm of model.vms) vm.inRestorePoints = vm.inRestorePoints!.filter((ms) => points.includes(ms));
    sim.upsertBackup({
      ...model.backup,
      vms: model.vms.map(({ removed: _removed, ...vm }) => ({ ...vm, inRestorePoints: [...vm.inRestorePoints!] })),
    });
  });
}

describe('VM freshness through random histories', () => {
  it('incremental newest timestamps equal a full re-read after every cycle, and everything after every resync', async () => {
    const backupCount = 3;
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb(backupCount), { minLength: 6, maxLength: 14 }),
        fc.array(fc.integer({ min: 2, max: 6 }), { minLength: backupCount, maxLength: backupCount }),
        async (steps, keeps) => {
          const counter = { vm: 0 };
          const models: Model[] = keeps.map((keep, b) => ({
            backup: { id: `0000000${b}-0000-4000-8000-00000000000${b}`, name: `Backup ${b}`, restorePoints: [] },
            vms: [0, 1, 2].map((v) => ({
              name: `vm-${b}-${counter.vm++}`,
              delayMs: 20_000 + v * 17_000,
              inRestorePoints: [],
            })),
            keep,
          }));
          sim.setBackups(models.map((m) => ({ ...m.backup, vms: [] })));
          const tracker = new VmTracker({ overlapMs: OVERLAP, resyncMs: RESYNC });
          const tapped = tapRestorePoints(client, () => tracker);
          const ids = models.map((m) => m.backup.id);
          let now = T0;
          for (const step of steps) {
            const previousNow = now;
            now += step.advanceMs;
            applyStep(models, step, now, previousNow, counter);
            for (const id of ids) await tapped.getRestorePoints(id);
            const outcome = await readVmPoints({ em: 'em01', client, tracker, now: () => now });
            expect(outcome.ok).toBe(true);
            const truth = await fullReRead(ids);
            if (outcome.plan.kind === 'full') expect(byKey(tracker.series(), true)).toEqual(byKey(truth, true));
            else expect(byKey(tracker.series(), false)).toEqual(byKey(truth, false));
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});

describe('what the overlap covers, and what waits for a resync', () => {
  const ID = '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3';
  const FIRST = T0 - 20 * 60_000;

  /**
   * VM "a" has a point in the first restore point, created 20 minutes before the first read (at
   * T0); then a restore point `lateByMs` older than that reaches EM, holding VM "b".
   */
  async function lateArrival(lateByMs: number, overlapMs: number) {
    const a = { name: 'a', delayMs: 30_000 };
    const b = { name: 'b', delayMs: 30_000 };
    sim.setBackups([
      {
        id: ID,
        name: 'Daily',
        restorePoints: [FIRST],
        vms: [
          { ...a, inRestorePoints: [FIRST] },
          { ...b, inRestorePoints: [] },
        ],
      },
    ]);
    const tracker = new VmTracker({ overlapMs, resyncMs: RESYNC });
    const tapped = tapRestorePoints(client, () => tracker);
    const cycle = async (now: number) => {
      await tapped.getRestorePoints(ID);
      const outcome = await readVmPoints({ em: 'em01', client, tracker, now: () => now });
      return {
        kind: outcome.plan.kind,
        newest: Object.fromEntries(tracker.series().map((s) => [s.vmName, s.newestMs])),
      };
    };
    await cycle(T0);
    const late = FIRST - lateByMs;
    sim.setBackups([
      {
        id: ID,
        name: 'Daily',
        restorePoints: [FIRST, late],
        vms: [
          { ...a, inRestorePoints: [FIRST] },
          { ...b, inRestorePoints: [late] },
        ],
      },
    ]);
    return { late, next: await cycle(T0 + HOUR), resync: await cycle(T0 + RESYNC + HOUR) };
  }

  it('a point created before the high-water mark but reaching EM within the overlap is read at the next cycle', async () => {
    const { late, next } = await lateArrival(30 * 60_000, OVERLAP);
    expect(next).toEqual({ kind: 'since', newest: { a: FIRST + 30_000, b: late + 30_000 } });
  });

  it('without an overlap the same late point costs a full read: the margin is what finds it cheaply', async () => {
    const { late, next } = await lateArrival(30 * 60_000, 0);
    expect(next).toEqual({ kind: 'full', newest: { a: FIRST + 30_000, b: late + 30_000 } });
  });

  it('a restore point reaching EM later than the overlap makes the next read a full one, so it is exact at once', async () => {
    const { late, next } = await lateArrival(3 * HOUR, OVERLAP);
    expect(next).toEqual({ kind: 'full', newest: { a: FIRST + 30_000, b: late + 30_000 } });
  });

  it('a VM point added late to a restore point already read waits for the next resync, then is exact', async () => {
    const a = { name: 'a', delayMs: 30_000 };
    sim.setBackups([{ id: ID, name: 'Daily', restorePoints: [FIRST], vms: [{ ...a, inRestorePoints: [FIRST] }] }]);
    const tracker = new VmTracker({ overlapMs: OVERLAP, resyncMs: RESYNC });
    const tapped = tapRestorePoints(client, () => tracker);
    const cycle = async (now: number) => {
      await tapped.getRestorePoints(ID);
      const outcome = await readVmPoints({ em: 'em01', client, tracker, now: () => now });
      return {
        kind: outcome.plan.kind,
        newest: Object.fromEntries(tracker.series().map((s) => [s.vmName, s.newestMs])),
      };
    };
    await cycle(T0);
    await cycle(T0 + 2 * HOUR);
    // Machine "b" appears in the same, already known restore point, hours after its creation.
    sim.setBackups([
      {
        id: ID,
        name: 'Daily',
        restorePoints: [FIRST],
        vms: [
          { ...a, inRestorePoints: [FIRST] },
          { name: 'b', delayMs: 40_000, inRestorePoints: [FIRST] },
        ],
      },
    ]);
    expect(await cycle(T0 + 3 * HOUR)).toEqual({ kind: 'since', newest: { a: FIRST + 30_000 } });
    expect(await cycle(T0 + RESYNC + HOUR)).toEqual({ kind: 'full', newest: { a: FIRST + 30_000, b: FIRST + 40_000 } });
  });
});
