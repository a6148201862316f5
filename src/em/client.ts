import type { Logger } from 'pino';
import type {
  ApiEndpoint,
  BackupMetadata,
  FailureTarget,
  PollErrorReason,
  RestorePoint,
  VmRestorePoint,
} from '../domain.js';
import { ParseError, excerpt, quote } from './parse/index.js';
import { PARSERS, type Parsed, type ParserName } from './parse/parsers.js';
import { POOL_MIN_BYTES, acquireParsePool, releaseParsePool, type ParsePool } from './parse-pool.js';
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
import { Exchange } from './exchange.js';
import {
  QUERY_DEFAULTS,
  batchFilters,
  chainProblem,
  filterOf,
  nextPath,
  pageProblem,
  queryPath,
  type QueryRequest,
  type QueryType,
} from './query.js';
import { BasicLogon } from './basic-logon.js';
import { SESSION_HEADER } from './logon.js';
import { SecretBook } from './secret-book.js';
import { SessionKeeper } from './session.js';
import { closedError, createTransport, type HttpReply, type Transport } from './transport.js';
import type { ApiObserver, BackupOutcome, EmClient, EmClientOptions, TaskRunner } from './types.js';
import { VM_QUERY_NOT_FOUND, VM_SUBJECT, type EmVmClient } from './vm-query.js';

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
export function createEmClient(options: EmClientOptions, deps: EmClientDeps): EmClient & EmVmClient {
  return new HttpEmClient(options, deps);
}

const BACKUP_URN = /^urn:veeam:Backup:/i;

/** How a 404 is reported: most endpoints name one backup, the lists and the query service do not. */
interface NotFoundWording {
  reason: PollErrorReason;
  advice: string;
}

const BACKUP_NOT_FOUND: NotFoundWording = {
  reason: 'not_found',
  advice: 'EM does not know this backup: check the backup ID in the config, or whether the backup was deleted',
};

const runNow: TaskRunner = (task) => task();

class HttpEmClient implements EmClient, EmVmClient {
  readonly name: string;
  private readonly baseUrl: string;
  private readonly accept: string;
  /** Items per query-service page, for every query this client sends. */
  private readonly pageSize: number;
  private readonly transport: Transport;
  private readonly exchange: Exchange;
  private readonly sessions: SessionKeeper;
  /** What EM's text is scanned for before it reaches a message. */
  private readonly secrets = new SecretBook();
  /**
   * Discovery reads its listing through the query service, in pages, since a listing was longer
   * than one page or larger than maxResponseBytes (src/em/README.md).
   */
  private listInPages = false;
  /** The process's parser threads for large bodies; undefined without a built worker (parsed inline then). */
  private pool: ParsePool | undefined;

