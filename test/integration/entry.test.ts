/**
 * What the entry point loads before it can handle a signal: the modules Node loads eagerly are
 * those reached by static imports from dist/main.js. The demo, the simulator and its certificate
 * generator must not be among them (they load only with --demo).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAIN } from './process.js';

const DIST = dirname(MAIN);

/** Static `import … from '…'`, `import '…'` and `export … from '…'` of compiled ESM; not `import(…)`. */
function staticSpecifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^(?:import|export)\s(?:[^;'"]*?\sfrom\s)?['"]([^'"]+)['"];?\s*$/gm))
    found.push(match[1]!);
  return found;
}

/** Every file of dist/ and every package that loading `entry` loads eagerly. */
function eagerGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of staticSpecifiers(file)) {
      if (specifier.startsWith('.')) pending.push(join(dirname(file), specifier));
      else if (!specifier.startsWith('node:')) packages.add(specifier);
    }
  }
  return { files, packages };
}

describe('the entry point', () => {
  it('loads nothing but Node built-ins before its signal handlers are in place', () => {
    const { files, packages } = eagerGraph(MAIN);
    expect([...files].map((f) => relative(DIST, f))).toEqual(['main.js']);
    expect([...packages]).toEqual([]);
  });

  it('does not load the demo, the simulator or selfsigned in production', () => {
    const { files, packages } = eagerGraph(join(DIST, 'daemon.js'));
    const loaded = [...files].map((f) => relative(DIST, f));
    expect(loaded).toContain('exporter.js');
    expect(loaded.filter((f) => f.startsWith('demo/') || f.startsWith('simulator/'))).toEqual([]);
    expect([...packages]).not.toContain('selfsigned');
    expect(readFileSync(join(DIST, 'daemon.js'), 'utf8')).toMatch(/await import\(['"]\.\/demo\/index\.js['"]\)/);
  });
});
