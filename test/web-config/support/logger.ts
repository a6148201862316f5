import type { WebConfigLogger } from '../../../src/web-config/index.js';

export interface LogEntry {
  level: 'info' | 'warn' | 'debug';
  obj: object;
  msg: string;
}

export interface CapturingLogger extends WebConfigLogger {
  entries: LogEntry[];
  /** Resolves with the first matching entry logged at or after index `from` (default: any, already logged or to come). */
  next(match: (entry: LogEntry) => boolean, from?: number): Promise<LogEntry>;
}

export function capturingLogger(): CapturingLogger {
  const entries: LogEntry[] = [];
  const waiters: Array<{ match: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }> = [];
  const push = (level: LogEntry['level']) => (obj: object, msg: string) => {
    const entry = { level, obj, msg };
    entries.push(entry);
    for (const waiter of [...waiters]) {
      if (waiter.match(entry)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(entry);
      }
    }
  };
  return {
    entries,
    info: push('info'),
    warn: push('warn'),
    debug: push('debug'),
    next(match, from = 0) {
      const timeoutMs = 15_000;
      const seen = entries.slice(from).find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log entry within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          match,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
  };
}
