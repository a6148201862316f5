import type { ConfigIssue } from './types.js';

/** `config.yaml:12:5: enterpriseManagers[0].backups[1].id: not a GUID ...`, one line per issue. */
export function formatIssue(issue: ConfigIssue): string {
  let where = issue.file;
  if (issue.line !== undefined) where += `:${issue.line}`;
  if (issue.line !== undefined && issue.column !== undefined) where += `:${issue.column}`;
  // One line per issue, whatever a message from a library contains.
  const message = issue.message.replace(/\s*\n\s*/g, ' ');
  const what = issue.path === '' ? message : `${issue.path}: ${message}`;
  return `${where}: ${what}`;
}

export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map(formatIssue).join('\n');
}
