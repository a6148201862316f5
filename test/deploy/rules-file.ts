import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RULES_PATH = fileURLToPath(new URL('../../deploy/prometheus/veeam-em-alerts.yml', import.meta.url));
export const RULE_TESTS_DIR = fileURLToPath(new URL('../../deploy/prometheus/tests/', import.meta.url));
export const ALERTS_DOC_PATH = fileURLToPath(new URL('../../docs/alerts.md', import.meta.url));

/** Every promtool unit-test file of the rules (the main one and the multi-day one). */
export function ruleTestFiles(): string[] {
  return readdirSync(RULE_TESTS_DIR)
    .filter((f) => f.endsWith('.test.yml'))
    .sort()
    .map((f) => join(RULE_TESTS_DIR, f));
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RulesFile {
  groups: Array<{ name: string; rules: AlertRule[] }>;
}

export function parseRules(text: string): AlertRule[] {
  const doc = parse(text) as RulesFile;
  return doc.groups.flatMap((g) => g.rules);
}

export function shippedRules(): AlertRule[] {
  return parseRules(readFileSync(RULES_PATH, 'utf8'));
}

/** Prometheus duration to seconds; only the units the rules use. */
export function durationSeconds(d: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  const parts = [...d.matchAll(/(\d+)(ms|[smhdwy])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== d) throw new Error(`not a duration: ${d}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

export function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (!inFence && heading !== null) anchors.add(githubAnchor(heading[1]!));
  }
  return anchors;
}
