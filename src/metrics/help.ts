/**
 * HELP texts. Each names the poll schedule, because every value on /metrics comes from a background
 * poll and the reader of a dashboard tooltip should know how stale a value can be.
 */
export function helpTexts(schedule: string) {
  const poll = `background poll (schedule "${schedule}")`;
  const cycle = `background poll cycle (schedule "${schedule}")`;
  return {
    restorePoints: `Restore points Enterprise Manager lists for the backup at the last successful ${poll}.`,
    newestTimestamp: `Unix time of the backup's newest restore point (BackupDateUTC) at the last successful ${poll}; absent when it has none.`,
    newestAge: `Seconds since the backup's newest restore point, computed at scrape time from the last successful ${poll}, so it grows between polls; absent when it has none.`,
    oldestTimestamp: `Unix time of the backup's oldest restore point at the last successful ${poll}; absent when it has none.`,
    rpo: `Configured freshness objective (RPO) of the backup; alert when the newest restore point age from the ${poll} exceeds it.`,
    pollSuccess: `1 if the last ${poll} of the backup succeeded, else 0.`,
    lastSuccessTimestamp: `Unix time of the last successful ${poll} of the backup.`,
    info: `Backup metadata Enterprise Manager reports (GET /backups/{id}), re-read by the ${poll}; always 1.`,
    up: `1 if the last ${cycle} logged on to and reached the Enterprise Manager, else 0; drops to 0 while a cycle runs once EM has answered nothing for poll.timeout.`,
    lastPollTimestamp: `Unix time the last ${cycle} of the Enterprise Manager ended.`,
    pollDuration: `Seconds the last ${cycle} of the Enterprise Manager took.`,
    pollOverruns: `Ticks of the ${poll} skipped because the previous cycle of the Enterprise Manager was still running.`,
    pollErrors: `Errors of the ${poll}, by reason (auth, tls, timeout, network, not_found, http_4xx, http_5xx, parse).`,
    apiRequests: `HTTP requests the ${poll} sent to Enterprise Manager, by endpoint and status code ("error" when no response arrived).`,
    apiRequestDuration: `Duration of HTTP requests the ${poll} sent to Enterprise Manager, by endpoint.`,
    buildInfo: `A metric with a constant 1 value labeled by the exporter version and the Node.js version it runs on.`,
  };
}

export type HelpTexts = ReturnType<typeof helpTexts>;
