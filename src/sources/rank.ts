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
  | 'ahead-of-master'
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
  /** The reachable master's publication, the authority on what is current; null when unknown. */
  readonly master: Freshness | null;
  /**
   * Set when the local copy holds a publication newer than the reachable master's (a liar put it
   * there, or a clock went wrong): the run brings the mirror back to the master's publication.
   */
  readonly recall: { readonly local: string; readonly master: string } | null;
  /** The oldest publication a pass may bring: the local copy's, or the master's in a recall. */
  readonly floor: Freshness | null;
  readonly sources: readonly RankedSource[];
}

const FAILURE_WORDS: Record<ProbeFailureKind, string> = {
  unreachable: 'unreachable',
  timeout: 'unreachable',
  refused: 'refused',
  'trace-missing': 'refused: trace missing',
  'trace-garbage': 'trace unreadable',
  future: 'trace from the future',
  empty: 'refused: empty module',
  'http-error': 'trace unreadable',
  stopped: 'not probed',
};

/** What every row is judged against, computed once from the probes. */
interface Context {
  readonly input: RankInput;
  readonly master: Freshness | null;
  readonly floor: Freshness | null;
  readonly recall: boolean;
  readonly newest: Freshness | null;
}

/**
 * Orders sources for a sync: usable first, fresh before stale, then priority, then recent
 * failures, then latency. The reachable master is the authority on what is current: an
 * alternate claiming a newer publication is refused outright rather than ranked after it,
 * because a failover (or a bootstrap that keeps the master for last) would then sync the lie.
 */
export function rankSources(input: RankInput): Ranking {
  const probes = new Map(input.probes.map((probe) => [probe.name, probe]));
  const masterSource = input.config.sources.find((source) => source.master);
  const masterProbe = masterSource === undefined ? undefined : probes.get(masterSource.name);
  // A trace read over HTTP is the master's word even when its rsync port failed.
  const master = masterProbe?.freshness ?? null;
  const local = input.local.freshness;
  const recall = master !== null && local !== null && compareFreshness(master, local) < 0;
  const believed = input.config.sources
    .filter((source) => master === null || source.master || !claimsAhead(probes.get(source.name)?.freshness ?? null, master))
    .map((source) => probes.get(source.name));
  const newest = newestFreshness(believed);
  const context: Context = { input, master, floor: recall ? master : local, recall, newest };
  const judged = input.config.sources.map((source) => judgeSource(source, probes.get(source.name), context));
  const sorted = judged.sort((a, b) => compareRows(a, b, input.mode));
  return {
    mode: input.mode,
    local: { freshness: local?.at.toISOString() ?? null },
    newest,
    upToDate: !recall && newest !== null && local !== null && compareFreshness(newest, local) <= 0,
    master,
    recall: recall && local !== null && master !== null ? { local: local.at.toISOString(), master: master.at.toISOString() } : null,
    floor: context.floor,
    sources: sorted,
  };
}

/** An alternate's publication that is not provably the master's or older (same date, other identity, counts). */
function claimsAhead(freshness: Freshness | null, master: Freshness): boolean {
  return freshness !== null && compareFreshness(freshness, master) > 0;
}

function judgeSource(source: SourceConfig, probe: ProbeResult | undefined, context: Context): RankedSource {
  const { input, newest } = context;
  const freshness = probe?.freshness ?? null;
  const reference = context.master ?? newest;
  const lagSeconds = freshness && reference ? secondsBetween(freshness, reference) : null;
  const fresh = freshness !== null && newest !== null && secondsBetween(freshness, newest) <= input.config.probe.freshWithinSeconds;
  const recentFailures = input.history?.get(source.name)?.recentFailures ?? 0;
  const verdict = decideVerdict(source, probe, context);
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
    fresh: fresh && verdict !== 'ahead-of-master',
    recentFailures,
  };
  return { ...base, reason: explain(base, probe, context) };
}

function decideVerdict(source: SourceConfig, probe: ProbeResult | undefined, context: Context): RankVerdict {
  if (probe === undefined) return 'not-probed';
  if (probe.failure) return probe.failure.kind;
  if (source.url === undefined) return 'probe-only';
  if (!source.master && context.master !== null && claimsAhead(probe.freshness, context.master)) return 'ahead-of-master';
  const floor = context.floor;
  if (floor === null || probe.freshness === null) return 'usable';
  const order = compareFreshness(probe.freshness, floor);
  if (order < 0) return 'older-than-local';
  // In a recall the local copy is not the master's publication: the master's is new to it.
  if (order === 0 && !context.recall && context.input.mode === 'incremental' && context.input.full !== true) return 'nothing-new';
  return 'usable';
}

function explain(row: Omit<RankedSource, 'reason'>, probe: ProbeResult | undefined, context: Context): string {
  const { input } = context;
  const notes: string[] = [];
  if (row.recentFailures > 0) notes.push(`${row.recentFailures} recent failure${row.recentFailures === 1 ? '' : 's'}`);
  const lag = row.lagSeconds !== null && row.lagSeconds > 0 ? `${formatDuration(row.lagSeconds)} behind master` : null;
  switch (row.verdict) {
    case 'not-probed':
      return 'not probed';
    case 'probe-only':
      return `probe-only: no rsync url${lag ? `; ${lag}` : ''}`;
    case 'older-than-local': {
      const behind = probe?.freshness && context.floor ? secondsBetween(probe.freshness, context.floor) : 0;
      if (context.recall) return `older than the master's publication by ${formatDuration(behind)}, which the mirror is brought back to`;
      return `older than local copy by ${formatDuration(behind)}: would roll the mirror back`;
    }
    case 'ahead-of-master': {
      const ahead = probe?.freshness && context.master ? secondsBetween(context.master, probe.freshness) : 0;
      const by = ahead > 0 ? `by ${formatDuration(ahead)}` : 'with another identity on the same date';
      return `refused: claims a publication newer than the master's (${by}); the master is the authority on what is current`;
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
  if (row.master && context.recall) notes.push("the local copy claims a newer publication than the master's: brought back to the master's");
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
    compareNames(a.name, b.name)
  );
}

// Not localeCompare: its first call loads ICU's collator, about 10 ms of a no-op run that has more
// than one source, to order names that are config identifiers anyway.
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareLatency(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a - b;
}

function newestFreshness(probes: ReadonlyArray<ProbeResult | undefined>): Freshness | null {
  let newest: Freshness | null = null;
  for (const probe of probes) {
    if (probe?.freshness && (newest === null || compareFreshness(probe.freshness, newest) > 0)) newest = probe.freshness;
  }
  return newest;
}

function secondsBetween(older: Freshness, newer: Freshness): number {
  return Math.round((newer.at.getTime() - older.at.getTime()) / 1000);
}
