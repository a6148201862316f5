/**
 * The one logon session per EM: logged on lazily, shared by every request, renewed once per expiry
 * no matter how many requests notice it at the same time, and never re-attempted in a hot loop
 * when logging on fails (a wrong password must not lock the service account).
 */
import type { Logger } from 'pino';
import type { PollErrorReason } from '../domain.js';
import { parseLogonSession, sessionIdFromToken } from './parse/index.js';
import { holdsSecret, redactSecrets } from './parse/secrets.js';
import { answered, contentTypeOf, noReplyFailure, parseFailure, redirectFailure, statusFailure, type Wording } from './describe.js';
import { EM_ROLES, EmError, formatMs, logonError } from './errors.js';
import type { Exchange } from './exchange.js';
import type { EmClientOptions } from './types.js';

export interface Session {
  readonly token: string;
  /** For the logout URL; undefined when EM named none (the session then idles out after 15 minutes). */
  readonly id: string | undefined;
}

interface LogonFailure {
  at: number;
  reason: PollErrorReason;
  status?: number;
  /** The message without its context prefix, so each request can put its own backup in front. */
  detail: string;
}

export interface SessionDeps {
  options: EmClientOptions;
  exchange: Exchange;
  log: Logger;
  baseUrl: string;
  accept: string;
  logonRetryMs: number;
  logoutTimeoutMs: number;
  now: () => number;
}

/** Tokens and ids remembered for redaction; a handful covers every session a process can still hear about. */
const REMEMBERED_SECRETS = 16;

export class SessionKeeper {
  private session: Session | undefined;
  private logonInFlight: Promise<Session> | undefined;
  private lastFailure: LogonFailure | undefined;
  private closed = false;
  private readonly secrets: string[] = [];
  /** The password of the last logon and its Authorization value, in case EM or a proxy echoes them. */
  private credentials: string[] = [];
  /** Sessions some request has used successfully; a renewed session refused before that means auth is broken. */
  private readonly proven = new WeakSet<Session>();
  /** The logout of a superseded session; the next logon waits for it, so EM never holds two of ours. */
  private ending: Promise<void> | undefined;
  /**
   * When a 401 last cost a re-logon. Within logonRetryMs of it, a 401 on the current session fails
   * that request as `auth` instead: backups that always answer 401 must not cost a logon each.
   */
  private lastRenewalAt: number | undefined;

  constructor(private readonly deps: SessionDeps) {}

  /** The current session, logging on if there is none. Throws an EmError worded for `context`. */
  async current(context: string): Promise<Session> {
    if (this.session) return this.session;
    if (this.closed) throw logonError('network', `${context}: client closed (the exporter is stopping or reloading)`);
    if (!this.logonInFlight) {
      const failure = this.lastFailure;
      if (failure && this.deps.now() - failure.at < this.deps.logonRetryMs) {
        const waitMs = this.deps.logonRetryMs - (this.deps.now() - failure.at);
        throw logonError(failure.reason, `${context}: ${failure.detail} (not logging on again for another ${formatMs(Math.ceil(waitMs / 1000) * 1000)})`, failure.status);
      }
      this.logonInFlight = this.logon().finally(() => {
        this.logonInFlight = undefined;
      });
    }
    try {
      return await this.logonInFlight;
    } catch (err) {
      const failure = this.lastFailure;
      if (failure) throw logonError(failure.reason, `${context}: ${failure.detail}`, failure.status);
      throw err;
    }
  }

