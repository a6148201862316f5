// veeam-em-exporter monitoring mixin: alerting rules, recording rules and a Grafana dashboard,
// parameterised by _config (config.libsonnet). mixin/render.mjs renders it into deploy/.
(import 'config.libsonnet') +
(import 'alerts/alerts.libsonnet') +
(import 'rules/rules.libsonnet') +
(import 'dashboards/dashboards.libsonnet')
