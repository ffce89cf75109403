import type { Config } from '../config/types.js';
import { MirrorsyncError, interruptionOf } from '../errors.js';
import { readHistory, summarizeHistory } from '../report/history.js';
import { readStatus } from '../report/status-file.js';
import { probeLocal, type LocalProbe } from '../sources/probe-local.js';
import { rankSources, type Ranking, type SyncMode } from '../sources/rank.js';
import type { ProbeResult, TraceCopy } from '../sources/types.js';
import { resolveMode, type RequestedMode } from './plan.js';
import type { EarlyRead } from './early-read.js';
import { probeWithEarlyNoop } from './probe-early.js';

export interface LocalState {
  readonly local: LocalProbe;
  readonly mode: SyncMode;
}

export async function readLocalState(config: Config, target: string, requested: RequestedMode): Promise<LocalState> {
  const [local, previous] = await Promise.all([probeLocal(target, config.trace, { preferRecorded: true, maxSkewSeconds: config.probe.maxClockSkewSeconds }), readStatus(target)]);
  // A bootstrap that was interrupted left files but no trace and no success: still a bootstrap,
  // so the master stays last and the catch-up pass still runs.
  const bootstrapping = local.empty || (local.freshness === null && (previous?.lastSuccessAt ?? null) === null);
  return { local, mode: resolveMode(requested, bootstrapping) };
}

export interface Assessment {
  readonly probes: readonly ProbeResult[];
  readonly ranking: Ranking;
  /** Set when nothing needs to run, with the reason. */
  readonly noop: string | null;
  /** Usable source names, best first (only the pinned one when a source is pinned). */
  readonly candidates: readonly string[];
  /** The traces the probes copied over rsync, by source name: a pass from one of them need not fetch it again. */
  readonly traceCopies: ReadonlyMap<string, TraceCopy>;
}

/** Probes and ranks the sources for a sync, and decides whether there is anything to do. */
export async function assessSources(input: {
  readonly config: Config;
  readonly target: string;
  readonly state: LocalState;
  readonly full: boolean;
  readonly pinned: string | undefined;
  readonly signal: AbortSignal;
  readonly early?: EarlyRead | undefined;
}): Promise<Assessment> {
  const { config, state, pinned } = input;
  const traceCopies = new Map<string, TraceCopy>();
  const [early, history] = await Promise.all([
    probeWithEarlyNoop({ config, local: state.local, mode: state.mode, full: input.full, pinned, signal: input.signal, traceCopies, ...(input.early === undefined ? {} : { early: input.early }) }),
    readHistory(input.target),
  ]);
  if (input.signal.aborted) {
    throw interruptionOf(input.signal);
  }
  const ranking = rankSources({
    config,
    probes: early.probes,
    local: { freshness: state.local.freshness },
    mode: state.mode,
    full: input.full,
    history: summarizeHistory(history, new Date()),
  });
  const candidates = ranking.sources.filter((row) => row.usable && (pinned === undefined || row.name === pinned)).map((row) => row.name);
  let noop: string | null = null;
  if (early.noop) noop = 'the master publishes what the mirror already holds';
  else if (candidates.length === 0) {
    const pinnedRow = ranking.sources.find((row) => row.name === pinned);
    if (pinned === undefined ? ranking.upToDate : pinnedRow?.verdict === 'nothing-new') noop = 'no source has anything newer than the mirror';
  }
  return { probes: early.probes, ranking, noop, candidates, traceCopies };
}

export function noneUsableError(ranking: Ranking, pinned: string | undefined): MirrorsyncError {
  const rows = ranking.sources.filter((row) => pinned === undefined || row.name === pinned);
  const reasons = rows.map((row) => `${row.name}: ${row.reason}`).join('; ');
  return new MirrorsyncError('sources.noneUsable', `no usable source (${reasons})`, {
    details: { sources: rows.map((row) => ({ name: row.name, reason: row.reason })) },
  });
}
