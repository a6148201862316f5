/**
 * Passwords, Authorization values, session tokens and session IDs never leave the process through
 * a log line, the exposition, the status page, a thrown error or the binary's output, whatever they
 * contain and whatever goes wrong. Secrets are random and hostile (regex, HTML, JSON and YAML
 * specials, unicode, spaces); EM is made to echo them back in its error answers.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssues, loadConfigFile } from '../../src/config/index.js';
import type { EmConfig, ExporterConfig } from '../../src/config/types.js';
import { formatFailure } from '../../src/domain.js';
import { createEmClient, type EmClientOptions } from '../../src/em/index.js';
import { Exporter } from '../../src/exporter.js';
import { createLogger } from '../../src/logging/logger.js';
import { buildStatusModel } from '../../src/server/status-model.js';
import { renderStatusPage } from '../../src/server/status-page.js';
import { EmSimulator, type FaultRule } from '../../src/simulator/index.js';
import { startExporter } from '../integration/process.js';

const USER = 'EM01\\svc_monitor';
/** Generous bounds for the tests that run the property many times; on a busy machine they slow down, not fail. */
const PROPERTY_TIMEOUT_MS = 120_000;
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

// ---------------------------------------------------------------------------------------------
// Secrets and where they could surface

interface Secret {
  text: string;
  /** Random alphanumeric runs inside the secret: any piece of it that escapes carries one. */
  nonces: string[];
}

// eslint-disable-next-line @typescript-eslint/no-misused-spread -- ASCII punctuation, one character each
const PUNCTUATION = [...'.*+?^${}()|[]\\/"\'<>&:;=%#@!~`,-'];
const HOSTILE = [
  ...PUNCTUATION,
  ' ',
  '  ',
  '\t',
  'é',
  'ß',
  'Ω',
  '💾',
  '\u202e',
  '\u200d',
  '${',
  '$${',
  '&amp;',
  '</td>',
  '\\u0022',
  '%2F',
];
const hostile = fc.string({ unit: fc.constantFrom(...HOSTILE), maxLength: 5 });
/** `role` starts each nonce, so a report says which secret leaked even after shrinking made them alike. */
const nonce = (role: string) =>
  fc
    .tuple(fc.integer({ min: 36 ** 5, max: 36 ** 6 - 1 }), fc.integer({ min: 36 ** 5, max: 36 ** 6 - 1 }))
    .map(([a, b]) => `${role}${a.toString(36)}q${b.toString(36)}`);
const secretOf = (role: string): fc.Arbitrary<Secret> =>
  fc
    .tuple(hostile, nonce(role), hostile, nonce(role), hostile)
    .map(([a, n1, b, n2, c]) => ({ text: `${a}${n1}${b}${n2}${c}`, nonces: [n1, n2] }));
const passwordArb = secretOf('P');
const wrongArb = secretOf('W');
const sessionIdsArb = (count: number) => fc.tuple(...Array.from({ length: count }, (_, i) => secretOf(`S${i}x`)));

const secret = (text: string, ...nonces: string[]): Secret => ({ text, nonces });

const escapeJson = (s: string): string => JSON.stringify(s).slice(1, -1);
const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const escapeLabel = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const base64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** Every spelling of a secret that a sink could hold: as is, escaped for JSON/HTML/labels/URLs, base64. */
function formsOf(secret: Secret): string[] {
  const s = secret.text;
  return [
    ...new Set([s, escapeJson(s), escapeHtml(s), escapeLabel(s), encodeURIComponent(s), base64(s), ...secret.nonces]),
  ];
}

function basicOf(password: Secret): Secret {
  const value = base64(`${USER}:${password.text}`);
  return { text: value, nonces: [] };
}

/** Which sinks hold which secrets; empty when nothing leaked. */
function leaks(sinks: Record<string, string>, secrets: Record<string, Secret>): string[] {
  const found: string[] = [];
  for (const [sink, text] of Object.entries(sinks)) {
    for (const [name, secret] of Object.entries(secrets)) {
      for (const form of formsOf(secret))
        if (text.includes(form)) found.push(`${sink} holds ${name} as ${JSON.stringify(form)}`);
    }
  }
  return found;
}

