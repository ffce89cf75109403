import type { Ranking } from '../sources/rank.js';
import { formatDuration } from '../util/duration.js';
import { renderTable } from './table.js';

/** The `sources rank --json` document (DESIGN.md), sources in ranked order. */
export function rankingJson(ranking: Ranking): unknown {
  return {
    mode: ranking.mode,
    local: ranking.local,
    upToDate: ranking.upToDate,
    sources: ranking.sources.map((row) => ({
      name: row.name,
      url: row.url,
      http: row.http,
      master: row.master,
      reachable: row.reachable,
      usable: row.usable,
      latencyMs: row.latencyMs === null ? null : Math.round(row.latencyMs * 10) / 10,
      freshness: row.freshness,
      lagSeconds: row.lagSeconds,
      fresh: row.fresh,
      priority: row.priority,
      traceIdentity: row.traceIdentity,
      reason: row.reason,
    })),
  };
}

export function renderRanking(ranking: Ranking): string {
  const rows = ranking.sources.map((row, index) => [
    row.usable ? String(index + 1) : '-',
    row.name + (row.master ? '*' : ''),
    row.reachable ? 'yes' : 'no',
    row.latencyMs === null ? '-' : `${row.latencyMs.toFixed(1)} ms`,
    row.freshness === null ? '-' : row.freshness.replace(/\.\d{3}Z$/, 'Z'),
    row.lagSeconds === null ? '-' : formatDuration(row.lagSeconds),
    row.usable ? 'yes' : 'no',
    row.reason,
  ]);
  const local = ranking.local.freshness === null ? 'none' : ranking.local.freshness.replace(/\.\d{3}Z$/, 'Z');
  return (
    `mode: ${ranking.mode}; local copy: ${local}${ranking.upToDate ? ' (up to date)' : ''}\n` +
    renderTable(['#', 'SOURCE', 'REACHABLE', 'LATENCY', 'FRESHNESS', 'LAG', 'USABLE', 'REASON'], rows) +
    '(* master)\n'
  );
}