  /**
   * After a 401 with `stale`: a newer session if another request already renewed it, else one
   * shared re-logon.
   */
  async renew(stale: Session, context: string): Promise<Session> {
    if (this.session && this.session !== stale) return this.session;
    if (this.session === stale) {
      const now = this.deps.now();
      const since = this.lastRenewalAt === undefined ? Infinity : now - this.lastRenewalAt;
      if (since < this.deps.logonRetryMs) {
        throw new EmError(
          'auth',
          `${context}: EM answered 401 although the logon session was renewed ${formatMs(Math.max(1, Math.round(since / 1000)) * 1000)} ago; not logging on again for this request (at most one re-logon per ${formatMs(this.deps.logonRetryMs)}): check that the account "${this.deps.options.username}" still holds an Enterprise Manager role (${EM_ROLES}) whose scope includes this backup`,
          401,
        );
      }
      this.lastRenewalAt = now;
      this.session = undefined;
      this.deps.log.info('EM no longer accepts the logon session (expired after 15 minutes idle, or ended on the server): logging on again');
      // EM answers 401 to this for a session that really expired; one it still holds (a 401 from a
      // proxy, say) is ended here, before the new logon.
      this.supersede(stale);
    }
    return this.current(context);
  }

  /** A request with `session` got an answer other than 401. */
  accepted(session: Session): void {
    this.proven.add(session);
  }

  /**
   * A renewed session was refused at once (401) as well, and neither it nor the `stale` one it
   * replaced ever worked: a re-logon cannot help, so it is ended and treated like a failed logon,
   * pausing further logons for logonRetryMs instead of one per request. `detail` words the failure
   * without a context prefix.
   */
  async refused(session: Session, stale: Session, detail: string, status: number): Promise<void> {
    // A session that worked for other requests, before or after the renewal, means this request
    // alone is refused: it fails, logons go on.
    if (this.session !== session || this.proven.has(session) || this.proven.has(stale)) return;
    this.session = undefined;
    this.lastFailure = { at: this.deps.now(), reason: 'auth', detail, status };
    this.deps.log.warn({ reason: 'auth', retry_in_ms: this.deps.logonRetryMs }, `${detail}; not logging on again for ${formatMs(this.deps.logonRetryMs)}`);
    this.supersede(session);
    await this.ending;
  }

  /**
   * Replaces the password, its Authorization value and any remembered token or session id in free
   * text that came from EM (an error message, a body excerpt). Never pass text the exporter wrote
   * itself: a short password struck inside it ("unex[redacted]ected") would tell a reader what it is.
   */
  redact(text: string): string {
    return redactSecrets(text, this.allSecrets());
  }

  /** The password, its Authorization value and the remembered tokens and ids, for scanning EM's text. */
  allSecrets(): string[] {
    return [...this.credentials, ...this.secrets];
  }

  /**
   * Replaces remembered session tokens and ids in a socket or transport error message. The password
   * and its Authorization value travel only in a header that no such message quotes; session ids
   * travel in logout URLs. Tokens and ids are long random values, so this never strikes by chance
   * inside Node's own wording, which a short password could.
   */
  redactSessions(text: string): string {
    return redactSecrets(text, this.secrets);
  }

  /**
   * True when a body holds a secret, also where EM escaped it for XML or JSON: text replacement
   * cannot remove it then, and a cut excerpt of it would no longer be recognised.
   */
  holdsSecret(body: string): boolean {
    return holdsSecret(body, this.allSecrets());
  }

  async logout(): Promise<void> {
    const pending = this.logonInFlight;
    if (pending) await pending.catch(() => undefined);
    await this.ending;
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    await this.end(session, false);
  }

  private supersede(session: Session): void {
    const previous = this.ending;
    const ending: Promise<void> = (async () => {
      await previous;
      await this.end(session, true).catch(() => undefined);
    })().finally(() => {
      if (this.ending === ending) this.ending = undefined;
    });
    this.ending = ending;
  }

