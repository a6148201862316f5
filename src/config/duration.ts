/**
 * Prometheus duration syntax (the same grammar as Prometheus' model.ParseDuration): unit groups in
 * descending order, each at most once, integers only, e.g. `30s`, `1h30m`, `26h`, `8d`, `1w`.
 */

const MS = 1;
const SECOND = 1000 * MS;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const YEAR = 365 * DAY;

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_SIZES = [YEAR, WEEK, DAY, HOUR, MINUTE, SECOND, MS] as const;

const HINT = 'use an integer and a unit (ms, s, m, h, d, w, y), e.g. 30s, 5m, 26h or 1h30m';

/** Milliseconds for a Prometheus duration; throws an Error with a fix-it hint otherwise. */
export function parseDuration(text: string): number {
  // Prometheus accepts a bare zero; every other number needs a unit.
  if (text === '0') return 0;
  if (text === '') throw new Error(`empty duration: ${HINT}`);
  const match = DURATION_RE.exec(text);
  if (match === null) throw new Error(`not a valid duration "${text}": ${HINT}`);
  let total = 0;
  UNIT_SIZES.forEach((size, i) => {
    const digits = match[i + 1];
    if (digits !== undefined) total += Number(digits) * size;
  });
  if (!Number.isSafeInteger(total)) throw new Error(`duration "${text}" is too long`);
  return total;
}

/** Prometheus' own rendering: years and weeks only when exact, so 26h prints as 1d2h and 7d as 1w. */
export function formatDuration(ms: number): string {
  let rest = Math.trunc(ms);
  if (rest <= 0) return '0s';
  let out = '';
  const take = (unit: string, size: number, onlyIfExact: boolean): void => {
    if (onlyIfExact && rest % size !== 0) return;
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  };
  take('y', YEAR, true);
  take('w', WEEK, true);
  take('d', DAY, false);
  take('h', HOUR, false);
  take('m', MINUTE, false);
  take('s', SECOND, false);
  take('ms', MS, false);
  return out;
}
