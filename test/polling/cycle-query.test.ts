/**
 * The query-service branch of the cycle (pollByQuery) and discovery's hand-over to the state, with a
 * fake EmClient: no HTTP, every answer decided here.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { PollErrorReason, RestorePoint } from '../../src/domain.js';
import { EmError, type BackupOutcome, type EmClient } from '../../src/em/index.js';
import { createExporterState } from '../../src/metrics/index.js';
import { createLimiter, runEmCycle, type CycleDeps, type EmCycleInput } from '../../src/polling/index.js';
import { BackupDiscovery } from '../../src/polling/discovery.js';
import { fakeEmClient, meta, ok } from './fake-client.js';

const IDS = Array.from({ length: 4 }, (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`);
const notFound = (id: string): BackupOutcome<never> => ({
  ok: false,
  error: new EmError({ em: 'em01', backupId: id, reason: 'not_found', detail: 'not found', status: 404 }),
});

interface Calls {
  queryBackups: string[][];
  queryRestorePoints: string[][];
  order: string[];
}

function rig(client: Partial<EmClient>, extra: Partial<EmCycleInput> = {}, metadataRefreshMs = 3_600_000) {
  const calls: Calls = { queryBackups: [], queryRestorePoints: [], order: [] };
  const state = createExporterState();
  state.setTargets(
    ['em01'],
    IDS.map((id) => ({ em: 'em01', backupId: id, rpoSeconds: 3600 })),
  );
  const errors: PollErrorReason[] = [];
  const log = pino({ level: 'silent' });
  const deps: CycleDeps = {
    state,
    events: { overrun: () => undefined, pollError: (_em, reason) => errors.push(reason) },
    log,
    now: Date.now,
    metadataRefreshMs,
  };
  // Query mode never reads restore points one backup at a time: none, should the cycle try.
  const full = fakeEmClient({ getRestorePoints: async () => [], ...client });
  const recorded: EmClient = {
    ...full,
    queryBackups: (ids, run) => {
      calls.queryBackups.push([...ids]);
      calls.order.push('queryBackups');
      return full.queryBackups(ids, run);
    },
    queryRestorePoints: (ids, run, counts) => {
      calls.queryRestorePoints.push([...ids]);
      calls.order.push('queryRestorePoints');
      return full.queryRestorePoints(ids, run, counts);
    },
  };
  const input: EmCycleInput = {
    em: 'em01',
    client: recorded,
    backups: IDS.map((id) => ({ id, rpoSeconds: 3600 })),
    limit: createLimiter(2),
    metadataReadAt: new Map(),
    restorePoints: 'query',
    ...extra,
  };
  const record = (id: string) => state.backups().find((b) => b.backupId === id)!;
  return { state, calls, errors, input, record, run: () => runEmCycle(input, deps) };
}

describe('runEmCycle with restore points by query', () => {
  it('reads the metadata of every due backup in one bulk call, then all restore points in one, and not again while fresh', async () => {
    const r = rig({});
    const first = await r.run();
    expect(first).toMatchObject({ up: true, succeeded: 4, failed: 0 });
    expect(r.calls.queryBackups).toEqual([IDS]);
    expect(r.calls.queryRestorePoints).toEqual([IDS]);
    for (const id of IDS) expect(r.record(id).metadata?.name).toBe(`b-${id.slice(-2)}`);
    await r.run();
    expect(r.calls.queryBackups).toEqual([IDS]);
    expect(r.calls.queryRestorePoints).toEqual([IDS, IDS]);
  });

  it('looks a backup the query left without points up again: gone is not_found, there keeps its (empty) summary', async () => {
    const r = rig({
      queryRestorePoints: async (ids) =>
        new Map(
          ids.map((id) => [
            id,
            ok<RestorePoint[]>(id === IDS[0] || id === IDS[1] ? [] : [{ uid: '', timeMs: Date.now() }]),
          ]),
        ),
    });
    await r.run(); // metadata fresh from here on
    r.calls.queryBackups.length = 0;
    r.input.client = {
      ...r.input.client,
      queryBackups: async (ids) => {
        r.calls.queryBackups.push([...ids]);
        return new Map(ids.map((id) => [id, id === IDS[0] ? notFound(id) : ok(meta(id))]));
      },
    };
    r.errors.length = 0;
    const outcome = await r.run();
    // Only the two without points are asked about; their metadata was fresh, so not before.
    expect(r.calls.queryBackups).toEqual([[IDS[0], IDS[1]]]);
    expect(outcome).toMatchObject({ succeeded: 3, failed: 1 });
    expect(r.errors).toEqual(['not_found']);
    expect(r.record(IDS[0]!).lastPoll).toMatchObject({ ok: false, failure: { reason: 'not_found' } });
    expect(r.record(IDS[1]!).lastPoll).toMatchObject({ ok: true });
    expect(r.record(IDS[1]!).summary?.count).toBe(0);
  });

  it('a bulk call that throws fails every backup it carried, keeping their last values, and the cycle goes on', async () => {
    let throwing = false;
    const r = rig({
      queryRestorePoints: async (ids) => {
        if (throwing) throw new Error('defect in the bulk reader');
        return new Map(ids.map((id) => [id, ok([{ uid: '', timeMs: 1_000 }])]));
      },
    });
    await r.run();
    throwing = true;
    const outcome = await r.run();
    expect(outcome).toMatchObject({ succeeded: 0, failed: 4 });
    expect(r.errors).toHaveLength(4);
    for (const id of IDS) {
      expect(r.record(id).lastPoll).toMatchObject({ ok: false });
      expect(r.record(id).summary?.count).toBe(1);
    }
  });

  it('a backup the bulk answer left out fails on its own; the others succeed', async () => {
    const r = rig({
      queryRestorePoints: async (ids) =>
        new Map(ids.filter((id) => id !== IDS[2]).map((id) => [id, ok([{ uid: '', timeMs: Date.now() }])])),
    });
    const outcome = await r.run();
    expect(outcome).toMatchObject({ succeeded: 3, failed: 1 });
    expect(r.record(IDS[2]!).lastPoll).toMatchObject({ ok: false });
    expect(r.record(IDS[2]!).lastPoll?.failure?.detail).toContain('returned nothing for this backup');
  });

  it('a backup whose blocking metadata read finds it gone is not asked for restore points', async () => {
    const r = rig({
      queryBackups: async (ids) => new Map(ids.map((id) => [id, id === IDS[3] ? notFound(id) : ok(meta(id))])),
    });
    const outcome = await r.run();
    expect(r.calls.queryRestorePoints).toEqual([IDS.slice(0, 3)]);
    expect(outcome).toMatchObject({ succeeded: 3, failed: 1 });
    expect(r.record(IDS[3]!).lastPoll).toMatchObject({ ok: false, failure: { reason: 'not_found' } });
  });
});

describe('runEmCycle with discovery', () => {
  it('publishes a changed set to the state before polling it, so a discovered backup is recorded in its first cycle', async () => {
    const found = meta('00000000-0000-4000-8000-00000000000a', 'Found VM');
    const r = rig(
      { listBackups: async () => [found] },
      {
        backups: [],
        discovery: new BackupDiscovery('em01', { include: 'Found', rpoSeconds: 99 }),
        restorePoints: 'per-backup',
      },
    );
    r.state.setTargets(['em01'], []);
    const outcome = await r.run();
    expect(outcome).toMatchObject({ succeeded: 1, failed: 0 });
    expect(r.state.backups()).toMatchObject([
      { em: 'em01', backupId: found.id, rpoSeconds: 99, metadata: { name: 'Found VM' }, lastPoll: { ok: true } },
    ]);
  });

  it('a backup that left the listing leaves the state and its metadata read time is forgotten', async () => {
    const a = meta('00000000-0000-4000-8000-00000000000a', 'Found A');
    const b = meta('00000000-0000-4000-8000-00000000000b', 'Found B');
    let listing = [a, b];
    const metadataReadAt = new Map<string, number>([[IDS[0]!, 1]]);
    const discovery = new BackupDiscovery('em01', { include: 'Found', rpoSeconds: 99 });
    // Refresh interval 0: discovery lists EM at every cycle.
    const r = rig(
      { listBackups: async () => listing },
      { backups: [], discovery, metadataReadAt, restorePoints: 'per-backup' },
      0,
    );
    r.state.setTargets(['em01'], []);
    await r.run();
    expect(r.state.backups().map((x) => x.backupId)).toEqual([a.id, b.id]);
    // A read time of a backup not polled here went with the first change.
    expect([...metadataReadAt.keys()].sort()).toEqual([a.id, b.id]);
    listing = [a];
    await r.run();
    expect(r.state.backups().map((x) => x.backupId)).toEqual([a.id]);
    expect([...metadataReadAt.keys()]).toEqual([a.id]);
  });

  it('a poller whose EM a reload removed cannot bring it back into the state', () => {
    const state = createExporterState();
    state.setTargets(['em01'], [{ em: 'em01', backupId: IDS[0]!, rpoSeconds: 60 }]);
    state.setTargetsOf('em02', [{ backupId: IDS[1]!, rpoSeconds: 60 }]);
    expect(state.ems().map((e) => e.name)).toEqual(['em01']);
    expect(state.backups().map((b) => b.backupId)).toEqual([IDS[0]]);
  });

  it("replacing one EM's set keeps the others' records, values and order", () => {
    const state = createExporterState();
    state.setTargets(
      ['em01', 'em02'],
      [
        { em: 'em01', backupId: IDS[0]!, rpoSeconds: 60 },
        { em: 'em02', backupId: IDS[1]!, rpoSeconds: 60 },
      ],
    );
    state.recordSuccess('em02', IDS[1]!, { count: 3, newestMs: 5, oldestMs: 1 }, 10);
    state.recordSuccess('em01', IDS[0]!, { count: 1, newestMs: 5, oldestMs: 5 }, 10);
    state.setTargetsOf('em01', [
      { backupId: IDS[0]!, rpoSeconds: 120 },
      { backupId: IDS[2]!, rpoSeconds: 60 },
    ]);
    expect(state.backups().map((b) => [b.em, b.backupId, b.rpoSeconds, b.summary?.count])).toEqual([
      ['em01', IDS[0], 120, 1],
      ['em01', IDS[2], 60, undefined],
      ['em02', IDS[1], 60, 3],
    ]);
  });
});
