import { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { SESSION_HEADER, SESSION_HEADER_KEY } from '../em/logon.js';
import { simulatorCert } from './cert.js';
import { FaultBook, firstHalf, replacesResponse } from './faults.js';
import { jsonRenderer } from './json.js';
import { type Renderer, StoredBackup, SUPPORTED_VERSIONS, Views } from './model.js';
import { isGuid } from './names.js';
import { runQuery } from './query.js';
import { type SessionRecord, SessionStore } from './sessions.js';
import type {
  EmSimulatorApi,
  FaultRule,
  JsonStyle,
  NameStyle,
  RecordedRequest,
  SimBackup,
  SimulatorOptions,
  SimUser,
  StartedSimulator,
} from './types.js';
import { xmlRenderer } from './xml.js';
import { vmPointEntity, vmPointRef, type StoredVmPoint } from './vm-points.js';

/** Where a restore point or a VM restore point lives, for the routes that take their IDs. */
interface PointIndex {
  restorePoints: Map<string, StoredBackup>;
  vmPoints: Map<string, { backup: StoredBackup; point: StoredVmPoint }>;
}

interface Reply {
  status: number;
  /** Omitted for bodiless answers (204, 302). */
  body?: string;
  headers?: OutgoingHttpHeaders;
}

interface Ctx {
  req: IncomingMessage;
  method: string;
  /** Path segments after the leading slash, percent-decoded. */
  segs: string[];
  query: URLSearchParams;
  fmt: Renderer;
  views: Views;
}

interface Route {
  /** Reachable without a logon session. */
  open?: boolean;
  methods: Partial<Record<string, (session: SessionRecord | undefined) => Reply>>;
}

const MSG_NO_SESSION = 'Authorization header expected but not found (or found but is expired).';
const MSG_BAD_LOGON = 'Failed to log on: the user name or password is incorrect.';
const FAULT_MESSAGES: Record<number, string> = {
  500: 'Object reference not set to an instance of an object.',
  503: 'The service is temporarily unavailable. Try again later.',
};

/** A Veeam Backup Enterprise Manager REST API (`/api`) on loopback HTTPS, quirks included. */
export class EmSimulator implements EmSimulatorApi {
  private readonly host: string;
  private readonly port: number;
  private readonly users: SimUser[];
  private readonly ignoreEntityFormat: boolean;
  private readonly maxRecorded: number;
  private readonly store: SessionStore;
  private readonly backups = new Map<string, StoredBackup>();
  private readonly faults = new FaultBook();
  private readonly json = { v12: jsonRenderer('v12'), v13: jsonRenderer('v13') };
  private readonly timers = new Set<NodeJS.Timeout>();
  private recorded: RecordedRequest[] = [];
  private jsonStyle: JsonStyle;
  private nameStyle: NameStyle;
  private server: https.Server | undefined;
  private pointIndex: PointIndex | undefined;

  constructor(options: SimulatorOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 0;
    this.users = (options.users ?? [{ username: 'EM01\\svc_monitor', password: 'secret' }]).map((u) => ({ ...u }));
    this.ignoreEntityFormat = options.ignoreEntityFormat ?? false;
    this.maxRecorded = Math.max(1, options.maxRecordedRequests ?? 100_000);
    this.jsonStyle = options.jsonStyle ?? 'v12';
    this.nameStyle = options.nameStyle ?? 'mssql';
    this.store = new SessionStore(
      options.sessionIdleTimeoutMs ?? 15 * 60_000,
      options.now ?? Date.now,
      options.sessionIdFactory,
    );
    this.setBackups(options.backups ?? []);
  }

  async start(): Promise<StartedSimulator> {
    if (this.server !== undefined) throw new Error('EM simulator already started');
    const { key, cert } = await simulatorCert();
    const server = https.createServer({ key, cert }, (req, res) => this.onRequest(req, res));
    // http.sys keeps idle connections for two minutes; Node's 5 s default would make pooled
    // clients race the server's close far more often than against a real EM.
    server.keepAliveTimeout = 120_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return { url: `https://${host}:${port}`, port, caPem: cert };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  openSessionCount(): number {
    return this.store.open().length;
  }
  maxOpenSessions(): number {
    return this.store.peakOpen();
  }
  sessions(): ReadonlyArray<SessionRecord> {
    return this.store.all();
  }
  expireAllSessions(): void {
    this.store.expireAll();
  }
  addFault(rule: FaultRule): void {
    this.faults.add(rule);
  }
  clearFaults(): void {
    this.faults.clear();
  }
  requests(): ReadonlyArray<RecordedRequest> {
    return this.recorded.slice();
  }
  clearRequests(): void {
    this.recorded = [];
  }
  setBackups(backups: SimBackup[]): void {
    this.pointIndex = undefined;
    this.backups.clear();
    for (const b of backups) this.upsertBackup(b);
  }
  upsertBackup(backup: SimBackup): void {
    const stored = new StoredBackup(backup);
    this.backups.set(stored.id, stored);
    this.pointIndex = undefined;
  }
  removeBackup(id: string): void {
    this.backups.delete(id.toLowerCase());
    this.pointIndex = undefined;
  }
  setJsonStyle(style: JsonStyle): void {
    this.jsonStyle = style;
  }
  setNameStyle(style: NameStyle): void {
    this.nameStyle = style;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    req.resume(); // bodies are never needed; drain them so keep-alive sockets stay usable
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const rec: RecordedRequest = { method, url, headers: { ...req.headers }, status: 0 };
    this.record(rec);
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const fault = this.faults.take(method, path, q < 0 ? '' : url.slice(q + 1));
    const go = (): void => {
      try {
        this.respond(req, res, rec, method, path, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)), fault);
      } catch (err) {
        if (!res.headersSent)
          this.send(res, rec, this.error(this.renderer(req), 500, String(err)), this.renderer(req), undefined);
        else res.destroy();
      }
    };
    if (fault?.latencyMs) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        go();
      }, fault.latencyMs);
      this.timers.add(t);
    } else go();
  }

  private record(rec: RecordedRequest): void {
    // Drop a tenth at a time: shifting one entry off a full log on every request would cost O(n) each.
    if (this.recorded.length >= this.maxRecorded) {
      this.recorded.splice(0, this.recorded.length - this.maxRecorded + Math.max(1, Math.floor(this.maxRecorded / 10)));
    }
    this.recorded.push(rec);
  }

  private renderer(req: IncomingMessage): Renderer {
    const accept = req.headers.accept;
    return accept?.toLowerCase().includes('application/json') === true ? this.json[this.jsonStyle] : xmlRenderer;
  }

  private respond(
    req: IncomingMessage,
    res: ServerResponse,
    rec: RecordedRequest,
    method: string,
    path: string,
    query: URLSearchParams,
    fault: FaultRule | undefined,
  ): void {
    const fmt = this.renderer(req);
    if (fault !== undefined && replacesResponse(fault)) {
      if (fault.drop === 'before-response') {
        req.socket.destroy();
        return;
      }
      if (fault.redirectTo !== undefined) {
        this.send(res, rec, { status: 302, headers: { location: fault.redirectTo } }, fmt, fault);
        return;
      }
      const status = fault.status ?? 500;
      const message = FAULT_MESSAGES[status] ?? `${STATUS_CODES[status] ?? 'Error'} (simulated fault).`;
      this.send(res, rec, this.error(fmt, status, message), fmt, fault);
      return;
    }
    const base = `https://${req.headers.host ?? this.fallbackHost()}/api`;
    let segs: string[];
    try {
      segs = path.replace(/\/+$/, '').split('/').slice(1).map(decodeURIComponent);
    } catch {
      this.send(res, rec, this.error(fmt, 404, `Resource [${path}] does not exist.`), fmt, fault);
      return;
    }
    const ctx: Ctx = { req, method, segs, query, fmt, views: new Views(base, this.nameStyle) };
    this.send(res, rec, this.dispatch(ctx, path), fmt, fault);
  }

  private fallbackHost(): string {
    const a = this.server?.address() as AddressInfo | null | undefined;
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return a ? `${h}:${a.port}` : h;
  }

  private dispatch(ctx: Ctx, path: string): Reply {
    // Only /api is hosted; nothing else exists, with or without a session.
    if (ctx.segs[0]?.toLowerCase() !== 'api') return this.error(ctx.fmt, 404, `Resource [${path}] does not exist.`);
    const route = this.match(ctx);
    let session: SessionRecord | undefined;
    if (route?.open !== true) {
      const token = sessionToken(ctx.req);
      session = token === undefined ? undefined : this.store.use(token);
      if (session === undefined) return this.error(ctx.fmt, 401, MSG_NO_SESSION);
    }
    if (route === undefined) return this.error(ctx.fmt, 404, `Resource [${path}] does not exist.`);
    const handler = route.methods[ctx.method];
    if (handler === undefined) {
      const r = this.error(ctx.fmt, 405, `Method [${ctx.method}] is not allowed on this resource.`);
      r.headers = { ...r.headers, allow: Object.keys(route.methods).join(', ') };
      return r;
    }
    return handler(session);
  }

  // WCF matches literal path segments case-insensitively, so /api/logonsessions works as well.
  private match(ctx: Ctx): Route | undefined {
    const { fmt, views, segs } = ctx;
    const lit = (i: number): string | undefined => segs[i]?.toLowerCase();
    const entity = wantsEntity(ctx.query);
    const id = segs[2] ?? '';
    if (segs.length === 1) return { open: true, methods: { GET: () => this.ok(fmt.apiRoot(views.apiRoot())) } };
    if (segs.length === 2 && lit(1) === 'sessionmngr') return { open: true, methods: { POST: () => this.logon(ctx) } };
    if (segs.length === 2 && lit(1) === 'logonsessions') {
      return {
        methods: {
          GET: () => this.ok(fmt.logonSessions(this.store.open().map((r) => views.logonSession(r.id, r.user)))),
        },
      };
    }
    if (segs.length === 3 && lit(1) === 'logonsessions') return this.logonSessionRoute(ctx, id);
    if (segs.length === 2 && lit(1) === 'backups') {
      return {
        methods: {
          GET: () => {
            // Child backups are listed under their parent's childbackups link, not here.
            const all = [...this.backups.values()].filter((b) => b.parentId === undefined);
            return this.ok(
              entity
                ? fmt.entityList(
                    'Backups',
                    all.map((b) => views.backupEntity(b)),
                  )
                : fmt.refList(all.map((b) => views.backupRef(b))),
            );
          },
        },
      };
    }
    if (segs.length === 3 && lit(1) === 'backups') {
      return {
        methods: {
          GET: () =>
            this.withBackup(ctx, id, (b) => {
              const parent = this.parentOf(b);
              return this.ok(entity ? fmt.entity(views.backupEntity(b, parent)) : fmt.ref(views.backupRef(b, parent)));
            }),
        },
      };
    }
    if (segs.length === 4 && lit(1) === 'backups' && lit(3) === 'childbackups') {
      return {
        methods: {
          GET: () =>
            this.withBackup(ctx, id, (parent) => {
              const children = [...this.backups.values()].filter((b) => b.parentId === parent.id);
              return this.ok(
                entity
                  ? fmt.entityList(
                      'Backups',
                      children.map((b) => views.backupEntity(b, parent)),
                    )
                  : fmt.refList(children.map((b) => views.backupRef(b, parent))),
              );
            }),
        },
      };
    }
    if (segs.length === 2 && lit(1) === 'query') {
      return {
        methods: {
          GET: () => {
            const result = runQuery({
              param: (name) => queryParam(ctx.query, name.toLowerCase()),
              views,
              backups: this.backups,
            });
            return result.ok ? this.ok(fmt.queryResult(result.view)) : this.error(fmt, result.status, result.message);
          },
        },
      };
    }
    if (segs.length === 4 && lit(1) === 'backups' && lit(3) === 'restorepoints') {
      const asEntities = entity && !this.ignoreEntityFormat;
      return {
        methods: {
          GET: () =>
            this.withBackup(ctx, id, (b) =>
              this.ok(
                asEntities
                  ? fmt.entityList(
                      'RestorePoints',
                      b.points().map((p) => views.restorePointEntity(b, p)),
                    )
                  : fmt.refList(b.points().map((p) => views.restorePointRef(b, p))),
              ),
            ),
        },
      };
    }
    return this.vmPointRoute(ctx, entity);
  }

  /** `/restorePoints/{id}/vmRestorePoints` (references, as EM documents) and `/vmRestorePoints/{id}[?format=Entity]`. */
  private vmPointRoute(ctx: Ctx, entity: boolean): Route | undefined {
    const { fmt, views, segs } = ctx;
    const lit = (i: number): string | undefined => segs[i]?.toLowerCase();
    const rawId = segs[2] ?? '';
    const id = rawId.toLowerCase();
    if (segs.length === 4 && lit(1) === 'restorepoints' && lit(3) === 'vmrestorepoints') {
      return {
        methods: {
          GET: () => {
            const backup = isGuid(id) ? this.points().restorePoints.get(id) : undefined;
            if (backup === undefined) return this.error(fmt, 404, `Restore point [${rawId}] does not exist.`);
            const mine = backup.vmPoints().filter((p) => p.restorePoint.id === id);
            return this.ok(
              entity
                ? fmt.entityList(
                    'VmRestorePoints',
                    mine.map((p) => vmPointEntity(backup, p, views)),
                  )
                : fmt.refList(mine.map((p) => vmPointRef(backup, p, views))),
            );
          },
        },
      };
    }
    if (segs.length === 3 && lit(1) === 'vmrestorepoints') {
      return {
        methods: {
          GET: () => {
            const found = isGuid(id) ? this.points().vmPoints.get(id) : undefined;
            if (found === undefined) return this.error(fmt, 404, `VM restore point [${rawId}] does not exist.`);
            return this.ok(
              entity
                ? fmt.entity(vmPointEntity(found.backup, found.point, views))
                : fmt.ref(vmPointRef(found.backup, found.point, views)),
            );
          },
        },
      };
    }
    return undefined;
  }

  private points(): PointIndex {
    if (this.pointIndex !== undefined) return this.pointIndex;
    const index: PointIndex = { restorePoints: new Map(), vmPoints: new Map() };
    for (const backup of this.backups.values()) {
      for (const p of backup.points()) index.restorePoints.set(p.id, backup);
      for (const point of backup.vmPoints()) index.vmPoints.set(point.id, { backup, point });
    }
    this.pointIndex = index;
    return index;
  }

  private logonSessionRoute(ctx: Ctx, rawId: string): Route {
    const id = rawId.toLowerCase();
    const notFound = (): Reply => this.error(ctx.fmt, 404, `Logon session [${rawId}] does not exist.`);
    return {
      methods: {
        GET: () => {
          const r = isGuid(id) ? this.store.peek(id) : undefined;
          return r ? this.ok(ctx.fmt.logonSession(ctx.views.logonSession(r.id, r.user))) : notFound();
        },
        // Only the caller's own session may be ended; anyone else's looks as if it did not exist.
        DELETE: (session) => (session?.id === id && this.store.logout(id) ? { status: 204 } : notFound()),
      },
    };
  }

  private parentOf(b: StoredBackup): StoredBackup | undefined {
    return b.parentId === undefined ? undefined : this.backups.get(b.parentId);
  }

  private withBackup(ctx: Ctx, rawId: string, then: (b: StoredBackup) => Reply): Reply {
    // URNs are not accepted in the path (undocumented on real servers), only bare GUIDs.
    const b = isGuid(rawId) ? this.backups.get(rawId.toLowerCase()) : undefined;
    return b ? then(b) : this.error(ctx.fmt, 404, `Backup [${rawId}] does not exist.`);
  }

  private logon(ctx: Ctx): Reply {
    const v = queryParam(ctx.query, 'v');
    if (v !== undefined && v.toLowerCase() !== 'latest' && !SUPPORTED_VERSIONS.some((x) => x === v.toLowerCase())) {
      return this.error(ctx.fmt, 400, `API version [${v}] is not supported.`);
    }
    const user = this.checkBasic(ctx.req.headers.authorization);
    if (user === undefined) {
      const r = this.error(ctx.fmt, 401, MSG_BAD_LOGON);
      r.headers = { ...r.headers, 'www-authenticate': 'Basic Realm=RestSvc' };
      return r;
    }
    const { id, token } = this.store.create(user.username);
    return {
      status: 201,
      body: ctx.fmt.logonSession(ctx.views.logonSession(id, user.username)),
      headers: {
        'content-type': ctx.fmt.contentType,
        [SESSION_HEADER_KEY]: token,
        'set-cookie': `${SESSION_HEADER}=${token}; Path=/api;`,
      },
    };
  }

  // Windows account names compare case-insensitively; passwords do not.
  private checkBasic(header: string | undefined): SimUser | undefined {
    const m = header === undefined ? null : /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (m === null) return undefined;
    const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const name = decoded.slice(0, colon).toLowerCase();
    const password = decoded.slice(colon + 1);
    return this.users.find((u) => u.username.toLowerCase() === name && u.password === password);
  }

  private ok(body: string): Reply {
    return { status: 200, body };
  }

  private error(fmt: Renderer, status: number, message: string): Reply {
    return { status, body: fmt.error(status, message) };
  }

  private send(
    res: ServerResponse,
    rec: RecordedRequest,
    reply: Reply,
    fmt: Renderer,
    fault: FaultRule | undefined,
  ): void {
    if (res.destroyed) return;
    const hasBody = reply.body !== undefined;
    let body: Buffer = Buffer.from(reply.body ?? '', 'utf8');
    let contentType: string | undefined = hasBody ? fmt.contentType : undefined;
    const kind = fault?.body;
    if (kind === 'malformed') {
      body = Buffer.from(fmt.malformed(), 'utf8');
      contentType = fmt.contentType;
    } else if (kind === 'truncated') {
      body = firstHalf(body);
    } else if (kind === 'empty') {
      body = Buffer.alloc(0);
    } else if (kind !== undefined) {
      body = typeof kind.raw === 'string' ? Buffer.from(kind.raw, 'utf8') : kind.raw;
      contentType = kind.contentType ?? contentType ?? fmt.contentType;
    }
    const headers: OutgoingHttpHeaders = { ...reply.headers, ...(typeof kind === 'object' ? kind.headers : undefined) };
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (reply.status !== 204) headers['content-length'] = body.length;
    rec.status = reply.status;
    rec.bytes = body.length;
    if (fault?.drop === 'mid-body') {
      // The client is promised the whole body, gets half, then the connection dies under it.
      res.writeHead(reply.status, headers);
      res.write(firstHalf(body), () => setImmediate(() => res.socket?.destroy()));
      return;
    }
    res.writeHead(reply.status, headers);
    res.end(reply.status === 204 ? undefined : body);
  }
}

function wantsEntity(query: URLSearchParams): boolean {
  return queryParam(query, 'format')?.toLowerCase() === 'entity';
}

/** Query parameter names are matched case-insensitively, as the WCF host does. */
function queryParam(query: URLSearchParams, name: string): string | undefined {
  for (const [k, v] of query) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** The session token; a `SESSION_HEADER` cookie beats the header of the same name, as EM documents. */
function sessionToken(req: IncomingMessage): string | undefined {
  const cookie = req.headers.cookie;
  if (cookie !== undefined) {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim().toLowerCase() === SESSION_HEADER_KEY) return part.slice(eq + 1).trim();
    }
  }
  const h = req.headers[SESSION_HEADER_KEY];
  return Array.isArray(h) ? h[0] : h;
}
