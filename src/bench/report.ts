/**
 * What every scenario hands back, and the two ways it is shown: an aligned text table on the console
 * and Markdown for docs/benchmarks.md.
 */
import os from 'node:os';

export type Cell = string | number | undefined;

export interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Lines printed under the table: how it was measured, what was skipped and why. */
  notes: string[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  /** undefined: could not be measured in this run (skipped, not available). */
  met: boolean | undefined;
  /** What holds the figure back, shown under the targets when the target is missed. */
  whyMissed?: string;
}

export interface ScenarioResult {
  name: string;
  tables: Table[];
  targets: TargetCheck[];
}

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  /** One-minute load average when the run started; other work on the host makes figures noisy. */
  loadAverage: number;
  date: string;
}

export function describeMachine(now = new Date()): Machine {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    date: now.toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

/** Numbers with thousands separators and at most `digits` decimals; undefined shows as a dash. */
export function num(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function bytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(2)} MiB`;
}

function text(cell: Cell): string {
  if (cell === undefined) return '–';
  return typeof cell === 'number' ? num(cell, Number.isInteger(cell) ? 0 : 2) : cell;
}

/** Right-aligns cells that look numeric so columns of figures line up. */
function numeric(cell: string): boolean {
  return /^[-+~]?[\d,.]+\s*(%|×|x|ms|s|MB\/s|MiB|KiB|B)?$/.test(cell);
}

export function consoleTable(table: Table): string {
  const rows = table.rows.map((r) => r.map(text));
  const widths = table.columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [table.title, line(table.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  for (const note of table.notes) out.push(`  * ${note}`);
  return out.join('\n');
}

function mdEscape(cell: string): string {
  return cell.replace(/\|/g, '\\|');
}

export function markdownTable(table: Table): string {
  const rows = table.rows.map((r) => r.map(text));
  const align = table.columns.map((_, i) =>
    rows.length > 0 && rows.every((r) => numeric(r[i] ?? '') || r[i] === '–') ? '---:' : '---',
  );
  const out = [
    `| ${table.columns.map(mdEscape).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(mdEscape).join(' | ')} |`),
  ];
  if (table.notes.length > 0) out.push('', ...table.notes.map((n) => `- ${n}`));
  return out.join('\n');
}

export function targetsTable(results: ScenarioResult[]): Table {
  return {
    title: 'Targets',
    columns: ['scenario', 'target', 'measured', 'result'],
    rows: results.flatMap((r) =>
      r.targets.map((t) => [
        r.name,
        t.target,
        t.measured,
        t.met === undefined ? 'not measured' : t.met ? 'met' : 'MISSED',
      ]),
    ),
    notes: [],
  };
}

export interface ReportInput {
  machine: Machine;
  command: string;
  quick: boolean;
  elapsedSeconds: number;
  results: ScenarioResult[];
  /** Markdown paragraphs about method, put before the tables. */
  method: string[];
  /** What a partial run keeps from the report it replaces. */
  carried?: Carried;
}

/** The parts of an earlier report about scenarios a partial run did not run, as Markdown. */
export interface Carried {
  /** Rows of its targets table, as written. */
  targetRows: string[];
  /** Its "why missed" bullets for those rows. */
  whyMissed: string[];
  /** Its `## ` sections other than the targets, each with a line naming the run that measured it. */
  sections: string[];
}

/** Splits a Markdown table row into its cells, honouring escaped pipes. */
function cellsOf(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));
}

