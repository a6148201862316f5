export interface PrometheusRuleGroup {
  name: string;
  rules: Array<Record<string, unknown>>;
}

/** The three fields a monitoring mixin exposes, as jsonnet evaluates them. */
export interface EvaluatedMixin {
  alerts: { groups: PrometheusRuleGroup[] };
  rules: { groups: PrometheusRuleGroup[] };
  dashboards: Record<string, Record<string, unknown>>;
}

/** Runs jsonnet on mixin.libsonnet, with `configOverride` (jsonnet object text) merged into _config. */
export declare function evaluateMixin(options?: { jsonnet?: string; configOverride?: string }): EvaluatedMixin;

/** The generated files, by path relative to the repository root, with their full text. */
export declare function renderMixin(mixin: EvaluatedMixin): Record<string, string>;
