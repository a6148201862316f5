import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../logging/index.js';
import { DEMO_LISTEN_ADDRESS, FLAG_SPECS } from './flag-specs.js';
import { renderHelp } from './help.js';
import { parseListenAddress, type ListenAddress } from './listen-address.js';

export { parseListenAddress, type ListenAddress } from './listen-address.js';

export type { LogFormat, LogLevel };

export interface Flags {
  configFile: string;
  configCheck: boolean;
  /** As given, for messages; `listen` is the same address parsed. */
  listenAddress: string;
  listen: ListenAddress;
  telemetryPath: string;
  webConfigFile?: string;
  enableLifecycle: boolean;
  /** --web.max-connections; 0 = no limit. */
  maxConnections: number;
  /** --web.max-requests; 0 = no limit. */
  maxRequests: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  once: boolean;
  demo: boolean;
  version: boolean;
  help: boolean;
}

export type ParseFlagsResult = { ok: true; flags: Flags } | { ok: false; error: string };

export const HELP_TEXT = renderHelp(
  'veeam-em-exporter',
  'Prometheus exporter for Veeam Backup Enterprise Manager: per-backup restore-point counts and\nfreshness, polled in the background on a schedule.',
);

const OPTIONS: ParseArgsConfig['options'] = Object.fromEntries(
  FLAG_SPECS.map((spec) => [
    spec.name,
    spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short },
  ]),
);

/**
 * Node's parseArgs messages suggest positional arguments, which this program has none of; say it plainly.
 * The caller adds the one "Try --help." line, so no message here repeats it.
 */
function explainParseError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  const flag = quoted.split(' ')[0] ?? quoted;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const nearest = flag.startsWith('--') ? nearestFlag(flag.slice(2)) : undefined;
      return nearest === undefined ? `unknown flag ${flag}` : `unknown flag ${flag}; did you mean --${nearest}?`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      // `veeam-em-exporter config.yaml` is the commonest slip.
      if (/\.ya?ml$/i.test(quoted))
        return `unexpected argument "${quoted}": this program takes only flags; did you mean --config.file=${quoted}?`;
      return `unexpected argument "${quoted}": this program takes only flags`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (message.includes('does not take an argument')) return `flag ${flag} takes no value`;
      if (message.includes('ambiguous'))
        return `flag ${flag} needs a value; to pass one that starts with "-", write ${flag}=VALUE`;
      return `flag ${flag} needs a value`;
    default:
      return message;
  }
}

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The flag an unknown name most likely meant: a typo (`verison`), other punctuation (`config-file`),
 * or a unique part of a dotted name (`listen-address`). Undefined when nothing is close enough.
 */
export function nearestFlag(name: string): string | undefined {
  const typed = name.split('=')[0]!.toLowerCase();
  if (typed.length < 2) return undefined;
  const names = FLAG_SPECS.map((spec) => spec.name);
  const squash = (text: string) => text.replace(/[-._]/g, '');
  const same = names.filter((flag) => squash(flag) === squash(typed));
  if (same.length === 1) return same[0];
  const parts = names.filter((flag) => typed.length >= 4 && (flag.startsWith(typed) || flag.endsWith(`.${typed}`)));
  if (parts.length === 1) return parts[0];
  let best: { flag: string; distance: number } | undefined;
  for (const flag of names) {
    const distance = editDistance(typed, flag);
    if (best === undefined || distance < best.distance) best = { flag, distance };
  }
  return best !== undefined && best.distance <= Math.max(1, Math.floor(typed.length / 3)) ? best.flag : undefined;
}

/** Go-style single-dash long flags (`-config.file`) would otherwise be read as a bundle of short flags. */
function singleDashLongFlag(argv: readonly string[]): string | undefined {
  for (const arg of argv) {
    if (arg === '--') return undefined;
    if (/^-[^-]{2,}/.test(arg)) return arg;
  }
  return undefined;
}

