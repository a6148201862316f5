import bcrypt from 'bcryptjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WWW_AUTHENTICATE } from '../../src/web-config/index.js';
import { get } from './support/client.js';
import { startSecured, type Running } from './support/server.js';

const PASSWORD = 'correct horse battery staple';
let htpasswdHash: string;
let running: Running | undefined;

beforeAll(async () => {
  // htpasswd writes $2y$; bcryptjs writes $2b$. Same algorithm, so rewriting the prefix gives what operators paste.
  htpasswdHash = (await bcrypt.hash(PASSWORD, 4)).replace(/^\$2b\$/, '$2y$');
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const config = (users: Record<string, string>): string => `http_server_config:
  headers:
    X-Content-Type-Options: nosniff
    X-Frame-Options: deny
basic_auth_users:
${Object.entries(users)
  .map(([user, hash]) => `  ${user}: '${hash}'`)
  .join('\n')}
`;

describe('createSecuredServer: basic auth', () => {
  it('answers a wrong password with 401 and a Basic challenge, without reaching the handler', async () => {
    running = await startSecured(config({ alice: htpasswdHash }));
    const reply = await get(running.port, '/metrics', { user: 'alice', password: 'wrong' });
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe(WWW_AUTHENTICATE);
    expect(reply.headers['www-authenticate']).toMatch(/^Basic realm="/);
    expect(running.handled()).toBe(0);
  });

  it('answers a request without credentials with 401', async () => {
    running = await startSecured(config({ alice: htpasswdHash }));
    const reply = await get(running.port, '/metrics');
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe(WWW_AUTHENTICATE);
  });

  it('serves the right password against an htpasswd-style $2y$ hash', async () => {
    expect(htpasswdHash.startsWith('$2y$')).toBe(true);
    running = await startSecured(config({ alice: htpasswdHash }));
    const reply = await get(running.port, '/metrics', { user: 'alice', password: PASSWORD });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('ok');
  });

  it('accepts $2a$ and $2b$ hashes too', async () => {
    const b = await bcrypt.hash('bee', 4);
    const a = (await bcrypt.hash('ay', 4)).replace(/^\$2b\$/, '$2a$');
    running = await startSecured(config({ bob: b, ann: a }));
    expect((await get(running.port, '/', { user: 'bob', password: 'bee' })).status).toBe(200);
    expect((await get(running.port, '/', { user: 'ann', password: 'ay' })).status).toBe(200);
  });

  it('runs bcrypt once for repeated scrapes with the same credentials', async () => {
    running = await startSecured(config({ alice: htpasswdHash }));
    expect((await get(running.port, '/', { user: 'alice', password: PASSWORD })).status).toBe(200);
    expect(running.compare).toHaveBeenCalledTimes(1);
    expect((await get(running.port, '/', { user: 'alice', password: PASSWORD })).status).toBe(200);
    expect((await get(running.port, '/', { user: 'alice', password: PASSWORD })).status).toBe(200);
    expect(running.compare).toHaveBeenCalledTimes(1);
  });

  it('does not let a cached success vouch for a different password', async () => {
    running = await startSecured(config({ alice: htpasswdHash }));
    await get(running.port, '/', { user: 'alice', password: PASSWORD });
    const reply = await get(running.port, '/', { user: 'alice', password: `${PASSWORD}!` });
    expect(reply.status).toBe(401);
    expect(running.compare).toHaveBeenCalledTimes(2);
  });

  it('spends a bcrypt comparison on unknown users too, so timing does not reveal which users exist', async () => {
    running = await startSecured(config({ alice: htpasswdHash }));
    const reply = await get(running.port, '/', { user: 'mallory', password: PASSWORD });
    expect(reply.status).toBe(401);
    expect(running.compare).toHaveBeenCalledTimes(1);
    const [, hashUsed] = running.compare.mock.calls[0] ?? [];
    // Same cost as the configured hash, so the comparison takes as long.
    expect(bcrypt.getRounds(hashUsed ?? '')).toBe(bcrypt.getRounds(htpasswdHash));
  });

  it('adds the configured headers to successful and refused responses alike', async () => {
    running = await startSecured(config({ alice: htpasswdHash }));
    for (const password of [PASSWORD, 'wrong']) {
      const reply = await get(running.port, '/', { user: 'alice', password });
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.headers['x-frame-options']).toBe('deny');
    }
  });

  it('lets everybody in, without bcrypt, when no users are configured', async () => {
    running = await startSecured('http_server_config:\n  headers:\n    X-Frame-Options: sameorigin\n');
    const reply = await get(running.port, '/');
    expect(reply.status).toBe(200);
    expect(reply.headers['x-frame-options']).toBe('sameorigin');
    expect(running.compare).not.toHaveBeenCalled();
  });
});
