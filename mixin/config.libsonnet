// Selectors, thresholds and links of the veeam-em-exporter mixin. Override any of them with
//   (import 'mixin.libsonnet') + { _config+:: { exporterSelector: 'job="veeam-em"' } }
// The defaults are what deploy/ ships; mixin/render.mjs writes them out.
{
  _config+:: {
    // Selects the exporter's scrape targets in `up`; it must match your scrape job. The default fits
    // the job of deploy/prometheus/prometheus.yml (veeam-em) and the Service name a
    // prometheus-operator ServiceMonitor uses as job (veeam-em-exporter).
    exporterSelector: 'job=~".*veeam.*"',

    // Backup alerts. `for` outlasts an exporter restart plus one poll cycle, and keep_firing_for
    // carries a firing alert across the gap in the series while the exporter restarts
    // (docs/alerts.md, "Restarts").
    backupAlertFor: '15m',
    backupAlertKeepFiringFor: '15m',
    // VeeamBackupRestorePointsDropped: fewer than this share of the most restore points seen
    // within the window.
    restorePointsDropRatio: 0.5,
    restorePointsDropWindow: '6h',
    // VeeamBackupRestorePointInFuture: how far ahead of Prometheus' clock a newest restore point may
    // be dated before it is reported. Clock skew between EM, the backup server and Prometheus stays
    // well below an hour where NTP runs.
    futureRestorePointToleranceSeconds: 3600,

    // Alerts on the exporter itself.
    exporterAlertFor: '10m',
    exporterAlertKeepFiringFor: '15m',
    // VeeamExporterDataStale: more than this many average poll intervals without a finished cycle,
    // the average taken over the window. The ceiling applies when the window holds no cycle at all
    // and must be half the window (here 3.5 days of 7), see docs/alerts.md.
    dataStaleIntervals: 3,
    dataStaleWindow: '7d',
    dataStaleCeilingSeconds: 302400,

    // Every runbook_url is this plus `#` and the alert name in lower case. Relative by default, so it
    // resolves next to the rules in the repository or an unpacked release; point it at a published
    // copy of docs/alerts.md if you have one.
    runbookUrlBase: 'docs/alerts.md',

    // Grafana.
    dashboardUid: 'veeam-em-exporter',
    dashboardTitle: 'Veeam Enterprise Manager backups',
    dashboardTags: ['veeam', 'backup', 'veeam-em-exporter'],
    dashboardRefresh: '1m',
    dashboardTimeFrom: 'now-2d',
    dashboardTimezone: 'browser',
  },
}
