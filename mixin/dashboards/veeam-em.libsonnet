// The Grafana dashboard: per-backup age against RPO, counts, and the exporter's health. Every query
// takes its data source from the ${datasource} variable and filters by the `em` (and `backup_name`)
// variables, so the dashboard imports into any Grafana with any Prometheus data source name.
function(config)
  // Every query and query variable reads from the data source picked in ${datasource}.
  local prometheus = { type: 'prometheus', uid: '${datasource}' };
  // The dashboard variables every per-EM and per-backup query honours.
  local emSelector = 'em=~"$em"';
  local backupSelector = emSelector + ',backup_name=~"$backup_name"';
  {
    id: null,
    uid: config.dashboardUid,
    title: config.dashboardTitle,
    description: 'Restore-point freshness per backup against its RPO, and the health of veeam-em-exporter.',
    tags: config.dashboardTags,
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    refresh: config.dashboardRefresh,
    timezone: config.dashboardTimezone,
    time: {
      from: config.dashboardTimeFrom,
      to: 'now',
    },
    timepicker: {},
    links: [],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: {
            type: 'grafana',
            uid: '-- Grafana --',
          },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: {
      list: [
        {
          type: 'datasource',
          name: 'datasource',
          label: 'Data source',
          query: 'prometheus',
          current: {},
          hide: 0,
          includeAll: false,
          multi: false,
          options: [],
          refresh: 1,
          regex: '',
          skipUrlSync: false,
        },
        {
          type: 'query',
          name: 'em',
          label: 'Enterprise Manager',
          datasource: prometheus,
          definition: 'label_values(veeam_em_up, em)',
          query: {
            query: 'label_values(veeam_em_up, em)',
            refId: 'em-query',
            qryType: 1,
          },
          refresh: 2,
          multi: true,
          includeAll: true,
          allValue: '.*',
          current: {
            selected: true,
            text: [
              'All',
            ],
            value: [
              '$__all',
            ],
          },
          options: [],
          regex: '',
          sort: 1,
          hide: 0,
          skipUrlSync: false,
        },
        {
          type: 'query',
          name: 'backup_name',
          label: 'Backup',
          datasource: prometheus,
          definition: 'label_values(veeam_em_backup_rpo_seconds{' + emSelector + '}, backup_name)',
          query: {
            query: 'label_values(veeam_em_backup_rpo_seconds{' + emSelector + '}, backup_name)',
            refId: 'backup_name-query',
            qryType: 1,
          },
          refresh: 2,
          multi: true,
          includeAll: true,
          allValue: '.*',
          current: {
            selected: true,
            text: [
              'All',
            ],
            value: [
              '$__all',
            ],
          },
          options: [],
          regex: '',
          sort: 1,
          hide: 0,
          skipUrlSync: false,
        },
      ],
    },
    panels: [
      {
        type: 'row',
        id: 1,
        title: 'Backups',
        collapsed: false,
        gridPos: {
          h: 1,
          w: 24,
          x: 0,
          y: 0,
        },
        panels: [],
      },
      {
        type: 'table',
        id: 2,
        title: 'Backup overview',
        description: "Every watched backup at the last poll. Age / RPO turns amber at 80 % and red at 100 % of the backup's RPO. Values come from the exporter's background polls.",
        datasource: prometheus,
        gridPos: {
          h: 10,
          w: 24,
          x: 0,
          y: 1,
        },
        targets: [
          {
            datasource: prometheus,
            refId: 'A',
            expr: 'max by (em, backup_id, backup_name) (veeam_em_backup_newest_restore_point_age_seconds{' + backupSelector + '})',
            legendFormat: '__auto',
            editorMode: 'code',
            instant: true,
            range: false,
            format: 'table',
          },
          {
            datasource: prometheus,
            refId: 'B',
            expr: 'max by (em, backup_id, backup_name) (veeam_em_backup_rpo_seconds{' + backupSelector + '})',
            legendFormat: '__auto',
            editorMode: 'code',
            instant: true,
            range: false,
            format: 'table',
          },
          {
            datasource: prometheus,
            refId: 'C',
            expr: 'max by (em, backup_id, backup_name) (veeam_em_backup_newest_restore_point_age_seconds{' + backupSelector + '} / ignoring(backup_name) group_left() veeam_em_backup_rpo_seconds{' + backupSelector + '})',
            legendFormat: '__auto',
            editorMode: 'code',
            instant: true,
            range: false,
            format: 'table',
          },
          {
            datasource: prometheus,
            refId: 'D',
            expr: 'max by (em, backup_id, backup_name) (veeam_em_backup_restore_points{' + backupSelector + '})',
            legendFormat: '__auto',
            editorMode: 'code',
            instant: true,
            range: false,
            format: 'table',
          },
          {
            datasource: prometheus,
            refId: 'E',
            expr: 'min by (em, backup_id, backup_name) (veeam_em_backup_poll_success{' + backupSelector + '})',
            legendFormat: '__auto',
            editorMode: 'code',
            instant: true,
            range: false,
            format: 'table',
          },
          {
            datasource: prometheus,
            refId: 'F',
            expr: 'max by (em, backup_id, backup_name) (veeam_em_backup_last_success_timestamp_seconds{' + backupSelector + '}) * 1000',
            legendFormat: '__auto',
            editorMode: 'code',
            instant: true,
            range: false,
            format: 'table',
          },
        ],
        transformations: [
          {
            id: 'merge',
            options: {},
          },
          {
            id: 'organize',
            options: {
              excludeByName: {
                Time: true,
              },
              indexByName: {
                em: 0,
                backup_name: 1,
                'Value #A': 2,
                'Value #B': 3,
                'Value #C': 4,
                'Value #D': 5,
                'Value #E': 6,
                'Value #F': 7,
                backup_id: 8,
              },
              renameByName: {
                em: 'Enterprise Manager',
                backup_name: 'Backup',
                backup_id: 'Backup ID',
                'Value #A': 'Newest point age',
                'Value #B': 'RPO',
                'Value #C': 'Age / RPO',
                'Value #D': 'Restore points',
                'Value #E': 'Last poll',
                'Value #F': 'Last successful poll',
              },
            },
          },
        ],
        fieldConfig: {
          defaults: {
            custom: {
              align: 'auto',
              cellOptions: {
                type: 'auto',
              },
              inspect: false,
            },
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'green',
                  value: null,
                },
              ],
            },
            color: {
              mode: 'thresholds',
            },
          },
          overrides: [
            {
              matcher: {
                id: 'byName',
                options: 'Newest point age',
              },
              properties: [
                {
                  id: 'unit',
                  value: 's',
                },
                {
                  id: 'decimals',
                  value: 1,
                },
              ],
            },
            {
              matcher: {
                id: 'byName',
                options: 'RPO',
              },
              properties: [
                {
                  id: 'unit',
                  value: 's',
                },
              ],
            },
            {
              matcher: {
                id: 'byName',
                options: 'Age / RPO',
              },
              properties: [
                {
                  id: 'unit',
                  value: 'percentunit',
                },
                {
                  id: 'decimals',
                  value: 0,
                },
                {
                  id: 'thresholds',
                  value: {
                    mode: 'absolute',
                    steps: [
                      {
                        color: 'green',
                        value: null,
                      },
                      {
                        color: '#EAB839',
                        value: 0.8,
                      },
                      {
                        color: 'red',
                        value: 1,
                      },
                    ],
                  },
                },
                {
                  id: 'color',
                  value: {
                    mode: 'thresholds',
                  },
                },
                {
                  id: 'custom.cellOptions',
                  value: {
                    type: 'color-background',
                    mode: 'basic',
                  },
                },
              ],
            },
            {
              matcher: {
                id: 'byName',
                options: 'Restore points',
              },
              properties: [
                {
                  id: 'unit',
                  value: 'none',
                },
                {
                  id: 'decimals',
                  value: 0,
                },
              ],
            },
            {
              matcher: {
                id: 'byName',
                options: 'Last poll',
              },
              properties: [
                {
                  id: 'mappings',
                  value: [
                    {
                      type: 'value',
                      options: {
                        '0': {
                          text: 'failed',
                          color: 'red',
                          index: 0,
                        },
                        '1': {
                          text: 'OK',
                          color: 'green',
                          index: 1,
                        },
                      },
                    },
                  ],
                },
                {
                  id: 'custom.cellOptions',
                  value: {
                    type: 'color-text',
                  },
                },
              ],
            },
            {
              matcher: {
                id: 'byName',
                options: 'Last successful poll',
              },
              properties: [
                {
                  id: 'unit',
                  value: 'dateTimeFromNow',
                },
              ],
            },
          ],
        },
        options: {
          showHeader: true,
          cellHeight: 'sm',
          footer: {
            show: false,
            reducer: [
              'sum',
            ],
            fields: '',
          },
          sortBy: [
            {
              displayName: 'Age / RPO',
              desc: true,
            },
          ],
        },
      },
      {
        type: 'timeseries',
        id: 3,
        title: 'Newest restore point age and RPO',
        description: "Age of the newest restore point per backup (solid) against the backup's RPO (dashed). The age is computed at scrape time and grows between polls.",
        datasource: prometheus,
        gridPos: {
          h: 9,
          w: 12,
          x: 0,
          y: 11,
        },
        targets: [
          {
            datasource: prometheus,
            refId: 'A',
            expr: 'max by (em, backup_id, backup_name) (veeam_em_backup_newest_restore_point_age_seconds{' + backupSelector + '})',
            legendFormat: '{{em}} / {{backup_name}}',
            editorMode: 'code',
            instant: false,
            range: true,
            format: 'time_series',
          },
          {
            datasource: prometheus,
            refId: 'B',
            expr: 'max by (em, backup_id, backup_name) (veeam_em_backup_rpo_seconds{' + backupSelector + '})',
            legendFormat: 'RPO {{em}} / {{backup_name}}',
            editorMode: 'code',
            instant: false,
            range: true,
            format: 'time_series',
          },
        ],
        fieldConfig: {
          defaults: {
            unit: 's',
            custom: {
              drawStyle: 'line',
              lineWidth: 1,
              fillOpacity: 0,
              showPoints: 'never',
              spanNulls: false,
              axisSoftMin: 0,
              thresholdsStyle: {
                mode: 'off',
              },
            },
            color: {
              mode: 'palette-classic',
            },
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'green',
                  value: null,
                },
              ],
            },
          },
          overrides: [
            {
              matcher: {
                id: 'byRegexp',
                options: '^RPO .*',
              },
              properties: [
                {
                  id: 'custom.lineStyle',
                  value: {
                    fill: 'dash',
                    dash: [
                      10,
                      10,
                    ],
                  },
                },
                {
                  id: 'custom.lineWidth',
                  value: 1,
                },
              ],
            },
          ],
        },
        options: {
          legend: {
            displayMode: 'table',
            placement: 'right',
            calcs: [
              'lastNotNull',
            ],
            showLegend: true,
          },
          tooltip: {
            mode: 'multi',
            sort: 'desc',
          },
        },
      },
      {
        type: 'timeseries',
        id: 4,
        title: 'Age as share of RPO',
        description: "Newest restore point age divided by the backup's RPO. Above 100 % the backup has missed its RPO (alert VeeamBackupRestorePointTooOld).",
        datasource: prometheus,
        gridPos: {
          h: 9,
          w: 12,
          x: 12,
          y: 11,
        },
        targets: [
          {
            datasource: prometheus,
            refId: 'A',
            expr: 'max by (em, backup_id, backup_name) (veeam_em_backup_newest_restore_point_age_seconds{' + backupSelector + '} / ignoring(backup_name) group_left() veeam_em_backup_rpo_seconds{' + backupSelector + '})',
            legendFormat: '{{em}} / {{backup_name}}',
            editorMode: 'code',
            instant: false,
            range: true,
            format: 'time_series',
          },
        ],
        fieldConfig: {
          defaults: {
            unit: 'percentunit',
            custom: {
              drawStyle: 'line',
              lineWidth: 1,
              fillOpacity: 0,
              showPoints: 'never',
              spanNulls: false,
              axisSoftMin: 0,
              thresholdsStyle: {
                mode: 'line+area',
              },
            },
            color: {
              mode: 'palette-classic',
            },
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'green',
                  value: null,
                },
                {
                  color: '#EAB839',
                  value: 0.8,
                },
                {
                  color: 'red',
                  value: 1,
                },
              ],
            },
          },
          overrides: [],
        },
        options: {
          legend: {
            displayMode: 'table',
            placement: 'right',
            calcs: [
              'lastNotNull',
            ],
            showLegend: true,
          },
          tooltip: {
            mode: 'multi',
            sort: 'desc',
          },
        },
      },
      {
        type: 'timeseries',
        id: 5,
        title: 'Restore points',
        description: 'Restore points Enterprise Manager lists per backup, at each successful poll.',
        datasource: prometheus,
        gridPos: {
          h: 8,
          w: 12,
          x: 0,
          y: 20,
        },
        targets: [
          {
            datasource: prometheus,
            refId: 'A',
            expr: 'max by (em, backup_id, backup_name) (veeam_em_backup_restore_points{' + backupSelector + '})',
            legendFormat: '{{em}} / {{backup_name}}',
            editorMode: 'code',
            instant: false,
            range: true,
            format: 'time_series',
          },
        ],
        fieldConfig: {
          defaults: {
            unit: 'none',
            custom: {
              drawStyle: 'line',
              lineWidth: 1,
              fillOpacity: 0,
              showPoints: 'never',
              spanNulls: false,
              axisSoftMin: 0,
              thresholdsStyle: {
                mode: 'off',
              },
            },
            color: {
              mode: 'palette-classic',
            },
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'green',
                  value: null,
                },
              ],
            },
            decimals: 0,
          },
          overrides: [],
        },
        options: {
          legend: {
            displayMode: 'table',
            placement: 'right',
            calcs: [
              'lastNotNull',
            ],
            showLegend: true,
          },
          tooltip: {
            mode: 'multi',
            sort: 'desc',
          },
        },
      },
      {
        type: 'state-timeline',
        id: 6,
        title: 'Poll result per backup',
        description: 'Result of the last poll of each backup (veeam_em_backup_poll_success).',
        datasource: prometheus,
        gridPos: {
          h: 8,
          w: 12,
          x: 12,
          y: 20,
        },
        targets: [
          {
            datasource: prometheus,
            refId: 'A',
            expr: 'min by (em, backup_id, backup_name) (veeam_em_backup_poll_success{' + backupSelector + '})',
            legendFormat: '{{em}} / {{backup_name}}',
            editorMode: 'code',
            instant: false,
            range: true,
            format: 'time_series',
          },
        ],
        fieldConfig: {
          defaults: {
            color: {
              mode: 'thresholds',
            },
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'red',
                  value: null,
                },
                {
                  color: 'green',
                  value: 1,
                },
              ],
            },
            mappings: [
              {
                type: 'value',
                options: {
                  '0': {
                    text: 'failed',
                    color: 'red',
                    index: 0,
                  },
                  '1': {
                    text: 'OK',
                    color: 'green',
                    index: 1,
                  },
                },
              },
            ],
            custom: {
              fillOpacity: 80,
              lineWidth: 0,
            },
          },
          overrides: [],
        },
        options: {
          showValue: 'never',
          mergeValues: true,
          rowHeight: 0.8,
          alignValue: 'left',
          legend: {
            showLegend: false,
            displayMode: 'list',
            placement: 'bottom',
          },
          tooltip: {
            mode: 'single',
            sort: 'none',
          },
        },
      },
      {
        type: 'table',
        id: 7,
        title: 'Backup details',
        description: 'What Enterprise Manager reports about each backup (veeam_em_backup_info).',
        datasource: prometheus,
        gridPos: {
          h: 7,
          w: 24,
          x: 0,
          y: 28,
        },
        targets: [
          {
            datasource: prometheus,
            refId: 'A',
            expr: 'max by (em, backup_id, backup_name, backup_server, platform, backup_type, repository) (veeam_em_backup_info{' + backupSelector + '})',
            legendFormat: '__auto',
            editorMode: 'code',
            instant: true,
            range: false,
            format: 'table',
          },
        ],
        transformations: [
          {
            id: 'organize',
            options: {
              excludeByName: {
                Time: true,
                Value: true,
              },
              indexByName: {
                em: 0,
                backup_name: 1,
                backup_server: 2,
                platform: 3,
                backup_type: 4,
                repository: 5,
                backup_id: 6,
              },
              renameByName: {
                em: 'Enterprise Manager',
                backup_name: 'Backup',
                backup_server: 'Backup server',
                platform: 'Platform',
                backup_type: 'Type',
                repository: 'Repository',
                backup_id: 'Backup ID',
              },
            },
          },
        ],
        fieldConfig: {
          defaults: {
            custom: {
              align: 'auto',
              cellOptions: {
                type: 'auto',
              },
            },
          },
          overrides: [],
        },
        options: {
          showHeader: true,
          cellHeight: 'sm',
          footer: {
            show: false,
            reducer: [
              'sum',
            ],
            fields: '',
          },
        },
      },
      {
        type: 'row',
        id: 8,
        title: 'Exporter health',
        collapsed: false,
        gridPos: {
          h: 1,
          w: 24,
          x: 0,
          y: 35,
        },
        panels: [],
      },
      {
        type: 'state-timeline',
        id: 9,
        title: 'Enterprise Manager reachable',
        description: 'veeam_em_up: 1 when the last poll cycle logged on to and reached the Enterprise Manager.',
        datasource: prometheus,
        gridPos: {
          h: 7,
          w: 12,
          x: 0,
          y: 36,
        },
        targets: [
          {
            datasource: prometheus,
            refId: 'A',
            expr: 'min by (em) (veeam_em_up{' + emSelector + '})',
            legendFormat: '{{em}}',
            editorMode: 'code',
            instant: false,
            range: true,
            format: 'time_series',
          },
        ],
        fieldConfig: {
          defaults: {
            color: {
              mode: 'thresholds',
            },
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'red',
                  value: null,
                },
                {
                  color: 'green',
                  value: 1,
                },
              ],
            },
            mappings: [
              {
                type: 'value',
                options: {
                  '0': {
                    text: 'down',
                    color: 'red',
                    index: 0,
                  },
                  '1': {
                    text: 'up',
                    color: 'green',
                    index: 1,
                  },
                },
              },
            ],
            custom: {
              fillOpacity: 80,
              lineWidth: 0,
            },
          },
          overrides: [],
        },
        options: {
          showValue: 'auto',
          mergeValues: true,
          rowHeight: 0.8,
          alignValue: 'left',
          legend: {
            showLegend: false,
            displayMode: 'list',
            placement: 'bottom',
          },
          tooltip: {
            mode: 'single',
            sort: 'none',
          },
        },
      },
      {
        type: 'stat',
        id: 10,
        title: 'Since last poll cycle',
        description: 'Time since the last poll cycle of each Enterprise Manager ended. Compare with the poll schedule (alert VeeamExporterDataStale).',
        datasource: prometheus,
        gridPos: {
          h: 7,
          w: 4,
          x: 12,
          y: 36,
        },
        targets: [
          {
            datasource: prometheus,
            refId: 'A',
            expr: 'max by (em) (time() - veeam_em_last_poll_timestamp_seconds{' + emSelector + '})',
            legendFormat: '{{em}}',
            editorMode: 'code',
            instant: false,
            range: true,
            format: 'time_series',
          },
        ],
        fieldConfig: {
          defaults: {
            decimals: 0,
            color: {
              mode: 'fixed',
              fixedColor: 'text',
            },
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'green',
                  value: null,
                },
              ],
            },
            unit: 's',
          },
          overrides: [],
        },
        options: {
          reduceOptions: {
            calcs: [
              'lastNotNull',
            ],
            fields: '',
            values: false,
          },
          textMode: 'value_and_name',
          colorMode: 'none',
          graphMode: 'none',
          justifyMode: 'auto',
          orientation: 'horizontal',
          wideLayout: true,
          showPercentChange: false,
        },
      },
      {
        type: 'stat',
        id: 11,
        title: 'Skipped ticks',
        description: 'Poll ticks skipped in the time range because the previous cycle was still running (veeam_em_poll_overruns_total).',
        datasource: prometheus,
        gridPos: {
          h: 7,
          w: 4,
          x: 16,
          y: 36,
        },
        targets: [
          {
            datasource: prometheus,
            refId: 'A',
            expr: 'sum by (em) (increase(veeam_em_poll_overruns_total{' + emSelector + '}[$__range]))',
            legendFormat: '{{em}}',
            editorMode: 'code',
            instant: false,
            range: true,
            format: 'time_series',
          },
        ],
        fieldConfig: {
          defaults: {
            decimals: 0,
            color: {
              mode: 'fixed',
              fixedColor: 'text',
            },
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'green',
                  value: null,
                },
              ],
            },
            unit: 'none',
          },
          overrides: [],
        },
        options: {
          reduceOptions: {
            calcs: [
              'lastNotNull',
            ],
            fields: '',
            values: false,
          },
          textMode: 'value_and_name',
          colorMode: 'none',
          graphMode: 'none',
          justifyMode: 'auto',
          orientation: 'horizontal',
          wideLayout: true,
          showPercentChange: false,
        },
      },
      {
        type: 'stat',
        id: 12,
        title: 'Exporter version',
        description: 'veeam_em_exporter_build_info of every exporter target.',
        datasource: prometheus,
        gridPos: {
          h: 7,
          w: 4,
          x: 20,
          y: 36,
        },
        targets: [
          {
            datasource: prometheus,
            refId: 'A',
            expr: 'max by (instance, version, nodejs_version) (veeam_em_exporter_build_info)',
            legendFormat: '{{version}} on Node {{nodejs_version}} ({{instance}})',
            editorMode: 'code',
            instant: false,
            range: true,
            format: 'time_series',
          },
        ],
        fieldConfig: {
          defaults: {
            decimals: 0,
            color: {
              mode: 'fixed',
              fixedColor: 'text',
            },
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'green',
                  value: null,
                },
              ],
            },
          },
          overrides: [],
        },
        options: {
          reduceOptions: {
            calcs: [
              'lastNotNull',
            ],
            fields: '',
            values: false,
          },
          textMode: 'name',
          colorMode: 'none',
          graphMode: 'none',
          justifyMode: 'auto',
          orientation: 'horizontal',
          wideLayout: true,
          showPercentChange: false,
        },
      },
      {
        type: 'timeseries',
        id: 13,
        title: 'Poll cycle duration',
        description: 'How long the last poll cycle of each Enterprise Manager took (veeam_em_poll_duration_seconds).',
        datasource: prometheus,
        gridPos: {
          h: 8,
          w: 12,
          x: 0,
          y: 43,
        },
        targets: [
          {
            datasource: prometheus,
            refId: 'A',
            expr: 'max by (em) (veeam_em_poll_duration_seconds{' + emSelector + '})',
            legendFormat: '{{em}}',
            editorMode: 'code',
            instant: false,
            range: true,
            format: 'time_series',
          },
        ],
        fieldConfig: {
          defaults: {
            unit: 's',
            custom: {
              drawStyle: 'line',
              lineWidth: 1,
              fillOpacity: 0,
              showPoints: 'never',
              spanNulls: false,
              axisSoftMin: 0,
              thresholdsStyle: {
                mode: 'off',
              },
            },
            color: {
              mode: 'palette-classic',
            },
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'green',
                  value: null,
                },
              ],
            },
          },
          overrides: [],
        },
        options: {
          legend: {
            displayMode: 'table',
            placement: 'right',
            calcs: [
              'lastNotNull',
            ],
            showLegend: true,
          },
          tooltip: {
            mode: 'multi',
            sort: 'desc',
          },
        },
      },
      {
        type: 'timeseries',
        id: 14,
        title: 'Poll errors by reason',
        description: 'Failed polls per minute by reason (auth, tls, timeout, network, not_found, http_4xx, http_5xx, parse). See docs/alerts.md.',
        datasource: prometheus,
        gridPos: {
          h: 8,
          w: 12,
          x: 12,
          y: 43,
        },
        targets: [
          {
            datasource: prometheus,
            refId: 'A',
            expr: '60 * sum by (em, reason) (rate(veeam_em_poll_errors_total{' + emSelector + '}[$__rate_interval]))',
            legendFormat: '{{em}} {{reason}}',
            editorMode: 'code',
            instant: false,
            range: true,
            format: 'time_series',
          },
        ],
        fieldConfig: {
          defaults: {
            unit: 'cpm',
            custom: {
              drawStyle: 'line',
              lineWidth: 1,
              fillOpacity: 0,
              showPoints: 'never',
              spanNulls: false,
              axisSoftMin: 0,
              thresholdsStyle: {
                mode: 'off',
              },
            },
            color: {
              mode: 'palette-classic',
            },
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'green',
                  value: null,
                },
              ],
            },
          },
          overrides: [],
        },
        options: {
          legend: {
            displayMode: 'table',
            placement: 'right',
            calcs: [
              'lastNotNull',
            ],
            showLegend: true,
          },
          tooltip: {
            mode: 'multi',
            sort: 'desc',
          },
        },
      },
      {
        type: 'timeseries',
        id: 15,
        title: 'Enterprise Manager API latency',
        description: 'Percentiles of the request duration to the EM REST API, per endpoint.',
        datasource: prometheus,
        gridPos: {
          h: 8,
          w: 12,
          x: 0,
          y: 51,
        },
        targets: [
          {
            datasource: prometheus,
            refId: 'A',
            expr: 'histogram_quantile(0.5, sum by (em, endpoint, le) (rate(veeam_em_api_request_duration_seconds_bucket{' + emSelector + '}[$__rate_interval])))',
            legendFormat: 'p50 {{em}} {{endpoint}}',
            editorMode: 'code',
            instant: false,
            range: true,
            format: 'time_series',
          },
          {
            datasource: prometheus,
            refId: 'B',
            expr: 'histogram_quantile(0.9, sum by (em, endpoint, le) (rate(veeam_em_api_request_duration_seconds_bucket{' + emSelector + '}[$__rate_interval])))',
            legendFormat: 'p90 {{em}} {{endpoint}}',
            editorMode: 'code',
            instant: false,
            range: true,
            format: 'time_series',
          },
          {
            datasource: prometheus,
            refId: 'C',
            expr: 'histogram_quantile(0.99, sum by (em, endpoint, le) (rate(veeam_em_api_request_duration_seconds_bucket{' + emSelector + '}[$__rate_interval])))',
            legendFormat: 'p99 {{em}} {{endpoint}}',
            editorMode: 'code',
            instant: false,
            range: true,
            format: 'time_series',
          },
        ],
        fieldConfig: {
          defaults: {
            unit: 's',
            custom: {
              drawStyle: 'line',
              lineWidth: 1,
              fillOpacity: 0,
              showPoints: 'never',
              spanNulls: false,
              axisSoftMin: 0,
              thresholdsStyle: {
                mode: 'off',
              },
            },
            color: {
              mode: 'palette-classic',
            },
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'green',
                  value: null,
                },
              ],
            },
          },
          overrides: [],
        },
        options: {
          legend: {
            displayMode: 'table',
            placement: 'right',
            calcs: [
              'lastNotNull',
            ],
            showLegend: true,
          },
          tooltip: {
            mode: 'multi',
            sort: 'desc',
          },
        },
      },
      {
        type: 'timeseries',
        id: 16,
        title: 'Enterprise Manager API requests',
        description: 'Requests per second to the EM REST API by endpoint and HTTP status (code "error": no response).',
        datasource: prometheus,
        gridPos: {
          h: 8,
          w: 12,
          x: 12,
          y: 51,
        },
        targets: [
          {
            datasource: prometheus,
            refId: 'A',
            expr: 'sum by (em, endpoint, code) (rate(veeam_em_api_requests_total{' + emSelector + '}[$__rate_interval]))',
            legendFormat: '{{em}} {{endpoint}} {{code}}',
            editorMode: 'code',
            instant: false,
            range: true,
            format: 'time_series',
          },
        ],
        fieldConfig: {
          defaults: {
            unit: 'reqps',
            custom: {
              drawStyle: 'line',
              lineWidth: 1,
              fillOpacity: 0,
              showPoints: 'never',
              spanNulls: false,
              axisSoftMin: 0,
              thresholdsStyle: {
                mode: 'off',
              },
            },
            color: {
              mode: 'palette-classic',
            },
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'green',
                  value: null,
                },
              ],
            },
          },
          overrides: [],
        },
        options: {
          legend: {
            displayMode: 'table',
            placement: 'right',
            calcs: [
              'lastNotNull',
            ],
            showLegend: true,
          },
          tooltip: {
            mode: 'multi',
            sort: 'desc',
          },
        },
      },
      // With `vms:` configured: the machines whose newest point is oldest.
      {
        type: 'row',
        id: 17,
        title: 'Machines (VM freshness, with vms: configured)',
        collapsed: false,
        gridPos: {
          h: 1,
          w: 24,
          x: 0,
          y: 59,
        },
        panels: [],
      },
      {
        type: 'table',
        id: 18,
        title: 'Stalest VMs',
        description: "The 25 machines whose newest restore point is oldest, with their backup's RPO. Only Enterprise Managers with vms: in the exporter config have machine series. Age / RPO turns amber at 80 % and red at 100 %. Values come from the exporter's background polls.",
        datasource: prometheus,
        gridPos: {
          h: 10,
          w: 24,
          x: 0,
          y: 60,
        },
        targets: [
          {
            datasource: prometheus,
            refId: 'A',
            expr: 'topk(25, max by (em, backup_id, backup_name, vm_name, vm_id) (time() - veeam_em_vm_newest_restore_point_timestamp_seconds{' + backupSelector + '}))',
            legendFormat: '__auto',
            editorMode: 'code',
            instant: true,
            range: false,
            format: 'table',
          },
          {
            datasource: prometheus,
            refId: 'B',
            expr: 'topk(25, max by (em, backup_id, backup_name, vm_name, vm_id) ((time() - veeam_em_vm_newest_restore_point_timestamp_seconds{' + backupSelector + '}) / ignoring(backup_name, vm_name, vm_id) group_left() veeam_em_backup_rpo_seconds{' + backupSelector + '}))',
            legendFormat: '__auto',
            editorMode: 'code',
            instant: true,
            range: false,
            format: 'table',
          },
          {
            datasource: prometheus,
            refId: 'C',
            expr: 'max by (em, backup_id, backup_name, vm_name, vm_id) (veeam_em_vm_restore_points{' + backupSelector + '})',
            legendFormat: '__auto',
            editorMode: 'code',
            instant: true,
            range: false,
            format: 'table',
          },
        ],
        transformations: [
          {
            id: 'merge',
            options: {},
          },
          {
            id: 'filterByValue',
            options: {
              filters: [
                {
                  fieldName: 'Value #A',
                  config: {
                    id: 'isNull',
                    options: {},
                  },
                },
              ],
              type: 'exclude',
              match: 'any',
            },
          },
          {
            id: 'sortBy',
            options: {
              fields: {},
              sort: [
                {
                  field: 'Value #A',
                  desc: true,
                },
              ],
            },
          },
          {
            id: 'organize',
            options: {
              excludeByName: {
                Time: true,
              },
              indexByName: {
                em: 0,
                backup_name: 1,
                vm_name: 2,
                'Value #A': 3,
                'Value #B': 4,
                'Value #C': 5,
                vm_id: 6,
                backup_id: 7,
              },
              renameByName: {
                em: 'Enterprise Manager',
                backup_name: 'Backup',
                vm_name: 'VM',
                vm_id: 'VM reference',
                backup_id: 'Backup ID',
                'Value #A': 'Newest point age',
                'Value #B': 'Age / RPO',
                'Value #C': 'Restore points',
              },
            },
          },
        ],
        fieldConfig: {
          defaults: {
            custom: {
              align: 'auto',
              cellOptions: {
                type: 'auto',
              },
              inspect: false,
            },
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'green',
                  value: null,
                },
              ],
            },
            color: {
              mode: 'thresholds',
            },
          },
          overrides: [
            {
              matcher: {
                id: 'byName',
                options: 'Newest point age',
              },
              properties: [
                {
                  id: 'unit',
                  value: 's',
                },
                {
                  id: 'decimals',
                  value: 1,
                },
              ],
            },
            {
              matcher: {
                id: 'byName',
                options: 'Age / RPO',
              },
              properties: [
                {
                  id: 'unit',
                  value: 'percentunit',
                },
                {
                  id: 'decimals',
                  value: 0,
                },
                {
                  id: 'thresholds',
                  value: {
                    mode: 'absolute',
                    steps: [
                      {
                        color: 'green',
                        value: null,
                      },
                      {
                        color: '#EAB839',
                        value: 0.8,
                      },
                      {
                        color: 'red',
                        value: 1,
                      },
                    ],
                  },
                },
                {
                  id: 'color',
                  value: {
                    mode: 'thresholds',
                  },
                },
                {
                  id: 'custom.cellOptions',
                  value: {
                    type: 'color-background',
                    mode: 'basic',
                  },
                },
              ],
            },
            {
              matcher: {
                id: 'byName',
                options: 'Restore points',
              },
              properties: [
                {
                  id: 'unit',
                  value: 'none',
                },
                {
                  id: 'decimals',
                  value: 0,
                },
              ],
            },
          ],
        },
        options: {
          showHeader: true,
          cellHeight: 'sm',
          footer: {
            show: false,
            reducer: [
              'sum',
            ],
            countRows: false,
            fields: '',
          },
          sortBy: [
            {
              displayName: 'Newest point age',
              desc: true,
            },
          ],
        },
      },
    ],
  }
