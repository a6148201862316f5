import { pino, type Logger } from 'pino';
import { createPrettyStream, type LineSink } from './pretty.js';
import { CENSORED, redactPaths, safeError, scrub, scrubLogArguments } from './redaction.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Default: standard error, like Prometheus exporters, so `--once` keeps standard output for the exposition. */
  destination?: NodeJS.WritableStream | LineSink;
}

export function createLogger(opts: LoggerOptions): Logger {
  const options = {
    level: opts.level,
    // No pid/hostname: the process and host are known to whoever collects the log.
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label: string) => ({ level: label }),
      bindings: (bindings: Record<string, unknown>) => scrub(bindings) as Record<string, unknown>,
    },
    // Every logged object, error and message is scrubbed at any depth, which fixed redact paths cannot do.
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...args: unknown[]) => void) {
        method.apply(this, scrubLogArguments(args));
      },
    },
    // The documented key paths, kept as a second line of defence.
    redact: { paths: redactPaths(), censor: CENSORED },
    serializers: { err: safeError, error: safeError },
  };
  if (opts.format === 'pretty') {
    return pino(options, createPrettyStream(opts.destination ?? process.stderr));
  }
  return pino(options, opts.destination ?? pino.destination({ dest: 2, sync: true }));
}
