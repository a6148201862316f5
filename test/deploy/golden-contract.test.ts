/**
 * metric-names.ts is a hand-written copy of the README's Metrics table; the golden /metrics files are what the
 * exporter really serves. Holding one against the other means the rules and the dashboard,
 * checked against metric-names.ts, are checked against the real exposition too.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { METRIC_FAMILIES } from './metric-names.js';

const GOLDEN_DIR = fileURLToPath(new URL('../golden/', import.meta.url));

/** Families the exporter serves beyond the per-backup contract; the rules and the dashboard may not use them. */
const BEYOND_DESIGN = new Set<string>([]);

interface Family {
  type: string;
  /** Label names seen on the family's samples (histogram `le` excluded). */
  labels: Set<string>;
  samples: number;
}

/** Label names of one sample line's `{...}`, honouring escaped quotes in values. */
function sampleLabelNames(line: string): { name: string; labels: string[] } {
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  if (brace < 0 || (space >= 0 && space < brace)) return { name: line.slice(0, space), labels: [] };
  const labels: string[] = [];
  let i = brace + 1;
  while (line[i] !== '}') {
    const eq = line.indexOf('=', i);
    labels.push(line.slice(i, eq));
    i = eq + 2; // past ="
    while (line[i] !== '"') i += line[i] === '\\' ? 2 : 1;
    i += 1;
    if (line[i] === ',') i += 1;
  }
  return { name: line.slice(0, brace), labels };
}

function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const familyOf = (series: string) =>
    [series, series.replace(/_(bucket|sum|count)$/, '')].find((n) => families.has(n)) ?? series;
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) families.set(type[1]!, { type: type[2]!, labels: new Set(), samples: 0 });
    if (line === '' || line.startsWith('#')) continue;
    const { name, labels } = sampleLabelNames(line);
    const family = families.get(familyOf(name));
    if (family === undefined) throw new Error(`sample without TYPE: ${line}`);
    family.samples += 1;
    labels.filter((l) => l !== 'le').forEach((l) => family.labels.add(l));
  }
  return families;
}

const goldenFiles = readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.prom'));

describe('sampleLabelNames', () => {
  it('reads label names past escaped quotes, commas and braces in values', () => {
    expect(sampleLabelNames('m{a="x\\"y,z}",b="{}"} 1')).toEqual({ name: 'm', labels: ['a', 'b'] });
    expect(sampleLabelNames('m 1')).toEqual({ name: 'm', labels: [] });
  });
});

describe('metric-names.ts against the golden exposition', () => {
  it('has golden files to compare with', () => {
    expect(goldenFiles.length).toBeGreaterThan(0);
  });

  describe.each(goldenFiles)('%s', (file) => {
    const families = parseExposition(readFileSync(join(GOLDEN_DIR, file), 'utf8'));

    it.each(METRIC_FAMILIES.map((f) => [f.name, f] as const))(
      'serves %s with the design type and labels',
      (name, expected) => {
        const actual = families.get(name);
        expect(actual, `${name} missing from ${file}`).toBeDefined();
        expect(actual!.type).toBe(expected.type);
        // Families without samples (no error yet, say) cannot show their labels.
        if (actual!.samples > 0) expect([...actual!.labels].sort()).toEqual([...expected.labels].sort());
      },
    );

    it('serves no veeam_em family the contract does not know', () => {
      const known = new Set(METRIC_FAMILIES.map((f) => f.name));
      const unknown = [...families.keys()].filter(
        (n) => n.startsWith('veeam_em_') && !known.has(n) && !BEYOND_DESIGN.has(n),
      );
      expect(unknown, 'add new families to the README metrics table and to metric-names.ts').toEqual([]);
    });
  });
});