/** Raw log text plus every string inside every JSON line, decoded, so escaping cannot hide a secret. */
function logSink(raw: string): string {
  const decoded: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') decoded.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        decoded.push(k);
        walk(x);
      }
    }
  };
  for (const line of raw.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      walk(JSON.parse(line));
    } catch {
      decoded.push(line);
    }
  }
  return `${raw}\n${decoded.join('\n')}`;
}

function thrownSink(errors: unknown[]): string {
  return errors
    .map((e) => {
      const err = e as Error & Record<string, unknown>;
      return [String(err), err.message, err.stack ?? '', JSON.stringify(err), JSON.stringify(Object.entries(err))].join(
        '\n',
      );
    })
    .join('\n');
}

/** What EM (or a proxy in front of it) says back when it echoes everything it was sent. */
function echoText(password: Secret, token: string, sessionId: string): string {
  return `session ${sessionId} (token ${token}) rejected; you sent Authorization: Basic ${basicOf(password).text} for ${USER} with password ${password.text}`;
}

function echoBody(kind: 'xml' | 'json' | 'text', text: string): { raw: string; contentType: string } {
  if (kind === 'json')
    return { raw: JSON.stringify({ StatusCode: 500, Message: text }), contentType: 'application/json; charset=utf-8' };
  if (kind === 'text') return { raw: text, contentType: 'text/plain; charset=utf-8' };
  return {
    raw: `<?xml version="1.0" encoding="utf-8"?><Error Message="${xmlAttr(text)}" StatusCode="500"/>`,
    contentType: 'application/xml; charset=utf-8',
  };
}

const xmlAttr = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\t/g, '&#9;');

// ---------------------------------------------------------------------------------------------
// Fixtures shared by every run: one CA file (the simulator's certificate is made once per process)
// and a port nobody listens on.

let dir: string;
let caFile: string;
let caPem: string;
let deadUrl: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'secrets-'));
  const probe = new EmSimulator({});
  const started = await probe.start();
  await probe.stop();
  caFile = join(dir, 'em-ca.pem');
  await writeFile(caFile, started.caPem);
  caPem = started.caPem;
  const closed = createNetServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  deadUrl = `https://127.0.0.1:${(closed.address() as { port: number }).port}`;
  await new Promise((resolve) => closed.close(resolve));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const B = {
  ok: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
  relogon: '3c9e2a41-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
  echo500: '7b6a400c-452c-41d1-bb81-ea682e89492d',
  echo403: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
  proxyText: 'a0000000-0000-4000-8000-000000000001',
  drop: 'a0000000-0000-4000-8000-000000000002',
  midBody: 'a0000000-0000-4000-8000-000000000003',
  badBody: 'a0000000-0000-4000-8000-000000000004',
  redirect: 'a0000000-0000-4000-8000-000000000005',
  slow: 'a0000000-0000-4000-8000-000000000006',
} as const;

const rpPath = (id: string): string => `/api/backups/${id}/restorePoints`;

/**
 * The simulated EM of one run: it accepts `password`, hands out the given session IDs (suffixed
 * once they run out, so each stays unique), and echoes secrets in the faults it is armed with.
 */
async function startEm(password: Secret, ids: Secret[]) {
  const issued: string[] = [];
  const sim = new EmSimulator({
    users: [{ username: USER, password: password.text }],
    backups: Object.values(B).map((id) => ({
      id,
      name: `backup ${id.slice(0, 4)}`,
      restorePoints: [NOW - 3_600_000, NOW - 90_000_000],
    })),
    sessionIdFactory: () => {
      const base = ids[issued.length % ids.length]!.text;
      const id = issued.length < ids.length ? base : `${base}~${issued.length}`;
      issued.push(id);
      return id;
    },
  });
  const started = await sim.start();
  // The first session issued is the one the first cycle uses.
  armFaults(sim, password, ids[0]!.text);
  return { sim, url: started.url, issued, arm: (session: string) => armFaults(sim, password, session) };
}

