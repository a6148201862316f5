import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmConfig } from '../../src/config/types.js';
import type { JsonStyle, NameStyle } from '../../src/simulator/types.js';
import {
  capturingLogger,
  createExporter,
  emConfig,
  exporterConfig,
  normalizeExposition,
  startSite,
  type Site,
} from './harness.js';

const GOLDEN = fileURLToPath(new URL('../golden/three-backups.prom', import.meta.url));
const promtool = ['/usr/bin/promtool', 'promtool'].find((p) => {
  try {
    execFileSync(p, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

/**
 * The same site read through every representation EM can answer with must give the same exposition,
 * byte for byte: XML or JSON, EM 12 PascalCase or EM 13 camelCase, entities or references with either
 * name style.
 */
const variants: Array<{
  label: string;
  em: Partial<EmConfig>;
  jsonStyle?: JsonStyle;
  nameStyle?: NameStyle;
  ignoreEntityFormat?: boolean;
  /** Query mode sends other requests: the request families hold these counts instead of the golden ones. */
  requests?: Record<string, number>;
}> = [
  { label: 'XML entities', em: { format: 'xml' } },
  { label: 'JSON v12 PascalCase', em: { format: 'json' }, jsonStyle: 'v12' },
  { label: 'JSON v13 camelCase', em: { format: 'json' }, jsonStyle: 'v13' },
  { label: 'XML references, SQL Server names', em: { restorePoints: 'reference' }, nameStyle: 'mssql' },
  { label: 'XML references, PostgreSQL names', em: { restorePoints: 'reference' }, nameStyle: 'postgres' },
  {
    label: 'JSON v13 references served for an entity request',
    em: { format: 'json' },
    jsonStyle: 'v13',
    ignoreEntityFormat: true,
  },
  // One query for the four backups' metadata, one for all their restore points.
  { label: 'query service, XML', em: { restorePoints: 'query' }, requests: { login: 1, query: 2 } },
  {
    label: 'query service, JSON v12',
    em: { restorePoints: 'query', format: 'json' },
    jsonStyle: 'v12',
    requests: { login: 1, query: 2 },
  },
  {
    label: 'query service, JSON v13, PostgreSQL names',
    em: { restorePoints: 'query', format: 'json' },
    jsonStyle: 'v13',
    nameStyle: 'postgres',
    requests: { login: 1, query: 2 },
  },
];

const REQUEST_FAMILIES = /^(# (HELP|TYPE) )?veeam_em_api_request/;

/** The exposition without the families that count HTTP requests, which differ by design between modes. */
function withoutRequestFamilies(text: string): string {
  return text
    .split('\n')
    .filter((line) => !REQUEST_FAMILIES.test(line))
    .join('\n');
}

/** `endpoint` -> count of `veeam_em_api_requests_total` with code 200/201. */
function requestCounts(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^veeam_em_api_requests_total\{em="em01",endpoint="([^"]+)",code="(\d+)"\} (\d+)$/gm)) {
    counts[m[1]!] = (counts[m[1]!] ?? 0) + Number(m[3]);
  }
  return counts;
}

describe('golden /metrics', () => {
  for (const variant of variants) {
    describe(variant.label, () => {
      let site: Site;
      beforeAll(async () => {
        site = await startSite({
          jsonStyle: variant.jsonStyle,
          nameStyle: variant.nameStyle,
          ignoreEntityFormat: variant.ignoreEntityFormat,
        });
      });
      afterAll(() => site.close());

      it('matches the committed golden file', async () => {
        const log = capturingLogger();
        const exporter = createExporter(exporterConfig([emConfig(site, variant.em)]), log.logger);
        expect(await exporter.runOnce()).toBe(true);
        const text = normalizeExposition(await exporter.metrics.render());
        await exporter.stop();
        if (process.env.UPDATE_GOLDEN === '1' && variant === variants[0]) writeFileSync(GOLDEN, text);
        const golden = readFileSync(GOLDEN, 'utf8');
        if (variant.requests === undefined) {
          expect(text).toBe(golden);
        } else {
          // Every other series, HELP and TYPE line is the golden one, byte for byte.
          expect(withoutRequestFamilies(text)).toBe(withoutRequestFamilies(golden));
          expect(requestCounts(text)).toEqual(variant.requests);
          expect(requestCounts(golden)).toEqual({ login: 1, backup: 4, restore_points: 4 });
        }
      });
    });
  }

  it.skipIf(!promtool && process.env.CI !== 'true')(
    'golden file passes promtool check metrics with no findings',
    () => {
      expect(existsSync(GOLDEN)).toBe(true);
      const result = execFileSync(promtool ?? 'promtool', ['check', 'metrics'], {
        input: readFileSync(GOLDEN),
        encoding: 'utf8',
      });
      expect(result.trim()).toBe('');
    },
  );
});
