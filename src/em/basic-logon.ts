/**
 * EM's Basic logon: `POST /api/sessionMngr/?v=<apiVersion>` with the username and password in an
 * `Authorization: Basic` header; the answer carries the session token in `SESSION_HEADER` and the
 * session id (for the logout) in its `LogonSession` body.
 */
import { parseLogonSession, sessionIdFromToken } from './parse/index.js';
import {
  answered,
  contentTypeOf,
  failure,
  noReplyFailure,
  parseFailure,
  redirectFailure,
  statusFailure,
  type Wording,
} from './describe.js';
import { EM_ROLES, EmError } from './errors.js';
import type { Exchange } from './exchange.js';
import { SESSION_HEADER, SESSION_HEADER_KEY, type LogonMethod, type Session } from './logon.js';
import type { SecretBook } from './secret-book.js';
import type { EmClientOptions } from './types.js';

export interface BasicLogonDeps {
  options: EmClientOptions;
  exchange: Exchange;
  secrets: SecretBook;
  /** The configured URL with `/api`; the logon goes nowhere else. */
  baseUrl: string;
  accept: string;
}

export class BasicLogon implements LogonMethod {
  readonly user: string;

  constructor(private readonly deps: BasicLogonDeps) {
    this.user = deps.options.username;
  }

  async logon(): Promise<Session> {
    const { options, exchange, secrets, baseUrl, accept } = this.deps;
    const user = this.user;
    // A logon is for the whole EM; each request that waited for it is named when the lifecycle hands its failure on.
    const w: Wording = {
      target: { em: options.name },
      action: `logon as "${user}"`,
      timeoutMs: options.timeoutMs,
      redact: (t) => secrets.redact(t),
      redactSessions: (t) => secrets.redactSessions(t),
    };
    let password: string;
    try {
      password = await options.password();
    } catch (err) {
      throw failure(w, {
        reason: 'auth',
        detail: `cannot read the password: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
    const basic = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
    secrets.useCredentials([password, basic]);
    const result = await exchange.call(
      'login',
      {
        method: 'POST',
        url: `${baseUrl}/sessionMngr/?v=${encodeURIComponent(options.apiVersion)}`,
        headers: {
          accept,
          authorization: `Basic ${basic}`,
          'content-length': '0',
        },
      },
      '/api/sessionMngr/',
    );
    const noReply = noReplyFailure(result, w);
    if (noReply) throw noReply;
    const reply = result.reply!;
    const status = reply.status;
    if (status >= 200 && status < 300) {
      const header = reply.headers[SESSION_HEADER_KEY];
      const token = (Array.isArray(header) ? header[0] : header)?.trim();
      if (!token) throw parseFailure(reply, `no ${SESSION_HEADER} header in the logon answer`, w);
      return { token, id: sessionIdOf(reply.body, contentTypeOf(reply), token) };
    }
    if (status === 401) {
      // Worded as one phrase ("logon as … refused"), so the action is part of the detail.
      throw new EmError({
        em: options.name,
        reason: 'auth',
        detail: `${w.action} refused (${answered(reply, w)})`,
        advice: `check username and password (password / passwordFile) and that the account holds an Enterprise Manager role: ${EM_ROLES}`,
        status,
      });
    }
    if (status === 403) {
      throw statusFailure('auth', reply, 1, `the account needs an Enterprise Manager role: ${EM_ROLES}`, w);
    }
    if (status >= 300 && status < 400) throw redirectFailure(reply, w);
    if (status === 404)
      throw statusFailure(
        'not_found',
        reply,
        1,
        'no logon endpoint here: check that url points at Enterprise Manager (https://host:9398)',
        w,
      );
    if (status >= 500)
      throw statusFailure(
        'http_5xx',
        reply,
        result.attempts,
        'check the EM service log (Veeam Backup Enterprise Manager RESTful API service)',
        w,
      );
    throw statusFailure('http_4xx', reply, 1, `check url and apiVersion (now "${options.apiVersion}")`, w);
  }
}

function sessionIdOf(body: string, contentType: string, token: string): string | undefined {
  try {
    const { sessionId } = parseLogonSession(body, contentType);
    if (sessionId) return sessionId;
  } catch {
    // The token alone is enough to work; the id only matters for logout.
  }
  return sessionIdFromToken(token);
}
