/**
 * The session lifecycle against a logon method other than Basic: proves that the lifecycle's rules
 * (single flight, the pause after a refused logon, logout with the session header, secrets for
 * redaction) hold for any `LogonMethod`, so a second way of logging on needs no change to it.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EmError } from '../../src/em/errors.js';
import { Exchange } from '../../src/em/exchange.js';
import { SESSION_HEADER, type LogonMethod, type Session } from '../../src/em/logon.js';
import { SecretBook } from '../../src/em/secret-book.js';
import { SessionKeeper } from '../../src/em/session.js';
import { reply, type HttpRequest, type Transport } from '../../src/em/transport.js';

const TOKEN = 'dG9rZW4tb2YtdGhlLWZha2UtbWV0aG9k';
const SESSION_ID = '6a1f5a0e-1d1b-4b7e-9a55-3c2f0e4d8b17';
const CREDENTIAL = 'api-key-8f3b2c';

/** A logon method that sends nothing: it hands over a credential and opens sessions on demand. */
class KeyLogon implements LogonMethod {
  readonly user = 'svc_key';
  calls = 0;
  refuse: EmError | undefined;
  constructor(private readonly secrets: SecretBook) {}
  async logon(): Promise<Session> {
    this.calls++;
    this.secrets.useCredentials([CREDENTIAL]);
    await new Promise((r) => setTimeout(r, 10));
    if (this.refuse) throw this.refuse;
    return { token: TOKEN, id: SESSION_ID };
  }
}

function setUp() {
  const sent: HttpRequest[] = [];
  const transport: Transport = {
    send: async (request) => {
      sent.push(request);
      return reply(204, {}, Buffer.alloc(0));
    },
    cancelAll: () => undefined,
    destroy: () => undefined,
  };
  const log = pino({ level: 'silent' });
  const exchange = new Exchange({
    em: 'em01',
    transport,
    api: { request: () => undefined },
    log,
    retries: 0,
    retryBackoffMs: 1,
  });
  const secrets = new SecretBook();
  const method = new KeyLogon(secrets);
  let now = 1_000_000;
  const keeper = new SessionKeeper({
    method,
    secrets,
    timeoutMs: 5_000,
    exchange,
    log,
    baseUrl: 'https://em.invalid:9398/api',
    accept: 'application/json',
    logonRetryMs: 30_000,
    logoutTimeoutMs: 10_000,
    now: () => now,
  });
  return { keeper, method, secrets, sent, advance: (ms: number) => (now += ms) };
}

describe('SessionKeeper with another logon method', () => {
  it('logs on once for concurrent requests and scans for what the method used and opened', async () => {
    const { keeper, method, secrets } = setUp();
    const sessions = await Promise.all(
      Array.from({ length: 5 }, (_, i) => keeper.current({ em: 'em01', backupId: `${i}` })),
    );
    expect(method.calls).toBe(1);
    expect(new Set(sessions).size).toBe(1);
    expect(secrets.redact(`echo ${CREDENTIAL} ${TOKEN} ${SESSION_ID}`)).toBe('echo [redacted] [redacted] [redacted]');
    expect(secrets.redactSessions(`${CREDENTIAL} ${TOKEN}`)).toBe(`${CREDENTIAL} [redacted]`);
  });

  it('pauses logons after the method fails, with the context of each request in front', async () => {
    const { keeper, method, advance } = setUp();
    method.refuse = new EmError({ em: 'em01', reason: 'auth', detail: 'key refused', status: 401 });
    await expect(keeper.current({ em: 'em01', backupId: 'a' })).rejects.toMatchObject({
      reason: 'auth',
      status: 401,
      message: 'em "em01": backup a: key refused',
    });
    await expect(keeper.current({ em: 'em01', backupId: 'b' })).rejects.toThrow(
      /^em "em01": backup b: key refused \(not logging on again for another 30s\)$/,
    );
    expect(method.calls).toBe(1);
    advance(30_000);
    method.refuse = undefined;
    await expect(keeper.current({ em: 'em01' })).resolves.toMatchObject({ token: TOKEN });
    expect(method.calls).toBe(2);
  });

  it('hands the failed logon to each request for its own target, the pause closing the message after the advice', async () => {
    const { keeper, method } = setUp();
    method.refuse = new EmError({
      em: 'em01',
      action: 'logon with key',
      reason: 'http_5xx',
      detail: 'EM answered 503',
      advice: 'check the EM service log',
      status: 503,
    });
    await expect(keeper.current({ em: 'em01', backupId: 'a' })).rejects.toMatchObject({
      reason: 'http_5xx',
      status: 503,
      duringLogon: true,
      backupId: 'a',
      message: 'em "em01": backup a: logon with key: EM answered 503: check the EM service log',
    });
    const wide = await keeper.current({ em: 'em01', subject: 'VM restore points' }).catch((e: unknown) => e as EmError);
    expect(wide).toBeInstanceOf(EmError);
    expect(wide).toMatchObject({ duringLogon: true, subject: 'VM restore points' });
    expect((wide as EmError).backupId).toBeUndefined();
    expect((wide as EmError).message).toBe(
      'em "em01": VM restore points: logon with key: EM answered 503: check the EM service log (not logging on again for another 30s)',
    );
    // The method's own failure is left as it was.
    expect(method.refuse.message).toBe('em "em01": logon with key: EM answered 503: check the EM service log');
  });

  it('logs out with the session header on the configured URL', async () => {
    const { keeper, sent } = setUp();
    await keeper.current({ em: 'em01' });
    await keeper.logout();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      method: 'DELETE',
      url: `https://em.invalid:9398/api/logonSessions/${SESSION_ID}`,
      headers: { [SESSION_HEADER]: TOKEN },
    });
  });
});
