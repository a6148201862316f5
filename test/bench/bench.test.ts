import { describe, expect, it } from 'vitest';
import { PARSE_QUICK, runParse } from '../../src/bench/parse.js';
import { POLL_QUICK, runPoll } from '../../src/bench/poll.js';
import { consoleTable, describeMachine, markdownReport, type ScenarioResult } from '../../src/bench/report.js';
import { SCRAPE_QUICK, runScrape } from '../../src/bench/scrape.js';

// A smoke run of `npm run bench` at toy sizes: each scenario must run end to end and report every
// row and target. Figures are not checked: on a shared machine they mean nothing at this size.

function expectShape(result: ScenarioResult, rows: number): void {
  expect(result.tables.length).toBeGreaterThan(0);
  for (const table of result.tables) {
    expect(table.rows).toHaveLength(rows);
    for (const row of table.rows) expect(row).toHaveLength(table.columns.length);
    expect(consoleTable(table)).toContain(table.columns[0]);
  }
  for (const target of result.targets) expect(target.measured).not.toBe('');
}

describe('benchmark smoke run', () => {
  it('scrape: measures the exporter and the bare server for each encoding', async () => {
    const result = await runScrape({ ...SCRAPE_QUICK, durationSeconds: 1 });
    expectShape(result, SCRAPE_QUICK.sizes.length * SCRAPE_QUICK.encodings.length);
    const row = result.tables[0]!.rows[0]!;
    expect(row[2]).toBe('gzip');
    expect(Number(String(row[3]).replace(/,/g, ''))).toBeGreaterThan(0);
    expect(result.targets.map((t) => t.met)).not.toContain(undefined);
  }, 120_000);

  it('poll: counts EM requests per cycle and reports first and steady cycles', async () => {
    const result = await runPoll(POLL_QUICK);
    const entity = result.tables[0]!.rows.filter((r) => r[0] === 'entity');
    expect(entity.map((r) => r[3])).toEqual(['first', 'steady']);
    // first: 1 logon + metadata and restore points of every backup; steady: restore points only.
    const backups = POLL_QUICK.runs[0]!.backups;
    expect(entity[0]![4]).toBe(String(1 + 2 * backups));
    expect(entity[1]![4]).toBe(String(backups));
    expect(result.targets.find((t) => t.target.startsWith('entity'))?.met).not.toBe(undefined);
  }, 120_000);

  it('parse: times every size and format', async () => {
    const result = await runParse(PARSE_QUICK);
    expectShape(result, PARSE_QUICK.points.length * 3);
  }, 60_000);

  it('writes a Markdown report naming the machine', () => {
    const report = markdownReport({
      machine: describeMachine(new Date(Date.UTC(2026, 0, 1))),
      command: 'npm run bench',
      quick: true,
      elapsedSeconds: 1,
      method: ['method'],
      results: [{ name: 'Parse', tables: [{ title: 't', columns: ['a', 'b'], rows: [['1', 'x|y']], notes: ['n'] }], targets: [] }],
    });
    expect(report).toContain('| Node.js | v');
    expect(report).toContain('2026-01-01T00:00:00Z');
    expect(report).toContain('| 1 | x\\|y |');
  });
});
