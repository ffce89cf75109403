/**
 * `<target>/.mirrorsync/history.json`: what happened each time a source was tried, so the ranking
 * can try a source that failed in the last runs later, and estimate throughput. Bounded, and
 * never fatal: a missing, unreadable or corrupt file is an empty history.
 */
import { join } from 'node:path';
import { MirrorsyncError, describeError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { readSmallFile } from '../util/no-follow.js';
import { ensureStateDir, STATE_DIR } from './state-dir.js';

/** One try of one source. */
export interface Outcome {
  /** ISO 8601. */
  readonly at: string;
  readonly ok: boolean;
  readonly bytes?: number;
  readonly seconds?: number;
  /** One line, credentials removed. */
  readonly error?: string;
}

export interface SourceHistory {
  readonly name: string;
  /** Oldest first. */
  readonly outcomes: readonly Outcome[];
}

export interface History {
  readonly version: 1;
  readonly sources: readonly SourceHistory[];
}

/** What a run reports for one source it tried. */
export interface OutcomeEntry {
  readonly source: string;
  readonly ok: boolean;
  readonly bytesReceived?: number | undefined;
  readonly durationSeconds?: number | undefined;
  readonly error?: string | null | undefined;
  /** Defaults to `now`. */
  readonly at?: Date | undefined;
}

export interface SourceSummary {
  /** Failures since the last success, counting only the last 7 days. */
  readonly recentFailures: number;
  /** Median of the retained successful passes that moved data; null when there are none. */
  readonly bytesPerSecond: number | null;
}

export const HISTORY_LIMITS = { outcomesPerSource: 20, sources: 50, failureWindowSeconds: 7 * 86_400, fileBytes: 1 << 20 } as const;
const ERROR_CHARS = 300;

export function historyPath(target: string): string {
  return join(target, STATE_DIR, 'history.json');
}

export function emptyHistory(): History {
  return { version: 1, sources: [] };
}

/** The history on disk, or an empty one when it is missing, unreadable, corrupt or oversized. */
export async function readHistory(target: string): Promise<History> {
  try {
    const read = await readSmallFile(historyPath(target), HISTORY_LIMITS.fileBytes);
    return read.kind === 'ok' ? parseHistory(JSON.parse(read.text)) : emptyHistory();
  } catch {
    return emptyHistory();
  }
}

export async function writeHistory(target: string, history: History): Promise<void> {
  const path = historyPath(target);
  try {
    await ensureStateDir(target);
    await writeFileAtomic(path, `${JSON.stringify(history)}\n`, 0o644);
  } catch (error) {
    if (error instanceof MirrorsyncError) throw error;
    throw new MirrorsyncError('sync.local', `cannot write ${path}: ${describeError(error)}`, { cause: error, details: { path } });
  }
}

/** Appends the run's outcomes and applies the bounds. */
export function recordOutcomes(history: History, entries: readonly OutcomeEntry[], now: Date): History {
  const byName = new Map<string, Outcome[]>(history.sources.map((s) => [s.name, [...s.outcomes]]));
  for (const entry of entries) {
    const list = byName.get(entry.source) ?? [];
    list.push(toOutcome(entry, now));
    byName.set(entry.source, list);
  }
  return bound([...byName].map(([name, outcomes]) => ({ name, outcomes })));
}

export function summarizeHistory(history: History, now: Date): Map<string, SourceSummary> {
  const since = now.getTime() - HISTORY_LIMITS.failureWindowSeconds * 1000;
  const summary = new Map<string, SourceSummary>();
  for (const { name, outcomes } of history.sources) {
    let recentFailures = 0;
    for (let i = outcomes.length - 1; i >= 0; i--) {
      const outcome = outcomes[i];
      if (outcome === undefined || outcome.ok || Date.parse(outcome.at) < since) break;
      recentFailures++;
    }
    const rates = outcomes.flatMap((o) => (o.ok && (o.bytes ?? 0) > 0 && (o.seconds ?? 0) > 0 ? [(o.bytes ?? 0) / (o.seconds ?? 1)] : []));
    summary.set(name, { recentFailures, bytesPerSecond: median(rates) });
  }
  return summary;
}

function toOutcome(entry: OutcomeEntry, now: Date): Outcome {
  const error = entry.error ?? undefined;
  return {
    at: (entry.at ?? now).toISOString(),
    ok: entry.ok,
    ...(isAmount(entry.bytesReceived) ? { bytes: entry.bytesReceived } : {}),
    ...(isAmount(entry.durationSeconds) ? { seconds: entry.durationSeconds } : {}),
    ...(error === undefined ? {} : { error: error.split('\n')[0]?.slice(0, ERROR_CHARS) ?? '' }),
  };
}

// Oldest-first by time within a source; the sources tried most recently are the ones kept.
function bound(sources: readonly SourceHistory[]): History {
  const trimmed = sources
    .map((s) => ({ name: s.name, outcomes: [...s.outcomes].sort(byTime).slice(-HISTORY_LIMITS.outcomesPerSource) }))
    .filter((s) => s.outcomes.length > 0);
  const latest = (s: SourceHistory): number => Date.parse(s.outcomes.at(-1)?.at ?? '') || 0;
  const kept = new Set([...trimmed].sort((a, b) => latest(b) - latest(a)).slice(0, HISTORY_LIMITS.sources));
  return { version: 1, sources: trimmed.filter((s) => kept.has(s)) };
}

function byTime(a: Outcome, b: Outcome): number {
  return Date.parse(a.at) - Date.parse(b.at);
}

/** Keeps what is well formed: a wrong top level is an empty history, a bad entry is dropped. */
export function parseHistory(value: unknown): History {
  if (!isObject(value) || value['version'] !== 1 || !Array.isArray(value['sources'])) return emptyHistory();
  const seen = new Set<string>();
  const sources: SourceHistory[] = [];
  for (const item of value['sources'] as unknown[]) {
    if (!isObject(item) || typeof item['name'] !== 'string' || !Array.isArray(item['outcomes']) || seen.has(item['name'])) continue;
    seen.add(item['name']);
    sources.push({ name: item['name'], outcomes: (item['outcomes'] as unknown[]).filter(isOutcome) });
  }
  return bound(sources);
}

function isOutcome(x: unknown): x is Outcome {
  return (
    isObject(x) &&
    typeof x['at'] === 'string' &&
    !Number.isNaN(Date.parse(x['at'])) &&
    typeof x['ok'] === 'boolean' &&
    (x['bytes'] === undefined || isAmount(x['bytes'])) &&
    (x['seconds'] === undefined || isAmount(x['seconds'])) &&
    (x['error'] === undefined || typeof x['error'] === 'string')
  );
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isAmount(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] ?? hi) + hi) / 2;
}
