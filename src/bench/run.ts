#!/usr/bin/env node
/**
 * `npm run bench`: runs the scenarios, prints their tables and writes docs/benchmarks.md.
 * `--quick` runs every scenario at toy size (a smoke run; writes nothing unless --out is given).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ROOT, installCleanup } from './children.js';
import { LEAN_FULL, LEAN_QUICK, runLean } from './lean.js';
import { PARSE_FULL, PARSE_QUICK, runParse } from './parse.js';
import { POLL_FULL, POLL_QUICK, runPoll } from './poll.js';
import {
  carriedOver,
  consoleTable,
  describeMachine,
  markdownReport,
  targetsTable,
  type Carried,
  type ScenarioResult,
} from './report.js';
import { SCRAPE_FULL, SCRAPE_QUICK, runScrape } from './scrape.js';

const SCENARIOS = ['scrape', 'poll', 'parse', 'lean'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Past this the run is stopped, children killed: a benchmark must end by itself. */
const HARD_LIMIT_MS = { full: 15 * 60_000, quick: 4 * 60_000 };

const USAGE = `Usage: node dist/bench/run.js [--quick] [--only scrape,poll,parse,lean] [--out FILE]
  --quick        every scenario at toy size, to check that the benchmark works (figures mean nothing)
  --only LIST    run only these scenarios; the report keeps the other scenarios' sections and targets
                 from the file it replaces, marked with the date of the run that measured them
  --out FILE     write the Markdown report here (default: docs/benchmarks.md for a full run, nothing for --quick)`;

const METHOD = [
  'Every process runs on this one machine: the exporter and the simulated Enterprise Manager in child processes of their own, the load generator ([autocannon](https://github.com/mcollina/autocannon), 4 connections) in the benchmark process. Traffic stays on loopback. On a machine with few cores the load generator, the exporter and the simulator compete for them, so treat the figures as a lower bound, and compare runs only on the same machine.',
  'Targets (issue "Scale and speed"): at 10,000 backups, scrape throughput ≥ 50 % of a bare node:http server sending the same bytes and p99 < 100 ms with 4 concurrent scrapers; an entity-mode poll cycle within 1.3× of `requests × latency ÷ concurrency`; query mode ≥ 20× fewer EM requests than entity mode at 1,000 backups; exporter RSS < 200 MB at 10,000 backups.',
  'Targets (issue "Lean and responsive"), scenario `lean`: at 10,000 backups steady RSS ≤ 150 MiB and peak ≤ 200 MiB in entity and query mode, at 1,000 backups ≤ 110 MiB, the idle process ≤ 90 MiB; the first scrape after a poll cycle ≤ 2× an idle scrape; an idle gzip scrape ≤ 1.5× its floor (compressing the changing lines plus sending stored bytes); poll CPU ≤ 0.9 ms per EM request with XML and ≤ 0.5 ms with JSON, beside a bare node:https client reading the same answers; 50,000 backups on defaults with a first-cycle peak ≤ 500 MiB and a cycle time linear in the number of backups.',
];

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const only = values.only === undefined ? [...SCENARIOS] : values.only.split(',').map((s) => s.trim());
  const unknown = only.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}\n${USAGE}\n`);
    return 2;
  }
  const quick = values.quick;
  const out = values.out ?? (quick ? undefined : `${ROOT}docs/benchmarks.md`);

  installCleanup();
  const limit = quick ? HARD_LIMIT_MS.quick : HARD_LIMIT_MS.full;
  setTimeout(() => {
    process.stderr.write(`bench: still running after ${limit / 60_000} minutes: giving up\n`);
    process.exit(1); // the exit handler kills every child
  }, limit).unref();

  const machine = describeMachine();
  process.stdout.write(
    `veeam-em-exporter benchmark${quick ? ' (quick)' : ''}: ${machine.cores} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, load ${machine.loadAverage}\n\n`,
  );
  const started = Date.now();
  const results: ScenarioResult[] = [];
  const runners: Record<Scenario, () => Promise<ScenarioResult>> = {
    scrape: () => runScrape(quick ? SCRAPE_QUICK : SCRAPE_FULL),
    poll: () => runPoll(quick ? POLL_QUICK : POLL_FULL),
    parse: () => runParse(quick ? PARSE_QUICK : PARSE_FULL),
    lean: () => runLean(quick ? LEAN_QUICK : LEAN_FULL),
  };
  for (const name of SCENARIOS) {
    if (!only.includes(name)) continue;
    const t0 = Date.now();
    process.stdout.write(`== ${name} ...\n`);
    const result = await runners[name]();
    results.push(result);
    for (const table of result.tables) process.stdout.write(`${consoleTable(table)}\n`);
    process.stdout.write(`   (${((Date.now() - t0) / 1000).toFixed(0)} s)\n\n`);
  }
  process.stdout.write(`${consoleTable(targetsTable(results))}\n`);
  const elapsedSeconds = (Date.now() - started) / 1000;
  process.stdout.write(`\ntotal ${elapsedSeconds.toFixed(0)} s\n`);

  if (out !== undefined) {
    const command = quick
      ? 'npm run bench -- --quick'
      : values.only === undefined
        ? 'npm run bench'
        : `npm run bench -- --only ${values.only}`;
    // A partial run refreshes its own scenarios and keeps what the last report says of the others.
    let carried: Carried | undefined;
    if (values.only !== undefined) {
      const previous = await readFile(out, 'utf8').catch(() => undefined);
      if (previous !== undefined)
        carried = carriedOver(
          previous,
          results.map((r) => r.name),
        );
    }
    await writeFile(out, markdownReport({ machine, command, quick, elapsedSeconds, results, method: METHOD, carried }));
    process.stdout.write(`wrote ${out}\n`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
