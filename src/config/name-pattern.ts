import { RE2JS } from 're2js';

/**
 * A discovery pattern (`discover.include` / `exclude`), compiled by RE2JS, a JavaScript port of RE2:
 * matching takes time linear in the name whatever the pattern. JavaScript's backtracking engine
 * takes time exponential in the name for patterns such as `^(\w+\s?)+$`, and while it runs the
 * whole process waits: every scrape, health check and reload.
 */
export interface NamePattern {
  /** True when the pattern matches anywhere in `name` (anchor with `^` and `$` for the whole name). */
  test(name: string): boolean;
}

/** Compiles a pattern the config has accepted; throws on syntax that namePatternError reports. */
export function compileNamePattern(source: string): NamePattern {
  const compiled = RE2JS.compile(source);
  return { test: (name) => compiled.test(name) };
}

/** Why `source` is not a pattern this exporter accepts, for the config error; undefined when it is one. */
export function namePatternError(source: string): string | undefined {
  try {
    RE2JS.compile(source);
    return undefined;
  } catch (error) {
    const detail = (error as Error).message.replace(/^error parsing regexp: /, '');
    return `not a valid regular expression (RE2 syntax): ${javascriptOnlyHint(source) ?? detail}`;
  }
}

/** RE2's own wording for constructs only backtracking engines have is terse or misleading; name them. */
function javascriptOnlyHint(source: string): string | undefined {
  if (/\(\?<?[=!]/.test(source)) return 'lookahead and lookbehind ((?=…), (?!…), (?<=…), (?<!…)) are not supported';
  if (/\\[1-9]|\\k</.test(source)) return 'backreferences (\\1, \\k<name>) are not supported';
  if (/\\u/.test(source)) return 'write a character by code point as \\x{00e9}, not \\u00e9';
  return undefined;
}
