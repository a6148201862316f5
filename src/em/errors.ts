import type { PollErrorReason } from '../domain.js';
import type { EmFailure } from './types.js';

/** A classified, operator-worded failure talking to EM. Carries no request options, headers or secrets. */
export class EmError extends Error implements EmFailure {
  override readonly name = 'EmError';
  readonly reason: PollErrorReason;
  readonly status?: number;
  duringLogon?: boolean;

  constructor(reason: PollErrorReason, message: string, status?: number) {
    super(message);
    this.reason = reason;
    if (status !== undefined) this.status = status;
  }
}

/** An EmError for a request that never got a logon session (see EmFailure.duringLogon). */
export function logonError(reason: PollErrorReason, message: string, status?: number): EmError {
  const error = new EmError(reason, message, status);
  error.duringLogon = true;
  return error;
}

export function isEmError(value: unknown): value is EmError {
  return value instanceof EmError;
}

export const EM_ROLES = 'Portal Administrator, Portal User or Restore Operator';

/**
 * Node/OpenSSL codes that mean "the certificate or the TLS handshake", as opposed to the network.
 * Anything starting with ERR_TLS_ / ERR_SSL_ or containing CERT counts as well.
 */
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

/** `unreadable`: the server answered over TLS, but not in HTTP that can be read (llhttp's HPE_ codes). */
export type TransportKind = 'tls' | 'timeout' | 'network' | 'unreadable';

export function transportKind(code: string): TransportKind {
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return 'timeout';
  if (code.startsWith('HPE_')) return 'unreadable';
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.includes('CERT')) return 'tls';
  return 'network';
}

/** What to check for a TLS failure; always names the two settings that fix it. */
export function tlsAdvice(code: string): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    return 'the certificate does not carry the host name used: set tls.serverName to a name in the certificate (or use that name in url); if the issuer is not trusted either, set tls.caFile';
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return "the certificate is outside its validity period: renew EM's certificate or fix the clock; tls.caFile and tls.serverName cannot fix this";
  }
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO') {
    return 'no TLS conversation: check that url is https:// and points at the EM REST port (9398); tls.caFile and tls.serverName apply once TLS works';
  }
  return "the certificate is not trusted: set tls.caFile to the PEM of the CA that issued it (for EM's self-signed certificate, that certificate itself); set tls.serverName if url uses an IP or another name than the certificate";
}

export function networkAdvice(): string {
  return 'check url, DNS, the firewall and that the Veeam Backup Enterprise Manager RESTful API service runs (port 9398)';
}

export function timeoutAdvice(timeoutMs: number): string {
  return `check that EM is reachable and not overloaded; raise poll.timeout (now ${formatMs(timeoutMs)}) if big backups need longer`;
}

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
