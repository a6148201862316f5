import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { parseBasicAuthorization, Secret } from '../../src/web-config/index.js';
import { BasicAuthenticator } from '../../src/web-config/basic-auth.js';

const basic = (raw: string): string => `Basic ${Buffer.from(raw, 'utf8').toString('base64')}`;

describe('parseBasicAuthorization', () => {
  it('splits at the first colon, so passwords may contain colons', () => {
    expect(parseBasicAuthorization(basic('alice:pa:ss'))).toEqual({ user: 'alice', password: 'pa:ss' });
  });

  it('accepts the scheme in any case and UTF-8 credentials', () => {
    expect(parseBasicAuthorization(`basic ${Buffer.from('jörg:pässwort').toString('base64')}`)).toEqual({
      user: 'jörg',
      password: 'pässwort',
    });
  });

  it.each([undefined, '', 'Bearer abc', 'Basic', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'Basic !!!'])(
    'rejects %j',
    (header) => {
      expect(parseBasicAuthorization(header)).toBeUndefined();
    },
  );
});

describe('BasicAuthenticator', () => {
  it('runs one bcrypt comparison at a time', async () => {
    const hash = await bcrypt.hash('pw', 4);
    let running = 0;
    let peak = 0;
    const auth = new BasicAuthenticator(new Map([['alice', new Secret(hash)]]), async (password, h) => {
      running += 1;
      peak = Math.max(peak, running);
      try {
        return await bcrypt.compare(password, h);
      } finally {
        running -= 1;
      }
    });
    const results = await Promise.all(['a', 'b', 'c', 'pw'].map((p) => auth.authorize(basic(`alice:${p}`))));
    expect(results).toEqual([false, false, false, true]);
    expect(peak).toBe(1);
  });

  it('denies, rather than fails, when the comparison throws', async () => {
    const auth = new BasicAuthenticator(new Map([['alice', new Secret('$2b$04$' + '.'.repeat(53))]]), () =>
      Promise.reject(new Error('boom')),
    );
    await expect(auth.authorize(basic('alice:x'))).resolves.toBe(false);
    // The queue must keep working after a failure.
    await expect(auth.authorize(basic('alice:y'))).resolves.toBe(false);
  });

  it('denies at once, without queueing, what a flood of uncached checks leaves waiting beyond 32', async () => {
    const hash = await bcrypt.hash('pw', 4);
    let calls = 0;
    const releases: Array<() => void> = [];
    const auth = new BasicAuthenticator(new Map([['alice', new Secret(hash)]]), (password, h) => {
      calls += 1;
      return new Promise<boolean>((resolve) => releases.push(() => void bcrypt.compare(password, h).then(resolve)));
    });
    const flood = Array.from({ length: 100 }, (_, i) => auth.authorize(basic(`alice:bad${i}`)));
    const settled = new Set<number>();
    flood.forEach((p, i) => void p.then(() => settled.add(i)));
    await new Promise((r) => setTimeout(r, 20));
    // The surplus was denied without waiting for the one comparison that runs.
    expect(settled.size).toBe(100 - 32);
    expect(calls).toBe(1);
    while (releases.length > 0 || settled.size < 100) {
      releases.shift()?.();
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await Promise.all(flood)).toEqual(Array.from({ length: 100 }, () => false));
    expect(calls).toBe(32);
    // Once the queue has drained, the right password gets through again.
    releases.length = 0;
    const ok = auth.authorize(basic('alice:pw'));
    await new Promise((r) => setTimeout(r, 1));
    releases.shift()?.();
    await expect(ok).resolves.toBe(true);
  });
});
