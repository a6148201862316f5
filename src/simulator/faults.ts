import type { FaultRule } from './types.js';

interface Armed {
  rule: FaultRule;
  /** Hits left; Infinity when the rule has no `times`. */
  left: number;
}

/** Fault rules in the order added; the first that fits a request and has hits left takes it. */
export class FaultBook {
  private rules: Armed[] = [];

  add(rule: FaultRule): void {
    const left = rule.times === undefined ? Infinity : Math.max(0, Math.floor(rule.times));
    this.rules.push({ rule: { ...rule, match: rule.match && { ...rule.match } }, left });
  }

  clear(): void {
    this.rules = [];
  }

  take(method: string, path: string, query = ''): FaultRule | undefined {
    for (const armed of this.rules) {
      if (armed.left <= 0 || !matches(armed.rule, method, path, query)) continue;
      armed.left--;
      return armed.rule;
    }
    return undefined;
  }
}

function matches(rule: FaultRule, method: string, path: string, query: string): boolean {
  const m = rule.match;
  if (m === undefined) return true;
  if (m.method !== undefined && m.method.toUpperCase() !== method.toUpperCase()) return false;
  return fits(m.path, path) && fits(m.query, query);
}

function fits(pattern: RegExp | string | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  if (typeof pattern === 'string') return pattern === value;
  pattern.lastIndex = 0; // a /g or /y pattern would otherwise remember where it stopped last time
  return pattern.test(value);
}

/** True when the rule answers by itself, so the real handler (and its side effects) never runs. */
export function replacesResponse(rule: FaultRule): boolean {
  return rule.drop === 'before-response' || rule.redirectTo !== undefined || rule.status !== undefined;
}

/** The first half of a body, cut on a byte boundary that may split a character: clients must cope. */
export function firstHalf(body: Buffer): Buffer {
  return body.subarray(0, Math.floor(body.length / 2));
}
