import { createHash } from 'node:crypto';
import { formatFailure, type PollFailure } from '../domain.js';
import { backupName } from '../metrics/state-families.js';
import type { BackupRecord } from '../metrics/types.js';
import {
  BACKUP_CONDITIONS,
  CONDITION_TEXT,
  formatDuration,
  formatIsoUtc,
  rateBackup,
  type BackupCondition,
  type BackupRating,
} from './freshness.js';
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
  /** How often the open page reloads itself; default STATUS_PAGE_REFRESH_SECONDS. */
  refreshSeconds?: number;
  /** Per-machine freshness of the EMs with `vms:` configured. */
  vms?: readonly VmEmRecord[];
}

/** Often enough to follow a poll cycle, rarely enough to cost nothing. */
export const STATUS_PAGE_REFRESH_SECONDS = 30;

/** Longer poll messages are folded so one failing backup does not stretch the table. */
const MESSAGE_INLINE_MAX = 100;
const MESSAGE_PREVIEW = 72;

// Colours follow the alert severities: critical (over RPO, no restore points) red, warning (poll
// failing, clock skew) orange, near RPO (no alert yet) yellow, OK green, not polled grey.
const STYLE = `
:root{--crit:#c62828;--crit-bg:#f5c2c7;--warn:#e65100;--warn-bg:#ffd8a8;--near:#b38600;--near-bg:#fff3cd;--ok:#2e7d32;--ok-bg:#d4edda;--pend:#6c757d;--pend-bg:#e2e3e5}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{font-family:system-ui,sans-serif;margin:1rem;color:#222;line-height:1.4}
h1{font-size:1.4rem;margin:.2rem 0 .5rem}
h2{font-size:1.1rem;margin:1.2rem 0 .4rem}
p,ul{margin:.3rem 0}
nav a{margin-right:1rem}
code,.nowrap,time{white-space:nowrap}
code{font-size:.9em}
.ems{padding-left:1.2rem}
.down{color:var(--crit);font-weight:bold}
.summary{display:flex;flex-wrap:wrap;gap:.4rem;margin:.6rem 0}
.summary button{font:inherit;cursor:pointer;border:2px solid transparent;border-radius:1rem;padding:.15rem .7rem;background:#f0f0f0;color:#222}
.summary button[aria-pressed=true]{border-color:#222}
.summary button.zero{opacity:.55}
.summary .late,.summary .empty{background:var(--crit-bg)}
.summary .failing,.summary .future{background:var(--warn-bg)}
.summary .near{background:var(--near-bg)}.summary .ok{background:var(--ok-bg)}.summary .pending{background:var(--pend-bg)}
.controls{display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center;margin:.4rem 0}
.controls input[type=search]{font:inherit;padding:.2rem .4rem;width:20rem;max-width:100%}
.table-wrap{overflow-x:auto;max-width:100%;border:1px solid #ccc}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.num{text-align:right}
td.backup{min-width:9rem;overflow-wrap:break-word}
td.age{min-width:11rem}
td.poll{min-width:14rem;max-width:30rem;overflow-wrap:anywhere}
tr>td:first-child{border-left:5px solid transparent}
tr.row-late>td:first-child,tr.row-empty>td:first-child{border-left-color:var(--crit)}
tr.row-failing>td:first-child,tr.row-future>td:first-child{border-left-color:var(--warn)}
tr.row-near>td:first-child{border-left-color:var(--near)}
tr.row-ok>td:first-child{border-left-color:var(--ok)}
tr.row-pending>td:first-child{border-left-color:var(--pend)}
td.late,td.empty{background:var(--crit-bg)}
td.future{background:var(--warn-bg)}
td.near{background:var(--near-bg)}
td.ok{background:var(--ok-bg)}
td.pending{background:var(--pend-bg)}
.failing{background:var(--warn-bg);color:#5c2400;border-radius:.3rem;padding:0 .3rem;font-weight:bold;white-space:nowrap}
details summary{cursor:pointer}
details[open] .preview{display:none}
details:not([open]) .less{display:none}
.muted{color:#555;font-size:.9em}
.offline{background:var(--warn-bg);padding:.3rem .5rem;border-left:5px solid var(--warn)}`;

/**
 * Filters by condition and by text, keeps both in the URL fragment so a reload keeps them, and reloads
 * the page every few seconds unless the reader is busy with it (a message unfolded, text selected,
 * the filter focused, or auto-refresh switched off). It reads only the page's own markup and asks only
 * the exporter itself.
 */
