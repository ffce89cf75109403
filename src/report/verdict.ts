/**
 * The monitoring verdict on one mirror (DESIGN.md, Commands: `status`), in the
 * Nagios/Icinga/monitoring-plugins convention. Pure: status.json, the time and the thresholds in,
 * a verdict out. `status` prints it for one target; `status --all` takes the worst of many.
 */
import { formatDuration } from '../util/duration.js';
import type { RunStatus } from './run-status.js';

export type VerdictState = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

/** Seconds since the last success at which a mirror turns WARNING, then CRITICAL. */
export interface Thresholds {
  readonly warningSeconds: number;
  readonly criticalSeconds: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { warningSeconds: 86_400, criticalSeconds: 2 * 86_400 };

export interface Verdict {
  readonly state: VerdictState;
  /** One phrase for the first line, after `MIRRORSYNC <state> - `. */
  readonly summary: string;
  /** Seconds since the last success; null when none is known. */
  readonly ageSeconds: number | null;
  readonly lagSeconds: number | null;
  readonly bytes: number | null;
  readonly thresholds: Thresholds;
}

/**
 * Judges a readable status. A run still going is judged by the success before it, unless its
 * process is gone (`isAlive` says so: the caller owns that fact), which counts as a failed run.
 */
export function judgeStatus(status: RunStatus, now: Date, thresholds: Thresholds, isAlive: (pid: number) => boolean): Verdict {
  const successAt = status.lastSuccessAt ?? (status.result === 'synced' || status.result === 'noop' ? status.endedAt : null);
  const parsed = successAt === null ? Number.NaN : Date.parse(successAt);
  const age = Number.isNaN(parsed) ? null : Math.max(0, (now.getTime() - parsed) / 1000);
  const facts = { ageSeconds: age, lagSeconds: status.lagSeconds, bytes: status.bytesReceived, thresholds };
  const since = age === null ? 'never succeeded' : `last success ${formatDuration(age)} ago`;

  const died = status.result === 'running' && status.pid !== undefined && !isAlive(status.pid);
  const failure =
    died ? `the run started at ${status.startedAt} (PID ${status.pid ?? '?'}) died without finishing`
    : status.result === 'failed' || status.result === 'interrupted' ? `last run ${status.result}: ${status.error?.message ?? 'no reason recorded'}`
    : null;

  if (age === null || age > thresholds.criticalSeconds) {
    const why = age === null ? 'never succeeded' : `no success for ${formatDuration(age)} (critical after ${formatDuration(thresholds.criticalSeconds)})`;
    return { state: 'CRITICAL', summary: failure === null ? why : `${why}; ${failure}`, ...facts };
  }
  if (failure !== null) return { state: 'WARNING', summary: `${failure}; ${since}`, ...facts };
  if (age > thresholds.warningSeconds) return { state: 'WARNING', summary: `${since}, more than ${formatDuration(thresholds.warningSeconds)}`, ...facts };
  const what = status.result === 'running' ? `syncing since ${status.startedAt}; ${since}` : `${status.result === 'noop' ? 'up to date' : 'synced'}${status.source === null ? '' : ` from ${status.source}`}, ${since}`;
  return { state: 'OK', summary: lagPhrase(what, status.lagSeconds), ...facts };
}

/** No readable status: never ran, an unreadable or corrupt file, a bad config. */
export function unknownVerdict(reason: string, thresholds: Thresholds): Verdict {
  return { state: 'UNKNOWN', summary: reason, ageSeconds: null, lagSeconds: null, bytes: null, thresholds };
}

/** The plugin's first line: `MIRRORSYNC <STATE> - <summary> | <perfdata>`. */
export function verdictLine(verdict: Verdict): string {
  const { warningSeconds: warn, criticalSeconds: crit } = verdict.thresholds;
  const value = (n: number | null, unit: string) => (n === null ? 'U' : `${Math.round(n)}${unit}`);
  const perfdata = [`lag=${value(verdict.lagSeconds, 's')};${warn};${crit}`, `age=${value(verdict.ageSeconds, 's')};${warn};${crit}`, `bytes=${value(verdict.bytes, 'B')}`];
  // A `|` in the summary would start the perfdata early: monitoring would misread the line.
  return `MIRRORSYNC ${verdict.state} - ${oneLine(verdict.summary).replace(/\|/g, '/')} | ${perfdata.join(' ')}`;
}

// monitoring-plugins' max_state(): CRITICAL over WARNING over UNKNOWN over OK.
const SEVERITY: Readonly<Record<VerdictState, number>> = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 };

/** The worst of several states (OK for none). */
export function worstState(states: Iterable<VerdictState>): VerdictState {
  let worst: VerdictState = 'OK';
  for (const state of states) if (SEVERITY[state] > SEVERITY[worst]) worst = state;
  return worst;
}

function lagPhrase(text: string, lagSeconds: number | null): string {
  return lagSeconds === null || lagSeconds <= 0 ? text : `${text}, ${formatDuration(lagSeconds)} behind the master`;
}

function oneLine(text: string): string {
  // Error messages quote rsync's, which quote upstream file names: keep the line one line.
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}
