import { describe, expect, it } from 'vitest';
import {
  ALL_BACKUPS,
  ONE,
  OTHERS,
  complaints,
  emConfig,
  errorsTotal,
  expectCleanLog,
  expectOneEmWideWarning,
  expectOneWarningPerFailure,
  expectRecovered,
  expectUntouched,
  exporterConfig,
  requestsTotal,
  rig,
  sample,
  sessionSecrets,
  startCatcher,
  type Rig,
} from './harness.js';

/** The operator fixes em01's config; a reload replaces its client, which logs on at once. */
async function fixConfig(r: Rig) {
  await r.exporter.reload(
    exporterConfig([emConfig(r.faulty, { name: 'em01' }), emConfig(r.healthy, { name: 'em02' })], { retries: 1 }),
  );
  return r.cycle();
}

describe('faults: TLS', () => {
  it('a certificate without the configured serverName: tls, naming tls.serverName, nothing sent; fixed by config', async () => {
    // The CA is trusted; only the name is not on the certificate.
    const r = await rig({
      em: (faulty) => ({ tls: { caFile: faulty.caFile, insecureSkipVerify: false, serverName: 'em01.example.local' } }),
    });
    const during = await r.cycle();
    expect(sample(during.text, 'veeam_em_up', { em: 'em01' })).toBe(0);
    expect(errorsTotal(during.text, 'em01', 'tls')).toBe(4);
    // Not retried: a certificate does not change between attempts.
    expect(requestsTotal(during.text, 'em01', 'login', 'error')).toBe(1);
    expectOneEmWideWarning(
      during.lines,
      'em01',
      ALL_BACKUPS,
      'tls',
      /logon as "EM01\\svc_monitor": TLS failed \(ERR_TLS_CERT_ALTNAME_INVALID: .*\): the certificate does not carry the host name used: set tls\.serverName to a name in the certificate .*tls\.caFile/,
    );
    expect(r.faulty.sim.requests()).toHaveLength(0);
    expectUntouched(during);
    expectRecovered(await fixConfig(r));
    expectCleanLog(r.log, sessionSecrets(r.faulty, r.healthy));
  });

  it('a certificate from an unknown CA (no caFile): tls, naming tls.caFile and tls.serverName, nothing sent; fixed by config', async () => {
    const r = await rig({ em: { tls: { insecureSkipVerify: false } } });
    const during = await r.cycle();
    expect(sample(during.text, 'veeam_em_up', { em: 'em01' })).toBe(0);
    expect(errorsTotal(during.text, 'em01', 'tls')).toBe(4);
    expectOneEmWideWarning(
      during.lines,
      'em01',
      ALL_BACKUPS,
      'tls',
      /TLS failed \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE): .*\): the certificate is not trusted: set tls\.caFile to the PEM of the CA .*set tls\.serverName/,
    );
    expect(r.faulty.sim.requests()).toHaveLength(0);
    expectUntouched(during);
    expectRecovered(await fixConfig(r));
  });
});

describe('faults: redirects to another host', () => {
  it('a redirected logon is not followed: the other host never hears from the exporter, credentials included', async () => {
    const catcher = await startCatcher();
    const r = await rig();
    r.faulty.sim.addFault({ match: { method: 'POST' }, redirectTo: `${catcher.url}/api/sessionMngr/?v=latest` });
    const during = await r.cycle();
    expect(sample(during.text, 'veeam_em_up', { em: 'em01' })).toBe(0);
    expect(errorsTotal(during.text, 'em01', 'http_4xx')).toBe(4);
    expect(requestsTotal(during.text, 'em01', 'login', '302')).toBe(1);
    expectOneEmWideWarning(
      during.lines,
      'em01',
      ALL_BACKUPS,
      'http_4xx',
      new RegExp(
        `logon as "EM01\\\\svc_monitor": EM answered 302 redirecting to ${catcher.url}/api/sessionMngr/, not followed \\(credentials and the session stay with the configured server\\)`,
      ),
    );
    expect(catcher.seen).toEqual([]);
    expectUntouched(during);
  });

  it('a redirected request is not followed: neither the session header nor anything else reaches the other host', async () => {
    const catcher = await startCatcher();
    const r = await rig();
    r.faulty.sim.addFault({
      match: { path: new RegExp(`^/api/backups/${ONE}/restorePoints$`) },
      redirectTo: `${catcher.url}/api/backups/${ONE}/restorePoints?format=Entity`,
    });
    const during = await r.cycle();
    expect(sample(during.text, 'veeam_em_up', { em: 'em01' })).toBe(1);
    expect(sample(during.text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: ONE })).toBe(0);
    for (const id of OTHERS)
      expect(sample(during.text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: id })).toBe(1);
    expect(requestsTotal(during.text, 'em01', 'restore_points', '302')).toBe(1);
    expectOneWarningPerFailure(
      during.lines,
      'em01',
      [ONE],
      'http_4xx',
      /GET restore points: EM answered 302 redirecting to https:\/\/localhost:\d+\/api\/backups\/[0-9a-f-]+\/restorePoints, not followed/,
    );
    expect(catcher.seen).toEqual([]);
    // The redirect did not cost the session either.
    expect(complaints(during.lines, 'em01').filter((l) => l.backup_id === undefined)).toEqual([]);
    expect(r.faulty.sim.sessions()).toHaveLength(1);
    expectUntouched(during);
    r.faulty.sim.clearFaults();
    expectRecovered(await r.cycle());
    expect(catcher.seen).toEqual([]);
    expectCleanLog(r.log, sessionSecrets(r.faulty, r.healthy));
  });
});
