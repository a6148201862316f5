/**
 * EM's Basic logon: `POST /api/sessionMngr/?v=<apiVersion>` with the username and password in an
 * `Authorization: Basic` header; the answer carries the session token in `SESSION_HEADER` and the
 * session id (for the logout) in its `LogonSession` body.
 */
import { parseLogonSession, sessionIdFromToken } from './parse/index.js';
import { answered, contentTypeOf, noReplyFailure, parseFailure, redirectFailure, statusFailure, type Wording } from './describe.js';
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
    const w: Wording = { context: '', action: `logon as "${user}"`, timeoutMs: options.timeoutMs, redact: (t) => secrets.redact(t), redactSessions: (t) => secrets.redactSessions(t) };
    let password: string;
    try {
      password = await options.password();
    } catch (err) {
      throw new EmError('auth', `${w.action}: cannot read the password: ${err instanceof Error ? err.message : String(err)}`);
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
    if (noReply) throw withoutContext(noReply);
    const reply = result.reply!;
    const status = reply.status;
    if (status >= 200 && status < 300) {
      const header = reply.headers[SESSION_HEADER_KEY];
      const token = (Array.isArray(header) ? header[0] : header)?.trim();
      if (!token) throw withoutContext(parseFailure(reply, `no ${SESSION_HEADER} header in the logon answer`, w));
      return { token, id: sessionIdOf(reply.body, contentTypeOf(reply), token) };
    }
    if (status === 401) {
      throw withoutContext(
        new EmError(
          'auth',
          `${w.action} refused (${answered(reply, w)}): check username and password (password / passwordFile) and that the account holds an Enterprise Manager role: ${EM_ROLES}`,
          status,
        ),
      );
    }
    if (status === 403) {
      throw withoutContext(statusFailure('auth', reply, 1, `the account needs an Enterprise Manager role: ${EM_ROLES}`, w));
    }
    if (status >= 300 && status < 400) throw withoutContext(redirectFailure(reply, w));
    if (status === 404) throw withoutContext(statusFailure('not_found', reply, 1, 'no logon endpoint here: check that url points at Enterprise Manager (https://host:9398)', w));
    if (status >= 500) throw withoutContext(statusFailure('http_5xx', reply, result.attempts, 'check the EM service log (Veeam Backup Enterprise Manager RESTful API service)', w));
    throw withoutContext(statusFailure('http_4xx', reply, 1, `check url and apiVersion (now "${options.apiVersion}")`, w));
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

/** Errors worded with an empty context start with ": "; the request adds its own context later. */
function withoutContext(error: EmError): EmError {
  return new EmError(error.reason, error.message.replace(/^: /, ''), error.status);
}