const SCRIPT = `
(function () {
  'use strict';
  var rows = Array.prototype.slice.call(document.querySelectorAll('#backups tbody tr'));
  var chips = Array.prototype.slice.call(document.querySelectorAll('.summary button'));
  var search = document.getElementById('search');
  var auto = document.getElementById('auto-refresh');
  var shown = document.getElementById('shown');
  var offline = document.getElementById('offline');
  var refreshMs = Number(document.body.getAttribute('data-refresh-seconds')) * 1000;
  var state = { show: '', q: '' };
  var params = new URLSearchParams(location.hash.slice(1));
  state.show = params.get('show') || '';
  state.q = params.get('q') || '';
  auto.checked = params.get('refresh') !== 'off';
  search.value = state.q;
  document.getElementById('controls').hidden = false;

  function remember() {
    var out = new URLSearchParams();
    if (state.show) out.set('show', state.show);
    if (state.q) out.set('q', state.q);
    if (!auto.checked) out.set('refresh', 'off');
    var hash = out.toString();
    history.replaceState(null, '', hash ? '#' + hash : location.pathname + location.search);
  }
  function apply() {
    var needle = state.q.trim().toLowerCase();
    var visible = 0;
    rows.forEach(function (row) {
      var conditions = (row.getAttribute('data-conditions') || '').split(' ');
      var match = (!state.show || conditions.indexOf(state.show) !== -1) && (!needle || row.textContent.toLowerCase().indexOf(needle) !== -1);
      row.hidden = !match;
      if (match) visible++;
    });
    chips.forEach(function (chip) {
      chip.setAttribute('aria-pressed', String(chip.getAttribute('data-show') === state.show));
    });
    shown.textContent = 'Showing ' + visible + ' of ' + rows.length + ' backups.';
  }
  chips.forEach(function (chip) {
    chip.addEventListener('click', function () {
      var show = chip.getAttribute('data-show') || '';
      state.show = state.show === show ? '' : show;
      apply();
      remember();
    });
  });
  search.addEventListener('input', function () {
    state.q = search.value;
    apply();
    remember();
  });
  auto.addEventListener('change', remember);
  function reading() {
    return document.querySelector('details[open]') !== null || document.activeElement === search || String(window.getSelection()) !== '';
  }
  // Reload only once the exporter answers: a page left open across a restart keeps its last view
  // and says so, instead of turning into the browser's error page that never refreshes again.
  function refresh() {
    if (!auto.checked || reading()) return;
    fetch(location.pathname, { method: 'HEAD', cache: 'no-store' }).then(
      function (response) {
        if (response.ok) location.reload();
        else unreachable('answered ' + response.status);
      },
      function () {
        unreachable('does not answer');
      },
    );
  }
  function unreachable(why) {
    offline.textContent = 'The exporter ' + why + ' (' + new Date().toISOString().replace(/\\.\\d+Z$/, 'Z') + '); this view is from the time above. Retrying.';
    offline.hidden = false;
  }
  if (refreshMs > 0) setInterval(refresh, refreshMs);
  apply();
})();
`;

