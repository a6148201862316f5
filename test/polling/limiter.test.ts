import { describe, expect, it } from 'vitest';
import { createLimiter, FifoQueue } from '../../src/polling/limiter.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('createLimiter', () => {
  it('never runs more than max tasks at once, even when newcomers arrive as slots free up', async () => {
    const limit = createLimiter(3);
    let active = 0;
    let peak = 0;
    const task = async () => {
      active++;
      peak = Math.max(peak, active);
      await tick();
      active--;
    };
    const first = Array.from({ length: 10 }, () => limit(task));
    await tick();
    // Arrivals while earlier tasks are finishing must queue, not slip in.
    const late = Array.from({ length: 10 }, () => limit(task));
    await Promise.all([...first, ...late]);
    expect(peak).toBe(3);
    expect(active).toBe(0);
  });

  it('starts waiting tasks in arrival order', async () => {
    const limit = createLimiter(1);
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((n) => limit(async () => order.push(n))));
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('frees the slot when a task throws', async () => {
    const limit = createLimiter(1);
    await expect(limit(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit(async () => 'next')).resolves.toBe('next');
  });

  it('rejects a concurrency that is not a positive integer', () => {
    expect(() => createLimiter(0)).toThrow(RangeError);
    expect(() => createLimiter(1.5)).toThrow(RangeError);
  });

  it('keeps arrival order and the concurrency bound with a queue of 200,000, in time linear in its length', async () => {
    // Array.shift() per started task made this quadratic, far beyond the bound below.
    const limit = createLimiter(4);
    const started: number[] = [];
    let active = 0;
    let peak = 0;
    const n = 200_000;
    const t0 = performance.now();
    const all: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      all.push(
        limit(async () => {
          active++;
          peak = Math.max(peak, active);
          started.push(i);
          await Promise.resolve();
          active--;
        }),
      );
    }
    await Promise.all(all);
    const ms = performance.now() - t0;
    expect(peak).toBe(4);
    expect(started.length).toBe(n);
    expect(started.every((v, i) => v === i)).toBe(true);
    expect(ms).toBeLessThan(10_000);
  }, 60_000);
});

describe('FifoQueue', () => {
  it('hands items out in the order they came, across many compactions and interleaved pushes', () => {
    const queue = new FifoQueue<number>();
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 1000 + round * 37; i++) queue.push(next++);
      for (let i = 0; i < 900 + round * 11; i++) out.push(queue.shift()!);
    }
    while (queue.length > 0) out.push(queue.shift()!);
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(queue.shift()).toBeUndefined();
    queue.push(7);
    expect(queue.length).toBe(1);
    expect(queue.shift()).toBe(7);
  });
});
