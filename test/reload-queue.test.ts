import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ReloadQueue, type ReloadWork } from '../src/reload-queue.js';
import type { ReloadResult } from '../src/server/index.js';

type Kind = 'all' | 'web-config';

/** One reload the queue started: what it read when it started, and how to end it. */
interface Run {
  kind: Kind;
  read: string;
  finish(outcome?: ReloadResult): void;
  fail(error: Error): void;
}

/**
 * Work that reads a stand-in for the config file when it starts and ends only when the test says
 * so, so every ordering can be set up exactly.
 */
function bench(): {
  queue: ReloadQueue;
  runs: Run[];
  gauges: boolean[];
  write(text: string): void;
  work: ReloadWork;
  logged(): string[];
} {
  let file = 'v1';
  const runs: Run[] = [];
  const gauges: boolean[] = [];
  const start = (kind: Kind) => (): Promise<ReloadResult> =>
    new Promise((resolve, reject) =>
      runs.push({ kind, read: file, finish: (outcome = { ok: true }) => resolve(outcome), fail: reject }),
    );
  const work: ReloadWork = {
    reloadAll: start('all'),
    reloadWebConfig: start('web-config'),
    recordReload: (ok) => gauges.push(ok),
  };
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  const logged = (): string[] => lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
  return { queue: new ReloadQueue(log), runs, gauges, write: (text) => (file = text), work, logged };
}

/** Lets every promise callback that is ready run: the queue starts its next task in one. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Records, in order, which outcomes arrived so far. */
function track(outcome: Promise<ReloadResult>): { value: ReloadResult | undefined } {
  const seen: { value: ReloadResult | undefined } = { value: undefined };
  void outcome.then((value) => (seen.value = value));
  return seen;
}

describe('ReloadQueue: SIGHUP', () => {
  it('a SIGHUP during a reload gets a reload of its own after it, which reads the file as it is then', async () => {
    const { queue, runs, write, work } = bench();
    queue.start(work);
    const first = track(queue.queueFresh());
    await settle();
    expect(runs.map((r) => r.read)).toEqual(['v1']);

    write('v2');
    const second = track(queue.queueFresh());
    await settle();
    expect(runs).toHaveLength(1); // one at a time
    runs[0]!.finish();
    await settle();
    expect(first.value).toEqual({ ok: true });
    expect(second.value).toBeUndefined();
    expect(runs.map((r) => [r.kind, r.read])).toEqual([
      ['all', 'v1'],
      ['all', 'v2'],
    ]);
    runs[1]!.finish();
    await settle();
    expect(second.value).toEqual({ ok: true });
  });

  it('SIGHUPs that come while one waits share it: it has not read anything yet', async () => {
    const { queue, runs, write, work } = bench();
    queue.start(work);
    void queue.queueFresh();
    await settle();
    write('v2');
    const a = queue.queueFresh();
    write('v3');
    const b = queue.queueFresh();
    expect(b).toBe(a);
    runs[0]!.finish();
    await settle();
    runs[1]!.finish();
    await settle();
    expect(runs.map((r) => r.read)).toEqual(['v1', 'v3']);
  });

  it('a SIGHUP during a reload a POST started is not merged into it', async () => {
    const { queue, runs, write, work } = bench();
    queue.start(work);
    const post = queue.joinOrQueue();
    await settle();
    write('v2');
    const hup = queue.queueFresh();
    expect(hup).not.toBe(post);
    runs[0]!.finish();
    await settle();
    expect(runs.map((r) => r.read)).toEqual(['v1', 'v2']);
  });
});