/** Faults of every kind; the ones that echo repeat the password and `session`, its token included. */
function armFaults(sim: EmSimulator, password: Secret, session: string): void {
  sim.clearFaults();
  const token = base64(session);
  const echo = echoText(password, token, session);
  const faults: FaultRule[] = [
    { match: { path: rpPath(B.relogon) }, status: 401, times: 1, body: echoBody('xml', echo) },
    { match: { path: rpPath(B.echo500) }, status: 500, body: echoBody('xml', echo) },
    { match: { path: rpPath(B.echo403) }, status: 403, body: echoBody('json', echo) },
    { match: { path: rpPath(B.proxyText) }, status: 502, body: echoBody('text', echo) },
    { match: { path: rpPath(B.drop) }, drop: 'before-response' },
    { match: { path: rpPath(B.midBody) }, drop: 'mid-body' },
    // Cut into short excerpts by the parse error: a secret must not escape half-cut either.
    {
      match: { path: rpPath(B.badBody) },
      body: {
        raw: `<RestorePoints><RestorePoint UID="${xmlAttr(`${password.text} ${session} ${echo}`)}" BackupDateUTC="${token}"/></RestorePoints>`,
        contentType: 'application/xml',
      },
    },
    {
      match: { path: rpPath(B.redirect) },
      redirectTo: `https://proxy.example/${encodeURIComponent(session)}/${encodeURIComponent(password.text)}/${token}?password=${encodeURIComponent(password.text)}`,
    },
    { match: { path: rpPath(B.slow) }, latencyMs: 2_000 },
  ];
  for (const f of faults) sim.addFault(f);
}

/** An EM whose logon always fails with `status`, echoing what it was sent. */
async function startRefusingEm(status: number, echo: string, kind: 'xml' | 'json' | 'text') {
  const sim = new EmSimulator({ users: [], backups: [] });
  const started = await sim.start();
  sim.addFault({ match: { path: /sessionMngr/i }, status, body: echoBody(kind, echo) });
  return { sim, url: started.url };
}

function emEntry(
  name: string,
  url: string,
  password: string,
  backups: readonly string[],
  tls: EmConfig['tls'] = { caFile, insecureSkipVerify: false },
): EmConfig {
  return {
    name,
    url,
    username: USER,
    password,
    apiVersion: 'latest',
    format: 'xml',
    restorePoints: 'entity',
    tls,
    backups: backups.map((id) => ({ id, rpoSeconds: 86_400 })),
  };
}

// ---------------------------------------------------------------------------------------------

