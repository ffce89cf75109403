import type { Config, SourceConfig } from '../config/types.js';
import { formatDuration } from '../util/duration.js';
import { compareFreshness } from './freshness.js';
import { redactUrl } from './address.js';
import type { Freshness, ProbeFailureKind, ProbeResult } from './types.js';

export type SyncMode = 'initial' | 'incremental';

/** What past runs say of a source (from history.json); absent means no history. */
export interface SourceHistory {
  readonly recentFailures: number;
  readonly bytesPerSecond: number | null;
}

export interface RankInput {
  readonly config: Config;
  readonly probes: readonly ProbeResult[];
  readonly local: { readonly freshness: Freshness | null };
  readonly mode: SyncMode;
  /** A verifying pass is wanted: "nothing new" does not make a source unusable. */
  readonly full?: boolean;
  readonly history?: ReadonlyMap<string, SourceHistory>;
}

/** Why a source is where it stands; the first word of `reason`. */
export type RankVerdict =
  | 'usable'
  | ProbeFailureKind
  | 'probe-only'
  | 'not-probed'
  | 'older-than-local'
  | 'nothing-new';

export interface RankedSource {
  readonly name: string;
  /** rsync URL with any password replaced by ***, or null for probe-only sources. */
  readonly url: string | null;
  readonly http: string | null;
  readonly master: boolean;
  readonly priority: number;
  readonly reachable: boolean;
  readonly usable: boolean;
  readonly verdict: RankVerdict;
  readonly latencyMs: number | null;
  readonly freshness: string | null;
  readonly traceIdentity: string | null;
  /** The master's freshness minus this source's (the newest seen when the master is unknown). */
  readonly lagSeconds: number | null;
  /** Within freshWithinSeconds of the newest freshness seen. */
  readonly fresh: boolean;
  readonly recentFailures: number;
  readonly reason: string;
}

export interface Ranking {
  readonly mode: SyncMode;
  readonly local: { readonly freshness: string | null };
  /** The newest freshness any source offered. */
  readonly newest: Freshness | null;
  /** True when the local copy already holds the newest publication any source offers. */
  readonly upToDate: boolean;
  readonly sources: readonly RankedSource[];
}

const FAILURE_WORDS: Record<ProbeFailureKind, string> = {
  unreachable: 'unreachable',
  timeout: 'unreachable',
  refused: 'refused',
  'trace-missing': 'refused: trace missing',
  'trace-garbage': 'trace unreadable',
  empty: 'refused: empty module',
  'http-error': 'trace unreadable',
  stopped: 'not probed',
};

/** Orders sources for a sync: usable first, fresh before stale, then priority, then recent failures, then latency. */
export function rankSources(input: RankInput): Ranking {
  const probes = new Map(input.probes.map((probe) => [probe.name, probe]));
  const newest = newestFreshness(input.probes);
  const master = input.config.sources.find((source) => source.master);
  const masterFreshness = (master && probes.get(master.name)?.freshness) ?? newest;
  const judged = input.config.sources.map((source) =>
    judgeSource(source, probes.get(source.name), input, newest, masterFreshness),
  );
  const sorted = judged.sort((a, b) => compareRows(a, b, input.mode));
  const localFreshness = input.local.freshness;
  return {
    mode: input.mode,
    local: { freshness: localFreshness?.at.toISOString() ?? null },
    newest,
    upToDate: newest !== null && localFreshness !== null && compareFreshness(newest, localFreshness) <= 0,
    sources: sorted,
  };
}

function judgeSource(
  source: SourceConfig,
  probe: ProbeResult | undefined,
  input: RankInput,
  newest: Freshness | null,
  masterFreshness: Freshness | null,
): RankedSource {
  const freshness = probe?.freshness ?? null;
  const lagSeconds = freshness && masterFreshness ? secondsBetween(freshness, masterFreshness) : null;
  const fresh = freshness !== null && newest !== null && secondsBetween(freshness, newest) <= input.config.probe.freshWithinSeconds;
  const recentFailures = input.history?.get(source.name)?.recentFailures ?? 0;
  const verdict = decideVerdict(source, probe, input);
  const base = {
    name: source.name,
    url: source.url === undefined ? null : redactUrl(source.url),
    http: source.http ?? null,
    master: source.master,
    priority: source.priority,
    reachable: probe?.reachable ?? false,
    usable: verdict === 'usable',
    verdict,
    latencyMs: probe?.latencyMs ?? null,
    freshness: freshness?.at.toISOString() ?? null,
    traceIdentity: freshness?.identity ?? null,
    lagSeconds,
    fresh,
    recentFailures,
  };
  return { ...base, reason: explain(base, probe, input) };
}

function decideVerdict(source: SourceConfig, probe: ProbeResult | undefined, input: RankInput): RankVerdict {
  if (probe === undefined) return 'not-probed';
  if (probe.failure) return probe.failure.kind;
  if (source.url === undefined) return 'probe-only';
  const local = input.local.freshness;
  if (local === null || probe.freshness === null) return 'usable';
  const order = compareFreshness(probe.freshness, local);
  if (order < 0) return 'older-than-local';
  if (order === 0 && input.mode === 'incremental' && input.full !== true) return 'nothing-new';
  return 'usable';
}

function explain(row: Omit<RankedSource, 'reason'>, probe: ProbeResult | undefined, input: RankInput): string {
  const notes: string[] = [];
  if (row.recentFailures > 0) notes.push(`${row.recentFailures} recent failure${row.recentFailures === 1 ? '' : 's'}`);
  const lag = row.lagSeconds !== null && row.lagSeconds > 0 ? `${formatDuration(row.lagSeconds)} behind master` : null;
  switch (row.verdict) {
    case 'not-probed':
      return 'not probed';
    case 'probe-only':
      return `probe-only: no rsync url${lag ? `; ${lag}` : ''}`;
    case 'older-than-local': {
      const behind = probe?.freshness && input.local.freshness ? secondsBetween(probe.freshness, input.local.freshness) : 0;
      return `older than local copy by ${formatDuration(behind)}: would roll the mirror back`;
    }
    case 'nothing-new':
      return 'nothing new: same publication as the local copy';
    case 'usable':
      break;
    default:
      return `${FAILURE_WORDS[row.verdict]}: ${probe?.failure?.message ?? 'unknown error'}`;
  }
  const head = row.fresh ? (lag ? `fresh: ${lag}` : 'fresh') : `stale: ${lag ?? 'behind the newest source'}`;
  if (row.master && input.mode === 'initial') notes.push('master: kept for last in initial sync');
  return [head, ...notes].join('; ');
}

function compareRows(a: RankedSource, b: RankedSource, mode: SyncMode): number {
  return (
    Number(b.usable) - Number(a.usable) ||
    Number(b.fresh) - Number(a.fresh) ||
    (mode === 'initial' ? Number(a.master) - Number(b.master) : 0) ||
    a.priority - b.priority ||
    Number(a.recentFailures > 0) - Number(b.recentFailures > 0) ||
    compareLatency(a.latencyMs, b.latencyMs) ||
    a.name.localeCompare(b.name)
  );
}

function compareLatency(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a - b;
}

function newestFreshness(probes: readonly ProbeResult[]): Freshness | null {
  let newest: Freshness | null = null;
  for (const probe of probes) {
    if (probe.freshness && (newest === null || compareFreshness(probe.freshness, newest) > 0)) newest = probe.freshness;
  }
  return newest;
}

function secondsBetween(older: Freshness, newer: Freshness): number {
  return Math.round((newer.at.getTime() - older.at.getTime()) / 1000);
}
