import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FUTURE_POINT_TOLERANCE_MS } from '../../src/domain.js';
import { renderStatusPage, STATUS_PAGE_CSP, type StatusPageModel } from '../../src/server/status-page.js';
import { buildStatusModel } from '../../src/server/status-model.js';
import { freshness, formatDuration, formatIsoUtc, rateBackup } from '../../src/server/freshness.js';
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
  return { em: 'em01', backupId: ID, rpoSeconds: 10 * 3600, revision: 0, ...overrides };
}

/** The cells of every backup row, as text, in page order. */
function rows(html: string): string[][] {
  const body = /<tbody>\n([\s\S]*?)<\/tbody>/.exec(html)?.[1];
  if (body === undefined) throw new Error('no table body');
  return [...body.matchAll(/<tr[^>]*>(.*)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, '')),
  );
}

/** Columns: backup, age vs RPO, last poll, restore points, newest point, ID, EM. */
function rowCells(html: string): string[] {
  const all = rows(html);
  if (all.length !== 1) throw new Error(`expected one backup row, got ${all.length}`);
  return all[0]!;
}

function rowTags(html: string): string[] {
  return [...html.matchAll(/<tr class="[^"]*" data-conditions="[^"]*">/g)].map((m) => m[0]);
}

function named(name: string, overrides: Partial<BackupRecord> = {}): BackupRecord {
  return record({
    backupId: `id-${name}`,
    metadata: { id: `id-${name}`, name, platform: 'p', backupType: 't', backupServer: 's', repository: 'r' },
    ...overrides,
  });
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
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

  it('is a phone-friendly single page: viewport meta tag, no external assets', () => {
    const html = page([record()]);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).not.toMatch(/<link|<img|<iframe|\ssrc=|url\(/i);
  });

  it('ships one script of its own, allowed by hash like its style, and no inline handlers or javascript: URLs', () => {
    const html = page([record()]);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/javascript:|\son\w+=|\sstyle=/i);
    const directives = new Map(STATUS_PAGE_CSP.split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)]));
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual([sha256(scripts[0]!)]);
    expect(directives.get('style-src')).toEqual([sha256(styles[0]!)]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect([...directives.keys()].sort()).toEqual([
      'base-uri',
      'connect-src',
      'default-src',
      'form-action',
      'frame-ancestors',
      'script-src',
      'style-src',
    ]);
    expect(STATUS_PAGE_CSP).not.toContain('unsafe');
  });

  it('renders a hostile backup name as text', () => {
    const html = page([
      record({
        metadata: {
          id: ID,
          name: '<script>alert("x")</script>',
          platform: 'p',
          backupType: 't',
          backupServer: 's',
          repository: 'r',
        },
      }),
    ]);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it('escapes every value that comes from config or EM', () => {
    const long = `<b>${'x'.repeat(200)}</b> "quoted"`;
    const html = renderStatusPage({
      version: '<v>',
      schedule: '<s>',
      telemetryPath: '/m?a="b"',
      ready: true,
      lifecycleEnabled: false,
      nowMs: NOW,
      ems: [
        {
          name: '<em>',
          backups: [
            record({
              em: '<em>',
              backupId: '<id>',
              lastPoll: {
                ok: false,
                atMs: NOW,
                failure: { em: '<em>', backupId: '<id>', reason: 'parse', detail: 'bad <xml> & "quotes"' },
              },
            }),
            record({
              em: '<em>',
              backupId: 'b',
              lastPoll: { ok: false, atMs: NOW, failure: { em: '<em>', backupId: 'b', reason: 'parse', detail: long } },
            }),
          ],
        },
      ],
    });
    expect(html).toContain('bad &lt;xml&gt; &amp; &quot;quotes&quot;');
    expect(html).toContain('Version &lt;v&gt;');
    expect(html).toContain('<code>&lt;s&gt;</code>');
    expect(html).toContain('href="/m?a=&quot;b&quot;"');
    expect(html).toContain('<b>&lt;em&gt;</b>');
    expect(html).toContain('<td class="nowrap">&lt;em&gt;</td>');
    expect(html).toContain('<code>&lt;id&gt;</code>');
    expect(html).toContain('&lt;b&gt;xxx');
    expect(html).not.toMatch(/<(xml|v|s|em|id)>|<b>x/);
  });

  it('lists a polled backup with age against RPO, the poll result, count, newest point in ISO UTC, ID and EM', () => {
    const html = page([
      record({
        metadata: { id: ID, name: 'Daily SQL', platform: 'p', backupType: 't', backupServer: 's', repository: 'r' },
        summary: { count: 14, newestMs: NOW - 2 * HOUR, oldestMs: NOW - 100 * HOUR },
        lastPoll: { ok: true, atMs: NOW - 60_000 },
        lastSuccessMs: NOW - 60_000,
      }),
    ]);
    expect(rowCells(html)).toEqual([
      'Daily SQL',
      'OK: 2h of 10h (20 %)',
      'OK at 2025-06-05T11:59:00Z',
      '14',
      '2025-06-05T10:00:00Z',
      ID,
      'em01',
    ]);
    expect(html).toContain(
      '<td class="age ok">OK: <span class="nowrap">2h</span> of <span class="nowrap">10h</span> <span class="nowrap">(20 %)</span></td>',
    );
    expect(rowTags(html)).toEqual(['<tr class="row-ok" data-conditions="ok">']);
  });

  it.each([
    [7.5 * 3600, 'near', 'Near RPO: 7h 30m of 10h (75 %)'],
    [10 * 3600, 'near', 'Near RPO: 10h of 10h (100 %)'],
    [12.5 * 3600, 'late', 'Over RPO: 12h 30m of 10h (125 %)'],
  ])('colours and words an age of %s s against a 10 h RPO as %s, in text too', (ageSeconds, cls, text) => {
    const newestMs = NOW - ageSeconds * 1000;
    const html = page([
      record({ summary: { count: 1, newestMs, oldestMs: newestMs }, lastPoll: { ok: true, atMs: NOW } }),
    ]);
    expect(html).toContain(`<td class="age ${cls}">`);
    expect(rowCells(html)[1]).toBe(text);
    expect(rowTags(html)).toEqual([`<tr class="row-${cls}" data-conditions="${cls}">`]);
  });

  it('shows the reason of a failed poll in the warning colour with its message, and keeps the last known values', () => {
    const html = page([
      record({
        summary: { count: 3, newestMs: NOW - HOUR, oldestMs: NOW - 3 * HOUR },
        lastPoll: {
          ok: false,
          atMs: NOW - 1000,
          failure: {
            em: 'em01',
            backupId: 'X',
            reason: 'timeout',
            detail: 'no answer in 30s',
            advice: 'check the network',
          },
        },
      }),
    ]);
    const cells = rowCells(html);
    expect(cells[3]).toBe('3');
    expect(cells[2]).toBe(
      'Failed (timeout) at 2025-06-05T11:59:59Z: em &quot;em01&quot;: backup X: no answer in 30s: check the network',
    );
    expect(html).toContain('<span class="failing">Failed (timeout)</span>');
    expect(rowTags(html)).toEqual(['<tr class="row-failing" data-conditions="failing">']);
  });

  it('folds a long poll message behind a preview and keeps it whole inside', () => {
    const detail = `${'EM answered something unexpected '.repeat(8)}end`;
    const html = page([
      record({ lastPoll: { ok: false, atMs: NOW, failure: { em: 'em01', backupId: 'X', reason: 'parse', detail } } }),
    ]);
    const details = /<details><summary><span class="preview">([^<]*)<\/span>.*?<\/summary>([^<]*)<\/details>/.exec(
      html,
    );
    expect(details?.[2]).toBe(`em &quot;em01&quot;: backup X: ${detail}`);
    expect(details?.[1]).toMatch(/^EM answered .*…$/);
    expect(details![1]!.length).toBeLessThanOrEqual(73);
  });

  it('cuts a preview inside a long token rather than leave a stub before it', () => {
    const failure = {
      em: 'em01',
      backupId: ID,
      reason: 'not_found' as const,
      action: 'GET backup',
      detail: `EM answered 404 "Backup [${ID}] does not exist."`,
      advice: 'EM does not know this backup: check the backup ID in the config',
    };
    const html = page([record({ lastPoll: { ok: false, atMs: NOW, failure } })]);
    expect(/<span class="preview">([^<]*)<\/span>/.exec(html)?.[1]).toBe(
      `GET backup: EM answered 404 &quot;Backup [${ID.slice(0, 35)}…`,
    );
  });

  it('starts the preview of a folded message after the EM and backup the row already names', () => {
    const message = `em "em01": backup ${ID}: GET restore points: EM answered 500 "The repository database could not be read in time": check EM`;
    const failure = {
      em: 'em01',
      backupId: ID,
      reason: 'http_5xx' as const,
      action: 'GET restore points',
      detail: 'EM answered 500 "The repository database could not be read in time"',
      advice: 'check EM',
      status: 500,
    };
    const html = page([record({ lastPoll: { ok: false, atMs: NOW, failure } })]);
    expect(/<span class="preview">([^<]*)<\/span>/.exec(html)?.[1]).toBe(
      'GET restore points: EM answered 500 &quot;The repository database could not…',
    );
    expect(html).toContain(`</summary>${message.replace(/"/g, '&quot;')}</details>`);
  });

  it('says when a backup has no restore points or was never polled', () => {
    const empty = page([record({ summary: { count: 0 }, lastPoll: { ok: true, atMs: NOW } })]);
    expect(rowCells(empty).slice(1, 5)).toEqual([
      'No restore points (RPO 10h)',
      'OK at 2025-06-05T12:00:00Z',
      '0',
      'none',
    ]);
    // As red as over RPO: both are critical alerts.
    expect(empty).toContain('<td class="age empty">');
    expect(rowTags(empty)).toEqual(['<tr class="row-empty" data-conditions="empty">']);
    expect(rowCells(page([record()])).slice(1, 5)).toEqual(['Not polled yet (RPO 10h)', 'Not polled yet', '—', '—']);
    const failedOnly = record({
      lastPoll: { ok: false, atMs: NOW, failure: { em: 'em01', backupId: ID, reason: 'not_found', detail: 'gone' } },
    });
    expect(rowCells(page([failedOnly]))[1]).toBe('No successful poll yet (RPO 10h)');
    // Nothing is known about its freshness: grey, not green.
    expect(page([failedOnly])).toContain('<td class="age pending">');
    expect(rowTags(page([failedOnly]))).toEqual(['<tr class="row-failing" data-conditions="failing">']);
  });

  it('says that EM has not named a backup yet, instead of repeating its ID', () => {
    expect(rowCells(page([record()]))[0]).toBe('no name from EM yet');
  });

  it('flags a newest point beyond the tolerance in the future, instead of showing it as OK with age 0', () => {
    const ahead = NOW + 2 * HOUR;
    const html = page([
      record({ summary: { count: 2, newestMs: ahead, oldestMs: NOW - HOUR }, lastPoll: { ok: true, atMs: NOW } }),
    ]);
    expect(rowCells(html)[1]).toBe('Newest point in the future: 2h ahead of this host (RPO 10h)');
    expect(html).toContain('<td class="age future">');
    expect(rowTags(html)).toEqual(['<tr class="row-future" data-conditions="future">']);
    // Within the tolerance it is jitter, not skew.
    const jitter = NOW + FUTURE_POINT_TOLERANCE_MS - 1000;
    const fine = page([
      record({ summary: { count: 1, newestMs: jitter, oldestMs: jitter }, lastPoll: { ok: true, atMs: NOW } }),
    ]);
    expect(rowCells(fine)[1]).toBe('OK: 0s of 10h (0 %)');
  });

  it('sorts worst first: over RPO, failing, empty, in the future, near RPO, not polled, OK', () => {
    const ok = { count: 1, newestMs: NOW - HOUR, oldestMs: NOW - HOUR };
    const at = (ageHours: number) => ({ count: 1, newestMs: NOW - ageHours * HOUR, oldestMs: NOW - ageHours * HOUR });
    const polled = { ok: true, atMs: NOW };
    const failed = { ok: false, atMs: NOW, failure: { em: 'em01', reason: 'timeout' as const, detail: 'slow' } };
    const backups = [
      named('a-ok', { summary: ok, lastPoll: polled }),
      named('b-near', { summary: at(8), lastPoll: polled }),
      named('c-pending'),
      named('d-empty', { summary: { count: 0 }, lastPoll: polled }),
      named('e-future', { summary: { count: 1, newestMs: NOW + HOUR, oldestMs: NOW + HOUR }, lastPoll: polled }),
      named('f-failing', { summary: ok, lastPoll: failed }),
      named('g-late', { summary: at(11), lastPoll: polled }),
      named('h-later', { summary: at(30), lastPoll: polled }),
      named('i-nearer', { summary: at(9.5), lastPoll: polled }),
    ];
    const html = page(backups);
    expect(rows(html).map((cells) => cells[0])).toEqual([
      'h-later',
      'g-late',
      'f-failing',
      'd-empty',
      'e-future',
      'i-nearer',
      'b-near',
      'c-pending',
      'a-ok',
    ]);
  });

  it('sorts a backup that is both over RPO and failing with the late ones, and counts it under both', () => {
    const late = { count: 1, newestMs: NOW - 20 * HOUR, oldestMs: NOW - 20 * HOUR };
    const html = page([
      named('fresh-but-failing', {
        summary: { count: 1, newestMs: NOW, oldestMs: NOW },
        lastPoll: { ok: false, atMs: NOW, failure: { em: 'em01', reason: 'auth', detail: 'refused' } },
      }),
      named('late-and-failing', {
        summary: late,
        lastPoll: { ok: false, atMs: NOW, failure: { em: 'em01', reason: 'timeout', detail: 'slow' } },
      }),
    ]);
    expect(rows(html).map((cells) => cells[0])).toEqual(['late-and-failing', 'fresh-but-failing']);
    expect(rowTags(html)[0]).toBe('<tr class="row-late" data-conditions="late failing">');
    expect(html).toContain('data-show="late" aria-pressed="false">Over RPO <b>1</b>');
    expect(html).toContain('data-show="failing" aria-pressed="false">Poll failing <b>2</b>');
    expect(html).toContain('data-show="" aria-pressed="true">All <b>2</b>');
  });

  it('puts the backups of every EM in one worst-first table with an EM column', () => {
    const html = renderStatusPage({
      version: '1',
      schedule: 's',
      telemetryPath: '/metrics',
      ready: true,
      lifecycleEnabled: false,
      nowMs: NOW,
      ems: [
        {
          name: 'em01',
          backups: [
            record({
              em: 'em01',
              backupId: 'x',
              summary: { count: 1, newestMs: NOW, oldestMs: NOW },
              lastPoll: { ok: true, atMs: NOW },
            }),
          ],
        },
        {
          name: 'em02',
          backups: [record({ em: 'em02', backupId: 'y', summary: { count: 0 }, lastPoll: { ok: true, atMs: NOW } })],
        },
      ],
    });
    expect(rows(html).map((cells) => [cells[5], cells[6]])).toEqual([
      ['y', 'em02'],
      ['x', 'em01'],
    ]);
    expect(html.match(/<table/g)).toHaveLength(1);
  });

  it('shows EM state and a condition summary per EM', () => {
    const html = renderStatusPage({
      version: '1',
      schedule: 's',
      telemetryPath: '/metrics',
      ready: false,
      lifecycleEnabled: true,
      nowMs: NOW,
      ems: [
        {
          name: 'em01',
          up: false,
          lastCycleEndMs: NOW,
          lastCycleSeconds: 1,
          backups: [record({ summary: { count: 1, newestMs: NOW, oldestMs: NOW } })],
        },
        { name: 'em02', backups: [] },
      ],
    });
    expect(html).toContain(
      '<li><b>em01</b> <span class="down">down</span> · last cycle ended <time datetime="2025-06-05T12:00:00Z">2025-06-05T12:00:00Z</time>, took 1.0 s · 1 backup: 1 OK</li>',
    );
    expect(html).toContain('<li><b>em02</b> not polled yet · no poll cycle has finished yet · 0 backups</li>');
    expect(html).toContain('Not ready: the first poll cycle has not finished yet.');
    expect(html).toContain('<code>POST /-/reload</code>');
  });

  it('tells the page script how often to refresh', () => {
    expect(page([])).toContain('<body data-refresh-seconds="30">');
    expect(page([], { refreshSeconds: 5 })).toContain('<body data-refresh-seconds="5">');
  });
});

