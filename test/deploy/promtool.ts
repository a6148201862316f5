import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { run } from './tools.js';

export const PROMTOOL_INSTALL = 'install Debian package "prometheus" (apt-get install prometheus)';

/**
 * Parses each expression with promtool: they become recording rules of a throw-away rules
 * file, which `promtool check rules` parses. Returns promtool's complaint for each expression
 * that does not parse (keyed by index), empty when all do.
 */
export function promqlParseErrors(promtool: string, exprs: readonly string[]): Map<number, string> {
  const dir = mkdtempSync(join(tmpdir(), 'promql-check-'));
  try {
    const errors = new Map<number, string>();
    // One file per expression: promtool stops at the first error of a file.
    exprs.forEach((expr, index) => {
      const file = join(dir, `q${index}.yml`);
      writeFileSync(file, stringify({ groups: [{ name: 'parse', rules: [{ record: `check:query${index}`, expr }] }] }));
      const result = run(promtool, ['check', 'rules', file]);
      if (result.code !== 0) errors.set(index, result.output.trim());
    });
    return errors;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
