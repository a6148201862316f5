/**
 * Keeping secrets out of logs. EM credentials travel in got's request options (URL user info, an
 * Authorization header, EM's session header), and got errors carry those options, so
 * anything logged is scrubbed before it is written.
 */
import { SESSION_HEADER, SESSION_HEADER_KEY } from '../em/logon.js';

export const CENSORED = '[REDACTED]';

/** Keys whose values are secret wherever they appear, compared case-insensitively. */
const SECRET_KEYS = [
  'password',
  'authorization',
  'proxy-authorization',
  SESSION_HEADER_KEY,
  'sessionid',
  'token',
  'cookie',
  'set-cookie',
];
const SECRET_KEY_SET = new Set(SECRET_KEYS);

/** How deep pino's path-based redaction looks; the scrubber below has no such blind spot. */
const REDACT_DEPTH = 3;

/** Paths for pino's `redact`: every secret key and every header, at the top level and a few levels down. */
export function redactPaths(): string[] {
  const keys = [
    'password',
    'Password',
    'authorization',
    'Authorization',
    SESSION_HEADER_KEY,
    SESSION_HEADER,
    'sessionId',
    'token',
  ];
  const paths: string[] = [];
  for (let depth = 0; depth <= REDACT_DEPTH; depth++) {
    const prefix = '*.'.repeat(depth);
    for (const key of keys) {
      if (/^[A-Za-z_$][\w$]*$/.test(key)) paths.push(`${prefix}${key}`);
      else paths.push(depth === 0 ? `["${key}"]` : `${'*.'.repeat(depth - 1)}*["${key}"]`);
    }
    paths.push(`${prefix}headers.*`);
  }
  return paths;
}

const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi;

/** `https://user:pass@host` -> `https://[REDACTED]@host`. */
export function scrubUrlCredentials(text: string): string {
  return text.replace(URL_USER_INFO, `$1${CENSORED}@`);
}

export interface SafeError {
  name?: string;
  message?: string;
  code?: string | number;
  reason?: string;
  status?: number;
}

/**
 * The only fields of an error that reach a log line. got errors also hold `options` (credentials,
 * headers), `request` and `response`; none of that is ever serialised.
 */
export function safeError(value: unknown): unknown {
  if (value === null || typeof value !== 'object')
    return typeof value === 'string' ? scrubUrlCredentials(value) : value;
  const source = value as Record<string, unknown>;
  const safe: SafeError = {};
  if (typeof source.name === 'string') safe.name = source.name;
  if (typeof source.message === 'string') safe.message = scrubUrlCredentials(source.message);
  if (typeof source.code === 'string' || typeof source.code === 'number') safe.code = source.code;
  if (typeof source.reason === 'string') safe.reason = source.reason;
  const status = typeof source.status === 'number' ? source.status : statusOfResponse(source.response);
  if (status !== undefined) safe.status = status;
  return safe;
}

function statusOfResponse(response: unknown): number | undefined {
  if (response === null || typeof response !== 'object') return undefined;
  const code = (response as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
}

const MAX_DEPTH = 8;

/**
 * Returns `value` with errors reduced to `safeError`, secret keys censored at any depth and URL
 * credentials removed from strings. Copies only what it changes; the caller's objects stay untouched.
 */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubUrlCredentials(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return safeError(value);
  if (depth >= MAX_DEPTH) return '[Truncated]';
  // What JSON.stringify would write is what must be clean (got's Options serialise through toJSON).
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function' && !(value instanceof Date)) return scrub(toJSON.call(value), depth);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const clean = scrub(item, depth + 1);
      if (clean !== item) (copy ??= [...(value as unknown[])])[i] = clean;
    });
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const lower = key.toLowerCase();
    const clean = SECRET_KEY_SET.has(lower) ? CENSORED : lower === 'headers' ? censorAll(item) : scrub(item, depth + 1);
    if (clean !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = clean;
  }
  return copy ?? value;
}

/** Header values can all be credentials (custom auth headers, cookies); only their names are kept. */
function censorAll(headers: unknown): unknown {
  if (headers === null || typeof headers !== 'object') return headers === undefined ? headers : CENSORED;
  return Object.fromEntries(Object.keys(headers).map((name) => [name, CENSORED]));
}

/**
 * Scrubs the arguments of a log call before pino sees them. pino takes the message of a logged error
 * as the line's `msg`, and got puts the request URL, user info included, into its error messages.
 */
export function scrubLogArguments(args: readonly unknown[]): unknown[] {
  const [first, ...rest] = args;
  if (first instanceof Error) {
    const err = safeError(first) as SafeError;
    const message = typeof rest[0] === 'string' ? [] : [err.message ?? ''];
    return [{ err }, ...message, ...rest.map((arg) => scrub(arg))];
  }
  return args.map((arg) => scrub(arg));
}
