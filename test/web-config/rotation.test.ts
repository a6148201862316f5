import bcrypt from 'bcryptjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { X509Certificate } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { get } from './support/client.js';
import { testPki, type Pki } from './support/certs.js';
import type { LogEntry } from './support/logger.js';
import { startSecured, type Running } from './support/server.js';

let pki: Pki;
let running: Running | undefined;

beforeAll(async () => {
  pki = await testPki();
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const TLS_ONLY = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';
const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;
const reloaded = (e: LogEntry): boolean => e.msg === 'web config reloaded';
const refused = (e: LogEntry): boolean => e.level === 'warn' && e.msg.startsWith('web config change refused');

/** Applies a change on disk and waits until the watcher has picked it up (log entry `until`). */
async function change(r: Running, files: Record<string, string>, until: (e: LogEntry) => boolean): Promise<LogEntry> {
  const from = r.logger.entries.length;
  for (const [name, text] of Object.entries(files)) await r.write(name, text);
  return r.logger.next(until, from);
}

describe('WebGuard: changes on disk apply to new connections without a restart', () => {
  it('serves a rotated certificate once the files are replaced', async () => {
    running = await startSecured(TLS_ONLY, { 'server.crt': pki.server.cert, 'server.key': pki.server.key });
    const before = await get(running.port, '/', { ca: pki.serverCa.cert });
    expect(before.serverFingerprint).toBe(fingerprint(pki.server.cert));

    await change(running, { 'server.key': pki.rotatedServer.key, 'server.crt': pki.rotatedServer.cert }, (e) => {
      return (
        reloaded(e) &&
        (e.obj as { certificateSha256?: string }).certificateSha256 === fingerprint(pki.rotatedServer.cert)
      );
    });

    const after = await get(running.port, '/', { ca: pki.serverCa.cert });
    expect(after.status).toBe(200);
    expect(after.serverFingerprint).toBe(fingerprint(pki.rotatedServer.cert));
    expect(running.server.listening).toBe(true);
  });

  it('keeps serving the previous certificate when the new files do not form a valid pair, and says why', async () => {
    running = await startSecured(TLS_ONLY, { 'server.crt': pki.server.cert, 'server.key': pki.server.key });
    // A certificate whose key is not the one on disk: a half-finished rotation.
    const warning = await change(running, { 'server.crt': pki.rotatedServer.cert }, refused);
    expect(JSON.stringify(warning.obj)).toContain('tls_server_config.key_file');
    expect(JSON.stringify(running.logger.entries)).not.toContain('PRIVATE KEY');

    const reply = await get(running.port, '/', { ca: pki.serverCa.cert });
    expect(reply.serverFingerprint).toBe(fingerprint(pki.server.cert));
  });

  it('applies a changed password without a restart and forgets the old one', async () => {
    const [oldHash, newHash] = await Promise.all([bcrypt.hash('old-password', 4), bcrypt.hash('new-password', 4)]);
    running = await startSecured(`basic_auth_users:\n  alice: '${oldHash}'\n`);
    expect((await get(running.port, '/', { user: 'alice', password: 'old-password' })).status).toBe(200);

    await change(running, { 'web.yml': `basic_auth_users:\n  alice: '${newHash}'\n` }, reloaded);

    expect((await get(running.port, '/', { user: 'alice', password: 'old-password' })).status).toBe(401);
    expect((await get(running.port, '/', { user: 'alice', password: 'new-password' })).status).toBe(200);
  });

  it('starts requiring client certificates when client_auth_type is tightened', async () => {
    const files = { 'server.crt': pki.server.cert, 'server.key': pki.server.key, 'client-ca.crt': pki.clientCa.cert };
    running = await startSecured(TLS_ONLY, files);
    expect((await get(running.port, '/', { ca: pki.serverCa.cert })).status).toBe(200);

    const strict = `${TLS_ONLY}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: client-ca.crt\n`;
    await change(running, { 'web.yml': strict }, reloaded);

    const from = running.logger.entries.length;
    await expect(get(running.port, '/', { ca: pki.serverCa.cert })).rejects.toThrow();
    // Refused by the TLS handshake itself, not only by the post-handshake check.
    await running.logger.next((e) => e.msg === 'TLS handshake failed', from);
    expect((await get(running.port, '/', { ca: pki.serverCa.cert, ...pki.client })).status).toBe(200);
  });

  it('refuses to switch between HTTPS and HTTP on the fly, keeping TLS on', async () => {
    running = await startSecured(TLS_ONLY, { 'server.crt': pki.server.cert, 'server.key': pki.server.key });
    const warning = await change(running, { 'web.yml': 'basic_auth_users: {}\n' }, refused);
    expect(JSON.stringify(warning.obj)).toMatch(/needs a restart/);
    expect((await get(running.port, '/', { ca: pki.serverCa.cert })).status).toBe(200);
  });

  it('stops watching after close()', async () => {
    running = await startSecured(TLS_ONLY, { 'server.crt': pki.server.cert, 'server.key': pki.server.key });
    running.guard.close();
    const from = running.logger.entries.length;
    await running.write('server.key', pki.rotatedServer.key);
    await running.write('server.crt', pki.rotatedServer.cert);
    // Several poll intervals: long enough for a live watcher to have reloaded.
    await sleep(400);
    expect((await running.guard.reload()).ok).toBe(false);
    expect(running.logger.entries.slice(from)).toEqual([]);
    expect(running.guard.config.tls?.certFingerprint256).toBe(fingerprint(pki.server.cert));
  });
});
