/**
 * Sends requests with the exporter's retry policy and reports every attempt: to the API metrics
 * observer and, at debug level, to the log (method, endpoint, path, status, duration; never headers).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ApiEndpoint } from '../domain.js';
import {
  closedError,
  toTransportError,
  TransportError,
  type HttpReply,
  type HttpRequest,
  type Transport,
} from './transport.js';
import type { ApiObserver } from './types.js';

export interface CallResult {
  /** EM's answer to the last attempt, if it answered. */
  reply?: HttpReply;
  /** Why the last attempt got no answer. */
  error?: TransportError;
  attempts: number;
}

export interface ExchangeDeps {
  em: string;
  transport: Transport;
  api: ApiObserver;
  log: Logger;
  retries: number;
  retryBackoffMs: number;
}

/** Backoff grows with the attempt but stays short: a poll cycle must not stall on one backup. */
const MAX_BACKOFF_MS = 2_000;

export class Exchange {
  private closed = false;

  constructor(private readonly deps: ExchangeDeps) {}

  /**
   * Shutdown: requests in flight are cancelled and nothing is retried or sent any more, except the
   * logout, which then finds a free socket instead of queueing behind a poll that waits on a slow EM.
   */
  close(): void {
    this.closed = true;
    this.deps.transport.cancelAll();
  }

  /**
   * One request, retried on network errors, timeouts and 5xx answers only (never 4xx: they will
   * not change, and a retried 401 logon could lock the account).
   * @param logPath the path as it may appear in logs (logout paths hold the session id: pass it masked)
   */
  async call(endpoint: ApiEndpoint, request: HttpRequest, logPath: string, retry = true): Promise<CallResult> {
    const { transport, retries, retryBackoffMs, log } = this.deps;
    const maxAttempts = retry ? 1 + Math.max(0, retries) : 1;
    for (let attempt = 1; ; attempt++) {
      if (this.closed && endpoint !== 'logout') return { error: closedError('not sent'), attempts: attempt - 1 };
      const started = performance.now();
      let result: CallResult;
      try {
        const reply = await transport.send(request);
        this.report(endpoint, request.method, logPath, reply.status, started, attempt);
        result = { reply, attempts: attempt };
      } catch (err) {
        const error = err instanceof TransportError ? err : toTransportError(err);
        this.report(endpoint, request.method, logPath, 'error', started, attempt, error.code);
        result = { error, attempts: attempt };
      }
      if (attempt >= maxAttempts || !retryable(result) || this.closed) return result;
      const delay = Math.min(retryBackoffMs * attempt, MAX_BACKOFF_MS);
      log.debug(
        { endpoint, method: request.method, path: logPath, attempt, retry_in_ms: delay },
        'EM request failed; retrying',
      );
      await sleep(delay);
    }
  }

  private report(
    endpoint: ApiEndpoint,
    method: string,
    path: string,
    code: number | 'error',
    started: number,
    attempt: number,
    errorCode?: string,
  ): void {
    const seconds = (performance.now() - started) / 1000;
    try {
      this.deps.api.request(this.deps.em, endpoint, code, seconds);
    } catch {
      // Metrics must never break a poll.
    }
    if (this.deps.log.isLevelEnabled('debug')) {
      this.deps.log.debug(
        {
          endpoint,
          method,
          path,
          status: code,
          ms: Math.round(seconds * 1000),
          attempt,
          ...(errorCode ? { error: errorCode } : {}),
        },
        'EM request',
      );
    }
  }
}

function retryable(result: CallResult): boolean {
  if (result.reply) return result.reply.status >= 500 && result.reply.status <= 599;
  const kind = result.error?.kind;
  return kind === 'network' || kind === 'timeout';
}