  constructor(
    private readonly options: EmClientOptions,
    deps: EmClientDeps,
  ) {
    this.name = options.name;
    this.baseUrl = `${options.url.replace(/\/+$/, '').replace(/\/api$/i, '')}/api`;
    // Exactly one media type: EM 9.5 U4 broke on Accept lists (see src/em/README.md).
    this.accept = options.format === 'json' ? 'application/json' : 'application/xml';
    this.pageSize = options.queryPageSize ?? QUERY_DEFAULTS.pageSize;
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
      method: new BasicLogon({
        options,
        exchange: this.exchange,
        secrets: this.secrets,
        baseUrl: this.baseUrl,
        accept: this.accept,
      }),
      secrets: this.secrets,
      timeoutMs: options.timeoutMs,
      exchange: this.exchange,
      log: deps.log,
      baseUrl: this.baseUrl,
      accept: this.accept,
      logonRetryMs: options.logonRetryMs ?? EM_CLIENT_DEFAULTS.logonRetryMs,
      logoutTimeoutMs: EM_CLIENT_DEFAULTS.logoutTimeoutMs,
      now: Date.now,
    });
    this.pool = acquireParsePool();
  }

  async getBackup(backupId: string): Promise<BackupMetadata> {
    const id = bareId(backupId);
    const meta = await this.get(
      'backup',
      'GET backup',
      this.backupTarget(id),
      `/backups/${encodeURIComponent(id)}?format=Entity`,
      'backupEntity',
    );
    return meta.id === '' ? { ...meta, id: id.toLowerCase() } : meta;
  }

  async getRestorePoints(backupId: string): Promise<RestorePoint[]> {
    const id = bareId(backupId);
    const query = this.options.restorePoints === 'reference' ? '' : '?format=Entity';
    return this.get(
      'restore_points',
      'GET restore points',
      this.backupTarget(id),
      `/backups/${encodeURIComponent(id)}/restorePoints${query}`,
      'restorePoints',
    );
  }

  async listBackups(run: TaskRunner = runNow): Promise<BackupMetadata[]> {
    if (!this.listInPages) {
      try {
        const listing = await run(() =>
          this.get('backups', 'GET backups (discovery)', { em: this.name }, '/backups?format=Entity', 'backupList', {
            reason: 'http_4xx',
            advice: 'EM has no backup list here: check url (the EM REST API, port 9398)',
          }),
        );
        if (listing.length > this.pageSize) this.listInPages = true;
        return listing;
      } catch (err) {
        if (!(err instanceof EmError) || !oversized.has(err)) throw err;
        this.listInPages = true;
      }
    }
    return this.listBackupPages(run);
  }

  async listChildBackups(parentId: string): Promise<BackupMetadata[]> {
    const id = bareId(parentId);
    return this.get(
      'child_backups',
      'GET child backups (discovery)',
      this.backupTarget(id),
      `/backups/${encodeURIComponent(id)}/childbackups?format=Entity`,
      'backupList',
      {
        reason: 'not_found',
        advice: 'EM no longer knows this parent backup: it was probably deleted; the next discovery drops it',
      },
    );
  }

  async queryRestorePoints(
    backupIds: readonly string[],
    run: TaskRunner = runNow,
    expected?: ReadonlyMap<string, number>,
  ): Promise<Map<string, BackupOutcome<RestorePoint[]>>> {
    return this.queryPerBackup('RestorePoint', backupIds, run, 'restorePointQuery', expected, (batch, points) => {
      const byBackup = new Map(batch.map((id) => [id, { points: [] as RestorePoint[], uids: new Set<string>() }]));
      const only = batch.length === 1 ? batch[0] : undefined;
      points.forEach((point, i) => {
        const owner = point.backupId ?? only;
        if (owner === undefined) {
          throw new ParseError(
            `restore point #${i + 1} (${point.uid === '' ? 'no UID' : quote(point.uid, 70)}) has no BackupReference link, so its backup is unknown`,
          );
        }
        const bucket = byBackup.get(owner);
        // A point of a backup not asked for belongs to nobody here. A point seen twice moved
        // between pages while they were read (newest first: a new point pushes one down).
        if (bucket === undefined || (point.uid !== '' && bucket.uids.has(point.uid))) return;
        if (point.uid !== '') bucket.uids.add(point.uid);
        bucket.points.push({ uid: point.uid, timeMs: point.timeMs });
      });
      return new Map([...byBackup].map(([id, bucket]) => [id, bucket.points]));
    });
  }

  async queryBackups(
    backupIds: readonly string[],
    run: TaskRunner = runNow,
  ): Promise<Map<string, BackupOutcome<BackupMetadata>>> {
    return this.queryPerBackup('Backup', backupIds, run, 'backupQuery', undefined, (batch, found) => {
      const byId = new Map(found.map((backup) => [backup.id, backup]));
      return new Map(
        batch.map((id): [string, BackupMetadata | EmError] => [
          id,
          byId.get(id) ??
            new EmError({
              ...this.backupTarget(id),
              reason: 'not_found',
              action: 'query backups',
              detail: 'EM does not return this backup',
              advice: 'check the backup ID in the config, or whether the backup was deleted',
            }),
        ]),
      );
    });
  }

  async queryVmRestorePoints(filter: string | undefined, run: TaskRunner = runNow): Promise<VmRestorePoint[]> {
    try {
      return await this.queryAll(
        { type: 'VmRestorePoint', filter, pageSize: this.pageSize },
        run,
        'vmRestorePointQuery',
      );
    } catch (err) {
      if (err instanceof EmError) throw err.at({ em: this.name, subject: VM_SUBJECT });
      throw err;
    }
  }

  async getVmRestorePoints(restorePointId: string): Promise<VmRestorePoint[]> {
    const id = restorePointId.trim().toLowerCase();
    const target = { em: this.name, subject: `${VM_SUBJECT}: restore point ${id}` };
    return this.get(
      'vm_restore_points',
      'GET VM restore points',
      target,
      `/restorePoints/${encodeURIComponent(id)}/vmRestorePoints?format=Entity`,
      'vmRestorePoints',
      VM_QUERY_NOT_FOUND,
    );
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
    const pool = this.pool;
    this.pool = undefined;
    releaseParsePool(pool);
    await this.logout();
    this.transport.destroy();
  }

  /**
   * The top-level backups through the query service, page by page with the paging checks of every
   * query: the discovery listing of a site too large to read in one answer (src/em/README.md). Child
   * backups, which the query service returns too, are left to their parents' `childbackups`, as in
   * the listing. A refusal (no query service, a filter or sort EM does not take) sends the next
   * listing back to `/backups`.
   */
  private async listBackupPages(run: TaskRunner): Promise<BackupMetadata[]> {
    try {
      const found = await this.queryAll(
        { type: 'Backup', filter: undefined, pageSize: this.pageSize },
        run,
        'backupQuery',
      );
      // A backup created while the pages are read pushes one onto the next page, where it is seen twice.
      const byId = new Map<string, BackupMetadata>();
      for (const backup of found)
        if (backup.backupType.toLowerCase() !== 'childbackup' && !byId.has(backup.id)) byId.set(backup.id, backup);
      return [...byId.values()];
    } catch (err) {
      if (!(err instanceof EmError)) throw err;
      if (err.reason === 'http_4xx') this.listInPages = false;
      throw err.at({ em: this.name, subject: 'discovery' });
    }
  }

  private backupTarget(id: string): FailureTarget {
    return { em: this.name, backupId: id };
  }

  /**
   * Batches the backups into query-service requests that keep URLs short, reads every page of each,
   * and gives each backup its batch's outcome: `assign` shares a batch's items out (or throws a
   * ParseError when it cannot), and a failed page fails only the backups of its batch.
   */
  private async queryPerBackup<N extends QueryParser, V>(
    type: QueryType,
    backupIds: readonly string[],
    run: TaskRunner,
    parse: N,
    expected: ReadonlyMap<string, number> | undefined,
    assign: (batch: string[], items: Parsed<N>['items']) => Map<string, V | EmError>,
  ): Promise<Map<string, BackupOutcome<V>>> {
    const ids = [...new Set(backupIds.map((id) => bareId(id).toLowerCase()))];
    const batches = batchFilters(type, ids, this.baseUrl, this.pageSize, QUERY_DEFAULTS.maxUrlChars, expected);
    const out = new Map<string, BackupOutcome<V>>();
    await Promise.all(
      batches.map(async (batch) => {
        let values: Map<string, V | EmError>;
        try {
          const items = await this.queryAll(
            { type, filter: filterOf(type, batch), pageSize: this.pageSize },
            run,
            parse,
          );
          values = assign(batch, items);
        } catch (err) {
          const error =
            err instanceof ParseError
              ? new EmError({
                  em: this.name,
                  reason: 'parse',
                  action: `query ${queryWhat(type)}`,
                  detail: err.cleaned((text) => this.secrets.redact(text)),
                })
              : err;
          if (!(error instanceof EmError)) throw error;
          values = new Map(batch.map((id) => [id, error]));
        }
        for (const id of batch) {
          const value = values.get(id);
          if (value instanceof EmError) out.set(id, { ok: false, error: value.at(this.backupTarget(id)) });
          else if (value !== undefined) out.set(id, { ok: true, value });
        }
      }),
    );
    return out;
  }

  /**
   * Every item of one query, page by page. Page 1 tells how many pages there are; the rest are read
   * at once (through `run`) and must fit it: see pageProblem. Without a PagesCount, `Next` links
   * are followed one by one. Errors are for the whole EM (the caller hands them to each backup).
   */
  private async queryAll<N extends QueryParser>(
    request: QueryRequest,
    run: TaskRunner,
    parse: N,
  ): Promise<Parsed<N>['items']> {
    const what = queryWhat(request.type);
    const fetch = (path: string, label: string): Promise<Parsed<N>> =>
      run(() => this.get('query', `query ${what} (${label})`, { em: this.name }, path, parse, QUERY_NOT_FOUND));
    const inconsistent = (problem: string): EmError =>
      new EmError({
        em: this.name,
        reason: 'parse',
        action: `query ${what}`,
        detail: problem,
        advice:
          'the result changed while its pages were read, or EM pages inconsistently; nothing of it is used, the next poll reads it again',
      });

    const first = await fetch(queryPath(request, 1), 'page 1');
    const size = first.paging.pageSize ?? request.pageSize;
    const pagesCount = first.paging.pagesCount;
    if (pagesCount === undefined) {
      // No page count: follow Next links; only a last page short of the page size proves the end.
      const pages = [first];
      for (let next = first.paging.next; next !== undefined;) {
        const path = nextPath(next);
        if (path === undefined) throw inconsistent(`a Next link that is not a query URL`);
        if (pages.length >= QUERY_DEFAULTS.maxPages) throw inconsistent(`more than ${QUERY_DEFAULTS.maxPages} pages`);
        const page = await fetch(path, `page ${pages.length + 1}`);
        pages.push(page);
        next = page.paging.next;
      }
      const problem = chainProblem(
        pages.map((page) => ({ paging: page.paging, items: page.items.length })),
        size,
      );
      if (problem !== undefined) throw inconsistent(problem);
      return itemsOf(pages);
    }
    if (pagesCount === 0) {
      if (first.items.length > 0) throw inconsistent(`PagesCount 0 with ${first.items.length} items`);
      return [];
    }
    if (pagesCount > QUERY_DEFAULTS.maxPages)
      throw inconsistent(`${pagesCount} pages, more than ${QUERY_DEFAULTS.maxPages}`);
    const firstProblem = pageProblem(first.paging, first.items.length, 1, pagesCount, size);
    if (firstProblem !== undefined) throw inconsistent(firstProblem);
    const rest = await Promise.all(
      Array.from({ length: pagesCount - 1 }, async (_, i) => {
        const pageNum = i + 2;
        const page = await fetch(queryPath(request, pageNum), `page ${pageNum} of ${pagesCount}`);
        const problem = pageProblem(page.paging, page.items.length, pageNum, pagesCount, size);
        if (problem !== undefined) throw inconsistent(problem);
        return page;
      }),
    );
    return itemsOf([first, ...rest]);
  }

  private async get<N extends ParserName>(
    endpoint: ApiEndpoint,
    action: string,
    target: FailureTarget,
    path: string,
    parser: N,
    notFound: NotFoundWording = BACKUP_NOT_FOUND,
  ): Promise<Parsed<N>> {
    const w: Wording = {
      target,
      action,
      timeoutMs: this.options.timeoutMs,
      redact: (text) => this.secrets.redact(text),
      redactSessions: (text) => this.secrets.redactSessions(text),
    };
    const send = (token: string) =>
      this.exchange.call(
        endpoint,
        { method: 'GET', url: `${this.baseUrl}${path}`, headers: { accept: this.accept, [SESSION_HEADER]: token } },
        `/api${path}`,
      );

    let session = await this.sessions.current(target);
    let result = await send(session.token);
    if (result.reply?.status === 401) {
      const stale = session;
      session = await this.sessions.renew(stale, target);
      result = await send(session.token);
      if (result.reply?.status === 401) {
        const refused = new EmError({
          ...target,
          reason: 'auth',
          detail: `every request refused even with a fresh logon session (${answered(result.reply, w)})`,
          advice: `check that the account "${this.options.username}" still holds an Enterprise Manager role (${EM_ROLES}) and that no proxy strips the ${SESSION_HEADER} header`,
          status: 401,
        });
        await this.sessions.refused(session, stale, refused);
      }
    }
    if (result.reply && result.reply.status !== 401) this.sessions.accepted(session);
    const failure = noReplyFailure(result, w);
    if (failure) {
      if (result.error?.kind === 'oversize') oversized.add(failure);
      throw failure;
    }
    const reply = result.reply!;
    if (reply.status >= 200 && reply.status < 300 && reply.status !== 204) {
      if (reply.undecodable !== undefined) throw parseFailure(reply, undecodableProblem(reply, w), w);
      return this.parseBody(reply, parser, w);
    }
    throw this.statusError(reply, result.attempts, w, notFound);
  }

  /**
   * A successful answer's body, parsed inline when small and in the parser pool from POOL_MIN_BYTES
   * up, so that a large body never holds the event loop (health checks, scrapes) for long.
   */
  private async parseBody<N extends ParserName>(reply: HttpReply, parser: N, w: Wording): Promise<Parsed<N>> {
    const contentType = contentTypeOf(reply);
    if (this.pool === undefined || reply.bytes.length < POOL_MIN_BYTES) {
      try {
        return PARSERS[parser](reply.body, contentType) as Parsed<N>;
      } catch (err) {
        if (err instanceof ParseError) throw parseFailure(reply, this.cleanParseProblem(err, reply), w);
        throw err;
      }
    }
    const outcome = await this.pool.parse(parser, reply.bytes, contentType, this.secrets.all());
    if (outcome.ok) return outcome.value;
    // Shutdown or reload ended the pool under this body: the poll is cancelled like a request.
    if (outcome.closed) throw noReplyFailure({ error: closedError('cancelled'), attempts: 1 }, w)!;
    const problem = outcome.escapedSecret ? ESCAPED_SECRET : outcome.error.cleaned((text) => this.secrets.redact(text));
    throw parseFailure(reply, problem, w);
  }

  /**
   * Parse messages are the parser's wording around short quotes of EM's text. Only the quotes are
   * redacted, each before it is cut (a cut secret would escape redaction); the wording is never
   * scanned, as a short password struck inside it would show what it is. A body that holds a
   * secret only in escaped form, which replacement cannot reach, is not quoted at all.
   */
  private cleanParseProblem(err: ParseError, reply: HttpReply): string {
    if (this.secrets.holdsSecret(this.secrets.redact(reply.body))) return ESCAPED_SECRET;
    return err.cleaned((text) => this.secrets.redact(text));
  }

  private statusError(reply: HttpReply, attempts: number, w: Wording, notFound: NotFoundWording): EmError {
    const { status } = reply;
    const user = this.options.username;
    if (status === 204) {
      return failure(w, {
        reason: 'not_found',
        detail: 'EM answered 204 No Content',
        advice: 'it does not know this backup; check the backup ID in the config',
        status,
      });
    }
    if (status >= 300 && status < 400) return redirectFailure(reply, w);
    if (status === 401) {
      // Only reached after the one re-logon: the fresh session was refused too.
      return statusFailure(
        'auth',
        reply,
        1,
        `rejected even with a fresh logon session: check that the account "${user}" still holds an Enterprise Manager role (${EM_ROLES}) and that no proxy strips the ${SESSION_HEADER} header`,
        w,
      );
    }
    if (status === 403) {
      return statusFailure(
        'auth',
        reply,
        1,
        `the account "${user}" may not read this backup: give it an Enterprise Manager role (${EM_ROLES}) whose scope includes it`,
        w,
      );
    }
    if (status === 404) return statusFailure(notFound.reason, reply, 1, notFound.advice, w);
    if (status >= 500) {
      return statusFailure(
        'http_5xx',
        reply,
        attempts,
        'check the EM service log (Veeam Backup Enterprise Manager RESTful API service) and that the backup server is connected to EM',
        w,
      );
    }
    return statusFailure('http_4xx', reply, 1, `check url and apiVersion (now "${this.options.apiVersion}")`, w);
  }
}

