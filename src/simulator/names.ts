import { createHash } from 'node:crypto';
import type { NameStyle } from './types.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const pad2 = (n: number): string => String(n).padStart(2, '0');
const space2 = (n: number): string => String(n).padStart(2, ' ');

/**
 * A GUID derived from a string, so the same backup + time always yields the same restore-point ID
 * across requests, simulator restarts and processes. Version/variant bits are set so it looks like
 * any other GUID a client may meet.
 */
export function stableGuid(seed: string): string {
  const b = createHash('sha1').update(seed).digest();
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Extra microseconds for PostgreSQL-style times, where EM shows six fraction digits but the
 * simulator only knows milliseconds. Kept below 500 µs so that truncating and rounding to
 * milliseconds both give back the original value: a client may do either.
 */
export function extraMicros(restorePointId: string): number {
  return parseInt(restorePointId.slice(0, 4), 16) % 500;
}

function datePart(d: Date, sep: string): string {
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}${sep}${pad2(d.getUTCHours())}:${pad2(
    d.getUTCMinutes(),
  )}:${pad2(d.getUTCSeconds())}`;
}

/** `.123` from 123 of `digits` width, trailing zeros trimmed, '' when zero: EM never prints `.000`. */
function fraction(value: number, digits: number): string {
  if (value === 0) return '';
  return '.' + String(value).padStart(digits, '0').replace(/0+$/, '');
}

/**
 * `BackupDateUTC` as EM prints it. SQL Server keeps milliseconds (trimmed, `27.11Z`); PostgreSQL
 * keeps microseconds (trimmed, `35.920773Z`).
 */
export function formatBackupDateUtc(ms: number, style: NameStyle, restorePointId: string): string {
  const d = new Date(ms);
  const millis = d.getUTCMilliseconds();
  const frac = style === 'postgres' ? fraction(millis * 1000 + extraMicros(restorePointId), 6) : fraction(millis, 3);
  return datePart(d, 'T') + frac + 'Z';
}

/**
 * The restore point `Name`, which EM takes from the configuration database as text: SQL Server's
 * `CONVERT(varchar, t, 100)` (`Jun  5 2025  1:01AM`, minutes only) or PostgreSQL's timestamp text
 * (`2023-11-03 16:25:35.920773`, which drops trailing fraction zeros). Always UTC.
 */
export function formatRestorePointName(ms: number, style: NameStyle, restorePointId: string): string {
  const d = new Date(ms);
  if (style === 'postgres') {
    return datePart(d, ' ') + fraction(d.getUTCMilliseconds() * 1000 + extraMicros(restorePointId), 6);
  }
  const h24 = d.getUTCHours();
  const h12 = h24 % 12 === 0 ? 12 : h24 % 12;
  return `${MONTHS[d.getUTCMonth()]} ${space2(d.getUTCDate())} ${d.getUTCFullYear()} ${space2(h12)}:${pad2(
    d.getUTCMinutes(),
  )}${h24 < 12 ? 'AM' : 'PM'}`;
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** EM addresses key resources by bare GUID only; anything else in that path segment is not found. */
export function isGuid(s: string): boolean {
  return GUID_RE.test(s);
}
