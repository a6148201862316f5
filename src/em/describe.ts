/**
 * Builds failures for operators as fields: which EM and backup (the target), what was attempted,
 * what happened, what to check; `formatFailure` (errors.ts) words them. Only text that comes from EM or from the socket is scanned for secrets
 * (EM's text through `redact`, socket messages through `redactSessions`), so a session token or id
 * echoed back never reaches a message; the exporter's own wording is never scanned, so a short password
 * cannot be spotted by where it was cut out of it.
 */
import type { FailureTarget, PollErrorReason, PollFailure } from '../domain.js';
import { excerpt, parseErrorMessage } from './parse/index.js';
import { EmError, formatMs, networkAdvice, timeoutAdvice, tlsAdvice } from './errors.js';
import type { CallResult } from './exchange.js';
import type { HttpReply, TransportError } from './transport.js';

export interface Wording {
  /** The EM, and the backup or subject the request is for. */
  target: FailureTarget;
  /** `GET restore points`, `logon as "user"` */
  action: string;
  timeoutMs: number;
  /** Free text from EM with every secret replaced. */
  redact: (text: string) => string;
  /** A socket or transport error message with session tokens and ids replaced (see SecretBook.redactSessions). */
  redactSessions: (text: string) => string;
}

export function attemptsNote(attempts: number): string {
  return attempts > 1 ? `, ${attempts} attempts` : '';
}

/** A failure of the request `w` describes: its target and action, with what happened and what to check. */
export function failure(w: Wording, fields: Pick<PollFailure, 'reason' | 'detail' | 'advice' | 'status'>): EmError {
  return new EmError({ ...w.target, action: w.action, ...fields });
}

export function transportFailure(error: TransportError, attempts: number, w: Wording): EmError {
  const detail = excerpt(w.redactSessions(error.message), 200);
  const tries = attemptsNote(attempts);
  switch (error.kind) {
    case 'oversize':
      return failure(w, {
        reason: 'parse',
        detail,
        advice: 'check that url points at Enterprise Manager; a backup this large needs a bigger poll.maxResponseSize',
      });
    case 'unreadable':
      // The server answered, so it is reached; retrying the same bytes cannot help.
      return failure(w, {
        reason: 'parse',
        detail: `the answer is not valid HTTP (${error.code}: ${detail})`,
        advice:
          'check that url points at the Enterprise Manager REST API (port 9398) and that no proxy in between corrupts answers',
      });
    case 'timeout':
      return failure(w, {
        reason: 'timeout',
        detail: `no answer within ${formatMs(w.timeoutMs)} (${error.code}${tries})`,
        advice: timeoutAdvice(w.timeoutMs),
      });
    case 'tls':
      return failure(w, {
        reason: 'tls',
        detail: `TLS failed (${error.code}: ${detail})`,
        advice: tlsAdvice(error.code),
      });
    case 'network':
      if (error.code === 'ECLOSED') return failure(w, { reason: 'network', detail: error.message });
      return failure(w, {
        reason: 'network',
        detail: `connection failed (${error.code}: ${detail}${tries})`,
        advice: networkAdvice(),
      });
  }
}

/** `EM answered 500 "Object reference not set…"`, with EM's own message when it sent one. */
export function answered(reply: HttpReply, w: Wording): string {
  const message = parseErrorMessage(reply.body, contentTypeOf(reply), w.redact);
  return `EM answered ${reply.status}${message ? ` "${message}"` : ''}`;
}

export function contentTypeOf(reply: HttpReply): string {
  const ct = reply.headers['content-type'];
  return typeof ct === 'string' ? ct : '';
}

/** A 3xx: where it pointed, without the query string (it could carry anything). */
export function redirectFailure(reply: HttpReply, w: Wording): EmError {
  const location = typeof reply.headers.location === 'string' ? w.redact(reply.headers.location) : '';
  let target = '(no Location)';
  if (location !== '') {
    try {
      const u = new URL(location);
      // The path comes back percent-encoded: a secret in it is only recognised once decoded.
      target = excerpt(`${u.origin}${w.redact(decodePath(u.pathname))}`, 100);
    } catch {
      target = `"${excerpt(location, 60)}"`;
    }
  }
  return failure(w, {
    reason: 'http_4xx',
    detail: `EM answered ${reply.status} redirecting to ${target}, not followed (credentials and the session stay with the configured server)`,
    advice: 'check url (https://, the EM host and port 9398)',
    status: reply.status,
  });
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export function statusFailure(
  reason: PollErrorReason,
  reply: HttpReply,
  attempts: number,
  advice: string,
  w: Wording,
): EmError {
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  return failure(w, { reason, detail: `${answered(reply, w)}${tries}`, advice, status: reply.status });
}

/**
 * `problem` must already be free of secrets (see the client's parse-error handling); it is not
 * scanned again, as it is mostly the exporter's own wording.
 */
export function parseFailure(reply: HttpReply, problem: string, w: Wording): EmError {
  const ct = contentTypeOf(reply);
  return failure(w, {
    reason: 'parse',
    detail: `cannot read EM's answer (${reply.status}, ${ct === '' ? 'no content type' : quotedContentType(ct, w)}): ${problem}`,
    advice: 'check that url points at the Enterprise Manager REST API (port 9398)',
    status: reply.status,
  });
}

// A media type with at most a charset: a format name, quoted as is. Scanning it would strike a short
// password inside "application/json" and show the password by where it struck.
const PLAIN_MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+(?:\s*;\s*charset=[\w.-]+)?$/i;

/** EM's Content-Type for a message: as is when it is a plain media type, else as EM text (redacted), shortened. */
export function quotedContentType(ct: string, w: Wording): string {
  return excerpt(PLAIN_MEDIA_TYPE.test(ct.trim()) ? ct : w.redact(ct), 60);
}

/** The failure for a call that got no usable answer, or undefined if it got a reply to interpret. */
export function noReplyFailure(result: CallResult, w: Wording): EmError | undefined {
  if (result.reply) return undefined;
  if (result.error) return transportFailure(result.error, result.attempts, w);
  return failure(w, { reason: 'network', detail: 'no answer', advice: networkAdvice() });
}
