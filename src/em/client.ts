import type { Logger } from 'pino';
import type { ApiEndpoint, BackupMetadata, RestorePoint } from '../domain.js';
import { ParseError, parseBackupEntity, parseRestorePoints } from './parse/index.js';
import { answered, contentTypeOf, noReplyFailure, parseFailure, redirectFailure, statusFailure, type Wording } from './describe.js';
import { EM_ROLES, EmError } from './errors.js';
import { Exchange } from './exchange.js';
import { SessionKeeper } from './session.js';
import { createTransport, type HttpReply, type Transport } from './transport.js';
import type { ApiObserver, EmClient, EmClientOptions } from './types.js';

export interface EmClientDeps {
  api: ApiObserver;
  log: Logger;
}

/** Defaults for the optional tuning knobs of EmClientOptions. */
export const EM_CLIENT_DEFAULTS = {
  retryBackoffMs: 250,
  logonRetryMs: 30_000,
  logoutTimeoutMs: 10_000,
} as const;

/**
 * The HTTPS client for one Enterprise Manager. `deps.log` is expected to carry the `em` binding
 * already; the client adds none so lines do not repeat it.
 */
export function createEmClient(options: EmClientOptions, deps: EmClientDeps): EmClient {
  return new HttpEmClient(options, deps);
}

const BACKUP_URN = /^urn:veeam:Backup:/i;

class HttpEmClient implements EmClient {
  readonly name: string;
  private readonly baseUrl: string;
  private readonly accept: string;
  private readonly transport: Transport;
  private readonly exchange: Exchange;
  private readonly sessions: SessionKeeper;

  constructor(
    private readonly options: EmClientOptions,
    deps: EmClientDeps,
  ) {
    this.name = options.name;
    this.baseUrl = `${options.url.replace(/\/+$/, '').replace(/\/api$/i, '')}/api`;
    // Exactly one media type: EM 9.5 U4 broke on Accept lists (em-api quirk 5).
    this.accept = options.format === 'json' ? 'application/json' : 'application/xml';
    this.transport = createTransport(options);
    this.exchange = new Exchange({
      em: options.name,
      transport: this.transport,
      api: deps.api,
      log: deps.log,
      retries: options.retries,
      retryBackoffMs: options.retryBackoffMs ?? EM_CLIENT_DEFAULTS.retryBackoffMs,
    });
    this.sessions = new SessionKeeper({
      options,
      exchange: this.exchange,
      log: deps.log,
      baseUrl: this.baseUrl,
      accept: this.accept,
      logonRetryMs: options.logonRetryMs ?? EM_CLIENT_DEFAULTS.logonRetryMs,
      logoutTimeoutMs: EM_CLIENT_DEFAULTS.logoutTimeoutMs,
      now: Date.now,
    });
  }

  async getBackup(backupId: string): Promise<BackupMetadata> {
    const id = bareId(backupId);
    const meta = await this.get('backup', 'GET backup', id, `/backups/${encodeURIComponent(id)}?format=Entity`, parseBackupEntity);
    return meta.id === '' ? { ...meta, id: id.toLowerCase() } : meta;
  }

  async getRestorePoints(backupId: string): Promise<RestorePoint[]> {
    const id = bareId(backupId);
    const query = this.options.restorePoints === 'entity' ? '?format=Entity' : '';
    return this.get('restore_points', 'GET restore points', id, `/backups/${encodeURIComponent(id)}/restorePoints${query}`, parseRestorePoints);
  }

  async logout(): Promise<void> {
    try {
      await this.sessions.logout();
    } catch {
      // Logout is best effort by contract; SessionKeeper already logged why.
    }
  }

  async close(): Promise<void> {
    this.sessions.close();
    this.exchange.close();
    await this.logout();
    this.transport.destroy();
  }

  private async get<T>(endpoint: ApiEndpoint, action: string, backupId: string, path: string, parse: (body: string, contentType: string) => T): Promise<T> {
    const w: Wording = {
      context: `em "${this.name}": backup ${backupId}`,
      action,
      timeoutMs: this.options.timeoutMs,
      redact: (text) => this.sessions.redact(text),
    };
    const send = (token: string) =>
      this.exchange.call(endpoint, { method: 'GET', url: `${this.baseUrl}${path}`, headers: { accept: this.accept, 'x-restsvcsessionid': token } }, `/api${path}`);

    let session = await this.sessions.current(w.context);
    let result = await send(session.token);
    if (result.reply?.status === 401) {
      session = await this.sessions.renew(session, w.context);
      result = await send(session.token);
      if (result.reply?.status === 401) {
        const detail = `every request refused even with a fresh logon session (${answered(result.reply, w)}): check that the account "${this.options.username}" still holds an Enterprise Manager role (${EM_ROLES}) and that no proxy strips the X-RestSvcSessionId header`;
        await this.sessions.refused(session, detail, 401);
      }
    }
    if (result.reply && result.reply.status !== 401) this.sessions.accepted(session);
    const failure = noReplyFailure(result, w);
    if (failure) throw failure;
    const reply = result.reply!;
    if (reply.status >= 200 && reply.status < 300 && reply.status !== 204) {
      try {
        return parse(reply.body, contentTypeOf(reply));
      } catch (err) {
        if (err instanceof ParseError) throw parseFailure(reply, this.cleanParseProblem(err, reply, parse), w);
        throw err;
      }
    }
    throw this.statusError(reply, result.attempts, w);
  }

  /**
   * Parse messages quote short, cut excerpts of the body; a cut secret would escape redaction. When
   * the body holds a secret, the message comes from parsing the redacted body instead (error path only).
   */
  private cleanParseProblem(err: ParseError, reply: HttpReply, parse: (body: string, contentType: string) => unknown): string {
    const clean = this.sessions.redact(reply.body);
    if (this.sessions.holdsSecret(clean)) return 'unreadable answer, not quoted: it repeats a credential or session ID in escaped form';
    if (clean === reply.body) return this.sessions.redact(err.message);
    try {
      parse(clean, contentTypeOf(reply));
    } catch (again) {
      if (again instanceof ParseError) return this.sessions.redact(again.message);
    }
    return 'unreadable answer';
  }

  private statusError(reply: HttpReply, attempts: number, w: Wording): EmError {
    const { status } = reply;
    const user = this.options.username;
    if (status === 204) {
      return new EmError('not_found', `${w.context}: ${w.action}: EM answered 204 No Content: it does not know this backup; check the backup ID in the config`, status);
    }
    if (status >= 300 && status < 400) return redirectFailure(reply, w);
    if (status === 401) {
      // Only reached after the one re-logon: the fresh session was refused too.
      return statusFailure('auth', reply, 1, `rejected even with a fresh logon session: check that the account "${user}" still holds an Enterprise Manager role (${EM_ROLES}) and that no proxy strips the X-RestSvcSessionId header`, w);
    }
    if (status === 403) {
      return statusFailure('auth', reply, 1, `the account "${user}" may not read this backup: give it an Enterprise Manager role (${EM_ROLES}) whose scope includes it`, w);
    }
    if (status === 404) {
      return statusFailure('not_found', reply, 1, 'EM does not know this backup: check the backup ID in the config, or whether the backup was deleted', w);
    }
    if (status >= 500) {
      return statusFailure('http_5xx', reply, attempts, 'check the EM service log (Veeam Backup Enterprise Manager RESTful API service) and that the backup server is connected to EM', w);
    }
    return statusFailure('http_4xx', reply, 1, `check url and apiVersion (now "${this.options.apiVersion}")`, w);
  }
}

function bareId(backupId: string): string {
  return backupId.trim().replace(BACKUP_URN, '');
}