const ORIGIN = /^_Measured by `[^`]+` on \S+\._$/;

/**
 * Reads an earlier report (as markdownReport writes it) and keeps what it says of every scenario
 * not in `ran`: their target rows, why-missed bullets and sections, and any section no scenario
 * writes (text added by hand below the generated ones).
 */
export function carriedOver(previous: string, ran: readonly string[]): Carried {
  const lines = previous.split('\n');
  const header = /^Generated by `([^`]+)`.* on (\S+), in /.exec(lines.find((l) => l.startsWith('Generated by')) ?? '');
  const origin = header ? `_Measured by \`${header[1]}\` on ${header[2]}._` : undefined;
  const sections: Array<{ name: string; lines: string[] }> = [];
  for (const line of lines) {
    if (line.startsWith('## ')) sections.push({ name: line.slice(3).trim(), lines: [line] });
    else sections.at(-1)?.lines.push(line);
  }
  const targetRows: string[] = [];
  const whyMissed: string[] = [];
  const targets = sections.find((x) => x.name === 'Targets');
  if (targets !== undefined) {
    const rows = targets.lines.filter((l) => l.startsWith('| '));
    for (const row of rows.slice(1)) {
      const cells = cellsOf(row);
      const alignment = cells.every((c) => /^:?-+:?$/.test(c));
      if (!alignment && cells[0] !== undefined && cells[0] !== 'scenario' && !ran.includes(cells[0]))
        targetRows.push(row);
    }
    const kept = new Set(targetRows.map((r) => cellsOf(r)[1]));
    for (const line of targets.lines) {
      const bullet = /^- \*\*(.+?)\*\*: /.exec(line);
      if (bullet && kept.has(bullet[1])) whyMissed.push(line);
    }
  }
  const out: string[] = [];
  for (const section of sections) {
    if (section.name === 'Targets' || ran.includes(section.name)) continue;
    const body = section.lines.slice(1);
    while (body.length > 0 && body.at(-1) === '') body.pop();
    // Only generated sections (a table heading first) get the line; hand-written text says its own source.
    const generated = body.find((l) => l.trim() !== '')?.startsWith('### ') === true;
    const named = body.some((l) => ORIGIN.test(l));
    out.push(
      [section.lines[0]!, ...(!generated || named || origin === undefined ? [] : ['', origin]), ...body].join('\n'),
    );
  }
  return { targetRows, whyMissed, sections: out };
}

export function markdownReport(input: ReportInput): string {
  const m = input.machine;
  const out: string[] = [
    '# Benchmarks',
    '',
    `Generated by \`${input.command}\`${input.quick ? ' (quick smoke run: toy sizes, not figures to quote)' : ''} on ${m.date}, in ${num(input.elapsedSeconds)} s. Re-run it to refresh this file; the numbers below are this machine's only.`,
    '',
    '| machine | |',
    '| --- | --- |',
    `| CPU | ${m.cores} × ${mdEscape(m.cpuModel)} |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| Node.js | ${m.node} |`,
    `| OS | ${mdEscape(m.platform)} |`,
    `| load average at start (1 min) | ${m.loadAverage} |`,
    '',
    input.method.join('\n\n'),
    '',
    '## Targets',
    '',
  ];
  const targets = markdownTable(targetsTable(input.results)).split('\n');
  // Carried rows first: they belong to the scenarios that come first in a full run.
  targets.splice(2, 0, ...(input.carried?.targetRows ?? []));
  out.push(targets.join('\n'));
  const missed = input.results.flatMap((r) => r.targets.filter((t) => t.met === false && t.whyMissed !== undefined));
  const carriedWhy = input.carried?.whyMissed ?? [];
  if (missed.length + carriedWhy.length > 0) {
    out.push(
      '',
      'Why the missed targets are missed:',
      '',
      ...carriedWhy,
      ...missed.map((t) => `- **${t.target}**: ${t.whyMissed}`),
    );
  }
  if (input.carried !== undefined && input.carried.targetRows.length > 0) {
    out.push(
      '',
      'Rows of scenarios this run did not run are kept from the report it replaced; their sections below name the run that measured them.',
    );
  }
  for (const section of input.carried?.sections ?? []) out.push('', section);
  for (const result of input.results) {
    out.push('', `## ${result.name}`);
    for (const table of result.tables) out.push('', `### ${table.title}`, '', markdownTable(table));
  }
  return `${out.join('\n')}\n`;
}
