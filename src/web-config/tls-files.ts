import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { Secret } from './secret.js';
import type { TlsServerSettings } from './types.js';
import type { PendingIssue, TlsPlan } from './validate.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads and checks the certificate, key and client CA named by a validated config. Messages name the key
 * and the file, and never include file contents: OpenSSL's own error text is left out for the key file.
 */
export async function loadTlsFiles(
  plan: TlsPlan,
  now: Date,
): Promise<{ settings?: TlsServerSettings; issues: PendingIssue[]; warnings: PendingIssue[] }> {
  const issues: PendingIssue[] = [];
  const warnings: PendingIssue[] = [];
  const at = (key: string): PendingIssue['path'] => ['tls_server_config', key];

  const [certPem, keyPem, caPem] = await Promise.all([
    readText(plan.certFile, at('cert_file'), issues),
    readText(plan.keyFile, at('key_file'), issues),
    plan.clientCaFile ? readText(plan.clientCaFile, at('client_ca_file'), issues) : Promise.resolve(undefined),
  ]);

  const leaf = certPem === undefined ? undefined : parseLeaf(certPem, plan.certFile, issues);
  const key = keyPem === undefined ? undefined : parseKey(keyPem, plan.keyFile, issues);
  if (caPem !== undefined && plan.clientCaFile) checkCaBundle(caPem, plan.clientCaFile, issues);

  if (leaf && key && !leaf.checkPrivateKey(key)) {
    issues.push({
      path: at('key_file'),
      message: `the private key in ${plan.keyFile} does not belong to the certificate in ${plan.certFile}`,
    });
  }
  if (leaf) {
    if (new Date(leaf.validTo) < now) {
      warnings.push({
        path: at('cert_file'),
        message: `the certificate in ${plan.certFile} expired on ${leaf.validTo}; clients will refuse it`,
      });
    } else if (new Date(leaf.validFrom) > now) {
      warnings.push({
        path: at('cert_file'),
        message: `the certificate in ${plan.certFile} is not valid before ${leaf.validFrom}`,
      });
    }
  }
  if (issues.length > 0 || !leaf || certPem === undefined || keyPem === undefined) return { issues, warnings };

  const settings: TlsServerSettings = {
    certFile: plan.certFile,
    keyFile: plan.keyFile,
    ...(plan.clientCaFile ? { clientCaFile: plan.clientCaFile } : {}),
    certPem,
    keyPem: new Secret(keyPem),
    ...(caPem !== undefined ? { clientCaPem: caPem } : {}),
    certFingerprint256: leaf.fingerprint256,
    certValidTo: leaf.validTo,
    clientAuthType: plan.clientAuthType,
    minVersion: plan.minVersion,
    maxVersion: plan.maxVersion,
    ...(plan.ciphers ? { ciphers: plan.ciphers } : {}),
    ...(plan.ecdhCurve ? { ecdhCurve: plan.ecdhCurve } : {}),
    honorCipherOrder: plan.honorCipherOrder,
  };
  try {
    // The final word on what OpenSSL accepts (cipher lists, curves, version limits) before a server uses it.
    createSecureContext(secureContextOptions(settings));
  } catch (error) {
    issues.push({
      path: ['tls_server_config'],
      message: `OpenSSL rejects these TLS settings: ${openSslReason(error)}`,
    });
    return { issues, warnings };
  }
  return { settings, issues, warnings };
}

export function secureContextOptions(settings: TlsServerSettings) {
  return {
    cert: settings.certPem,
    key: settings.keyPem.reveal(),
    ...(settings.clientCaPem !== undefined ? { ca: settings.clientCaPem } : {}),
    minVersion: settings.minVersion,
    maxVersion: settings.maxVersion,
    ...(settings.ciphers ? { ciphers: settings.ciphers } : {}),
    ...(settings.ecdhCurve ? { ecdhCurve: settings.ecdhCurve } : {}),
    honorCipherOrder: settings.honorCipherOrder,
  };
}

async function readText(file: string, path: PendingIssue['path'], issues: PendingIssue[]): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    issues.push({ path, message: `cannot read ${file}: ${describeFsError(error)}` });
    return undefined;
  }
}

function parseLeaf(pem: string, file: string, issues: PendingIssue[]): X509Certificate | undefined {
  const first = pem.match(PEM_CERTIFICATE)?.[0];
  if (!first) {
    issues.push({
      path: ['tls_server_config', 'cert_file'],
      message: `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    });
    return undefined;
  }
  try {
    return new X509Certificate(first);
  } catch (error) {
    issues.push({
      path: ['tls_server_config', 'cert_file'],
      message: `${file}: the first certificate cannot be parsed: ${openSslReason(error)}`,
    });
    return undefined;
  }
}

function parseKey(pem: string, file: string, issues: PendingIssue[]): KeyObject | undefined {
  const path: PendingIssue['path'] = ['tls_server_config', 'key_file'];
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    issues.push({
      path,
      message: `${file} holds an encrypted private key; passphrases are not supported, store it unencrypted with tight file permissions`,
    });
    return undefined;
  }
  try {
    return createPrivateKey(pem);
  } catch {
    issues.push({
      path,
      message: `${file} holds no readable PEM private key (expected -----BEGIN PRIVATE KEY----- or an RSA/EC key)`,
    });
    return undefined;
  }
}

function checkCaBundle(pem: string, file: string, issues: PendingIssue[]): void {
  const path: PendingIssue['path'] = ['tls_server_config', 'client_ca_file'];
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    issues.push({ path, message: `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)` });
    return;
  }
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block);
    } catch (error) {
      issues.push({ path, message: `${file}: certificate #${index + 1} cannot be parsed: ${openSslReason(error)}` });
    }
  });
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file (paths are relative to the web config file)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied for the exporter user';
    case 'EISDIR':
      return 'is a directory, expected a file';
    default:
      return code ?? 'read error';
  }
}

/** OpenSSL reasons name routines and codes, never the data; anything that might quote PEM is reduced to a code. */
function openSslReason(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const reason = /error:[0-9A-F]+:[^:]*:[^:]*:([^\n]+)/.exec(message)?.[1];
  if (reason) return reason;
  if (message !== '' && !message.includes('-----') && message.length < 200) return message;
  return (error as { code?: string }).code ?? 'invalid data';
}
