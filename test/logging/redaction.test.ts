import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import got from 'got';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { redactPaths, safeError, scrub, scrubLogArguments, scrubUrlCredentials } from '../../src/logging/redaction.js';
import { captureLines } from './capture.js';

const SECRETS = ['Sup3rSecretPassw0rd', 'BasicCredentialBlob', 'SessionIdValue42', 'TokenValue99', 'CookieValue7'];

function jsonLogger() {
  const out = captureLines();
  return { out, logger: createLogger({ level: 'debug', format: 'json', destination: out }) };
}

function expectNoSecrets(text: string): void {
  for (const secret of SECRETS) expect(text, `log output leaks ${secret}`).not.toContain(secret);
  // got turns username:password into a Basic header; its base64 must not leak either.
  expect(text).not.toContain(Buffer.from(`svc_monitor:${SECRETS[0]}`).toString('base64'));
}

describe('secrets in logged objects', () => {
  it.each([
    ['a top-level password', { password: SECRETS[0] }],
    ['a capitalised Authorization header', { Authorization: `Basic ${SECRETS[1]}` }],
    ['the EM session header', { 'x-restsvcsessionid': SECRETS[2], 'X-RestSvcSessionId': SECRETS[2] }],
    ['a session id and a token', { sessionId: SECRETS[2], token: SECRETS[3] }],
    [
      'request options with headers',
      { options: { headers: { authorization: `Basic ${SECRETS[1]}`, cookie: SECRETS[4] }, password: SECRETS[0] } },
    ],
    [
      'secrets nested far below the redact paths',
      { a: { b: { c: { d: { e: { password: SECRETS[0], headers: { 'x-custom': SECRETS[3] } } } } } } },
    ],
    ['an array of requests', { requests: [{ headers: { Authorization: SECRETS[1] } }] }],
    ['credentials in a URL', { url: `https://svc_monitor:${SECRETS[0]}@em01.example.local:9398/api/` }],
  ])('never writes %s', (_, object) => {
    const { out, logger } = jsonLogger();
    logger.info(object, 'request');
    expect(out.text()).toContain('[REDACTED]');
    expectNoSecrets(out.text());
  });

  it('keeps header names, so a log still says which headers were sent', () => {
    const { out, logger } = jsonLogger();
    logger.info({ headers: { accept: 'application/xml', 'x-restsvcsessionid': SECRETS[2] } });
    expect(out.records()[0]?.headers).toEqual({ accept: '[REDACTED]', 'x-restsvcsessionid': '[REDACTED]' });
  });

  it('redacts child logger bindings', () => {
    const { out, logger } = jsonLogger();
    logger.child({ password: SECRETS[0], em: 'em01' }).info('hello');
    expect(out.records()[0]).toMatchObject({ em: 'em01', password: '[REDACTED]' });
    expectNoSecrets(out.text());
  });

  it('leaves the caller’s object as it was', () => {
    const { logger } = jsonLogger();
    const object = { options: { headers: { authorization: SECRETS[1] } }, err: new Error('boom') };
    logger.info(object);
    expect(object.options.headers.authorization).toBe(SECRETS[1]);
    expect(object.err).toBeInstanceOf(Error);
  });

  it('gives pino redact paths for every secret key at several depths', () => {
    const paths = redactPaths();
    for (const path of [
      'password',
      '*.password',
      '*.*.*.password',
      'headers.*',
      '*.*.headers.*',
      '["x-restsvcsessionid"]',
      '*.*["x-restsvcsessionid"]',
      'Authorization',
      'sessionId',
      'token',
    ]) {
      expect(paths).toContain(path);
    }
  });
});