  /** DELETEs the session; `superseded` ones are ended quietly, as EM has usually ended them already. */
  private async end(session: Session, superseded: boolean): Promise<void> {
    const { log, options } = this.deps;
    if (session.id === undefined) {
      if (!superseded) log.warn('cannot log out: EM named no session id at logon; the session ends after 15 minutes idle');
      return;
    }
    const result = await this.deps.exchange.call(
      'logout',
      {
        method: 'DELETE',
        url: `${this.deps.baseUrl}/logonSessions/${encodeURIComponent(session.id)}`,
        headers: { accept: this.deps.accept, 'x-restsvcsessionid': session.token },
        timeoutMs: Math.min(options.timeoutMs, this.deps.logoutTimeoutMs),
      },
      '/api/logonSessions/…',
      false,
    );
    const status = result.reply?.status;
    if (status !== undefined && status >= 200 && status < 300) {
      if (superseded) log.debug('logged out of the superseded logon session');
      else log.info('logged out of EM');
    } else if (status === 401 || status === 404) log.debug({ status }, 'logon session had already ended');
    else {
      const why = result.reply ? `EM answered ${status}` : `${result.error?.code ?? 'no answer'}: ${this.redactSessions(result.error?.message ?? '')}`;
      (superseded ? log.debug : log.warn).call(log, { status: status ?? 'error' }, `logout failed (${why}); the session ends by itself after 15 minutes idle`);
    }
  }

  /** No logon after this: a request still in flight must not open a session nobody will close. */
  close(): void {
    this.closed = true;
  }

  private async logon(): Promise<Session> {
    await this.ending;
    try {
      const session = await this.attemptLogon();
      this.lastFailure = undefined;
      // Kept even when close() raced with this logon: logout() waits for it and ends it.
      this.session = session;
      this.deps.log.info({ user: this.deps.options.username }, 'logged on to EM');
      return session;
    } catch (err) {
      const failure = err instanceof EmError ? err : new EmError('auth', `logon failed: ${String(err)}`);
      this.lastFailure = { at: this.deps.now(), reason: failure.reason, detail: failure.message, ...(failure.status !== undefined ? { status: failure.status } : {}) };
      this.deps.log.warn(
        { reason: failure.reason, retry_in_ms: this.deps.logonRetryMs },
        `${failure.message}; not logging on again for ${formatMs(this.deps.logonRetryMs)}`,
      );
      throw failure;
    }
  }

  /** Throws EmErrors whose message is the detail only (no context), see LogonFailure. */
  private async attemptLogon(): Promise<Session> {
    const { options, exchange, baseUrl, accept } = this.deps;
    const user = options.username;
    const w: Wording = { context: '', action: `logon as "${user}"`, timeoutMs: options.timeoutMs, redact: (t) => this.redact(t), redactSessions: (t) => this.redactSessions(t) };
    let password: string;
    try {
      password = await options.password();
    } catch (err) {
      throw new EmError('auth', `${w.action}: cannot read the password: ${err instanceof Error ? err.message : String(err)}`);
    }
    const basic = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
    this.credentials = [password, basic];
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
      const header = reply.headers['x-restsvcsessionid'];
      const token = (Array.isArray(header) ? header[0] : header)?.trim();
      if (!token) throw withoutContext(parseFailure(reply, 'no X-RestSvcSessionId header in the logon answer', w));
      return this.remember({ token, id: this.sessionIdOf(reply.body, contentTypeOf(reply), token) });
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

  private sessionIdOf(body: string, contentType: string, token: string): string | undefined {
    try {
      const { sessionId } = parseLogonSession(body, contentType);
      if (sessionId) return sessionId;
    } catch {
      // The token alone is enough to work; the id only matters for logout.
    }
    return sessionIdFromToken(token);
  }

  private remember(session: Session): Session {
    for (const secret of [session.token, session.id]) {
      if (secret && !this.secrets.includes(secret)) this.secrets.push(secret);
    }
    if (this.secrets.length > REMEMBERED_SECRETS) this.secrets.splice(0, this.secrets.length - REMEMBERED_SECRETS);
    return session;
  }
}

/** Errors worded with an empty context start with ": "; the request adds its own context later. */
function withoutContext(error: EmError): EmError {
  return new EmError(error.reason, error.message.replace(/^: /, ''), error.status);
}