describe('ReloadQueue: POST /-/reload', () => {
  it('lets overlapping POSTs share one reload, and a later POST start a new one', async () => {
    const { queue, runs, work } = bench();
    queue.start(work);
    const first = queue.joinOrQueue();
    await settle();
    const second = queue.joinOrQueue();
    expect(second).toBe(first);
    runs[0]!.finish();
    expect(await Promise.all([first, second])).toEqual([{ ok: true }, { ok: true }]);
    expect(runs).toHaveLength(1);

    const later = queue.joinOrQueue();
    await settle();
    expect(runs).toHaveLength(2);
    runs[1]!.finish({ ok: false, error: 'bad' });
    expect(await later).toEqual({ ok: false, error: 'bad' });
  });

  it('two POSTs during a SIGHUP-started reload share one reload queued after it, which reads the new file', async () => {
    const { queue, runs, write, work } = bench();
    queue.start(work);
    const hup = track(queue.queueFresh());
    await settle();
    write('v2');
    const a = track(queue.joinOrQueue());
    const b = track(queue.joinOrQueue());
    await settle();
    expect(runs).toHaveLength(1);

    runs[0]!.finish({ ok: false, error: 'old file' });
    await settle();
    expect(hup.value).toEqual({ ok: false, error: 'old file' });
    expect([a.value, b.value]).toEqual([undefined, undefined]);
    expect(runs.map((r) => r.read)).toEqual(['v1', 'v2']);

    // A third POST while that one runs shares it too: a POST waits for it.
    const c = track(queue.joinOrQueue());
    runs[1]!.finish();
    await settle();
    expect([a.value, b.value, c.value]).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(runs).toHaveLength(2);
  });
});

describe('ReloadQueue: the web config watcher', () => {
  it('runs a web-config-only task in its place in line, without touching the reload gauges', async () => {
    const { queue, runs, gauges, write, work } = bench();
    queue.start(work);
    const hup = track(queue.queueFresh());
    await settle();
    write('v2');
    const watchedOutcome = queue.queueWebConfig();
    const watched = track(watchedOutcome);
    const postOutcome = queue.joinOrQueue();
    const post = track(postOutcome);
    // A second change while the web task waits joins it; a second POST joins the full reload behind it.
    expect(queue.queueWebConfig()).toBe(watchedOutcome);
    expect(queue.joinOrQueue()).toBe(postOutcome);
    await settle();

    runs[0]!.finish();
    await settle();
    expect(runs.map((r) => r.kind)).toEqual(['all', 'web-config']);
    write('v3');
    runs[1]!.finish({ ok: false, error: 'web.yml: bad' });
    await settle();
    runs[2]!.finish();
    await settle();

    expect(runs.map((r) => [r.kind, r.read])).toEqual([
      ['all', 'v1'],
      ['web-config', 'v2'],
      ['all', 'v3'],
    ]);
    expect([hup.value, watched.value, post.value]).toEqual([
      { ok: true },
      { ok: false, error: 'web.yml: bad' },
      { ok: true },
    ]);
    expect(gauges).toEqual([true, true]);
  });

  it('joins a full reload that has not started: that one re-reads the web config anyway', async () => {
    const { queue, runs, gauges, work } = bench();
    queue.start(work);
    void queue.queueFresh();
    await settle();
    const waiting = queue.queueFresh();
    expect(queue.queueWebConfig()).toBe(waiting);
    runs[0]!.finish();
    await settle();
    runs[1]!.finish();
    await waiting;
    expect(runs.map((r) => r.kind)).toEqual(['all', 'all']);
    expect(gauges).toEqual([true, true]);
  });

  it('a web config task that throws is logged and answered as failed, gauges untouched', async () => {
    const { queue, runs, gauges, work, logged } = bench();
    queue.start(work);
    const watched = queue.queueWebConfig();
    await settle();
    runs[0]!.fail(new Error('EACCES: web.yml'));
    expect(await watched).toEqual({ ok: false, error: 'EACCES: web.yml' });
    expect(gauges).toEqual([]);
    expect(logged()).toEqual(['web config reload failed, keeping the running one: EACCES: web.yml']);
  });
});