function stringValue(values: Record<string, unknown>, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function isOneOf<T extends string>(value: string, choices: readonly T[]): value is T {
  return (choices as readonly string[]).includes(value);
}

/** A count flag: a whole number from 0 to 1,000,000 (0 = no limit). */
function countValue(
  values: Record<string, unknown>,
  name: string,
): { ok: true; value: number } | { ok: false; error: string } {
  const text = stringValue(values, name) ?? FLAG_SPECS.find((spec) => spec.name === name)?.default ?? '0';
  if (!/^\d{1,7}$/.test(text) || Number(text) > 1_000_000) {
    return { ok: false, error: `flag --${name}: "${text}" is not a whole number from 0 to 1000000 (0 means no limit)` };
  }
  return { ok: true, value: Number(text) };
}

function telemetryPathError(path: string): string | undefined {
  if (!path.startsWith('/') || /[\s?#]/.test(path)) return 'must be a URL path starting with "/", e.g. /metrics';
  if (path === '/' || path.startsWith('/-/')) return `"${path}" is taken by the exporter's own pages`;
  return undefined;
}

/** Parses the command line; every error is one line that names the flag. */
export function parseFlags(argv: string[]): ParseFlagsResult {
  const dashed = singleDashLongFlag(argv);
  if (dashed !== undefined) {
    const name = dashed.slice(1).split('=')[0] ?? '';
    return {
      ok: false,
      error: `unknown flag ${dashed}: long flags take two dashes, e.g. --${nearestFlag(name) ?? name}`,
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false, tokens: true });
  } catch (error) {
    return { ok: false, error: explainParseError(error) };
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name)) return { ok: false, error: `flag --${token.name} is given more than once` };
    seen.add(token.name);
  }

  const values = parsed.values as Record<string, unknown>;
  const bool = (name: string): boolean => values[name] === true;
  for (const spec of FLAG_SPECS) {
    if (stringValue(values, spec.name) === '')
      return { ok: false, error: `flag --${spec.name} needs a non-empty value` };
  }

  const logLevel = stringValue(values, 'log.level') ?? 'info';
  if (!isOneOf(logLevel, LOG_LEVELS)) {
    return { ok: false, error: `flag --log.level: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}` };
  }
  const logFormat = stringValue(values, 'log.format') ?? 'json';
  if (!isOneOf(logFormat, LOG_FORMATS)) {
    return { ok: false, error: `flag --log.format: "${logFormat}" is not one of ${LOG_FORMATS.join(', ')}` };
  }
  // The demo's simulated EM has a published password: serve it to this host only unless told otherwise.
  const listenAddress = stringValue(values, 'web.listen-address') ?? (bool('demo') ? DEMO_LISTEN_ADDRESS : ':10398');
  let listen: ListenAddress;
  try {
    listen = parseListenAddress(listenAddress);
  } catch (error) {
    return { ok: false, error: `flag --web.listen-address: ${(error as Error).message}` };
  }
  const telemetryPath = stringValue(values, 'web.telemetry-path') ?? '/metrics';
  const pathProblem = telemetryPathError(telemetryPath);
  if (pathProblem !== undefined) return { ok: false, error: `flag --web.telemetry-path: ${pathProblem}` };

  const maxConnections = countValue(values, 'web.max-connections');
  if (!maxConnections.ok) return maxConnections;
  const maxRequests = countValue(values, 'web.max-requests');
  if (!maxRequests.ok) return maxRequests;

  // --config.check starts nothing, so pairing it with a mode that runs something is a mistake.
  for (const mode of ['once', 'demo']) {
    if (bool('config.check') && bool(mode))
      return { ok: false, error: `flags --config.check and --${mode} cannot be combined` };
  }

  const flags: Flags = {
    configFile: stringValue(values, 'config.file') ?? 'config.yaml',
    configCheck: bool('config.check'),
    listenAddress,
    listen,
    telemetryPath,
    enableLifecycle: bool('web.enable-lifecycle'),
    maxConnections: maxConnections.value,
    maxRequests: maxRequests.value,
    logLevel,
    logFormat,
    once: bool('once'),
    demo: bool('demo'),
    version: bool('version'),
    help: bool('help'),
  };
  const webConfigFile = stringValue(values, 'web.config.file');
  if (webConfigFile !== undefined) flags.webConfigFile = webConfigFile;
  return { ok: true, flags };
}