describe('secrets never surface: in process', () => {
  const reasonsSeen = new Set<string>();
  let run = 0;

  it(
    'not in logs, /metrics, the status page or thrown errors, across every failure path',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          passwordArb,
          wrongArb,
          sessionIdsArb(3),
          fc.constantFrom<'json' | 'pretty'>('json', 'pretty'),
          async (password, wrong, sessionIds, logFormat) => {
            let logText = '';
            const logger = createLogger({
              level: 'debug',
              format: logFormat,
              destination: { write: (s: string) => void (logText += s) },
            });
            const em = await startEm(password, sessionIds);
            const wrongEcho = echoText(wrong, 'no-token', 'no-session');
            const refusing401 = await startRefusingEm(401, wrongEcho, 'text');
            const refusing500 = await startRefusingEm(500, echoText(password, 'no-token', 'no-session'), 'json');
            const errors: unknown[] = [];
            try {
              const pollBackups = [
                B.ok,
                B.relogon,
                B.echo500,
                B.echo403,
                B.proxyText,
                B.drop,
                B.midBody,
                B.badBody,
                B.redirect,
              ];
              const config: ExporterConfig = {
                poll: {
                  schedule: '*/5 * * * *',
                  concurrency: 2,
                  timeoutMs: 5_000,
                  retries: 0,
                  metadataRefreshMs: 3_600_000,
                },
                defaults: { rpoSeconds: 86_400 },
                enterpriseManagers: [
                  emEntry('good', em.url, password.text, pollBackups),
                  emEntry('wrong-password', refusing401.url, wrong.text, [B.ok]),
                  emEntry('logon-500', refusing500.url, password.text, [B.ok]),
                  emEntry('untrusted-tls', em.url, password.text, [B.ok], { insecureSkipVerify: false }),
                  emEntry('unreachable', deadUrl, password.text, [B.ok]),
                ],
              };
              const exporter = new Exporter({ config, logger, version: '0.0.0-test', now: () => NOW });
              await exporter.runOnce();
              // Every session expires; the next cycle meets 401s and logs on again.
              em.sim.expireAllSessions();
              await exporter.runOnce();

              // Clients used directly, for the errors they throw: the echoes again on a fresh session,
              // an untrusted certificate and (every fifth run, as waiting costs time) a timeout.
              const direct = (name: string, overrides: Partial<EmClientOptions>) =>
                createEmClient(
                  {
                    name,
                    url: em.url,
                    username: USER,
                    password: () => password.text,
                    apiVersion: 'latest',
                    format: 'xml',
                    restorePoints: 'entity',
                    tls: { caPem, insecureSkipVerify: false },
                    timeoutMs: 5_000,
                    retries: 0,
                    concurrency: 2,
                    ...overrides,
                  },
                  { api: { request: () => undefined }, log: logger.child({ em: name }) },
                );
              const failure = (call: Promise<unknown>, what: string): Promise<void> =>
                call.then(
                  () => void errors.push(new Error(`expected ${what} to fail`)),
                  (err: unknown) => void errors.push(err),
                );
              const trusted = direct('direct', { format: 'json' });
              await trusted.getRestorePoints(B.ok);
              // EM echoes the session of the client it answers: it has no reason to know any other.
              em.arm(em.issued.at(-1)!);
              for (const id of [B.echo500, B.echo403, B.proxyText, B.drop, B.badBody, B.redirect])
                await failure(trusted.getRestorePoints(id), id);
              const untrusted = direct('direct-untrusted', { tls: { caPem: undefined, insecureSkipVerify: false } });
              await failure(untrusted.getRestorePoints(B.ok), 'an untrusted certificate');
              const impatient = direct('direct-impatient', { timeoutMs: 300 });
              if (run++ % 5 === 0)
                await failure(
                  impatient.getBackup(B.slow).then(() => impatient.getRestorePoints(B.slow)),
                  'a slow EM',
                );
              await Promise.all([trusted.close(), untrusted.close(), impatient.close()]);

              const metrics = await exporter.metrics.render();
              const page = renderStatusPage(
                buildStatusModel(exporter.state, {
                  version: '0',
                  schedule: exporter.schedule,
                  telemetryPath: '/metrics',
                  ready: true,
                  lifecycleEnabled: true,
                  nowMs: NOW,
                }),
              );
              const stateMessages = exporter.state
                .backups()
                .map((b) =>
                  b.lastPoll?.failure === undefined
                    ? ''
                    : `${b.lastPoll.failure.reason} ${formatFailure(b.lastPoll.failure)}`,
                )
                .join('\n');
              await exporter.stop();

              // The paths were really taken.
              for (const b of exporter.state.backups())
                if (b.lastPoll?.failure) reasonsSeen.add(b.lastPoll.failure.reason);
              for (const e of errors) reasonsSeen.add(String((e as { reason?: string }).reason));
              expect(em.issued.length).toBeGreaterThanOrEqual(3); // first logon, re-logon after the 401, after expiry
              expect(stateMessages).toContain('[redacted]'); // EM's echo arrived, and was cleaned

              const secrets: Record<string, Secret> = {
                password,
                'wrong password': wrong,
                'Authorization value': basicOf(password),
                'wrong Authorization value': basicOf(wrong),
                ...Object.fromEntries(
                  em.issued.flatMap((id, i) => [
                    [`session id ${i}`, { text: id, nonces: sessionIds[i % sessionIds.length]!.nonces }],
                    [`token ${i}`, { text: base64(id), nonces: [] }],
                  ]),
                ),
              };
              const found = leaks(
                { log: logSink(logText), metrics, page, state: stateMessages, thrown: thrownSink(errors) },
                secrets,
              );
              expect(found).toEqual([]);
            } finally {
              await Promise.all([em.sim.stop(), refusing401.sim.stop(), refusing500.sim.stop()]);
            }
          },
        ),
        {
          numRuns: 25,
          // Once found: a password EM escaped (&amp;, a tab as &#9;) inside an XML body that fails to parse.
          examples: [
            [
              secret('💾Pue89ipq9d71ur,  Pzzzzzdqzzzzzk]&amp;\t)', 'Pue89ipq9d71ur', 'Pzzzzzdqzzzzzk'),
              secret('W5gbl7uqzzzzzg@éWzzzzzmqcptppr', 'W5gbl7uqzzzzzg', 'Wzzzzzmqcptppr'),
              [
                secret('}{S0xr3g4o8q100002 ‍S0xvbo5ayqzzzzzd?!', 'S0xr3g4o8q100002', 'S0xvbo5ayqzzzzzd'),
                secret(";\\u0022'?S1xzzzzzbq9pobwe  S1x10000sq10000r#='@", 'S1xzzzzzbq9pobwe', 'S1x10000sq10000r'),
                secret('S2xzzzzzsq7g2l4hS2x10000rqt67a9d', 'S2xzzzzzsq7g2l4h', 'S2x10000rqt67a9d'),
              ],
              'pretty',
            ],
          ],
        },
      );
      expect([...reasonsSeen].sort()).toEqual(
        expect.arrayContaining(['auth', 'http_4xx', 'http_5xx', 'network', 'parse', 'timeout', 'tls']),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it('not in config errors when an inline password sits in a file that fails validation elsewhere', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        passwordArb,
        fc.constantFrom('escaped', 'as written', 'env'),
        fc.constantFrom('schema', 'yaml', 'unset-env', 'files'),
        async (password, spelling, problem) => {
          const file = join(dir, `config-${n++}.yaml`);
          // Nothing but ${NAME}: that is a reference by design, and NAME no secret.
          fc.pre(!(spelling === 'as written' && /^(?:\$\{[A-Za-z_]\w*\})+$/.test(password.text)));
          const value =
            spelling === 'env'
              ? '${EM_PASSWORD}'
              : spelling === 'escaped'
                ? password.text.replace(/\$\{/g, () => '$${')
                : password.text;
          const lines = [
            'poll:',
            problem === 'schema' ? '  timeout: 30 seconds' : '  timeout: 30s',
            problem === 'schema' ? '  colour: blue' : '  retries: 1',
            'enterpriseManagers:',
            '  - url: https://em01.example.local:9398',
            `    username: '${USER}'`,
            `    password: ${JSON.stringify(value)}`,
            problem === 'files' ? `    tls: { caFile: ${JSON.stringify(join(dir, 'absent.pem'))} }` : '    format: xml',
            problem === 'unset-env' ? '    apiVersion: ${NOT_SET_ANYWHERE}' : '    apiVersion: latest',
            '    backups:',
            problem === 'yaml'
              ? '      - [0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3'
              : '      - 0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
            problem === 'schema' ? '      - not-a-guid' : '',
            '',
          ];
          await writeFile(file, lines.join('\n'), { mode: 0o644 });
          await chmod(file, 0o644);
          const result = await loadConfigFile(file, { EM_PASSWORD: password.text });
          const text = result.ok
            ? JSON.stringify(result.warnings)
            : `${formatIssues(result.issues)}\n${JSON.stringify(result.issues)}`;
          expect(result.ok).toBe(false);
          expect(leaks({ 'config issues': text }, { password })).toEqual([]);
        },
      ),
      {
        numRuns: 150,
        // A literal password holding what looks like a ${VAR} reference must not be quoted back.
        examples: [
          [secret('Pabc${Psecret1q2}def', 'Psecret1q2'), 'as written', 'schema'],
          [secret('Px${Psecr et2q3}y', 'Psecr et2q3'), 'as written', 'files'],
          [secret('${Psecret3q4', 'Psecret3q4'), 'as written', 'schema'],
        ],
      },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// passwordFile rotation

describe('passwordFile is read again on reload', () => {
  it('logs on with the new password and logs the old session out; an unchanged file keeps the session', async () => {
    const sim = new EmSimulator({
      users: [
        { username: USER, password: 'old-password' },
        { username: USER, password: 'new-password' },
      ],
      backups: [{ id: B.ok, name: 'Daily', restorePoints: [NOW - 3_600_000] }],
    });
    const { url } = await sim.start();
    const passwordFile = join(dir, 'em.password');
    const configFile = join(dir, 'rotation.yaml');
    await writeFile(passwordFile, 'old-password\n', { mode: 0o600 });
    await writeFile(
      configFile,
      [
        'enterpriseManagers:',
        '  - name: em01',
        `    url: ${url}`,
        `    username: '${USER}'`,
        `    passwordFile: ${passwordFile}`,
        `    tls: { caFile: ${caFile} }`,
        `    backups: [${B.ok}]`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const load = async (): Promise<ExporterConfig> => {
      const loaded = await loadConfigFile(configFile);
      if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
      return loaded.config;
    };
    let logText = '';
    const logger = createLogger({
      level: 'info',
      format: 'json',
      destination: { write: (s: string) => void (logText += s) },
    });
    const exporter = new Exporter({ config: await load(), logger, version: '0', now: () => NOW });
    const logonPasswords = (): string[] =>
      sim
        .requests()
        .filter((r) => r.method === 'POST' && /sessionMngr/i.test(r.url))
        .map((r) =>
          Buffer.from(String(r.headers.authorization).replace(/^Basic /, ''), 'base64')
            .toString('utf8')
            .slice(USER.length + 1),
        );
    try {
      expect(await exporter.runOnce()).toBe(true);
      expect(logonPasswords()).toEqual(['old-password']);

      // Reloading an unchanged file keeps the session.
      await exporter.reload(await load());
      expect(await exporter.runOnce()).toBe(true);
      expect(logonPasswords()).toEqual(['old-password']);
      expect(sim.sessions().map((s) => s.endedBy)).toEqual([undefined]);

      await writeFile(passwordFile, 'new-password\n');
      await exporter.reload(await load());
      // The reload does not wait for EM; the new poller logs on only once the old session is logged out.
      expect(await exporter.runOnce()).toBe(true);
      expect(logonPasswords()).toEqual(['old-password', 'new-password']);
      expect(sim.sessions().map((s) => s.endedBy)).toEqual(['logout', undefined]);
      expect(logText).toContain('connection settings or credentials changed');
      expect(logText).not.toContain('new-password');
      expect(logText).not.toContain('old-password');
    } finally {
      await exporter.stop();
      await sim.stop();
    }
    expect(sim.sessions().map((s) => s.endedBy)).toEqual(['logout', 'logout']);
  });
});

// ---------------------------------------------------------------------------------------------
// The binary

describe('secrets never surface: the binary', () => {
  it(
    '--once: not on standard output (the exposition) nor in the log, with json and pretty logs',
    async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(passwordArb, wrongArb, sessionIdsArb(2), async (password, wrong, sessionIds) => {
          const run = n++;
          const em = await startEm(password, sessionIds);
          const refusing = await startRefusingEm(401, echoText(wrong, 'no-token', 'no-session'), 'xml');
          try {
            const wrongFile = join(dir, `wrong-${run}.password`);
            await writeFile(wrongFile, `${wrong.text}\n`, { mode: 0o600 });
            const configFile = join(dir, `once-${run}.yaml`);
            const em0 = (
              name: string,
              url: string,
              secretLine: string,
              backups: string[],
              tls = `{ caFile: ${JSON.stringify(caFile)} }`,
            ) => [
              `  - name: ${name}`,
              `    url: ${url}`,
              `    username: '${USER}'`,
              `    ${secretLine}`,
              `    tls: ${tls}`,
              `    backups: [${backups.join(', ')}]`,
            ];
            await writeFile(
              configFile,
              [
                'poll:',
                '  timeout: 5s',
                '  retries: 0',
                'enterpriseManagers:',
                ...em0('good', em.url, `password: ${JSON.stringify(password.text.replace(/\$\{/g, () => '$${'))}`, [
                  B.ok,
                  B.relogon,
                  B.echo500,
                  B.echo403,
                  B.proxyText,
                  B.drop,
                  B.badBody,
                  B.redirect,
                ]),
                ...em0('wrong', refusing.url, `passwordFile: ${JSON.stringify(wrongFile)}`, [B.ok]),
                ...em0('tls', em.url, 'password: ${EM_PASSWORD}', [B.ok], '{}'),
                ...em0('down', deadUrl, 'password: ${EM_PASSWORD}', [B.ok]),
                '',
              ].join('\n'),
              { mode: 0o600 },
            );
            const exporter = startExporter(
              [
                '--once',
                `--config.file=${configFile}`,
                '--log.level=debug',
                `--log.format=${run % 2 === 0 ? 'json' : 'pretty'}`,
              ],
              {
                EM_PASSWORD: password.text,
              },
            );
            const { code } = await exporter.exited;
            expect(code, exporter.stderr()).toBe(1);
            expect(exporter.stdout()).toContain('veeam_em_up{em="good"} 1');
            expect(exporter.stdout()).toContain('veeam_em_up{em="wrong"} 0');
            expect(exporter.stderr()).toContain('[redacted]');
            const secrets: Record<string, Secret> = {
              password,
              'wrong password': wrong,
              'Authorization value': basicOf(password),
              'wrong Authorization value': basicOf(wrong),
              ...Object.fromEntries(
                em.issued.flatMap((id, i) => [
                  [`session id ${i}`, { text: id, nonces: sessionIds[i % sessionIds.length]!.nonces }],
                  [`token ${i}`, { text: base64(id), nonces: [] }],
                ]),
              ),
            };
            expect(em.issued.length).toBeGreaterThanOrEqual(2);
            expect(leaks({ stdout: exporter.stdout(), stderr: logSink(exporter.stderr()) }, secrets)).toEqual([]);
          } finally {
            await Promise.all([em.sim.stop(), refusing.sim.stop()]);
          }
        }),
        { numRuns: 4 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    '--config.check: reports a broken file without the inline password, and warns (exit 0) when everyone may read a valid one',
    async () => {
      await fc.assert(
        fc.asyncProperty(passwordArb, fc.boolean(), async (password, broken) => {
          const file = join(dir, `check-${broken ? 'broken' : 'valid'}.yaml`);
          await writeFile(
            file,
            [
              'poll:',
              broken ? '  timeout: soon' : '  timeout: 30s',
              'enterpriseManagers:',
              '  - url: https://em01.example.local:9398',
              `    username: '${USER}'`,
              `    password: ${JSON.stringify(password.text.replace(/\$\{/g, () => '$${'))}`,
              `    backups: [${B.ok}${broken ? ', nope' : ''}]`,
              '',
            ].join('\n'),
          );
          await chmod(file, 0o644);
          const check = startExporter(['--config.check', `--config.file=${file}`]);
          const { code } = await check.exited;
          if (broken) {
            expect(code).toBe(2);
            expect(check.stderr()).toContain('poll.timeout');
          } else {
            expect(code, check.stderr()).toBe(0);
            expect(check.stdout()).toBe('config OK\n');
            const warning = check
              .stderr()
              .split('\n')
              .filter((l) => l.startsWith('{'))
              .map((l) => JSON.parse(l) as Record<string, unknown>)
              .find((l) => l.level === 'warn' && /readable by every user/.test(String(l.msg)));
            expect(warning).toMatchObject({ key: 'enterpriseManagers[0].password', file });
          }
          expect(leaks({ stdout: check.stdout(), stderr: logSink(check.stderr()) }, { password })).toEqual([]);
        }),
        { numRuns: 4, examples: [[secret('Pplain1q2-pass', 'Pplain1q2'), false]] },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
