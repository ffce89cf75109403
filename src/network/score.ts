import type { Check, CheckRow, Protocol } from './types.js';

/** archweb's statistics of one URL (a source over one protocol) over the checks in the window. */
export interface UrlScore {
  readonly source: string;
  readonly protocol: Protocol;
  readonly url: string;
  /** Checks counted: suspect checks are left out. */
  readonly checkCount: number;
  readonly successCount: number;
  /** successCount / checkCount (0..1), null without checks. */
  readonly completion: number | null;
  /** The newest freshness read, or null. */
  readonly lastSync: Date | null;
  readonly lastCheck: Date | null;
  /** Mean of (check time − freshness) over successful checks, seconds. */
  readonly delayMean: number | null;
  /** Sample standard deviation of that delay, seconds; null under two successes. */
  readonly delayStddev: number | null;
  /** Mean and sample σ of the probe's duration over successful checks, seconds. */
  readonly durationAvg: number | null;
  readonly durationStddev: number | null;
  /** archweb: (delay hours + duration avg + duration σ) / completion; lower is better; null without a success. */
  readonly score: number | null;
}

const HOUR_S = 3600;
const DAY_S = 86_400;
// archweb divides by an arbitrary small completion when a URL never answered.
const ZERO_COMPLETION = 0.005;

/** Scores one URL's rows (each paired with its check) in the window. Pure. */
export function scoreUrl(entries: readonly { readonly check: Check; readonly row: CheckRow }[]): Omit<UrlScore, 'source' | 'protocol' | 'url'> {
  const counted = entries.filter((entry) => !entry.check.suspect);
  const successes = counted.filter((entry) => entry.row.ok && entry.row.freshness !== null);
  const delays = successes.map((entry) => (entry.check.checkedAt.getTime() - (entry.row.freshness?.getTime() ?? 0)) / 1000);
  const durations = successes.map((entry) => entry.row.durationMs / 1000);
  const completion = counted.length === 0 ? null : successes.length / counted.length;
  const delayMean = mean(delays);
  const durationAvg = mean(durations);
  const durationStddev = stddev(durations);
  const score = delayMean === null || durationAvg === null ? null : (delayMean / HOUR_S + durationAvg + (durationStddev ?? 0)) / (completion !== null && completion > 0 ? completion : ZERO_COMPLETION);
  return {
    checkCount: counted.length,
    successCount: successes.length,
    completion,
    lastSync: latest(successes.map((entry) => entry.row.freshness)),
    lastCheck: latest(entries.map((entry) => entry.check.checkedAt)),
    delayMean,
    delayStddev: stddev(delays),
    durationAvg,
    durationStddev,
    score,
  };
}

/** Every URL of the history within `cutoffSeconds` before `now`, in the order first seen. */
export function scoreUrls(checks: readonly Check[], now: Date, cutoffSeconds: number): UrlScore[] {
  const since = now.getTime() - cutoffSeconds * 1000;
  const groups = new Map<string, { source: string; protocol: Protocol; url: string; entries: { check: Check; row: CheckRow }[] }>();
  for (const check of checks) {
    if (check.checkedAt.getTime() < since || check.checkedAt.getTime() > now.getTime()) continue;
    for (const row of check.rows) {
      const key = `${row.source}\u0000${row.protocol}`;
      let group = groups.get(key);
      if (group === undefined) groups.set(key, (group = { source: row.source, protocol: row.protocol, url: row.url, entries: [] }));
      group.url = row.url;
      group.entries.push({ check, row });
    }
  }
  return [...groups.values()].map((group) => ({ source: group.source, protocol: group.protocol, url: group.url, ...scoreUrl(group.entries) }));
}

/** mirmon's bands of a mirror's age (now − its freshness); `bad` when no trace could be read. */
export type Band = 'fresh' | 'oldish' | 'old' | 'bad';

export function bandOf(ageSeconds: number | null, checkIntervalSeconds: number): Band {
  if (ageSeconds === null) return 'bad';
  if (ageSeconds <= DAY_S + checkIntervalSeconds) return 'fresh';
  if (ageSeconds <= 2 * DAY_S + checkIntervalSeconds) return 'oldish';
  return 'old';
}

/** archweb's check frequency: the span of the checks over their count less one; null under two checks. */
export function checkFrequency(checks: readonly Pick<Check, 'checkedAt'>[]): number | null {
  if (checks.length < 2) return null;
  const times = checks.map((check) => check.checkedAt.getTime());
  return (Math.max(...times) - Math.min(...times)) / 1000 / (checks.length - 1);
}

/** Lag behind the master, seconds: the master's freshness minus the mirror's; null when either is unknown. */
export function lagBehind(master: Date | null, mirror: Date | null): number | null {
  return master === null || mirror === null ? null : Math.max(0, (master.getTime() - mirror.getTime()) / 1000);
}

export function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Sample standard deviation (n − 1), as PostgreSQL's STDDEV that archweb uses; null under two values. */
export function stddev(values: readonly number[]): number | null {
  const m = mean(values);
  if (m === null || values.length < 2) return null;
  return Math.sqrt(values.reduce((sum, value) => sum + (value - m) ** 2, 0) / (values.length - 1));
}

/** The newest of some dates, null when there is none. */
export function latest(dates: readonly (Date | null)[]): Date | null {
  let best: Date | null = null;
  for (const date of dates) if (date !== null && (best === null || date > best)) best = date;
  return best;
}
