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
    expect(parseBasicAuthorization(`basic ${Buffer.from('jörg:pässwort').toString('base64')}`)).toEqual({ user: 'jörg', password: 'pässwort' });
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
    const auth = new BasicAuthenticator(new Map([['alice', new Secret('$2b$04$' + '.'.repeat(53))]]), () => Promise.reject(new Error('boom')));
    await expect(auth.authorize(basic('alice:x'))).resolves.toBe(false);
    // The queue must keep working after a failure.
    await expect(auth.authorize(basic('alice:y'))).resolves.toBe(false);
  });
});
