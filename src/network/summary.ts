import { bandOf, checkFrequency, lagBehind, latest, scoreUrls, type Band, type UrlScore } from './score.js';
import type { Check, CheckRow, OwnStatus, Protocol } from './types.js';

/** One of the last checks of a mirror, as a history cell: its band then, or `suspect` (a failure not counted). */
export interface HistoryCell {
  readonly at: Date;
  readonly state: Band | 'suspect';
}

export interface MirrorSummary {
  readonly name: string;
  readonly master: boolean;
  readonly protocols: readonly Protocol[];
  readonly urls: readonly UrlScore[];
  /** The newest freshness any protocol read in the window. */
  readonly freshness: Date | null;
  /** now − freshness, seconds. */
  readonly ageSeconds: number | null;
  readonly lagSeconds: number | null;
  readonly band: Band;
  readonly lastCheck: Date | null;
  /** Oldest first, at most HISTORY_CELLS. */
  readonly history: readonly HistoryCell[];
  /** The best (lowest) score of its protocols. */
  readonly score: number | null;
  /** The newest error of any protocol in the window, or null. */
  readonly lastError: string | null;
  /** What the mirror said of its own last run at the newest check that read it; null when it publishes nothing. */
  readonly own: OwnStatus | null;
  /** The mirror answered at least one counted check (else nothing is known of what it publishes). */
  readonly answered: boolean;
  /** One sentence for the operator; '' when nothing is wrong. */
  readonly wrong: string;
}

export interface HistogramBin {
  readonly label: string;
  readonly count: number;
}

export interface NetworkSummary {
  readonly now: Date;
  readonly cutoffSeconds: number;
  readonly lastCheck: Date | null;
  /** Checks in the window (suspect ones included). */
  readonly numChecks: number;
  readonly checkFrequency: number | null;
  readonly mirrors: readonly MirrorSummary[];
  readonly histogram: readonly HistogramBin[];
}

/** mirmon shows two weeks of probes; at the hourly default, the last 14 are the last half day. */
export const HISTORY_CELLS = 14;
const DEFAULT_INTERVAL_S = 3600;

/** Everything the report shows, from the history. Pure. */
export function summarizeNetwork(allChecks: readonly Check[], now: Date, cutoffSeconds: number): NetworkSummary {
  const since = now.getTime() - cutoffSeconds * 1000;
  const checks = allChecks.filter((check) => check.checkedAt.getTime() >= since && check.checkedAt.getTime() <= now.getTime());
  const frequency = checkFrequency(checks);
  const interval = frequency ?? DEFAULT_INTERVAL_S;
  const urls = scoreUrls(checks, now, cutoffSeconds);
  const names = [...new Set(urls.map((url) => url.source))];
  const masterFreshness = latest(urls.filter((url) => checks.some((check) => check.rows.some((row) => row.source === url.source && row.master))).map((url) => url.lastSync));
  const mirrors = names.map((name) => summarizeMirror(name, checks, urls.filter((url) => url.source === name), { now, interval, masterFreshness }));
  return {
    now,
    cutoffSeconds,
    lastCheck: checks.at(-1)?.checkedAt ?? null,
    numChecks: checks.length,
    checkFrequency: frequency,
    mirrors,
    histogram: histogramOf(mirrors),
  };
}