describe('errors from got', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((_, res) => res.writeHead(401).end('no'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/sessionMngr/?v=latest`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function gotError(): Promise<Error> {
    try {
      await got.post(url, {
        username: 'svc_monitor',
        password: SECRETS[0],
        headers: { 'X-RestSvcSessionId': SECRETS[2], Cookie: SECRETS[4] },
        retry: { limit: 0 },
      });
    } catch (error) {
      return error as Error;
    }
    throw new Error('the request was expected to fail');
  }

  it('carry credentials, which is why they need a serializer', async () => {
    expect(JSON.stringify(await gotError())).toContain(SECRETS[0]);
  });

  it.each([
    ['as err', (e: Error) => [{ err: e }, 'logon failed'] as const],
    ['as error', (e: Error) => [{ error: e }, 'logon failed'] as const],
    ['as the only argument', (e: Error) => [e] as const],
    ['nested in another object', (e: Error) => [{ failure: { cause: e } }, 'logon failed'] as const],
    ['as err without a message', (e: Error) => [{ err: e }] as const],
    ['as a format argument', (e: Error) => ['logon failed: %s (%o)', e.message, e] as const],
  ])('are written without credentials when logged %s', async (_, args) => {
    const { out, logger } = jsonLogger();
    const error = await gotError();
    // tsc needs the cast to spread a union of tuples into pino's overloads; the rule misjudges it.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    (logger.error as (...a: unknown[]) => void)(...args(error));
    expectNoSecrets(out.text());
    expect(out.text()).toContain('HTTPError');
    expect(out.text()).not.toContain('"options"');
  });

  it('whose message names the URL with user info, so the line message is scrubbed too', async () => {
    const error = await gotError();
    expect(error.message).toContain(SECRETS[0]);
    const { out, logger } = jsonLogger();
    logger.error(error);
    expect(out.records()[0]?.msg).toBe(error.message.replace(`svc_monitor:${SECRETS[0]}`, '[REDACTED]'));
  });

  it('keep name, message, code and the HTTP status', async () => {
    const { out, logger } = jsonLogger();
    logger.error({ err: await gotError() }, 'logon failed');
    expect(out.records()[0]?.err).toEqual({
      name: 'HTTPError',
      message: expect.stringContaining('401'),
      code: 'ERR_NON_2XX_3XX_RESPONSE',
      status: 401,
    });
  });
});

describe('safeError', () => {
  it('keeps only name, message, code, reason and status', () => {
    const failure = Object.assign(new Error('em01: logon refused; check the username'), {
      reason: 'auth',
      status: 401,
      code: 'E_AUTH',
      options: { password: SECRETS[0] },
      request: {},
    });
    expect(safeError(failure)).toEqual({
      name: 'Error',
      message: 'em01: logon refused; check the username',
      code: 'E_AUTH',
      reason: 'auth',
      status: 401,
    });
  });

  it('passes primitives through', () => {
    expect(safeError('plain text')).toBe('plain text');
    expect(safeError(42)).toBe(42);
  });
});

describe('scrub helpers', () => {
  it('removes user info from URLs in text', () => {
    expect(scrubUrlCredentials('GET https://u:p@em01:9398/api failed')).toBe(
      'GET https://[REDACTED]@em01:9398/api failed',
    );
    expect(scrubUrlCredentials('https://em01:9398/api')).toBe('https://em01:9398/api');
  });

  it('returns the same object when there is nothing to scrub', () => {
    const clean = { em: 'em01', nested: { count: 1 }, list: [1, 2] };
    expect(scrub(clean)).toBe(clean);
  });

  it('stops at a cycle instead of recursing forever', () => {
    const loop: Record<string, unknown> = { password: SECRETS[0] };
    loop.self = loop;
    expect(JSON.stringify(scrub(loop))).not.toContain(SECRETS[0]);
  });
});

describe('scrubLogArguments', () => {
  it('turns a leading error into { err } plus its scrubbed message', () => {
    const error = new Error('POST https://u:pw@em01/api failed');
    expect(scrubLogArguments([error])).toEqual([
      { err: { name: 'Error', message: 'POST https://[REDACTED]@em01/api failed' } },
      'POST https://[REDACTED]@em01/api failed',
    ]);
  });

  it('keeps an explicit message after a leading error', () => {
    expect(scrubLogArguments([new Error('x'), 'logon failed'])).toEqual([
      { err: { name: 'Error', message: 'x' } },
      'logon failed',
    ]);
  });

  it('scrubs every other argument', () => {
    expect(scrubLogArguments([{ token: 't' }, 'see %s', 'https://a:b@h/'])).toEqual([
      { token: '[REDACTED]' },
      'see %s',
      'https://[REDACTED]@h/',
    ]);
  });
});
