import { describe, expect, it } from 'vitest';
import { renderStatusPage, type StatusPageModel } from '../../src/server/status-page.js';
import { buildStatusModel } from '../../src/server/status-model.js';
import { freshness, formatDuration, formatIsoUtc } from '../../src/server/freshness.js';
import { createExporterState } from '../../src/metrics/state.js';
import type { BackupRecord } from '../../src/metrics/types.js';

const NOW = Date.UTC(2025, 5, 5, 12, 0, 0);
const ID = '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3';
const HOUR = 3_600_000;

function page(backups: BackupRecord[], extra: Partial<StatusPageModel> = {}): string {
  return renderStatusPage({
    version: '1.2.3',
    schedule: '*/5 * * * *',
    telemetryPath: '/metrics',
    ready: true,
    lifecycleEnabled: false,
    nowMs: NOW,
    ems: [{ name: 'em01', up: true, lastCycleEndMs: NOW - 60_000, lastCycleSeconds: 2.5, backups }],
    ...extra,
  });
}

function record(overrides: Partial<BackupRecord> = {}): BackupRecord {
  return { em: 'em01', backupId: ID, rpoSeconds: 10 * 3600, ...overrides };
}

/** The cells of the one backup row, as text. */
function rowCells(html: string): string[] {
  const row = /<tbody>\n<tr>(.*)<\/tr>/.exec(html)?.[1];
  if (row === undefined) throw new Error('no backup row');
  return [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ''));
}

