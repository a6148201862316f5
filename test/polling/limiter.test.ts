import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../src/polling/limiter.js';

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
});
