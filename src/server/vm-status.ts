/**
 * The status page's per-machine section: for each backup with machine series, how many machines
 * are within the backup's RPO and which are not. Pure; every value from config or EM is escaped.
 */
import { backupName } from '../metrics/state-families.js';
import type { BackupRecord } from '../metrics/types.js';
import type { VmEmRecord } from '../vms/store.js';
import { formatDuration } from './freshness.js';
import { escapeHtml } from './html.js';

/** Stale machines named per backup; more are counted, not listed, so one bad backup cannot bloat the page. */
const MAX_NAMED = 20;

export function renderVmStatus(vms: readonly VmEmRecord[], backups: readonly BackupRecord[], nowMs: number): string {
  if (vms.length === 0) return '';
  const byKey = new Map(backups.map((b) => [`${b.em}\u0000${b.backupId}`, b]));
  const out = ['<h2 id="machines">Machines (VM freshness)</h2>'];
  for (const record of vms) {
    const read = record.lastRead;
    const readText =
      read === undefined
        ? 'not read yet'
        : read.ok
          ? `last read (${read.kind === 'full' ? 'full' : 'incremental'}) OK`
          : `<span class="failing">last read failed</span>: ${escapeHtml(read.message ?? '')}`;
    const dropped =
      record.dropped > 0
        ? ` · <span class="failing">${escapeHtml(record.dropped)} series dropped by vms.limit</span>`
        : '';
    out.push(`<h3>${escapeHtml(record.em)}</h3>`, `<p>${readText}${dropped}</p>`);
    const perBackup = new Map<string, BackupMachines>();
    for (const series of record.series ?? []) {
      const backup = byKey.get(`${record.em}\u0000${series.backupId}`);
      if (backup === undefined) continue;
      let entry = perBackup.get(series.backupId);
      if (entry === undefined)
        perBackup.set(series.backupId, (entry = { backup, name: backupName(backup), fresh: 0, stale: [] }));
      const age = Math.max(0, (nowMs - series.newestMs) / 1000);
      if (age > backup.rpoSeconds) entry.stale.push({ name: series.vmName, age });
      else entry.fresh++;
    }
    if (perBackup.size === 0) {
      out.push('<p>No machine has restore points in the polled backups.</p>');
      continue;
    }
    out.push(
      '<div class="table-wrap"><table class="machines"><thead><tr><th>Backup</th><th>Machines within RPO</th><th>Machines over RPO (newest point age)</th></tr></thead><tbody>',
    );
    for (const { backup, fresh, stale } of worstFirst([...perBackup.values()])) {
      stale.sort((a, b) => b.age - a.age);
      const named = stale
        .slice(0, MAX_NAMED)
        .map((s) => `${escapeHtml(s.name)} (${escapeHtml(formatDuration(s.age))})`);
      if (stale.length > MAX_NAMED) named.push(`and ${stale.length - MAX_NAMED} more`);
      const total = fresh + stale.length;
      const condition = stale.length === 0 ? 'ok' : 'late';
      out.push(
        `<tr class="row-${condition}"><td>${escapeHtml(backupName(backup))}</td><td class="num ${condition}">${fresh} of ${total}</td><td>${named.length === 0 ? '—' : named.join(', ')}</td></tr>`,
      );
    }
    out.push('</tbody></table></div>');
  }
  return out.join('\n');
}

interface BackupMachines {
  backup: BackupRecord;
  name: string;
  fresh: number;
  stale: Array<{ name: string; age: number }>;
}

/** Like the backups table: the backups with the most stale machines first, then by name. */
function worstFirst(entries: BackupMachines[]): BackupMachines[] {
  return entries.sort((a, b) => b.stale.length - a.stale.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
