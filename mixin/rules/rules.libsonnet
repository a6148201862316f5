// No recording rules: every alert and panel reads the exporter's series directly, and none of them
// is expensive enough to precompute. The field is here because mixin tooling renders all three.
{
  prometheusRules+:: {
    groups+: [],
  },
}
