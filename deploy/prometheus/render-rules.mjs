#!/usr/bin/env node
// Renders a variant of veeam-em-alerts.yml (itself generated from mixin/) without forking the rules: only the `for:` and
// `keep_firing_for:` durations change (for end-to-end tests that cannot wait 15 minutes), and
// optionally where runbook_url points (for operators who publish docs/alerts.md elsewhere).
// Every expression, label and annotation stays byte-for-byte the shipped one.
//
//   node deploy/prometheus/render-rules.mjs --for=10s --keep-firing-for=0s > test-rules.yml
//   node deploy/prometheus/render-rules.mjs --runbook-url=https://wiki.example.com/veeam-em/alerts
//
// No dependencies beyond Node, so it runs from an installed package too.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const defaultRulesPath = fileURLToPath(new URL('./veeam-em-alerts.yml', import.meta.url));

// Prometheus duration syntax: units in descending order, each at most once.
const DURATION = /^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/;

function checkDuration(name, value) {
  if (typeof value !== 'string' || value === '' || !DURATION.test(value)) {
    throw new Error(`${name}: "${value}" is not a Prometheus duration such as 30s, 5m or 1h30m`);
  }
}

/**
 * @param {string} source the rules file text
 * @param {{ for?: string, keepFiringFor?: string, runbookUrl?: string }} [options]
 * @returns {string}
 */
export function renderRules(source, options = {}) {
  const { for: forDuration, keepFiringFor, runbookUrl } = options;
  if (forDuration !== undefined) checkDuration('for', forDuration);
  if (keepFiringFor !== undefined) checkDuration('keepFiringFor', keepFiringFor);
  if (runbookUrl !== undefined && (runbookUrl === '' || /[\s'#]/.test(runbookUrl))) {
    throw new Error(`runbookUrl: "${runbookUrl}" must be a URL without spaces, quotes or a fragment`);
  }

  const counts = { for: 0, keep_firing_for: 0, runbook_url: 0 };
  const lines = source.split('\n').map((line) => {
    const key = /^(\s+)(for|keep_firing_for):\s*\S+\s*$/.exec(line);
    if (key !== null) {
      const [, indent, name] = key;
      counts[name] += 1;
      const value = name === 'for' ? forDuration : keepFiringFor;
      return value === undefined ? line : `${indent}${name}: ${value}`;
    }
    // The generated file writes the URL plain; a hand-edited copy may quote it.
    const runbook = /^(\s+runbook_url:\s*'?)docs\/alerts\.md(#[a-z0-9-]+'?\s*)$/.exec(line);
    if (runbook !== null) {
      counts.runbook_url += 1;
      return runbookUrl === undefined ? line : `${runbook[1]}${runbookUrl}${runbook[2]}`;
    }
    return line;
  });

  // A reformatted source must not turn this into a silent no-op.
  for (const [name, wanted] of [
    ['for', forDuration],
    ['keep_firing_for', keepFiringFor],
    ['runbook_url', runbookUrl],
  ]) {
    if (wanted !== undefined && counts[name] === 0) throw new Error(`no ${name} lines found to rewrite`);
  }
  return lines.join('\n');
}

const USAGE = `usage: render-rules.mjs [--for=DURATION] [--keep-firing-for=DURATION] [--runbook-url=URL] [--in=FILE] [--out=FILE]
Rewrites only the for:, keep_firing_for: and runbook_url values of the alerting rules
(default input: veeam-em-alerts.yml beside this script; default output: stdout).`;

function main(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        for: { type: 'string' },
        'keep-firing-for': { type: 'string' },
        'runbook-url': { type: 'string' },
        in: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`render-rules: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const input = values.in ?? defaultRulesPath;
  let rendered;
  try {
    rendered = renderRules(readFileSync(input, 'utf8'), {
      for: values.for,
      keepFiringFor: values['keep-firing-for'],
      runbookUrl: values['runbook-url'],
    });
  } catch (err) {
    process.stderr.write(`render-rules: ${input}: ${err.message}\n`);
    return 2;
  }
  if (values.out === undefined) process.stdout.write(rendered);
  else writeFileSync(values.out, rendered);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
