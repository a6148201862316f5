/** How the newest restore point compares with the backup's RPO, as the status page shows it. */
export type Freshness = 'ok' | 'warning' | 'late' | 'unknown';

/** Under 75 % of the RPO is fine, 75–100 % is close, beyond 100 % is late. */
export function freshness(ageSeconds: number | undefined, rpoSeconds: number): Freshness {
  if (ageSeconds === undefined || !(rpoSeconds > 0)) return 'unknown';
  const ratio = ageSeconds / rpoSeconds;
  if (ratio < 0.75) return 'ok';
  if (ratio <= 1) return 'warning';
  return 'late';
}

/** `45s`, `12m 5s`, `3h 20m`, `8d 4h`: two units are precise enough to compare with an RPO. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [name, size] of units) {
    if (parts.length === 2) break;
    const amount = Math.floor(rest / size);
    rest -= amount * size;
    if (amount > 0 || parts.length > 0) parts.push(`${amount}${name}`);
  }
  const shown = parts.filter((part, i) => i === 0 || !part.startsWith('0'));
  return shown.length === 0 ? '0s' : shown.join(' ');
}

/** `2025-06-05T12:00:00Z`: ISO 8601 in UTC, to the second. */
export function formatIsoUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
