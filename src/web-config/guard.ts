import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { formatIssue } from '../config/format-issues.js';
import { BasicAuthenticator, type PasswordCompare } from './basic-auth.js';
import { FileWatchSet } from './file-watch.js';
import { attemptWebConfig } from './load.js';
import { secureContextOptions } from './tls-files.js';
import type { ClientAuthType, WebConfig, WebConfigIssue, WebConfigLogger } from './types.js';

/** The challenge the server sends with a 401 when basic_auth_users is set. */
export const WWW_AUTHENTICATE = 'Basic realm="veeam-em-exporter", charset="UTF-8"';

export type ServerTlsOptions = SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean };
export type WebGuardReload = { ok: true } | { ok: false; issues: WebConfigIssue[] };
export type WebGuardResult = { ok: true; guard: WebGuard } | { ok: false; issues: WebConfigIssue[] };

export interface WebGuardOptions {
  /** How often the web config and its TLS files are stat'ed for changes. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Replaces bcrypt (tests count calls through it). */
  compare?: PasswordCompare;
  /**
   * Called, a moment after the last change, when a watched file changed. The default reloads at
   * once; the daemon queues the reload behind its others instead (src/reload-queue.ts), since the
   * guard does not serialise reloads.
   */
  onFilesChanged?: () => void;
}

interface GuardState {
  config: WebConfig;
  auth: BasicAuthenticator;
  secureContext?: SecureContext;
}

const DEFAULT_POLL_INTERVAL_MS = 1_000;

/** Loads the web config, then keeps it current: file changes are picked up, bad versions are refused. */
export async function createWebGuard(
  path: string,
  logger: WebConfigLogger,
  options: WebGuardOptions = {},
): Promise<WebGuardResult> {
  const attempt = await attemptWebConfig(path);
  if (!attempt.result.ok) return { ok: false, issues: attempt.result.issues };
  logWarnings(logger, attempt.result.warnings);
  const guard = new WebGuard(attempt.result.config, logger, options);
  guard.watch(attempt.referencedFiles);
  return { ok: true, guard };
}

/** Maps exporter-toolkit's client_auth_type onto what Node's TLS server can enforce during the handshake. */
export function handshakeClientCertPolicy(type: ClientAuthType): { requestCert: boolean; rejectUnauthorized: boolean } {
  switch (type) {
    case 'NoClientCert':
      return { requestCert: false, rejectUnauthorized: false };
    case 'RequireAndVerifyClientCert':
      return { requestCert: true, rejectUnauthorized: true };
    // Node cannot express "require but don't verify" or "verify only if given" in the handshake;
    // createSecuredServer finishes those checks as soon as the handshake completes.
    case 'RequestClientCert':
    case 'RequireAnyClientCert':
    case 'VerifyClientCertIfGiven':
      return { requestCert: true, rejectUnauthorized: false };
  }
}

export class WebGuard {
  private state: GuardState;
  private readonly logger: WebConfigLogger;
  private readonly compare: PasswordCompare | undefined;
  private readonly pollIntervalMs: number;
  private readonly watcher: FileWatchSet;
  private readonly reloadListeners = new Set<(config: WebConfig) => void>();
  private watchedByConfig: string[] = [];
  private reloadTimer: NodeJS.Timeout | undefined;
  private readonly onFilesChanged: () => void;
  private closed = false;

  constructor(config: WebConfig, logger: WebConfigLogger, options: WebGuardOptions = {}) {
    this.logger = logger;
    this.compare = options.compare;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.state = this.stateFor(config);
    this.onFilesChanged = options.onFilesChanged ?? (() => void this.reload());
    this.watcher = new FileWatchSet(this.pollIntervalMs, () => this.scheduleReload());
  }

  get config(): WebConfig {
    return this.state.config;
  }

  /** Options for https.createServer / server.setSecureContext; undefined means serve plain HTTP. */
  tlsOptions(): ServerTlsOptions | undefined {
    const tls = this.state.config.tls;
    return tls ? { ...secureContextOptions(tls), ...handshakeClientCertPolicy(tls.clientAuthType) } : undefined;
  }

