import { describe, expect, it } from 'vitest';
import type { BackupMetadata } from '../../src/domain.js';
import { EmError, type EmClient } from '../../src/em/index.js';
import {
  BackupDiscovery,
  compileFilter,
  mergeTargets,
  parentsToExpand,
  selectBackups,
} from '../../src/polling/discovery.js';

let n = 0;
function backup(name: string, backupType = 'Standard'): BackupMetadata {
  n++;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    name,
    platform: 'VMware',
    backupType,
    backupServer: 'vbr01',
    repository: 'repo',
  };
}

const filter = (include = '.*', exclude?: string) => compileFilter({ include, exclude, rpoSeconds: 1 });
const names = (list: BackupMetadata[]) => list.map((b) => b.name);

describe('selectBackups', () => {
  const daily = backup('Daily VM');
  const test = backup('Test VM');
  const sql = backup('SQL prod');
  const agents = backup('Agents', 'ParentBackup');
  const laptop = backup('Agents - laptop01', 'ChildBackup');
  const testPc = backup('Test-pc02', 'ChildBackup');
  const listing = [daily, test, sql, agents];
  const children = new Map([[agents.id, [laptop, testPc]]]);

  it('polls every listed backup by default, a parent standing for its children', () => {
    expect(names(selectBackups(listing, children, filter()))).toEqual([
      'Daily VM',
      'Test VM',
      'SQL prod',
      'Agents - laptop01',
      'Test-pc02',
    ]);
  });

  it('matches include anywhere in the name unless anchored, and leaves out what exclude matches', () => {
    expect(names(selectBackups(listing, children, filter('VM')))).toEqual(['Daily VM', 'Test VM']);
    expect(names(selectBackups(listing, children, filter('.*', '^Test')))).toEqual([
      'Daily VM',
      'SQL prod',
      'Agents - laptop01',
    ]);
    expect(names(selectBackups(listing, children, filter('^VM')))).toEqual([]);
  });

  it("takes a child when its own name or its parent's matches include, and neither matches exclude", () => {
    expect(names(selectBackups(listing, children, filter('^Agents$')))).toEqual(['Agents - laptop01', 'Test-pc02']);
    expect(names(selectBackups(listing, children, filter('laptop')))).toEqual(['Agents - laptop01']);
    expect(names(selectBackups(listing, children, filter('.*', '^Agents$')))).toEqual([
      'Daily VM',
      'Test VM',
      'SQL prod',
    ]);
    expect(names(selectBackups(listing, children, filter('^Agents', 'pc02')))).toEqual(['Agents - laptop01']);
  });

  it('lists each backup once, also when EM lists a child at the top level too', () => {
    expect(names(selectBackups([...listing, laptop, daily], children, filter()))).toEqual([
      'Daily VM',
      'Test VM',
      'SQL prod',
      'Agents - laptop01',
      'Test-pc02',
    ]);
  });

  it('expands only parents exclude leaves in', () => {
    expect(names(parentsToExpand(listing, filter()))).toEqual(['Agents']);
    expect(names(parentsToExpand(listing, filter('.*', 'Agents')))).toEqual([]);
    // include cannot rule a parent out: a child may match by its own name.
    expect(names(parentsToExpand(listing, filter('laptop')))).toEqual(['Agents']);
  });
});

describe('mergeTargets', () => {
  it('keeps configured backups and their RPO, and adds the discovered rest', () => {
    const a = backup('a');
    const b = backup('b');
    expect(
      mergeTargets(
        [{ id: a.id, rpoSeconds: 60 }],
        [
          { id: a.id, rpoSeconds: 99, metadata: a },
          { id: b.id, rpoSeconds: 99, metadata: b },
        ],
      ),
    ).toEqual([
      { id: a.id, rpoSeconds: 60 },
      { id: b.id, rpoSeconds: 99 },
    ]);
  });
});

/** A client whose listings answer from the arrays given, or throw what is queued. */
function fakeClient(
  top: () => BackupMetadata[] | Error,
  children: (id: string) => BackupMetadata[] | Error = () => [],
): EmClient {
  const answer = <T>(value: T | Error): Promise<T> =>
    value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
  return {
    name: 'em01',
    listBackups: () => answer(top()),
    listChildBackups: (id: string) => answer(children(id)),
  } as unknown as EmClient;
}
const run = <T>(task: () => Promise<T>) => task();

