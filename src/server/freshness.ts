import { FUTURE_POINT_TOLERANCE_MS } from '../domain.js';
import { newestPointAgeSeconds, newestPointMs } from '../metrics/state.js';
import type { BackupRecord } from '../metrics/types.js';

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

/**
 * What the status page says about a backup, worst first. The order follows the alert rules in
 * deploy/prometheus/veeam-em-alerts.yml: over RPO and no restore points are `critical` there, a failing
 * poll is a `warning`; a point in the future hides staleness, so it ranks with the problems; near RPO
 * fires no alert yet; a backup that has not been polled is not known to be OK.
 */
export const BACKUP_CONDITIONS = ['late', 'failing', 'empty', 'future', 'near', 'pending', 'ok'] as const;
export type BackupCondition = (typeof BACKUP_CONDITIONS)[number];

export const CONDITION_TEXT: Record<BackupCondition, string> = {
  late: 'Over RPO',
  failing: 'Poll failing',
  empty: 'No restore points',
  future: 'Newest point in the future',
  near: 'Near RPO',
  pending: 'Not polled yet',
  ok: 'OK',
};

export interface BackupRating {
  /** Every condition that holds, in BACKUP_CONDITIONS order; `ok` only when no other does. */
  conditions: BackupCondition[];
  /** The worst of them: what the row is sorted and coloured by. */
  primary: BackupCondition;
  /** Age of the newest point, never negative (as exported); undefined without one. */
  ageSeconds?: number;
  /** How far the newest point is ahead of this host's clock, when that is beyond the tolerance. */
  aheadSeconds?: number;
  /** Age as a fraction of the RPO; undefined without an age or an RPO. */
  rpoRatio?: number;
}

/** Rates one backup at `nowMs`; pure, so the page and its tests agree on every boundary. */
export function rateBackup(record: BackupRecord, nowMs: number): BackupRating {
  const summary = record.summary;
  const newestMs = newestPointMs(record);
  const ageSeconds = newestPointAgeSeconds(record, nowMs);
  const rating: BackupRating = { conditions: [], primary: 'ok' };
  const holds = new Set<BackupCondition>();
  if (newestMs !== undefined && ageSeconds !== undefined) {
    rating.ageSeconds = ageSeconds;
    if (newestMs - nowMs > FUTURE_POINT_TOLERANCE_MS) {
      rating.aheadSeconds = (newestMs - nowMs) / 1000;
      holds.add('future');
    } else {
      const level = freshness(rating.ageSeconds, record.rpoSeconds);
      if (level === 'late') holds.add('late');
      if (level === 'warning') holds.add('near');
    }
    if (record.rpoSeconds > 0) rating.rpoRatio = rating.ageSeconds / record.rpoSeconds;
  }
  const failing = record.lastPoll !== undefined && !record.lastPoll.ok;
  if (failing) holds.add('failing');
  if (summary?.count === 0) holds.add('empty');
  if (summary === undefined && !failing) holds.add('pending');
  rating.conditions = BACKUP_CONDITIONS.filter((condition) => holds.has(condition));
  if (rating.conditions.length === 0) rating.conditions = ['ok'];
  rating.primary = rating.conditions[0]!;
  return rating;
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
  // toISOString is always YYYY-MM-DDTHH:MM:SS.sssZ for the years EM can report.
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