  /** The current certificate as a SecureContext, for an SNICallback. Undefined for plain HTTP. */
  secureContext(): SecureContext | undefined {
    const tls = this.state.config.tls;
    if (!tls) return undefined;
    this.state.secureContext ??= createSecureContext(secureContextOptions(tls));
    return this.state.secureContext;
  }

  clientAuthType(): ClientAuthType | undefined {
    return this.state.config.tls?.clientAuthType;
  }

  requiresAuth(): boolean {
    return this.state.auth.enabled;
  }

  /** True when the Authorization header carries valid Basic credentials, or when no users are configured. */
  authorize(authorizationHeader: string | undefined): Promise<boolean> {
    return this.state.auth.authorize(authorizationHeader);
  }

  responseHeaders(): Record<string, string> {
    return { ...this.state.config.headers };
  }

  /** Called after each successful reload, with the new config. Returns the unsubscribe function. */
  onReload(listener: (config: WebConfig) => void): () => void {
    this.reloadListeners.add(listener);
    return () => this.reloadListeners.delete(listener);
  }

  /**
   * Re-reads the web config now. A bad version is refused and the current one kept. Callers run one
   * reload at a time: of two at once, the one that read first could be applied last.
   */
  reload(): Promise<WebGuardReload> {
    if (this.closed)
      return Promise.resolve({
        ok: false,
        issues: [{ file: this.config.file, path: '', message: 'the web config guard is closed' }],
      });
    return this.reloadNow();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reloadTimer);
    this.watcher.close();
    this.reloadListeners.clear();
  }

  /** @internal Starts watching the files the loaded config came from. */
  watch(files: string[]): void {
    if (this.closed) return;
    this.watchedByConfig = files;
    this.watcher.update(files);
  }

  private scheduleReload(): void {
    if (this.closed || this.reloadTimer) return;
    // A rotation writes cert and key one after the other: wait a moment so both land in one reload.
    this.reloadTimer = setTimeout(
      () => {
        this.reloadTimer = undefined;
        this.onFilesChanged();
      },
      Math.min(this.pollIntervalMs, 500),
    );
    this.reloadTimer.unref();
  }

  private async reloadNow(): Promise<WebGuardReload> {
    const current = this.state.config;
    const attempt = await attemptWebConfig(current.file);
    if (this.closed)
      return { ok: false, issues: [{ file: current.file, path: '', message: 'the web config guard is closed' }] };
    if (!attempt.result.ok) {
      // Keep following the files the rejected version names too, so fixing one of them is noticed.
      this.watcher.update(new Set([...this.watchedByConfig, ...attempt.referencedFiles]));
      return this.refuse(attempt.result.issues);
    }
    const next = attempt.result.config;
    if (Boolean(next.tls) !== Boolean(current.tls)) {
      const message = next.tls
        ? 'tls_server_config was added: switching from HTTP to HTTPS needs a restart'
        : 'tls_server_config was removed: switching from HTTPS to HTTP needs a restart';
      return this.refuse([{ file: current.file, path: 'tls_server_config', message }]);
    }
    logWarnings(this.logger, attempt.result.warnings);
    this.state = this.stateFor(next);
    this.watch(attempt.referencedFiles);
    this.logger.info(
      {
        file: next.file,
        certificateSha256: next.tls?.certFingerprint256,
        certificateValidTo: next.tls?.certValidTo,
        clientAuthType: next.tls?.clientAuthType,
        basicAuthUsers: next.users.size,
      },
      'web config reloaded',
    );
    for (const listener of this.reloadListeners) {
      try {
        listener(next);
      } catch (error) {
        this.logger.warn({ err: error }, 'a web config reload listener failed');
      }
    }
    return { ok: true };
  }

  private refuse(issues: WebConfigIssue[]): WebGuardReload {
    this.logger.warn(
      { file: this.state.config.file, issues: issues.map(formatIssue) },
      'web config change refused, still serving with the previous version',
    );
    return { ok: false, issues };
  }

  private stateFor(config: WebConfig): GuardState {
    return { config, auth: new BasicAuthenticator(config.users, this.compare) };
  }
}

/** `file:line:column: key.path: message`, the same layout as the main config's errors. */
function logWarnings(logger: WebConfigLogger, warnings: WebConfigIssue[]): void {
  for (const warning of warnings) {
    logger.warn({ file: warning.file, key: warning.path, line: warning.line }, warning.message);
  }
}