function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The page's Content-Security-Policy: its own inline style and script, by hash, requests back to the
 * exporter, and nothing else. A `<script>` smuggled in through an EM string would not run even if
 * escaping ever failed.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${cspHash(SCRIPT)}`,
  `style-src ${cspHash(STYLE)}`,
  // The script asks the exporter whether it answers before it reloads.
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface RatedBackup {
  record: BackupRecord;
  rating: BackupRating;
}

/** The landing page: pure, so it is tested without a server. Every value from config or EM is escaped. */
export function renderStatusPage(model: StatusPageModel): string {
  const links = [
    [model.telemetryPath, 'Metrics'],
    ['/-/healthy', 'Health'],
    ['/-/ready', 'Readiness'],
  ]
    .map(([href, text]) => `<a href="${escapeHtml(href!)}">${escapeHtml(text!)}</a>`)
    .join('');
  const readiness = model.ready
    ? 'Ready: the first poll cycle has finished.'
    : 'Not ready: the first poll cycle has not finished yet.';
  const ratedByEm = model.ems.map((em) =>
    em.backups.map((record) => ({ record, rating: rateBackup(record, model.nowMs) })),
  );
  const rated = sortWorstFirst(ratedByEm.flat());
  const refreshSeconds = model.refreshSeconds ?? STATUS_PAGE_REFRESH_SECONDS;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Veeam Enterprise Manager exporter</title>',
    `<style>${STYLE}</style></head>`,
    `<body data-refresh-seconds="${escapeHtml(refreshSeconds)}">`,
    '<h1>Veeam Enterprise Manager exporter</h1>',
    `<p>Version ${escapeHtml(model.version)} · poll schedule <code>${escapeHtml(model.schedule)}</code> · page generated <time>${escapeHtml(formatIsoUtc(model.nowMs))}</time></p>`,
    `<nav>${links}</nav>`,
    `<p>${readiness}${model.lifecycleEnabled ? ' Configuration reload: <code>POST /-/reload</code>.' : ''}</p>`,
    '<h2>Enterprise Managers</h2>',
    model.ems.length === 0
      ? '<p>No Enterprise Managers are configured.</p>'
      : `<ul class="ems">${model.ems.map((em, i) => renderEm(em, ratedByEm[i]!)).join('')}</ul>`,
    '<h2>Backups</h2>',
    renderSummaryBar(rated),
    renderControls(refreshSeconds),
    renderTable(rated),
    renderVmStatus(
      model.vms ?? [],
      model.ems.flatMap((em) => em.backups),
      model.nowMs,
    ),
    `<script>${SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

function sortWorstFirst(rated: RatedBackup[]): RatedBackup[] {
  // Keys computed once and compared by code unit: a page of 10,000 backups sorts in milliseconds.
  const keyed = rated.map((r) => ({
    r,
    rank: BACKUP_CONDITIONS.indexOf(r.rating.primary),
    ratio: r.rating.rpoRatio ?? -1,
    name: backupName(r.record),
  }));
  const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  keyed.sort(
    (a, b) =>
      a.rank - b.rank ||
      // Among equals, the one furthest into its RPO first.
      b.ratio - a.ratio ||
      text(a.r.record.em, b.r.record.em) ||
      text(a.name, b.name) ||
      text(a.r.record.backupId, b.r.record.backupId),
  );
  return keyed.map((k) => k.r);
}

function countConditions(rated: readonly RatedBackup[]): Record<BackupCondition, number> {
  const counts = Object.fromEntries(BACKUP_CONDITIONS.map((c) => [c, 0])) as Record<BackupCondition, number>;
  for (const { rating } of rated) for (const condition of rating.conditions) counts[condition]++;
  return counts;
}

/** A backup counts under every condition it has, so "Poll failing" also counts failing backups that are over RPO. */
function renderSummaryBar(rated: readonly RatedBackup[]): string {
  const counts = countConditions(rated);
  const chip = (show: string, cls: string, label: string, count: number) =>
    `<button type="button" class="${cls}${count === 0 ? ' zero' : ''}" data-show="${show}" aria-pressed="${show === ''}">${escapeHtml(label)} <b>${count}</b></button>`;
  const chips = [
    chip('', 'all', 'All', rated.length),
    ...BACKUP_CONDITIONS.map((c) => chip(c, c, CONDITION_TEXT[c], counts[c])),
  ];
  return `<div class="summary" role="group" aria-label="Show backups by condition">${chips.join('')}</div>`;
}

function renderControls(refreshSeconds: number): string {
  return [
    '<div class="controls" id="controls" hidden>',
    '<input type="search" id="search" placeholder="Filter: name, ID, EM, error" aria-label="Filter backups">',
    `<label><input type="checkbox" id="auto-refresh" checked> Refresh every ${escapeHtml(refreshSeconds)} s</label>`,
    '<span class="muted">(paused while a message is unfolded, text is selected or the filter has focus)</span>',
    '<span id="shown" class="muted"></span>',
    '</div>',
    '<p id="offline" class="offline" role="status" hidden></p>',
  ].join('');
}

function renderTable(rated: readonly RatedBackup[]): string {
  return [
    '<div class="table-wrap"><table id="backups"><thead><tr><th>Backup</th><th>Age vs RPO</th><th>Last poll</th><th>Restore points</th><th>Newest point (UTC)</th><th>ID</th><th>EM</th></tr></thead><tbody>',
    ...rated.map(renderBackupRow),
    '</tbody></table></div>',
  ].join('\n');
}

function renderEm(em: EmStatus, rated: readonly RatedBackup[]): string {
  const counts = countConditions(rated);
  const problems = BACKUP_CONDITIONS.filter((c) => counts[c] > 0).map(
    (c) => `${counts[c]} ${CONDITION_TEXT[c].replace(/^(?!OK)./, (x) => x.toLowerCase())}`,
  );
  const summary = `${em.backups.length} backup${em.backups.length === 1 ? '' : 's'}${problems.length > 0 ? `: ${problems.join(', ')}` : ''}`;
  return `<li><b>${escapeHtml(em.name)}</b> ${emState(em)} · ${lastCycleText(em)} · ${escapeHtml(summary)}</li>`;
}

function emState(em: EmStatus): string {
  if (em.up === undefined) return 'not polled yet';
  return em.up ? 'up' : '<span class="down">down</span>';
}

function lastCycleText(em: EmStatus): string {
  if (em.lastCycleEndMs === undefined) return 'no poll cycle has finished yet';
  const took = em.lastCycleSeconds === undefined ? '' : `, took ${escapeHtml(em.lastCycleSeconds.toFixed(1))} s`;
  return `last cycle ended ${timeTag(em.lastCycleEndMs)}${took}`;
}

function timeTag(ms: number): string {
  const iso = escapeHtml(formatIsoUtc(ms));
  return `<time datetime="${iso}">${iso}</time>`;
}

/** A duration or a percentage, kept on one line: `1d 2h` and `19 %` must not break at their space. */
function unbroken(text: string): string {
  return `<span class="nowrap">${escapeHtml(text)}</span>`;
}

/** The age cell as HTML: every value in it is escaped. */
function ageCell(record: BackupRecord, rating: BackupRating): string {
  const rpo = unbroken(formatDuration(record.rpoSeconds));
  const summary = record.summary;
  if (rating.aheadSeconds !== undefined)
    return `${CONDITION_TEXT.future}: ${unbroken(formatDuration(rating.aheadSeconds))} ahead of this host (RPO ${rpo})`;
  if (rating.ageSeconds === undefined) {
    const why =
      summary !== undefined
        ? CONDITION_TEXT.empty
        : record.lastPoll !== undefined
          ? 'No successful poll yet'
          : CONDITION_TEXT.pending;
    return `${why} (RPO ${rpo})`;
  }
  const word = rating.conditions.includes('late')
    ? CONDITION_TEXT.late
    : rating.conditions.includes('near')
      ? CONDITION_TEXT.near
      : CONDITION_TEXT.ok;
  return `${word}: ${unbroken(formatDuration(rating.ageSeconds))} of ${rpo} ${unbroken(`(${Math.round((rating.rpoRatio ?? 0) * 100)} %)`)}`;
}

/** The age cell's colour: the freshness condition of the backup, whatever its last poll did. */
function ageClass(rating: BackupRating): BackupCondition {
  const condition = (['late', 'empty', 'future', 'near', 'pending'] as const).find((c) =>
    rating.conditions.includes(c),
  );
  // Without any successful poll nothing is known about freshness: grey, not green.
  return condition ?? (rating.ageSeconds === undefined ? 'pending' : 'ok');
}

function renderBackupRow({ record, rating }: RatedBackup): string {
  const summary = record.summary;
  const newest =
    summary === undefined
      ? '—'
      : summary.count === 0 || summary.newestMs === undefined
        ? 'none'
        : timeTag(summary.newestMs);
  const cells = [
    // Until EM has named it, the ID column says which backup it is.
    `<td class="backup">${record.metadata === undefined ? '<span class="muted">no name from EM yet</span>' : escapeHtml(backupName(record))}</td>`,
    `<td class="age ${ageClass(rating)}">${ageCell(record, rating)}</td>`,
    `<td class="poll">${lastPollCell(record)}</td>`,
    `<td class="num">${summary === undefined ? '—' : escapeHtml(summary.count)}</td>`,
    `<td>${newest}</td>`,
    `<td class="id"><code>${escapeHtml(record.backupId)}</code></td>`,
    `<td class="nowrap">${escapeHtml(record.em)}</td>`,
  ];
  return `<tr class="row-${rating.primary}" data-conditions="${rating.conditions.join(' ')}">${cells.join('')}</tr>`;
}

function lastPollCell(record: BackupRecord): string {
  const poll = record.lastPoll;
  if (poll === undefined) return 'Not polled yet';
  if (poll.ok) return `OK at ${timeTag(poll.atMs)}`;
  const reason = poll.failure === undefined ? '' : ` (${escapeHtml(poll.failure.reason)})`;
  return `<span class="failing">Failed${reason}</span> at ${timeTag(poll.atMs)}${pollMessage(poll.failure)}`;
}

function pollMessage(failure: PollFailure | undefined): string {
  if (failure === undefined) return '';
  const message = formatFailure(failure);
  if (message.length <= MESSAGE_INLINE_MAX) return `: ${escapeHtml(message)}`;
  // The row already names the EM and the backup: the preview starts with what was attempted.
  const rest = formatFailure(failure, 'none');
  // At a space if one comes late enough; a long ID or URL is cut instead of leaving a stub.
  const cut = rest.lastIndexOf(' ', MESSAGE_PREVIEW);
  const preview =
    rest.length <= MESSAGE_PREVIEW
      ? rest
      : `${rest.slice(0, cut > (MESSAGE_PREVIEW * 2) / 3 ? cut : MESSAGE_PREVIEW)}…`;
  return `<details><summary><span class="preview">${escapeHtml(preview)}</span><span class="less">message</span></summary>${escapeHtml(message)}</details>`;
}
