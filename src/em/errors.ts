import { failureFields, formatFailure, type FailureTarget, type PollErrorReason, type PollFailure } from '../domain.js';

/**
 * The one failure type of the exporter's EM work, classified and worded for operators; its message
 * is `formatFailure` (src/domain.ts) of its fields. Carries no request options, headers or secrets.
 */
export class EmError extends Error implements PollFailure {
  override readonly name = 'EmError';
  readonly em: string;
  declare readonly backupId?: string;
  declare readonly subject?: string;
  readonly reason: PollErrorReason;
  declare readonly action?: string;
  readonly detail: string;
  declare readonly advice?: string;
  declare readonly status?: number;
  declare readonly duringLogon?: boolean;

  // The optional fields are `declare`d: set only when present, so a copy or a log of the error has no undefined keys.
  constructor(fields: PollFailure) {
    super(formatFailure(fields));
    this.em = fields.em;
    this.reason = fields.reason;
    this.detail = fields.detail;
    if (fields.backupId !== undefined) this.backupId = fields.backupId;
    if (fields.subject !== undefined) this.subject = fields.subject;
    if (fields.action !== undefined) this.action = fields.action;
    if (fields.advice !== undefined) this.advice = fields.advice;
    if (fields.status !== undefined) this.status = fields.status;
    if (fields.duringLogon === true) this.duringLogon = true;
  }

  /** The fields alone, without the Error around them. */
  fields(): PollFailure {
    return failureFields(this);
  }

  /** The same failure for another target: one failed query batch is the failure of each of its backups. */
  at(target: FailureTarget): EmError {
    return new EmError({ ...this.fields(), em: target.em, backupId: target.backupId, subject: target.subject });
  }

  /** A copy with some fields changed. */
  with(changes: Partial<PollFailure>): EmError {
    return new EmError({ ...this.fields(), ...changes });
  }
}

/**
 * The fields a log line about a failure carries besides its message, so lines can be filtered by EM,
 * action and reason. The backup is the caller's to add (`backup_id`), as only it knows whether the
 * line is about a polled backup or, say, a discovery listing of a parent backup.
 */
export function failureLogFields(failure: PollFailure): { em: string; action?: string; reason: PollErrorReason } {
  return dropUndefined({ em: failure.em, action: failure.action, reason: failure.reason });
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
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
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.includes('CERT'))
    return 'tls';
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
