// Grafana dashboards by file name, as mixin tooling expects.
{
  grafanaDashboards+:: {
    'veeam-em-dashboard.json': (import 'veeam-em.libsonnet')($._config),
  },
}
