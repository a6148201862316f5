// Alerting rules. Needs Prometheus >= 2.42 (keep_firing_for).
//
// Severities: `critical` means restores are at risk (page), `warning` means the monitoring is blind
// or something changed that a person should look at (ticket). The runbook of every alert is
// docs/alerts.md; the anchor is the alert name in lower case.
//
// Restarting the exporter must not page anyone. While it restarts, Prometheus marks its series
// stale, and the per-backup series come back only when the first poll cycle has finished. So:
//   - every `for:` is longer than a restart plus one poll cycle, so nothing new fires;
//   - alerts on the exporter's own series keep firing across that gap (keep_firing_for) instead of
//     resolving and then paging again when the series return.
local lib = import '../lib.libsonnet';

{
  local c = $._config,
  local runbook(alert) = lib.runbookUrl(c, alert),
  // Backup alerts share their timing; each rule adds what differs.
  local backupAlert(alert, severity) = {
    alert: alert,
    'for': c.backupAlertFor,
    keep_firing_for: c.backupAlertKeepFiringFor,
    labels: { severity: severity },
  },

  prometheusAlerts+:: {
    groups+: [
      {
        name: 'veeam-em-backups',
        rules: [
          // Matching ignores only backup_name, a display label: the age and the RPO of one backup
          // then pair up on em, backup_id and every target label (job, instance, anything the scrape
          // config adds), so two exporters watching the same EM never collide, and group_left keeps
          // backup_name on the alert.
          backupAlert('VeeamBackupRestorePointTooOld', 'critical') {
            expr: |||
              veeam_em_backup_newest_restore_point_age_seconds
                > ignoring(backup_name) group_left()
              veeam_em_backup_rpo_seconds
            |||,
            annotations: {
              summary: 'Backup {{ $labels.backup_name }} on {{ $labels.em }} has missed its RPO',
              description: lib.fold(|||
                The newest restore point of backup "{{ $labels.backup_name }}" (ID {{ $labels.backup_id }})
                on Enterprise Manager {{ $labels.em }} is {{ $value | humanizeDuration }} old;
                its RPO is {{ with printf "veeam_em_backup_rpo_seconds{em=%q,backup_id=%q}" $labels.em $labels.backup_id | query }}{{ . | first | value | humanizeDuration }}{{ else }}unknown{{ end }}.
                No backup of it has succeeded within its recovery point objective.
              |||),
              runbook_url: runbook('VeeamBackupRestorePointTooOld'),
            },
          },

          // The age series does not exist without restore points, so the alert above cannot see
          // this case.
          backupAlert('VeeamBackupNoRestorePoints', 'critical') {
            expr: 'veeam_em_backup_restore_points == 0',
            annotations: {
              summary: 'Backup {{ $labels.backup_name }} on {{ $labels.em }} has no restore points',
              description: lib.fold(|||
                Enterprise Manager {{ $labels.em }} lists no restore points for backup
                "{{ $labels.backup_name }}" (ID {{ $labels.backup_id }}): there is nothing to restore from.
              |||),
              runbook_url: runbook('VeeamBackupNoRestorePoints'),
            },
          },

          // A drop to 0 is left to VeeamBackupNoRestorePoints (the trailing `> 0`), so it is
          // reported once, as a page. The alert resolves by itself once the higher count leaves the
          // window.
          backupAlert('VeeamBackupRestorePointsDropped', 'warning') {
            expr: |||
              (
                veeam_em_backup_restore_points
                  < %(ratio)s * max_over_time(veeam_em_backup_restore_points[%(window)s])
              ) > 0
            ||| % { ratio: c.restorePointsDropRatio, window: c.restorePointsDropWindow },
            annotations: {
              summary: 'Backup {{ $labels.backup_name }} on {{ $labels.em }} lost more than half of its restore points',
              description: lib.fold(|||
                Backup "{{ $labels.backup_name }}" (ID {{ $labels.backup_id }}) on Enterprise Manager {{ $labels.em }}
                has {{ $value | printf "%%.0f" }} restore points, fewer than half of the
                {{ with printf "max_over_time(veeam_em_backup_restore_points{em=%%q,backup_id=%%q}[%(window)s])" $labels.em $labels.backup_id | query }}{{ . | first | value | printf "%%.0f" }}{{ else }}(unknown){{ end }}
                it had within the last %(windowWords)s.
              ||| % { window: c.restorePointsDropWindow, windowWords: std.strReplace(c.restorePointsDropWindow, 'h', ' hours') }),
              runbook_url: runbook('VeeamBackupRestorePointsDropped'),
            },
          },

          backupAlert('VeeamBackupPollFailing', 'warning') {
            expr: 'veeam_em_backup_poll_success == 0',
            annotations: {
              summary: 'The exporter cannot read backup {{ $labels.backup_name }} on {{ $labels.em }}',
              description: lib.fold(|||
                Polls of backup "{{ $labels.backup_name }}" (ID {{ $labels.backup_id }}) on Enterprise Manager {{ $labels.em }}
                keep failing; its restore-point values are those of the last successful poll,
                {{ with printf "time() - veeam_em_backup_last_success_timestamp_seconds{em=%q,backup_id=%q}" $labels.em $labels.backup_id | query }}{{ . | first | value | humanizeDuration }} ago{{ else }}none since the exporter started{{ end }}.
                {{- with printf "sort_desc(sum by (reason) (increase(veeam_em_poll_errors_total{em=%q}[15m])) > 0)" $labels.em | query }} Most frequent error reason on this EM in the last 15 minutes: {{ . | first | label "reason" }}.{{ end }}
              |||),
              runbook_url: runbook('VeeamBackupPollFailing'),
            },
          },

          // The age is clamped at 0 for a point dated ahead of the clock, so one such point (a wrong
          // clock or time zone on the backup server, a year-9999 date) would keep
          // VeeamBackupRestorePointTooOld silent for as long as it stays the newest.
          backupAlert('VeeamBackupRestorePointInFuture', 'warning') {
            expr: 'veeam_em_backup_newest_restore_point_timestamp_seconds - time() > %d' % c.futureRestorePointToleranceSeconds,
            annotations: {
              summary: 'Backup {{ $labels.backup_name }} on {{ $labels.em }} has a restore point dated in the future',
              description: lib.fold(|||
                The newest restore point of backup "{{ $labels.backup_name }}" (ID {{ $labels.backup_id }})
                on Enterprise Manager {{ $labels.em }} is dated {{ $value | humanizeDuration }} ahead of Prometheus' clock.
                Its age reads 0 until that date, so VeeamBackupRestorePointTooOld cannot fire for this backup
                even if no new restore point arrives.
              |||),
              runbook_url: runbook('VeeamBackupRestorePointInFuture'),
            },
          },

          // Per machine (with `vms:` configured): its newest point against its backup's RPO. A backup
          // that is stale as a whole is left to VeeamBackupRestorePointTooOld (the `unless`), so one
          // stale backup pages once, not once more per machine. Matching ignores the display labels,
          // as above; `unless` is a set operation and needs no group modifier.
          backupAlert('VeeamVmRestorePointTooOld', 'critical') {
            expr: |||
              (
                time() - veeam_em_vm_newest_restore_point_timestamp_seconds
                  > ignoring(backup_name, vm_name, vm_id) group_left()
                veeam_em_backup_rpo_seconds
              )
              unless ignoring(backup_name, vm_name, vm_id)
              (
                veeam_em_backup_newest_restore_point_age_seconds
                  > ignoring(backup_name) group_left()
                veeam_em_backup_rpo_seconds
              )
            |||,
            annotations: {
              summary: 'VM {{ $labels.vm_name }} in backup {{ $labels.backup_name }} on {{ $labels.em }} has missed its RPO',
              description: lib.fold(|||
                The newest restore point of VM "{{ $labels.vm_name }}" ({{ $labels.vm_id }}) in backup
                "{{ $labels.backup_name }}" (ID {{ $labels.backup_id }}) on Enterprise Manager {{ $labels.em }}
                is {{ $value | humanizeDuration }} old; the backup's RPO is {{ with printf "veeam_em_backup_rpo_seconds{em=%q,backup_id=%q}" $labels.em $labels.backup_id | query }}{{ . | first | value | humanizeDuration }}{{ else }}unknown{{ end }}.
                The job still creates restore points, but not for this machine.
              |||),
              runbook_url: runbook('VeeamVmRestorePointTooOld'),
            },
          },
        ],
      },
      {
        name: 'veeam-em-exporter',
        rules: [
          {
            alert: 'VeeamEnterpriseManagerDown',
            expr: 'veeam_em_up == 0',
            'for': c.exporterAlertFor,
            keep_firing_for: c.exporterAlertKeepFiringFor,
            labels: { severity: 'warning' },
            annotations: {
              summary: 'Enterprise Manager {{ $labels.em }} cannot be reached or logged on to',
              description: lib.fold(|||
                The poll cycles of exporter {{ $labels.instance }} could not log on to or reach
                Enterprise Manager {{ $labels.em }}. The restore-point values of its backups are frozen
                and their ages keep growing.
                {{- with printf "sort_desc(sum by (reason) (increase(veeam_em_poll_errors_total{em=%q}[15m])) > 0)" $labels.em | query }} Most frequent error reason in the last 15 minutes: {{ . | first | label "reason" }}.{{ end }}
              |||),
              runbook_url: runbook('VeeamEnterpriseManagerDown'),
            },
          },

          // "More than three poll intervals without a finished cycle". The interval is not a
          // metric, so it is measured: the average gap between cycle ends over the window
          // ((newest - oldest end) / number of changes). There is no interval constant to keep in
          // step with poll.schedule. The average cannot be taken when the window holds no change:
          // then the last cycle ended more than (window - one interval) ago, so the second branch,
          // half the window without a cycle, is already true and the alert does not flap when the
          // first branch drops out. docs/alerts.md has the limits (schedules longer than a day,
          // changes).
          {
            alert: 'VeeamExporterDataStale',
            expr: |||
              (
                time() - veeam_em_last_poll_timestamp_seconds
                  > %(intervals)d * (
                      (
                        max_over_time(veeam_em_last_poll_timestamp_seconds[%(window)s])
                        - min_over_time(veeam_em_last_poll_timestamp_seconds[%(window)s])
                      )
                      / (changes(veeam_em_last_poll_timestamp_seconds[%(window)s]) > 0)
                    )
              )
              or
              (time() - veeam_em_last_poll_timestamp_seconds > %(ceiling)d)
            ||| % { intervals: c.dataStaleIntervals, window: c.dataStaleWindow, ceiling: c.dataStaleCeilingSeconds },
            'for': c.exporterAlertFor,
            labels: { severity: 'warning' },
            annotations: {
              summary: 'No poll cycle of {{ $labels.em }} has finished for {{ $value | humanizeDuration }}',
              description: lib.fold(|||
                The last poll cycle of exporter {{ $labels.instance }} for Enterprise Manager {{ $labels.em }}
                ended {{ $value | humanizeDuration }} ago, more than three times the usual interval
                between cycles. The values it serves are getting old: the schedule may be stuck or a
                cycle may hang.
              |||),
              runbook_url: runbook('VeeamExporterDataStale'),
            },
          },

          // exporterSelector (config.libsonnet) must match the scrape job of the exporter.
          {
            alert: 'VeeamExporterDown',
            expr: 'up{%s} == 0' % c.exporterSelector,
            'for': c.exporterAlertFor,
            labels: { severity: 'warning' },
            annotations: {
              summary: 'veeam-em-exporter {{ $labels.instance }} is down',
              description: lib.fold(|||
                Prometheus could not scrape {{ $labels.instance }} (job {{ $labels.job }}).
                Backup freshness is not being monitored while it is down.
              |||),
              runbook_url: runbook('VeeamExporterDown'),
            },
          },

          {
            alert: 'VeeamExporterConfigReloadFailed',
            expr: 'veeam_em_exporter_config_last_reload_successful == 0',
            'for': c.exporterAlertFor,
            labels: { severity: 'warning' },
            annotations: {
              summary: 'veeam-em-exporter {{ $labels.instance }} refused its new configuration',
              description: lib.fold(|||
                The last reload of {{ $labels.instance }} (SIGHUP or POST /-/reload) found an invalid
                configuration and kept running the previous one, so recent config edits are not in force.
                The exporter log names the file, line and key of every problem.
              |||),
              runbook_url: runbook('VeeamExporterConfigReloadFailed'),
            },
          },
        ],
      },
    ],
  },
}