describe('buildStatusModel', () => {
  it('groups backups under their EM in configuration order', () => {
    const state = createExporterState();
    state.setTargets(
      ['em02', 'em01'],
      [
        { em: 'em01', backupId: 'a', rpoSeconds: 1 },
        { em: 'em02', backupId: 'b', rpoSeconds: 1 },
        { em: 'em01', backupId: 'c', rpoSeconds: 1 },
      ],
    );
    state.recordCycle('em01', { up: true, endedAtMs: 5, durationSeconds: 1 });
    const model = buildStatusModel(state, {
      version: '1',
      schedule: 's',
      telemetryPath: '/metrics',
      ready: true,
      lifecycleEnabled: false,
      nowMs: 0,
    });
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

describe('rateBackup', () => {
  const polled = { ok: true, atMs: NOW };
  it.each([
    ['exactly at the tolerance', NOW + FUTURE_POINT_TOLERANCE_MS, ['ok']],
    ['a millisecond beyond it', NOW + FUTURE_POINT_TOLERANCE_MS + 1, ['future']],
  ] as const)('rates a newest point %s ahead', (_, newestMs, conditions) => {
    expect(
      rateBackup(record({ summary: { count: 1, newestMs, oldestMs: newestMs }, lastPoll: polled }), NOW).conditions,
    ).toEqual(conditions);
  });

  it('reports the age as exported (0 for a point ahead) and how far ahead it is', () => {
    const rating = rateBackup(
      record({ summary: { count: 1, newestMs: NOW + HOUR, oldestMs: NOW }, lastPoll: polled }),
      NOW,
    );
    expect(rating).toMatchObject({ primary: 'future', ageSeconds: 0, aheadSeconds: 3600 });
  });

  it('keeps every condition that holds, worst first, and OK only alone', () => {
    const failed = { ok: false, atMs: NOW, reason: 'auth' as const };
    expect(rateBackup(record({ summary: { count: 0 }, lastPoll: failed }), NOW).conditions).toEqual([
      'failing',
      'empty',
    ]);
    expect(
      rateBackup(record({ summary: { count: 1, newestMs: NOW + HOUR }, lastPoll: failed }), NOW).conditions,
    ).toEqual(['failing', 'future']);
    expect(rateBackup(record({ lastPoll: failed }), NOW).conditions).toEqual(['failing']);
    expect(rateBackup(record(), NOW).conditions).toEqual(['pending']);
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

  it('shows machine freshness below the backups table, outside what the filters hide, under the same CSP', () => {
    const html = page(
      [
        record({
          metadata: {
            id: ID,
            name: 'Daily',
            platform: 'VMware',
            backupType: 'Standard',
            backupServer: 'vbr',
            repository: 'r',
          },
        }),
      ],
      {
        vms: [
          {
            em: 'em01',
            dropped: 0,
            series: [{ backupId: ID, vmId: 'vm-1', vmName: 'db-03', count: 2, newestMs: NOW - 30 * HOUR }],
          },
        ],
      },
    );
    const table = html.indexOf('<table id="backups">');
    const machines = html.indexOf('<h2 id="machines">');
    expect(table).toBeGreaterThan(0);
    expect(machines).toBeGreaterThan(html.indexOf('</table>', table));
    expect(machines).toBeLessThan(html.indexOf('<script>'));
    expect(html).toContain('db-03 (1d 6h)');
    // The filter script hides rows of #backups only; the machines table is a table of its own.
    expect(html.slice(machines)).not.toContain('id="backups"');
    // Neither inline style nor script changed with the section: the page's hashes still cover them.
    const inline = (tag: string) => new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(html)![1]!;
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
    expect(STATUS_PAGE_CSP).toContain(`script-src ${hash(inline('script'))}`);
    expect(STATUS_PAGE_CSP).toContain(`style-src ${hash(inline('style'))}`);
    expect(page([])).not.toContain('id="machines"');
  });
});
