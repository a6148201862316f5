/**
 * Parse: `parseRestorePoints` on restore-point lists rendered by the simulator's own renderers,
 * in process (no I/O), median of several runs.
 */
import { DEFAULT_MAX_RESPONSE_BYTES } from '../em/transport.js';
import { parseRestorePoints } from '../em/parse/index.js';
import { generateBackups } from '../simulator/generate.js';
import { jsonRenderer } from '../simulator/json.js';
import { type Renderer, StoredBackup, Views } from '../simulator/model.js';
import { xmlRenderer } from '../simulator/xml.js';
import { bytes, num, type ScenarioResult, type Table } from './report.js';

export interface ParseOptions {
  points: number[];
  /** At least this many timed runs per body, more while `secondsPerCase` allows (up to `maxRuns`). */
  minRuns: number;
  maxRuns: number;
  secondsPerCase: number;
}

export const PARSE_FULL: ParseOptions = { points: [10, 1_000, 100_000], minRuns: 3, maxRuns: 200, secondsPerCase: 3 };
export const PARSE_QUICK: ParseOptions = { points: [10, 100], minRuns: 3, maxRuns: 20, secondsPerCase: 0.2 };

const FORMATS: Array<{ name: string; renderer: Renderer }> = [
  { name: 'XML', renderer: xmlRenderer },
  { name: 'JSON (EM 12, PascalCase)', renderer: jsonRenderer('v12') },
  { name: 'JSON (EM 13, camelCase)', renderer: jsonRenderer('v13') },
];

/** `GET /backups/{id}/restorePoints?format=Entity` as the simulator answers it for a backup with `points` points. */
export function restorePointBody(renderer: Renderer, points: number): string {
  const [backup] = generateBackups({
    count: 1,
    pointsPerBackup: points,
    seed: `parse-${points}`,
    now: Date.UTC(2026, 0, 15, 12),
  });
  const stored = new StoredBackup(backup!);
  const views = new Views('https://em01.example.local:9398/api', 'mssql');
  return renderer.entityList(
    'RestorePoints',
    stored.points().map((p) => views.restorePointEntity(stored, p)),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Case {
  format: string;
  points: number;
  bodyBytes: number;
  runs: number;
  medianMs: number;
}

function timeCase(format: string, renderer: Renderer, points: number, options: ParseOptions): Case {
  const body = restorePointBody(renderer, points);
  const bodyBytes = Buffer.byteLength(body);
  const check = parseRestorePoints(body, renderer.contentType); // also the warm-up
  if (check.length !== points) throw new Error(`${format}: parsed ${check.length} of ${points} restore points`);
  const times: number[] = [];
  const deadline = performance.now() + options.secondsPerCase * 1000;
  while (times.length < options.minRuns || (times.length < options.maxRuns && performance.now() < deadline)) {
    const t0 = performance.now();
    parseRestorePoints(body, renderer.contentType);
    times.push(performance.now() - t0);
  }
  return { format, points, bodyBytes, runs: times.length, medianMs: median(times) };
}

export async function runParse(options: ParseOptions): Promise<ScenarioResult> {
  const cases: Case[] = [];
  for (const points of options.points) {
    for (const { name, renderer } of FORMATS) {
      cases.push(timeCase(name, renderer, points, options));
      await new Promise((r) => setImmediate(r)); // let a Ctrl-C in between cases
    }
  }
  const table: Table = {
    title: 'parseRestorePoints on restore-point entity lists',
    columns: ['restore points', 'format', 'body', 'runs', 'median ms', 'MB/s', 'points/s'],
    rows: cases.map((c) => [
      num(c.points),
      c.format,
      `${bytes(c.bodyBytes)}${c.bodyBytes > DEFAULT_MAX_RESPONSE_BYTES ? ' ¹' : ''}`,
      num(c.runs),
      num(c.medianMs, c.medianMs < 10 ? 3 : 1),
      num(c.bodyBytes / 1e6 / (c.medianMs / 1000), 1),
      num(c.points / (c.medianMs / 1000)),
    ]),
    notes: [
      "Bodies are rendered by the simulator's renderers (`?format=Entity`, links included, as EM sends them); MB/s = body bytes ÷ median time, 1 MB = 10⁶ bytes. The time covers the well-formedness check, the parse and reading every point's time.",
      `¹ Larger than the client's response limit (${bytes(DEFAULT_MAX_RESPONSE_BYTES)}): the exporter refuses such an answer before parsing it; the figure shows what the parser would do.`,
    ],
  };
  if (!cases.some((c) => c.bodyBytes > DEFAULT_MAX_RESPONSE_BYTES)) table.notes.pop();
  return { name: 'Parse', tables: [table], targets: [] };
}