describe('renderStatusPage', () => {
  it('shows name, version, schedule and links to metrics and health endpoints', () => {
    const html = page([], { telemetryPath: '/custom/metrics' });
    expect(html).toContain('<h1>Veeam Enterprise Manager exporter</h1>');
    expect(html).toContain('Version 1.2.3');
    expect(html).toContain('<code>*/5 * * * *</code>');
    expect(html).toContain('<a href="/custom/metrics">Metrics</a>');
    expect(html).toContain('<a href="/-/healthy">Health</a>');
    expect(html).toContain('<a href="/-/ready">Readiness</a>');
  });

  it('has no JavaScript', () => {
    expect(page([record()])).not.toMatch(/<script|javascript:|\son\w+=/i);
  });

  it('renders a hostile backup name as text', () => {
    const html = page([record({ metadata: { id: ID, name: '<script>alert("x")</script>', platform: 'p', backupType: 't', backupServer: 's', repository: 'r' } })]);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it('escapes every value that comes from config or EM', () => {
    const html = page(
      [record({ lastPoll: { ok: false, atMs: NOW, reason: 'parse', message: 'bad <xml> & "quotes"' } })],
      { version: '<v>', schedule: '<s>', telemetryPath: '/m?a="b"' },
    );
    expect(html).toContain('bad &lt;xml&gt; &amp; &quot;quotes&quot;');
    expect(html).toContain('Version &lt;v&gt;');
    expect(html).toContain('<code>&lt;s&gt;</code>');
    expect(html).toContain('href="/m?a=&quot;b&quot;"');
    expect(html).not.toMatch(/<(xml|v|s)>/);
  });

  it('lists a polled backup with count, newest point in ISO UTC, age against RPO and the poll result', () => {
    const html = page([
      record({
        metadata: { id: ID, name: 'Daily SQL', platform: 'p', backupType: 't', backupServer: 's', repository: 'r' },
        summary: { count: 14, newestMs: NOW - 2 * HOUR, oldestMs: NOW - 100 * HOUR },
        lastPoll: { ok: true, atMs: NOW - 60_000 },
        lastSuccessMs: NOW - 60_000,
      }),
    ]);
    expect(rowCells(html)).toEqual(['Daily SQL', ID, '14', '2025-06-05T10:00:00Z', 'OK: 2h of 10h (20 %)', 'OK at 2025-06-05T11:59:00Z']);
    expect(html).toContain('<td class="ok">');
  });

  it.each([
    [7.5 * 3600, 'warning', 'Near RPO: 7h 30m of 10h (75 %)'],
    [10 * 3600, 'warning', 'Near RPO: 10h of 10h (100 %)'],
    [12.5 * 3600, 'late', 'Over RPO: 12h 30m of 10h (125 %)'],
  ])('colours and words an age of %s s against a 10 h RPO as %s, in text too', (ageSeconds, cls, text) => {
    const newestMs = NOW - ageSeconds * 1000;
    const html = page([record({ summary: { count: 1, newestMs, oldestMs: newestMs }, lastPoll: { ok: true, atMs: NOW } })]);
    expect(html).toContain(`<td class="${cls}">`);
    expect(rowCells(html)[4]).toBe(text);
  });

  it('shows the reason and message of a failed poll and keeps the last known values', () => {
    const html = page([
      record({
        summary: { count: 3, newestMs: NOW - HOUR, oldestMs: NOW - 3 * HOUR },
        lastPoll: { ok: false, atMs: NOW - 1000, reason: 'timeout', message: 'em01: backup X: no answer in 30s; check the network' },
      }),
    ]);
    const cells = rowCells(html);
    expect(cells[2]).toBe('3');
    expect(cells[5]).toBe('Failed (timeout) at 2025-06-05T11:59:59Z: em01: backup X: no answer in 30s; check the network');
  });

  it('says when a backup has no restore points or was never polled', () => {
    expect(rowCells(page([record({ summary: { count: 0 }, lastPoll: { ok: true, atMs: NOW } })])).slice(2, 5)).toEqual(['0', 'none', 'No restore points (RPO 10h)']);
    expect(rowCells(page([record()])).slice(2)).toEqual(['—', '—', 'Not polled yet (RPO 10h)', 'Not polled yet']);
    const failedOnly = record({ lastPoll: { ok: false, atMs: NOW, reason: 'not_found', message: 'gone' } });
    expect(rowCells(page([failedOnly]))[4]).toBe('No successful poll yet (RPO 10h)');
  });

  it('uses the ID as name until EM reported one', () => {
    expect(rowCells(page([record()]))[0]).toBe(ID);
  });

  it('shows EM state and a freshness summary per EM', () => {
    const html = renderStatusPage({
      version: '1',
      schedule: 's',
      telemetryPath: '/metrics',
      ready: false,
      lifecycleEnabled: true,
      nowMs: NOW,
      ems: [
        { name: 'em01', up: false, lastCycleEndMs: NOW, lastCycleSeconds: 1, backups: [record({ summary: { count: 1, newestMs: NOW, oldestMs: NOW } })] },
        { name: 'em02', backups: [] },
      ],
    });
    expect(html).toContain('<h2>em01 — <span class="failed">down</span></h2>');
    expect(html).toContain('1 backup: 1 OK, 0 near RPO, 0 over RPO, 0 unknown.');
    expect(html).toContain('<h2>em02 — not polled yet</h2>');
    expect(html).toContain('Not ready: the first poll cycle has not finished yet.');
    expect(html).toContain('<code>POST /-/reload</code>');
  });
});

describe('buildStatusModel', () => {
  it('groups backups under their EM in configuration order', () => {
    const state = createExporterState();
    state.setTargets(['em02', 'em01'], [
      { em: 'em01', backupId: 'a', rpoSeconds: 1 },
      { em: 'em02', backupId: 'b', rpoSeconds: 1 },
      { em: 'em01', backupId: 'c', rpoSeconds: 1 },
    ]);
    state.recordCycle('em01', { up: true, endedAtMs: 5, durationSeconds: 1 });
    const model = buildStatusModel(state, { version: '1', schedule: 's', telemetryPath: '/metrics', ready: true, lifecycleEnabled: false, nowMs: 0 });
    expect(model.ems.map((em) => [em.name, em.up, em.backups.map((b) => b.backupId)])).toEqual([
      ['em02', undefined, ['b']],
      ['em01', true, ['a', 'c']],
    ]);
  });
});

describe('freshness', () => {
  it.each([
    [0, 'ok'],
    [74.9, 'ok'],
    [75, 'warning'],
    [100, 'warning'],
    [100.1, 'late'],
  ] as const)('rates %s %% of the RPO as %s', (percent, expected) => {
    expect(freshness((percent / 100) * 3600, 3600)).toBe(expected);
  });

  it('is unknown without a newest point or without an RPO', () => {
    expect(freshness(undefined, 3600)).toBe('unknown');
    expect(freshness(10, 0)).toBe('unknown');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [725, '12m 5s'],
    [3600, '1h'],
    [12_000, '3h 20m'],
    [93_600, '1d 2h'],
    [8 * 86_400 + 59, '8d'],
  ])('writes %s s as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('formats instants as ISO 8601 UTC to the second', () => {
    expect(formatIsoUtc(Date.UTC(2025, 0, 2, 3, 4, 5, 678))).toBe('2025-01-02T03:04:05Z');
  });
});
