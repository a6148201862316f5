import { describe, expect, it } from 'vitest';
import { LEAN_QUICK, median, runLean } from '../../src/bench/lean.js';
import { PARSE_QUICK, runParse } from '../../src/bench/parse.js';
import { POLL_QUICK, runPoll } from '../../src/bench/poll.js';
import {
  carriedOver,
  consoleTable,
  describeMachine,
  markdownReport,
  type ScenarioResult,
} from '../../src/bench/report.js';
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

  it('lean: reports memory, scrape and per-request CPU, each target with a finite figure', async () => {
    const result = await runLean(LEAN_QUICK);
    const [memory, scrape, perEm] = result.tables;
    // every size × mode, the JSON run at the cost size, the large first-cycle-only run
    expect(memory!.rows).toHaveLength(LEAN_QUICK.sizes.length * LEAN_QUICK.modes.length + 2);
    const mib = (cell: unknown) => Number(String(cell).replace(/ MiB$/, ''));
    for (const row of memory!.rows) {
      expect(row).toHaveLength(memory!.columns.length);
      for (const column of ['idle RSS', 'RSS after first cycle', 'peak RSS']) {
        const value = mib(row[memory!.columns.indexOf(column)]);
        expect(value, `${column} of ${row.slice(0, 3).join(' ')}`).toBeGreaterThan(10);
        expect(value).toBeLessThan(10_000);
      }
    }
    const big = memory!.rows.at(-1)!;
    expect(big[2]).toBe(String(LEAN_QUICK.bigSize));
    expect(big[memory!.columns.indexOf('steady RSS')]).toBe('–');
    for (const row of [...scrape!.rows, ...perEm!.rows]) {
      const cpu = Number(String(row[scrape!.rows.includes(row) ? 1 : 3]).replace(/,/g, ''));
      expect(cpu, String(row[0])).toBeGreaterThan(0);
      expect(Number.isFinite(cpu)).toBe(true);
    }
    expect(result.targets.length).toBeGreaterThanOrEqual(15);
    for (const target of result.targets) {
      expect(target.met, target.target).not.toBe(undefined);
      expect(target.measured, target.target).toMatch(/\d/);
      expect(target.measured, target.target).not.toMatch(/–|NaN|not measured/);
    }
    expect(result.targets.map((t) => t.target)).toEqual(
      expect.arrayContaining([
        'idle process RSS ≤ 90 MiB',
        `query mode, ${LEAN_QUICK.sizes[1]} backups: peak RSS ≤ 200 MiB`,
        `${LEAN_QUICK.costSize} backups, JSON: poll CPU ≤ 0.5 ms per EM request`,
      ]),
    );
  }, 120_000);

  it('lean: median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("a partial run keeps the other scenarios' rows and sections from the report it replaces", () => {
    const machine = describeMachine(new Date(Date.UTC(2026, 0, 1)));
    const table = (title: string) => ({ title, columns: ['a'], rows: [['1']], notes: [] });
    const earlier = markdownReport({
      machine,
      command: 'npm run bench',
      quick: false,
      elapsedSeconds: 1,
      method: ['method'],
      results: [
        {
          name: 'Scrape',
          tables: [table('old scrape')],
          targets: [{ target: 'a | b', measured: '1', met: false, whyMissed: 'slow' }],
        },
        {
          name: 'Poll cycle',
          tables: [table('old poll')],
          targets: [{ target: 'poll fast', measured: '2', met: false, whyMissed: 'old reason' }],
        },
      ],
    });
    const withNotes = `${earlier}\n## Measured elsewhere\n\nBy hand.\n`;
    const carried = carriedOver(withNotes, ['Poll cycle']);
    expect(carried.targetRows).toEqual(['| Scrape | a \\| b | 1 | MISSED |']);
    expect(carried.whyMissed).toEqual(['- **a | b**: slow']);
    expect(carried.sections).toHaveLength(2);
    expect(carried.sections[0]).toContain('_Measured by `npm run bench` on 2026-01-01T00:00:00Z._');
    expect(carried.sections[0]).toContain('### old scrape');
    expect(carried.sections[1]).toBe('## Measured elsewhere\n\nBy hand.');

    const next = markdownReport({
      machine,
      command: 'npm run bench -- --only poll',
      quick: false,
      elapsedSeconds: 1,
      method: ['method'],
      results: [
        {
          name: 'Poll cycle',
          tables: [table('new poll')],
          targets: [{ target: 'poll fast', measured: '3', met: true }],
        },
      ],
      carried,
    });
    expect(next).toContain('| Scrape | a \\| b | 1 | MISSED |\n| Poll cycle | poll fast | 3 | met |');
    expect(next).not.toContain('old poll');
    expect(next).not.toContain('old reason');
    expect(next).toContain('### new poll');
    // a second partial run keeps the origin of what it carries, not its own date
    const again = carriedOver(next, ['Poll cycle']);
    expect(again.sections[0]!.match(/_Measured by/g)).toHaveLength(1);
    expect(again.targetRows).toEqual(carried.targetRows);
  });

  it('writes a Markdown report naming the machine', () => {
    const report = markdownReport({
      machine: describeMachine(new Date(Date.UTC(2026, 0, 1))),
      command: 'npm run bench',
      quick: true,
      elapsedSeconds: 1,
      method: ['method'],
      results: [
        {
          name: 'Parse',
          tables: [{ title: 't', columns: ['a', 'b'], rows: [['1', 'x|y']], notes: ['n'] }],
          targets: [],
        },
      ],
    });
    expect(report).toContain('| Node.js | v');
    expect(report).toContain('2026-01-01T00:00:00Z');
    expect(report).toContain('| 1 | x\\|y |');
  });
});
