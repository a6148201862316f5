import type { z } from 'zod';

/**
 * zod error functions worded for someone editing YAML. Input values are never echoed: a mistyped
 * password (say, an unquoted number) must not end up in a log line.
 */

function describeInput(input: unknown): string {
  if (input === null) return 'an empty value';
  if (Array.isArray(input)) return 'a list';
  switch (typeof input) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(input) ? 'a number' : 'a fractional number';
    case 'boolean':
      return 'true/false';
    case 'object':
      return 'a mapping';
    default:
      return typeof input;
  }
}

function hintFor(expected: string, input: unknown): string {
  if (expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')) {
    return '; quote the value so YAML reads it as text';
  }
  if ((expected === 'int' || expected === 'number') && typeof input === 'string' && /^-?\d+$/.test(input)) {
    return '; remove the quotes';
  }
  return '';
}

/**
 * Error function for a schema whose valid values are described by `noun`, e.g. `a duration such
 * as 30s`. Missing keys say "is required"; wrong types say what was found instead.
 */
export function expecting(noun: string, hints: { forNumber?: string } = {}): z.core.$ZodErrorMap {
  return (issue) => {
    if (issue.code === 'invalid_type') {
      if (issue.input === undefined) return 'is required';
      const hint = typeof issue.input === 'number' && hints.forNumber !== undefined ? `; ${hints.forNumber}` : hintFor(issue.expected, issue.input);
      return `expected ${noun}, got ${describeInput(issue.input)}${hint}`;
    }
    if (issue.code === 'invalid_value') return `must be ${noun}`;
    return undefined;
  };
}
