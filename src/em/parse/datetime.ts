/**
 * Time parsers for what EM puts in `BackupDateUTC` and in restore-point `Name`s. They return Unix
 * milliseconds or `undefined`, never NaN, so a caller cannot forget to check.
 */

/** EM (SQL Server's smallest datetime) writes 1753-01-01T00:00:00Z for "never"; .NET may write 0001-01-01. */
export const EM_UNSET_DATE_MS = Date.UTC(1753, 0, 1);

export function isUnsetDate(ms: number): boolean {
  return ms <= EM_UNSET_DATE_MS;
}

// Date and time, `T` or space, seconds optional, any fraction length (EM trims it to 0-7 digits;
// JS Date.parse stops at 3), then `Z`, an offset (+hh:mm, +hhmm, +hh) or nothing (EM's UTC fields).
const ISO_LIKE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?))?$/;

/** RFC 3339 / ISO 8601 date-time as EM writes it; a missing zone means UTC. */
export function parseRfc3339Utc(text: string): number | undefined {
  const m = ISO_LIKE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, , sign, offH, offM] = m;
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  const local = utcMs(Number(y), Number(mo), Number(d), Number(h), Number(mi), s === undefined ? 0 : Number(s), ms);
  if (local === undefined) return undefined;
  if (sign === undefined) return local;
  const oh = Number(offH);
  const om = offM === undefined ? 0 : Number(offM);
  if (oh > 23 || om > 59) return undefined;
  const offsetMs = (oh * 60 + om) * 60_000;
  return sign === '+' ? local - offsetMs : local + offsetMs;
}

/** PostgreSQL-backed VBR: `2023-11-03 16:25:35.920773` (fraction optional), UTC. */
export function parsePostgresStyleName(text: string): number | undefined {
  return parseRfc3339Utc(text);
}

const MONTHS: Readonly<Record<string, number>> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const SQL_SERVER_100 = /^([A-Za-z]{3})\s+(\d{1,2})\s+(\d{4})\s+(\d{1,2}):(\d{2})\s*([AaPp][Mm])$/;

/** SQL-Server-backed VBR (CONVERT style 100): `Jun  5 2025  1:01AM`, space-padded, no seconds, UTC. */
export function parseSqlServerStyleName(text: string): number | undefined {
  const m = SQL_SERVER_100.exec(text.trim());
  if (!m) return undefined;
  const [, mon, d, y, h, mi, ampm] = m;
  const month = MONTHS[(mon ?? '').toLowerCase()];
  const hour12 = Number(h);
  if (month === undefined || hour12 < 1 || hour12 > 12) return undefined;
  // 12:xxAM is just after midnight, 12:xxPM just after noon.
  const hour = (hour12 % 12) + ((ampm ?? '').toUpperCase() === 'PM' ? 12 : 0);
  return utcMs(Number(y), month, Number(d), hour, Number(mi), 0, 0);
}

/**
 * A restore point's `Name`, in whichever style the VBR database engine produced. VM restore points
 * and sessions prefix it with `<object>@`, so only the part after the last `@` counts.
 */
export function parseRestorePointName(name: string): number | undefined {
  const at = name.lastIndexOf('@');
  const text = at >= 0 ? name.slice(at + 1) : name;
  return parseSqlServerStyleName(text) ?? parsePostgresStyleName(text);
}

function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) return undefined;
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
  // Date.UTC maps years 0-99 to 1900-1999.
  if (y < 100) date.setUTCFullYear(y);
  return date.getTime();
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(y: number, mo: number): number {
  return mo === 2 && isLeapYear(y) ? 29 : (DAYS_IN_MONTH[mo - 1] ?? 0);
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}