describe('ReloadQueue: the reload gauges', () => {
  it('a failing reload sets them to failure, a throwing one too, and the next success to success', async () => {
    const { queue, runs, gauges, work, logged } = bench();
    queue.start(work);
    const refused = queue.queueFresh();
    await settle();
    runs[0]!.finish({ ok: false, error: 'poll.schedule: invalid' });
    expect(await refused).toEqual({ ok: false, error: 'poll.schedule: invalid' });
    expect(gauges).toEqual([false]);

    const thrown = queue.joinOrQueue();
    await settle();
    runs[1]!.fail(new Error('disk gone'));
    expect(await thrown).toEqual({ ok: false, error: 'disk gone' });
    expect(gauges).toEqual([false, false]);
    expect(logged()).toEqual(['config reload failed, keeping the running config: disk gone']);

    const fixed = queue.queueFresh();
    await settle();
    runs[2]!.finish();
    expect(await fixed).toEqual({ ok: true });
    expect(gauges).toEqual([false, false, true]);
  });
  it('work that throws before it returns a promise fails that task alone; the queue goes on', async () => {
    const { queue, gauges, work, logged } = bench();
    const throwing: ReloadWork = {
      ...work,
      reloadAll: () => {
        throw new Error('no config file');
      },
      reloadWebConfig: () => {
        throw new Error('no web.yml');
      },
    };
    queue.start(throwing);
    expect(await queue.queueWebConfig()).toEqual({ ok: false, error: 'no web.yml' });
    expect(await queue.queueFresh()).toEqual({ ok: false, error: 'no config file' });
    expect(await queue.joinOrQueue()).toEqual({ ok: false, error: 'no config file' });
    expect(gauges).toEqual([false, false]);
    expect(logged()).toEqual([
      'web config reload failed, keeping the running one: no web.yml',
      'config reload failed, keeping the running config: no config file',
      'config reload failed, keeping the running config: no config file',
    ]);
  });
});

describe('ReloadQueue: start-up and stop', () => {
  it('holds what comes during start-up, SIGHUPs merged into one, and runs it once started', async () => {
    const { queue, runs, write, work } = bench();
    const a = queue.queueFresh();
    write('v2');
    const b = queue.queueFresh();
    expect(b).toBe(a);
    expect(queue.started).toBe(false);
    expect(queue.fullReloadWaiting).toBe(true);
    await settle();
    expect(runs).toEqual([]);

    queue.start(work);
    expect(queue.fullReloadWaiting).toBe(false);
    await settle();
    expect(runs.map((r) => r.read)).toEqual(['v2']);
    runs[0]!.finish();
    expect(await a).toEqual({ ok: true });
  });

  it('starts nothing after stop: waiting reloads are refused, the running one finishes, gauges only for it', async () => {
    const { queue, runs, gauges, work } = bench();
    queue.start(work);
    const running = track(queue.queueFresh());
    await settle();
    const waiting = track(queue.queueFresh());
    const web = track(queue.queueWebConfig());

    queue.stop();
    await settle();
    expect(waiting.value).toEqual({ ok: false, error: 'the exporter is stopping' });
    expect(web.value).toEqual(waiting.value);
    expect(await queue.queueFresh()).toEqual({ ok: false, error: 'the exporter is stopping' });
    expect(await queue.joinOrQueue()).toEqual({ ok: false, error: 'the exporter is stopping' });
    expect(await queue.queueWebConfig()).toEqual({ ok: false, error: 'the exporter is stopping' });

    runs[0]!.finish();
    await settle();
    expect(running.value).toEqual({ ok: true });
    expect(runs).toHaveLength(1);
    expect(gauges).toEqual([true]);
  });

  it('a stop during start-up refuses what waited, and start runs nothing', async () => {
    const { queue, runs, work } = bench();
    const held = queue.queueFresh();
    queue.stop();
    expect(await held).toEqual({ ok: false, error: 'the exporter is stopping' });
    queue.start(work);
    await settle();
    expect(runs).toEqual([]);
  });
});