describe('BackupDiscovery', () => {
  const a = backup('A');
  const b = backup('B');
  const parent = backup('P', 'ParentBackup');
  const child1 = backup('P - 1', 'ChildBackup');
  const child2 = backup('P - 2', 'ChildBackup');
  const ids = (d: BackupDiscovery) => d.discovered().map((x) => x.id);

  it('is due at first, then every refresh interval after a complete listing', async () => {
    const d = new BackupDiscovery('em01', { include: '.*', rpoSeconds: 7 });
    expect(d.isDue(0, 1000)).toBe(true);
    const outcome = await d.refresh(
      fakeClient(() => [a, b]),
      run,
      5000,
    );
    expect(outcome).toEqual({ listed: [a, b], failures: [], answered: true, changed: true });
    expect(d.discovered()).toEqual([
      { id: a.id, rpoSeconds: 7, metadata: a },
      { id: b.id, rpoSeconds: 7, metadata: b },
    ]);
    expect(d.isDue(5999, 1000)).toBe(false);
    expect(d.isDue(6000, 1000)).toBe(true);
    expect(
      (
        await d.refresh(
          fakeClient(() => [a, b]),
          run,
          6000,
        )
      ).changed,
    ).toBe(false);
  });

  it('drops a backup that left the listing, and reports the change', async () => {
    const d = new BackupDiscovery('em01', { include: '.*', rpoSeconds: 7 });
    await d.refresh(
      fakeClient(() => [a, b]),
      run,
      0,
    );
    expect(
      (
        await d.refresh(
          fakeClient(() => [b]),
          run,
          1,
        )
      ).changed,
    ).toBe(true);
    expect(ids(d)).toEqual([b.id]);
  });

  it('keeps everything it knew when the listing fails, and is due again at once', async () => {
    const d = new BackupDiscovery('em01', { include: '.*', rpoSeconds: 7 });
    await d.refresh(
      fakeClient(() => [a, b]),
      run,
      0,
    );
    const outcome = await d.refresh(
      fakeClient(
        () =>
          new EmError({
            em: 'em01',
            action: 'GET backups (discovery)',
            reason: 'http_5xx',
            detail: 'EM answered 500',
            status: 500,
          }),
      ),
      run,
      10_000,
    );
    expect(outcome).toMatchObject({
      listed: [],
      failures: [{ reason: 'http_5xx', message: 'em "em01": GET backups (discovery): EM answered 500' }],
      answered: true,
      changed: false,
    });
    expect(outcome.failures).toHaveLength(1);
    expect(ids(d)).toEqual([a.id, b.id]);
    expect(d.isDue(10_001, 60_000)).toBe(true);
  });

  it('counts a listing that never reached EM as not answered', async () => {
    const d = new BackupDiscovery('em01', { include: '.*', rpoSeconds: 7 });
    const outcome = await d.refresh(
      fakeClient(() => new EmError({ em: 'em01', reason: 'network', detail: 'connection refused' })),
      run,
      0,
    );
    expect(outcome.answered).toBe(false);
    expect(ids(d)).toEqual([]);
  });

  it("expands parents, and keeps a parent's known children when its listing fails", async () => {
    const d = new BackupDiscovery('em01', { include: '.*', rpoSeconds: 7 });
    let childAnswer: BackupMetadata[] | Error = [child1, child2];
    const client = fakeClient(
      () => [a, parent],
      () => childAnswer,
    );
    expect((await d.refresh(client, run, 0)).listed).toEqual([a, parent, child1, child2]);
    expect(ids(d)).toEqual([a.id, child1.id, child2.id]);

    childAnswer = new EmError({
      em: 'em01',
      backupId: 'p',
      action: 'GET child backups (discovery)',
      reason: 'timeout',
      detail: 'no answer within 30s',
    });
    const outcome = await d.refresh(client, run, 100_000);
    expect(outcome.failures.map((f) => f.reason)).toEqual(['timeout']);
    expect(outcome.changed).toBe(false);
    expect(ids(d)).toEqual([a.id, child1.id, child2.id]);
    expect(d.isDue(100_001, 60_000)).toBe(true);

    childAnswer = [child2];
    await d.refresh(client, run, 200_000);
    expect(ids(d)).toEqual([a.id, child2.id]);
  });

  it('forgets the children of a parent that left the listing', async () => {
    const d = new BackupDiscovery('em01', { include: '.*', rpoSeconds: 7 });
    await d.refresh(
      fakeClient(
        () => [a, parent],
        () => [child1],
      ),
      run,
      0,
    );
    await d.refresh(
      fakeClient(() => [a]),
      run,
      1,
    );
    expect(ids(d)).toEqual([a.id]);
  });

  it('applies a new filter or RPO to the known listing at once, and lists again at the next cycle', async () => {
    const d = new BackupDiscovery('em01', { include: '.*', rpoSeconds: 7 });
    await d.refresh(
      fakeClient(() => [a, b]),
      run,
      0,
    );
    expect(d.update({ include: '.*', rpoSeconds: 7 })).toBe(false);
    expect(d.isDue(1, 60_000)).toBe(false);
    expect(d.update({ include: '.*', exclude: '^A$', rpoSeconds: 7 })).toBe(true);
    expect(ids(d)).toEqual([b.id]);
    expect(d.isDue(1, 60_000)).toBe(true);
    expect(d.update({ include: '.*', exclude: '^A$', rpoSeconds: 8 })).toBe(true);
    expect(d.discovered().map((x) => x.rpoSeconds)).toEqual([8]);
  });
});
