/**
 * The one logon session per EM: logged on lazily, shared by every request, renewed once per expiry
 * no matter how many requests notice it at the same time, and never re-attempted in a hot loop
 * when logging on fails (a wrong password must not lock the service account). How a session is
 * opened is the `LogonMethod`'s (`logon.ts`); this class decides when, and ends sessions.
 */
import type { Logger } from 'pino';
import { formatFailure, type FailureTarget } from '../domain.js';
import { EM_ROLES, EmError, formatMs } from './errors.js';
import type { Exchange } from './exchange.js';
import { SESSION_HEADER, type LogonMethod, type Session } from './logon.js';
import type { SecretBook } from './secret-book.js';

interface LogonFailure {
  at: number;
  /** Handed to each request that needs a session meanwhile, for that request's target. */
  failure: EmError;
}

export interface SessionDeps {
  /** How a session is opened; everything around it (when, how often, ending it) is this class's. */
  method: LogonMethod;
  /** Told every session opened, so EM's text is scanned for its token and id. */
  secrets: SecretBook;
  /** The configured request timeout; the logout waits no longer than this or logoutTimeoutMs. */
  timeoutMs: number;
  exchange: Exchange;
  log: Logger;
  baseUrl: string;
  accept: string;
  logonRetryMs: number;
  logoutTimeoutMs: number;
  now: () => number;
}

export class SessionKeeper {
  private session: Session | undefined;
  private logonInFlight: Promise<Session> | undefined;
  private lastFailure: LogonFailure | undefined;
  private closed = false;
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

  /** The current session, logging on if there is none. Throws an EmError for `target`. */
  async current(target: FailureTarget): Promise<Session> {
    if (this.session) return this.session;
    if (this.closed)
      throw new EmError({
        ...target,
        reason: 'network',
        detail: 'client closed (the exporter is stopping or reloading)',
        duringLogon: true,
      });
    if (!this.logonInFlight) {
      const last = this.lastFailure;
      if (last && this.deps.now() - last.at < this.deps.logonRetryMs) {
        const waitMs = this.deps.logonRetryMs - (this.deps.now() - last.at);
        const pause = ` (not logging on again for another ${formatMs(Math.ceil(waitMs / 1000) * 1000)})`;
        // The pause closes the message: after the advice, or after the detail when there is none.
        const { failure } = last;
        const told =
          failure.advice !== undefined
            ? { advice: `${failure.advice}${pause}` }
            : { detail: `${failure.detail}${pause}` };
        throw failure.at(target).with({ ...told, duringLogon: true });
      }
      this.logonInFlight = this.logon(target.em).finally(() => {
        this.logonInFlight = undefined;
      });
    }
    try {
      return await this.logonInFlight;
    } catch (err) {
      const last = this.lastFailure;
      if (last) throw last.failure.at(target).with({ duringLogon: true });
      throw err;
    }
  }

  /**
   * After a 401 with `stale`: a newer session if another request already renewed it, else one
   * shared re-logon.
   */
  async renew(stale: Session, target: FailureTarget): Promise<Session> {
    if (this.session && this.session !== stale) return this.session;
    if (this.session === stale) {
      const now = this.deps.now();
      const since = this.lastRenewalAt === undefined ? Infinity : now - this.lastRenewalAt;
      if (since < this.deps.logonRetryMs) {
        throw new EmError({
          ...target,
          reason: 'auth',
          detail: `EM answered 401 although the logon session was renewed ${formatMs(Math.max(1, Math.round(since / 1000)) * 1000)} ago; not logging on again for this request (at most one re-logon per ${formatMs(this.deps.logonRetryMs)})`,
          advice: `check that the account "${this.deps.method.user}" still holds an Enterprise Manager role (${EM_ROLES}) whose scope includes this backup`,
          status: 401,
        });
      }
      this.lastRenewalAt = now;
      this.session = undefined;
      this.deps.log.info(
        'EM no longer accepts the logon session (expired after 15 minutes idle, or ended on the server): logging on again',
      );
      // EM answers 401 to this for a session that really expired; one it still holds (a 401 from a
      // proxy, say) is ended here, before the new logon.
      this.supersede(stale);
    }
    return this.current(target);
  }

  /** A request with `session` got an answer other than 401. */
  accepted(session: Session): void {
    this.proven.add(session);
  }

  /**
   * A renewed session was refused at once (401) as well, and neither it nor the `stale` one it
   * replaced ever worked: a re-logon cannot help, so it is ended and treated like a failed logon,
   * pausing further logons for logonRetryMs instead of one per request: meanwhile each request that
   * needs a session fails with `failure`, for its own target.
   */
  async refused(session: Session, stale: Session, failure: EmError): Promise<void> {
    // A session that worked for other requests, before or after the renewal, means this request
    // alone is refused: it fails, logons go on.
    if (this.session !== session || this.proven.has(session) || this.proven.has(stale)) return;
    this.session = undefined;
    this.lastFailure = { at: this.deps.now(), failure };
    this.deps.log.warn(
      { reason: failure.reason, retry_in_ms: this.deps.logonRetryMs },
      `${formatFailure(failure, 'none')}; not logging on again for ${formatMs(this.deps.logonRetryMs)}`,
    );
    this.supersede(session);
    await this.ending;
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
    const { log } = this.deps;
    if (session.id === undefined) {
      if (!superseded)
        log.warn('cannot log out: EM named no session id at logon; the session ends after 15 minutes idle');
      return;
    }
    const result = await this.deps.exchange.call(
      'logout',
      {
        method: 'DELETE',
        url: `${this.deps.baseUrl}/logonSessions/${encodeURIComponent(session.id)}`,
        headers: { accept: this.deps.accept, [SESSION_HEADER]: session.token },
        timeoutMs: Math.min(this.deps.timeoutMs, this.deps.logoutTimeoutMs),
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
      const why = result.reply
        ? `EM answered ${status}`
        : `${result.error?.code ?? 'no answer'}: ${this.deps.secrets.redactSessions(result.error?.message ?? '')}`;
      (superseded ? log.debug : log.warn).call(
        log,
        { status: status ?? 'error' },
        `logout failed (${why}); the session ends by itself after 15 minutes idle`,
      );
    }
  }

  /** No logon after this: a request still in flight must not open a session nobody will close. */
  close(): void {
    this.closed = true;
  }

  private async logon(em: string): Promise<Session> {
    await this.ending;
    try {
      const session = await this.deps.method.logon();
      this.deps.secrets.rememberSession(session);
      this.lastFailure = undefined;
      // Kept even when close() raced with this logon: logout() waits for it and ends it.
      this.session = session;
      this.deps.log.info({ user: this.deps.method.user }, 'logged on to EM');
      return session;
    } catch (err) {
      const failure =
        err instanceof EmError ? err : new EmError({ em, reason: 'auth', detail: `logon failed: ${String(err)}` });
      this.lastFailure = { at: this.deps.now(), failure };
      // The logger carries the EM already.
      this.deps.log.warn(
        { reason: failure.reason, retry_in_ms: this.deps.logonRetryMs },
        `${formatFailure(failure, 'none')}; not logging on again for ${formatMs(this.deps.logonRetryMs)}`,
      );
      throw failure;
    }
  }
}
