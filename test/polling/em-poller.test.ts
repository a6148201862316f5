/**
 * EmPoller with a fake EmClient: joining a running cycle, counting overruns, and what a replacement
 * poller takes over. No schedule is started; cycles run by hand.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { RestorePoint } from '../../src/domain.js';
import type { EmClient } from '../../src/em/index.js';
import { createExporterState } from '../../src/metrics/index.js';
import { EmPoller, type CycleDeps } from '../../src/polling/index.js';
import { fakeEmClient, meta } from './fake-client.js';

const IDS = Array.from({ length: 3 }, (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`);

function fake(gate?: Promise<void>) {
  const asked = { getBackup: 0, getRestorePoints: 0 };
  const client = fakeEmClient({
    getBackup: async (id) => {
      asked.getBackup++;
      return meta(id);
    },
    getRestorePoints: async (): Promise<RestorePoint[]> => {
      asked.getRestorePoints++;
      await gate;
      return [{ uid: '', timeMs: Date.now() }];
    },
  });
  return { client, asked };
}

function deps() {
  const state = createExporterState();
  state.setTargets(
    ['em01'],
    IDS.map((id) => ({ em: 'em01', backupId: id, rpoSeconds: 3600 })),
  );
  const overruns: string[] = [];
  const d: CycleDeps = {
    state,
    events: { overrun: (em) => overruns.push(em), pollError: () => undefined },
    log: pino({ level: 'silent' }),
    now: Date.now,
    metadataRefreshMs: 3_600_000,
  };
  return { d, state, overruns };
}

const poller = (client: EmClient, d: CycleDeps) =>
  new EmPoller(
    {
      em: 'em01',
      client,
      backups: IDS.map((id) => ({ id, rpoSeconds: 3600 })),
      concurrency: 2,
      schedule: '* * * * *',
      cycleTimeoutMs: 10_000,
    },
    d,
  );

describe('EmPoller', () => {
  it('runCycle while a cycle runs joins it instead of starting a second one', async () => {
    let open!: () => void;
    const f = fake(new Promise<void>((resolve) => (open = resolve)));
    const { d } = deps();
    const p = poller(f.client, d);
    const first = p.runCycle();
    const second = p.runCycle();
    expect(second).toBe(first);
    open();
    const outcome = await first;
    expect(outcome).toMatchObject({ succeeded: 3, failed: 0 });
    expect(f.asked.getRestorePoints).toBe(3);
    // Ended: the next call is a new cycle.
    await p.runCycle();
    expect(f.asked.getRestorePoints).toBe(6);
    await p.abandon();
  });

  it('a tick that finds the cycle still running is skipped and counted as an overrun', async () => {
    let open!: () => void;
    const f = fake(new Promise<void>((resolve) => (open = resolve)));
    const { d, overruns } = deps();
    const p = poller(f.client, d);
    const running = p.runCycle();
    // Concurrency 2: two restore-point reads hang, the third waits for a slot.
    for (let i = 0; i < 200 && f.asked.getRestorePoints < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const tick = (p as unknown as { tick(): Promise<void> }).tick.bind(p);
    await tick();
    await tick();
    expect(overruns).toEqual(['em01', 'em01']);
    expect(f.asked.getRestorePoints).toBe(2); // no second cycle started
    open();
    await running;
    await tick(); // idle now: a tick runs a cycle and counts nothing
    expect(overruns).toHaveLength(2);
    expect(f.asked.getRestorePoints).toBe(6);
    await p.abandon();
  });

  it('a replacement takes over when metadata was read, so its first cycle does not read it all again', async () => {
    const { d } = deps();
    const old = fake();
    const before = poller(old.client, d);
    await before.runCycle();
    expect(old.asked.getBackup).toBe(3);
    await before.abandon();

    const next = fake();
    const fresh = poller(next.client, d);
    fresh.inheritFrom(before);
    await fresh.runCycle();
    expect(next.asked).toEqual({ getBackup: 0, getRestorePoints: 3 });

    // Without the hand-over, a new poller reads every backup's metadata at once.
    const alone = fake();
    await poller(alone.client, d).runCycle();
    expect(alone.asked.getBackup).toBe(3);
    await fresh.abandon();
  });

  it('an abandoned poller runs no cycle and records nothing', async () => {
    const { d, state } = deps();
    const f = fake();
    const p = poller(f.client, d);
    await p.abandon();
    const outcome = await p.runCycle();
    expect(outcome.abandoned).toBe(true);
    expect(f.asked).toEqual({ getBackup: 0, getRestorePoints: 0 });
    expect(state.backups().every((b) => b.lastPoll === undefined)).toBe(true);
  });
});
