import { backupName } from '../metrics/state-families.js';
import type { BackupRecord } from '../metrics/types.js';
import { freshness, formatDuration, formatIsoUtc, type Freshness } from './freshness.js';
import { escapeHtml } from './html.js';
import type { VmEmRecord } from '../vms/store.js';
import { renderVmStatus } from './vm-status.js';

export interface EmStatus {
  name: string;
  up?: boolean;
  lastCycleEndMs?: number;
  lastCycleSeconds?: number;
  backups: readonly BackupRecord[];
}

export interface StatusPageModel {
  version: string;
  schedule: string;
  telemetryPath: string;
  ready: boolean;
  lifecycleEnabled: boolean;
  nowMs: number;
  ems: readonly EmStatus[];
  /** Per-machine freshness of the EMs with `vms:` configured. */
  vms?: readonly VmEmRecord[];
}

const FRESHNESS_TEXT: Record<Freshness, string> = { ok: 'OK', warning: 'Near RPO', late: 'Over RPO', unknown: 'Unknown' };

const STYLE = `
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;margin-bottom:2rem}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.num{text-align:right}
code{font-size:.9em}
.ok{background:#d4edda}.warning{background:#fff3cd}.late{background:#f8d7da}.unknown{background:#e2e3e5}
.failed{color:#a00}`;

/** The landing page: pure, so it is tested without a server. Every value from config or EM is escaped. */
export function renderStatusPage(model: StatusPageModel): string {
  const links = [
    [model.telemetryPath, 'Metrics'],
    ['/-/healthy', 'Health'],
    ['/-/ready', 'Readiness'],
  ]
    .map(([href, text]) => `<li><a href="${escapeHtml(href!)}">${escapeHtml(text!)}</a></li>`)
    .join('');
  const readiness = model.ready ? 'Ready: the first poll cycle has finished.' : 'Not ready: the first poll cycle has not finished yet.';
  const sections = model.ems.length === 0 ? ['<p>No Enterprise Managers are configured.</p>'] : model.ems.map((em) => renderEm(em, model.nowMs));
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<title>Veeam Enterprise Manager exporter</title>',
    `<style>${STYLE}</style></head><body>`,
    '<h1>Veeam Enterprise Manager exporter</h1>',
    `<p>Version ${escapeHtml(model.version)} · poll schedule <code>${escapeHtml(model.schedule)}</code> · page generated ${escapeHtml(formatIsoUtc(model.nowMs))}</p>`,
    `<ul>${links}</ul>`,
    `<p>${readiness}${model.lifecycleEnabled ? ' Configuration reload: <code>POST /-/reload</code>.' : ''}</p>`,
    ...sections,
    renderVmStatus(model.vms ?? [], model.ems.flatMap((em) => em.backups), model.nowMs),
    '</body></html>',
    '',
  ].join('\n');
}

function renderEm(em: EmStatus, nowMs: number): string {
  const rows = em.backups.map((record) => renderBackupRow(record, nowMs));
  const counts = countFreshness(em.backups, nowMs);
  const summary = `${em.backups.length} backup${em.backups.length === 1 ? '' : 's'}: ${counts.ok} OK, ${counts.warning} near RPO, ${counts.late} over RPO, ${counts.unknown} unknown`;
  return [
    `<h2>${escapeHtml(em.name)} — ${emState(em)}</h2>`,
    `<p>${escapeHtml(lastCycleText(em))} ${escapeHtml(summary)}.</p>`,
    '<table><thead><tr><th>Backup</th><th>ID</th><th>Restore points</th><th>Newest point (UTC)</th><th>Age vs RPO</th><th>Last poll</th></tr></thead><tbody>',
    ...rows,
    '</tbody></table>',
  ].join('\n');
}

function emState(em: EmStatus): string {
  if (em.up === undefined) return 'not polled yet';
  return em.up ? 'up' : '<span class="failed">down</span>';
}

function lastCycleText(em: EmStatus): string {
  if (em.lastCycleEndMs === undefined) return 'No poll cycle has finished yet.';
  const took = em.lastCycleSeconds === undefined ? '' : `, took ${em.lastCycleSeconds.toFixed(1)} s`;
  return `Last cycle ended ${formatIsoUtc(em.lastCycleEndMs)}${took}.`;
}

function ageSeconds(record: BackupRecord, nowMs: number): number | undefined {
  const newest = record.summary !== undefined && record.summary.count > 0 ? record.summary.newestMs : undefined;
  return newest === undefined ? undefined : Math.max(0, (nowMs - newest) / 1000);
}

function countFreshness(backups: readonly BackupRecord[], nowMs: number): Record<Freshness, number> {
  const counts: Record<Freshness, number> = { ok: 0, warning: 0, late: 0, unknown: 0 };
  for (const record of backups) counts[freshness(ageSeconds(record, nowMs), record.rpoSeconds)]++;
  return counts;
}

function renderBackupRow(record: BackupRecord, nowMs: number): string {
  const summary = record.summary;
  const age = ageSeconds(record, nowMs);
  const level = freshness(age, record.rpoSeconds);
  const newest = summary === undefined ? '—' : summary.count === 0 || summary.newestMs === undefined ? 'none' : formatIsoUtc(summary.newestMs);
  const rpo = formatDuration(record.rpoSeconds);
  const ageText =
    age === undefined
      ? `${summary !== undefined ? 'No restore points' : record.lastPoll !== undefined ? 'No successful poll yet' : 'Not polled yet'} (RPO ${rpo})`
      : `${FRESHNESS_TEXT[level]}: ${formatDuration(age)} of ${rpo} (${Math.round((age / record.rpoSeconds) * 100)} %)`;
  const cells = [
    `<td>${escapeHtml(backupName(record))}</td>`,
    `<td><code>${escapeHtml(record.backupId)}</code></td>`,
    `<td class="num">${summary === undefined ? '—' : escapeHtml(summary.count)}</td>`,
    `<td>${escapeHtml(newest)}</td>`,
    `<td class="${level}">${escapeHtml(ageText)}</td>`,
    `<td>${lastPollCell(record)}</td>`,
  ];
  return `<tr>${cells.join('')}</tr>`;
}

function lastPollCell(record: BackupRecord): string {
  const poll = record.lastPoll;
  if (poll === undefined) return 'Not polled yet';
  if (poll.ok) return `OK at ${escapeHtml(formatIsoUtc(poll.atMs))}`;
  const reason = poll.reason === undefined ? '' : ` (${escapeHtml(poll.reason)})`;
  const message = poll.message === undefined ? '' : `: ${escapeHtml(poll.message)}`;
  return `<span class="failed">Failed${reason}</span> at ${escapeHtml(formatIsoUtc(poll.atMs))}${message}`;
}
