/** Absolute path of the shipped veeam-em-alerts.yml. */
export declare const defaultRulesPath: string;

export interface RenderOptions {
  /** Replaces every `for:` duration (Prometheus syntax, e.g. `10s`). */
  for?: string;
  /** Replaces every `keep_firing_for:` duration; `0s` turns it off. */
  keepFiringFor?: string;
  /** Replaces `docs/alerts.md` in every runbook_url; the `#anchor` is kept. */
  runbookUrl?: string;
}

/** The rules text with only the chosen values rewritten; throws on a bad duration or URL. */
export declare function renderRules(source: string, options?: RenderOptions): string;