function summarizeMirror(name: string, checks: readonly Check[], urls: readonly UrlScore[], context: { now: Date; interval: number; masterFreshness: Date | null }): MirrorSummary {
  const mine = checks.map((check) => ({ check, rows: check.rows.filter((row) => row.source === name) })).filter((entry) => entry.rows.length > 0);
  const freshness = latest(urls.map((url) => url.lastSync));
  const ageSeconds = freshness === null ? null : Math.max(0, (context.now.getTime() - freshness.getTime()) / 1000);
  const band = bandOf(ageSeconds, context.interval);
  const history = mine.slice(-HISTORY_CELLS).map(({ check, rows }): HistoryCell => {
    const read = latest(rows.filter((row) => row.ok).map((row) => row.freshness));
    if (read === null) return { at: check.checkedAt, state: check.suspect ? 'suspect' : 'bad' };
    return { at: check.checkedAt, state: bandOf((check.checkedAt.getTime() - read.getTime()) / 1000, context.interval) };
  });
  // A suspect check says more of the checker's network than of the mirror: errors and the
  // mirror's own word come from the checks that count.
  const counted = mine.filter(({ check }) => !check.suspect);
  const errors = counted.flatMap(({ rows }) => rows.map((row) => row.error)).filter((error): error is string => error !== null);
  // The newest status the mirror published; failing that, what a check in which it answered found
  // (a mirror that is down says nothing of what it publishes).
  const ownOf = (rows: readonly CheckRow[]) => rows.find((row) => row.own !== null)?.own ?? null;
  const published = counted.map(({ rows }) => ownOf(rows)).filter((value) => value?.result != null).at(-1);
  const answeredChecks = counted.filter(({ rows }) => rows.some((row) => row.ok));
  const own = published ?? (answeredChecks.length === 0 ? null : ownOf(answeredChecks.at(-1)?.rows ?? []));
  const newestCheck = mine.at(-1);
  const newestCounted = counted.at(-1);
  const failingNow = newestCounted === undefined ? [] : newestCounted.rows.filter((row) => !row.ok);
  const scores = urls.map((url) => url.score).filter((score): score is number => score !== null);
  const lastError = errors.at(-1) ?? null;
  return {
    name,
    master: mine.some(({ rows }) => rows.some((row) => row.master)),
    protocols: [...new Set(urls.map((url) => url.protocol))],
    urls,
    freshness,
    ageSeconds,
    lagSeconds: lagBehind(context.masterFreshness, freshness),
    band,
    lastCheck: newestCheck?.check.checkedAt ?? null,
    history,
    score: scores.length === 0 ? null : Math.min(...scores),
    lastError,
    own,
    answered: answeredChecks.length > 0 || published !== undefined,
    wrong: describeWrong({ band, ageSeconds, failingNow: failingNow.map((row) => `${row.protocol} ${row.error ?? 'failed'}`), lastError, own, urls }),
  };
}

/** The one sentence of a row: what an operator should know first, or '' when nothing is wrong. Pure. */
export function describeWrong(input: {
  readonly band: Band;
  readonly ageSeconds: number | null;
  readonly failingNow: readonly string[];
  readonly lastError: string | null;
  readonly own: OwnStatus | null;
  readonly urls: readonly Pick<UrlScore, 'checkCount' | 'successCount'>[];
}): string {
  const parts: string[] = [];
  if (input.band === 'bad') parts.push(input.lastError === null ? 'its trace was never read' : `no trace read: ${input.lastError}`);
  else if (input.band !== 'fresh' && input.ageSeconds !== null) parts.push(`last sync ${formatAge(input.ageSeconds)} ago`);
  if (input.band !== 'bad' && input.failingNow.length > 0) parts.push(`now failing over ${input.failingNow.join(', ')}`);
  const missed = input.urls.reduce((sum, url) => sum + url.checkCount - url.successCount, 0);
  const counted = input.urls.reduce((sum, url) => sum + url.checkCount, 0);
  if (input.band !== 'bad' && missed > 0) parts.push(`missed ${missed} of ${counted} checks`);
  if (input.own?.result === 'failed') parts.push(`its own last run failed${input.own.error === null ? '' : `: ${input.own.error}`}`);
  if (input.own?.logError != null) parts.push(`its own log says: ${input.own.logError}`);
  return parts.join('; ');
}

/** Hours below two days, days above: `5 h`, `3 d`. */
export function formatAge(seconds: number): string {
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86_400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

const BINS: readonly { label: string; upTo: number }[] = [
  { label: '< 6 h', upTo: 6 * 3600 },
  { label: '6–12 h', upTo: 12 * 3600 },
  { label: '12–24 h', upTo: 86_400 },
  { label: '1–2 d', upTo: 2 * 86_400 },
  { label: '2–3 d', upTo: 3 * 86_400 },
  { label: '3–7 d', upTo: 7 * 86_400 },
  { label: '> 7 d', upTo: Number.POSITIVE_INFINITY },
];

/** mirmon's age histogram: mirrors per age bin, then those with no readable trace. */
export function histogramOf(mirrors: readonly Pick<MirrorSummary, 'ageSeconds'>[]): HistogramBin[] {
  const counts = BINS.map(() => 0);
  let bad = 0;
  for (const mirror of mirrors) {
    if (mirror.ageSeconds === null) {
      bad += 1;
      continue;
    }
    const index = BINS.findIndex((bin) => (mirror.ageSeconds ?? 0) < bin.upTo);
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return [...BINS.map((bin, index) => ({ label: bin.label, count: counts[index] ?? 0 })), { label: 'bad', count: bad }];
}
