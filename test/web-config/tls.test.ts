import { X509Certificate } from 'node:crypto';
import { Server as HttpsServer } from 'node:https';
import { connect, createServer as createTlsServer } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { close, get, listen } from './support/client.js';
import { testPki, type Pki } from './support/certs.js';
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

const tlsFiles = (): Record<string, string> => ({
  'server.crt': pki.server.cert,
  'server.key': pki.server.key,
  'client-ca.crt': pki.clientCa.cert,
});

const withClientAuth = (type: string): string => `tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: ${type}
  client_ca_file: client-ca.crt
`;

describe('createSecuredServer: TLS', () => {
  it('serves HTTPS with the configured certificate', async () => {
    running = await startSecured('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n', tlsFiles());
    expect(running.server).toBeInstanceOf(HttpsServer);
    const reply = await get(running.port, '/metrics', { ca: pki.serverCa.cert });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('ok');
    expect(reply.serverFingerprint).toBe(new X509Certificate(pki.server.cert).fingerprint256);
  });

  it('offers the current certificate as a SecureContext for SNI-based servers', async () => {
    running = await startSecured('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n', tlsFiles());
    const guard = running.guard;
    const sni = createTlsServer({ SNICallback: (_name, done) => done(null, guard.secureContext()) }, (socket) =>
      socket.end(),
    );
    const port = await listen(sni);
    try {
      const presented = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.serverCa.cert }, () => {
          resolve(socket.getPeerCertificate().fingerprint256);
          socket.destroy();
        });
        socket.on('error', reject);
      });
      expect(presented).toBe(new X509Certificate(pki.server.cert).fingerprint256);
    } finally {
      await close(sni);
    }
  });

  it('passes the HTTP server options through to the HTTPS server', async () => {
    running = await startSecured('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n', tlsFiles(), {
      maxHeaderSize: 1024,
    });
    const reply = await get(running.port, '/', { ca: pki.serverCa.cert, user: 'x'.repeat(2048) });
    expect(reply.status).toBe(431);
  });

  it('serves plain HTTP when the web config has no tls_server_config', async () => {
    running = await startSecured('http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n');
    expect(running.server).not.toBeInstanceOf(HttpsServer);
    const reply = await get(running.port, '/metrics');
    expect(reply.status).toBe(200);
  });

  it('applies cipher_suites to TLS 1.2 under OpenSSL names', async () => {
    const yml =
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n';
    running = await startSecured(yml, tlsFiles());
    const reply = await get(running.port, '/', { ca: pki.serverCa.cert, maxVersion: 'TLSv1.2' });
    expect(reply.protocol).toBe('TLSv1.2');
    expect(reply.cipher).toBe('ECDHE-ECDSA-AES256-GCM-SHA384');
  });

  describe('RequireAndVerifyClientCert', () => {
    it('refuses a client without a certificate', async () => {
      running = await startSecured(withClientAuth('RequireAndVerifyClientCert'), tlsFiles());
      await expect(get(running.port, '/', { ca: pki.serverCa.cert })).rejects.toThrow();
      expect(running.handled()).toBe(0);
    });

    it('refuses a certificate from a CA other than client_ca_file', async () => {
      running = await startSecured(withClientAuth('RequireAndVerifyClientCert'), tlsFiles());
      await expect(get(running.port, '/', { ca: pki.serverCa.cert, ...pki.strangerClient })).rejects.toThrow();
      expect(running.handled()).toBe(0);
    });

    it('serves a client whose certificate client_ca_file signed', async () => {
      running = await startSecured(withClientAuth('RequireAndVerifyClientCert'), tlsFiles());
      const reply = await get(running.port, '/', { ca: pki.serverCa.cert, ...pki.client });
      expect(reply.status).toBe(200);
    });
  });

  describe('VerifyClientCertIfGiven', () => {
    it('serves a client without a certificate', async () => {
      running = await startSecured(withClientAuth('VerifyClientCertIfGiven'), tlsFiles());
      expect((await get(running.port, '/', { ca: pki.serverCa.cert })).status).toBe(200);
    });

    it('serves a client with a trusted certificate', async () => {
      running = await startSecured(withClientAuth('VerifyClientCertIfGiven'), tlsFiles());
      expect((await get(running.port, '/', { ca: pki.serverCa.cert, ...pki.client })).status).toBe(200);
    });

    it('refuses a client that presents an untrusted certificate', async () => {
      running = await startSecured(withClientAuth('VerifyClientCertIfGiven'), tlsFiles());
      await expect(get(running.port, '/', { ca: pki.serverCa.cert, ...pki.strangerClient })).rejects.toThrow();
      expect(running.handled()).toBe(0);
    });
  });

  describe('RequireAnyClientCert', () => {
    const config =
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAnyClientCert\n';

    it('refuses a client without a certificate', async () => {
      running = await startSecured(config, tlsFiles());
      await expect(get(running.port, '/', { ca: pki.serverCa.cert })).rejects.toThrow();
      expect(running.handled()).toBe(0);
    });

    it('serves any certificate, trusted or not, as Go does', async () => {
      running = await startSecured(config, tlsFiles());
      expect((await get(running.port, '/', { ca: pki.serverCa.cert, ...pki.strangerClient })).status).toBe(200);
    });
  });
});