/** Failures of answers refused for their size (maxResponseBytes): the listing then falls back to pages. */
const oversized = new WeakSet<EmError>();

const ESCAPED_SECRET = 'unreadable answer, not quoted: it repeats a credential or session ID in escaped form';

/** The parsers of query-service pages. */
type QueryParser = 'restorePointQuery' | 'backupQuery' | 'vmRestorePointQuery';

/** A query's items as messages name them. */
function queryWhat(type: QueryRequest['type']): string {
  return type === 'Backup' ? 'backups' : type === 'VmRestorePoint' ? 'VM restore points' : 'restore points';
}

/** The items of a query's pages in page order (one parser's pages hold one item type). */
function itemsOf<N extends QueryParser>(pages: ReadonlyArray<Parsed<N>>): Parsed<N>['items'] {
  return pages.flatMap((page): Parsed<N>['items'][number][] => page.items) as Parsed<N>['items'];
}

const QUERY_NOT_FOUND: NotFoundWording = {
  reason: 'http_4xx',
  advice:
    'EM has no query service here (it answers /api/query on 9.5 and later): check url, or set restorePoints: entity',
};

const CODING_NAMES = /^[\w-]+(?:\s*,\s*[\w-]+)*$/;

/**
 * Why a body EM sent could not be decoded. The decoder's message is zlib's own wording and is not
 * scanned; EM's Content-Encoding is quoted as is when it is a list of coding names, else redacted.
 */
function undecodableProblem(reply: HttpReply, w: Wording): string {
  const { code, message, contentEncoding } = reply.undecodable!;
  const encoding = CODING_NAMES.test(contentEncoding.trim()) ? contentEncoding : w.redact(contentEncoding);
  return `the body does not decode as its Content-Encoding "${excerpt(encoding, 40)}" says (${code}: ${excerpt(message, 100)})`;
}

function bareId(backupId: string): string {
  return backupId.trim().replace(BACKUP_URN, '');
}
