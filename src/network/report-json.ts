import type { NetworkSummary } from './summary.js';

/**
 * archweb's mirror status JSON (version 3, what reflector reads), with its field names where
 * they mean the same: durations and delays in seconds (delay as an integer), completion as a
 * fraction, times in ISO 8601. Fields of our own are added, never renamed.
 */
export function renderStatusJson(summary: NetworkSummary): string {
  const urls = summary.mirrors.flatMap((mirror) =>
    mirror.urls.map((url) => ({
      url: url.url,
      protocol: url.protocol,
      last_sync: url.lastSync?.toISOString() ?? null,
      completion_pct: url.completion,
      delay: url.delayMean === null ? null : Math.round(url.delayMean),
      duration_avg: url.durationAvg,
      duration_stddev: url.durationStddev,
      score: url.score,
      active: true,
      details: `index.html#mirror-${encodeURIComponent(mirror.name)}`,
      name: mirror.name,
      master: mirror.master,
      band: mirror.band,
      lag: mirror.lagSeconds === null ? null : Math.round(mirror.lagSeconds),
      last_check: url.lastCheck?.toISOString() ?? null,
      num_checks: url.checkCount,
    })),
  );
  const numChecks = Math.max(0, ...summary.mirrors.flatMap((mirror) => mirror.urls.map((url) => url.checkCount)));
  return `${JSON.stringify(
    {
      cutoff: summary.cutoffSeconds,
      last_check: summary.lastCheck?.toISOString() ?? null,
      num_checks: numChecks,
      check_frequency: summary.checkFrequency === null ? null : Math.round(summary.checkFrequency),
      urls,
      version: 3,
    },
    null,
    2,
  )}\n`;
}
