import { describe, expect, it } from 'vitest';
import { BACKUP_A, POINTS_A, failureOf, startHarness } from './client-harness.js';

describe('EM client: TLS', () => {
  it('verifies by default: an unknown CA is a tls error naming tls.caFile, tried once', async () => {
    const { sim, makeClient, api } = await startHarness();
    const error = await failureOf(makeClient({ tls: { insecureSkipVerify: false } }).getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('tls');
    expect(error.message).toMatch(/logon as "EM01\\svc_monitor": TLS failed \(DEPTH_ZERO_SELF_SIGNED_CERT: /);
    expect(error.message).toContain('tls.caFile');
    expect(error.message).toContain('tls.serverName');
    expect(sim.requests()).toHaveLength(0);
    expect(api).toEqual([{ em: 'em01', endpoint: 'login', code: 'error', seconds: expect.any(Number) }]);
  });

  it('a serverName the certificate does not carry is a tls error naming tls.serverName', async () => {
    const { started, makeClient } = await startHarness();
    const client = makeClient({
      tls: { caPem: started.caPem, insecureSkipVerify: false, serverName: 'em01.example.local' },
    });
    const error = await failureOf(client.getRestorePoints(BACKUP_A));
    expect(error.reason).toBe('tls');
    expect(error.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID.*set tls\.serverName to a name in the certificate/);
  });

  it('serverName lets a client reach EM by IP under the certificate name', async () => {
    const { started, makeClient } = await startHarness();
    const client = makeClient({
      url: started.url,
      tls: { caPem: started.caPem, insecureSkipVerify: false, serverName: 'localhost' },
    });
    await expect(client.getRestorePoints(BACKUP_A)).resolves.toHaveLength(POINTS_A.length);
  });

  it('the CA is trusted for the host name in url as well', async () => {
    const { started, makeClient } = await startHarness();
    const client = makeClient({ url: `https://localhost:${started.port}/` });
    await expect(client.getRestorePoints(BACKUP_A)).resolves.toHaveLength(POINTS_A.length);
  });

  it('insecureSkipVerify connects without a CA, and only that client', async () => {
    const { makeClient } = await startHarness();
    await expect(makeClient({ tls: { insecureSkipVerify: true } }).getRestorePoints(BACKUP_A)).resolves.toHaveLength(
      POINTS_A.length,
    );
    expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBeUndefined();
    expect(
      (await failureOf(makeClient({ tls: { insecureSkipVerify: false } }).getRestorePoints(BACKUP_A))).reason,
    ).toBe('tls');
  });
});
