import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import { asMirrorsyncError, describeError, MirrorsyncError } from '../errors.js';
import type { Logger } from '../log.js';
import { readHistory, recordOutcomes, writeHistory, type OutcomeEntry } from '../report/history.js';
import { redactCredentials } from '../report/run-log.js';
import { finishRunStatus, readStatus, startRunStatus, stateDir, STATE_DIR, writeStatus, type RunEnd, type RunStatus } from '../report/status-file.js';
import { checkStateDir, ensureStateDir } from '../report/state-dir.js';
import { writeMirrorTrace } from '../report/trace-file.js';
import { probeLocal, type LocalProbe } from '../sources/probe-local.js';
import type { Ranking } from '../sources/rank.js';
import type { ProbeResult } from '../sources/types.js';
import { acquireLock, type HeldLock } from './lock.js';
import type { PassGate } from './pass-gate.js';
import type { PassProgress } from './progress.js';
import { countEntries } from './count-files.js';
import type { RequestedMode } from './plan.js';
import { assessSources, readLocalState, type LocalState } from './assess.js';
import { maxDeleteStopFor } from './max-delete-guard.js';
import { maxDeleteFor } from './rsync-args.js';
import type { PassesResult } from './run-passes.js';
import { checkCandidates, checkMaxDeleteRepeat, checkRequest } from './preflight.js';
import { traceBoundsOf } from './trace-bounds.js';
import type { EarlyRead } from './early-read.js';

export interface SyncRequest {
  readonly config: Config;
  readonly target: string;
  readonly mode: RequestedMode;
  /** Pin one source by name. */
  readonly source?: string;
  readonly full: boolean;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly version: string;
  readonly onProgress?: (source: string, progress: PassProgress) => void;
  /** Runs holding the lock, before the run's status is written: a host's `sync --all` takes the mirror's triggers here. */
  readonly onLocked?: () => Promise<void>;
  /** After status.json says `running`: the host status file is rewritten here. Its failure is logged, not fatal. */
  readonly onStarted?: (status: RunStatus) => Promise<void>;
  /** The clock the run's times come from; tests of schedules set it (MIRRORSYNC_TEST_NOW). */
  readonly clock?: () => Date;
  /** A host's limits around each attempt at a source (slots, bandwidth share). */
  readonly gate?: PassGate;
  /** A partial mirror's filter rules. */
  readonly filters?: readonly string[];
  /** The master's read, started by the caller as soon as the config was known; the caller stops it after the run. */
  readonly early?: EarlyRead;
}

export interface SyncReport {
  readonly status: RunStatus;
  readonly ranking: Ranking | null;
  readonly probes: readonly ProbeResult[];
}

/** A failed run: the error, with the status that was written for it. */
export class SyncFailure extends MirrorsyncError {
  readonly report: SyncReport;

  constructor(failure: MirrorsyncError, report: SyncReport) {
    super(failure.code, failure.message, { cause: failure, details: { ...failure.details } });
    this.report = report;
  }
}

/** The main job: lock, probe, rank, sync with failover, publish. Every outcome writes status.json. */
export async function runSync(request: SyncRequest): Promise<SyncReport> {
  const { config, target, logger } = request;
  checkRequest(config, target, request.source);
  // Before anything is read or written there: a state folder or file that is a link or of the
  // wrong type is refused (state.unsafe), never followed.
  await ensureStateDir(target);
  await checkStateDir(target);
  const clock = request.clock ?? (() => new Date());
  const startedAt = clock();
  // Probing needs nothing the lock protects and is most of a no-op run, so it starts while the
  // lock is being taken; when the lock is held, the probes are stopped before anything is written.
  let state = await readLocalState(config, target, request.mode);
  const stopProbes = new AbortController();
  const assess = (signal: AbortSignal) => {
    const promise = assessSources({ config, target, state, full: request.full, pinned: request.source, signal, early: request.early });
    promise.catch(() => undefined); // awaited below; this only keeps an early exit from leaving it unhandled
    return promise;
  };
  let assessing = assess(AbortSignal.any([request.signal, stopProbes.signal]));
  let lock: HeldLock;
  try {
    lock = await acquireLock(join(stateDir(target), 'lock'));
  } catch (error) {
    stopProbes.abort();
    await assessing.catch(() => undefined);
    throw error;
  }
  // Another run may have finished between that first look and the lock: judge from what is there now.
  const locked = await readLocalState(config, target, request.mode);
  if (!sameLocalState(state, locked)) {
    stopProbes.abort();
    await assessing.catch(() => undefined);
    state = locked;
    assessing = assess(request.signal);
  }
  let status = startRunStatus(await readStatus(target), { mode: 'incremental', startedAt, pid: process.pid, host: hostname(), version: request.version });
  let ranking: Ranking | null = null;
  let probes: readonly ProbeResult[] = [];
  let passes: PassesResult | undefined;
  let maxDelete: number | undefined;
  try {
    const { local, mode } = state;
    status = { ...status, mode };
    if (status.previousRunDied) logger.warn({ previousRun: status.previousRunDied }, 'the previous run died without finishing; the lock is free now');
    await request.onLocked?.();
    await writeStatus(target, status);
    await request.onStarted?.(status).catch((error: unknown) => logger.warn({ err: describeError(error) }, 'could not publish the start of the run'));

    const assessment = await assessing;
    probes = assessment.probes;
    ranking = assessment.ranking;
    for (const row of ranking.sources) {
      logger.debug({ source: row.name, usable: row.usable, reason: row.reason }, 'ranked');
      // A source that lies about time is news to the operator, not noise.
      if (row.verdict === 'ahead-of-master' || row.verdict === 'future') logger.warn({ source: row.name }, `${row.name}: ${row.reason}`);
    }
    if (local.error !== undefined) logger.warn({ target }, `the local copy's freshness is not believed: ${local.error}`);
    if (ranking.recall !== null) {
      logger.warn(
        { local: ranking.recall.local, master: ranking.recall.master },
        `the local copy holds a publication (${ranking.recall.local}) newer than the master's (${ranking.recall.master}): syncing the master's publication`,
      );
    }
    if (assessment.noop !== null) return await finishNoop(assessment.noop, local);
    checkCandidates(assessment, request.source);
    const candidates = assessment.candidates;

    const localCount = local.empty ? 0 : await countEntries(target, [STATE_DIR]);
    maxDelete = maxDeleteFor(localCount, config.rsync.maxDeleteFraction);
    checkMaxDeleteRepeat(status.maxDeleteStop, ranking, config.rsync.maxDeleteFraction, maxDelete);
    // execa and p-retry load only when a pass runs: the no-op path, the common one, never pays for them.
    const { runPasses } = await import('./run-passes.js');
    passes = await runPasses({
      request,
      mode,
      ranking,
      candidates,
      probes,
      maxDelete,
      lockFd: lock.fd,
      traceBounds: traceBoundsOf(ranking, config.probe.maxClockSkewSeconds),
      traceCopies: assessment.traceCopies,
    });
    const after = await probeLocal(target, config.trace, { maxSkewSeconds: config.probe.maxClockSkewSeconds });
    await writeMirrorTrace(target, { freshness: after.freshness?.at ?? null, syncedAt: new Date(), source: passes.source });
    return await finish({
      result: 'synced',
      endedAt: clock(),
      source: passes.source,
      tried: passes.tried,
      bytesReceived: passes.stats.bytesReceived,
      filesTransferred: passes.stats.filesTransferred,
      totalFileSize: passes.stats.totalFileSize,
      freshness: after.freshness?.at ?? null,
      lagSeconds: lagOf(after, ranking),
      error: null,
    });
  } catch (error) {
    const failure = asMirrorsyncError(error);
    const interrupted = failure.code === 'interrupted.sigint' || failure.code === 'interrupted.sigterm';
    const tried = (failure.details['tried'] as RunStatus['tried'] | undefined) ?? passes?.tried ?? [];
    const report = await finish({
      result: interrupted ? 'interrupted' : 'failed',
      endedAt: clock(),
      tried,
      bytesReceived: tried.reduce((sum, entry) => sum + (entry.bytesReceived ?? 0), 0),
      error: { code: failure.code, message: redactCredentials(failure.message) },
      ...(failure.code === 'sync.maxDelete' && maxDelete !== undefined ? { maxDeleteStop: maxDeleteStopFor(ranking?.newest ?? null, maxDelete, config.rsync.maxDeleteFraction) } : {}),
    }).catch((writeError: unknown) => {
      logger.error({ err: describeError(writeError) }, 'could not write status.json');
      return { status, ranking, probes };
    });
    throw new SyncFailure(failure, report);
  } finally {
    await lock.release();
  }

  async function finishNoop(why: string, local: LocalProbe): Promise<SyncReport> {
    logger.info({ freshness: local.freshness?.at.toISOString() ?? null }, `nothing to do: ${why}`);
    return finish({ result: 'noop', endedAt: clock(), freshness: local.freshness?.at ?? null, lagSeconds: ranking ? lagOf(local, ranking) : 0, error: null });
  }

  async function finish(end: RunEnd): Promise<SyncReport> {
    status = finishRunStatus(status, end);
    await writeStatus(target, status);
    // History only orders future runs: failing to keep it must not fail this one.
    await recordHistory(target, status, passes, end.endedAt).catch((error: unknown) => logger.warn({ err: describeError(error) }, 'could not update history.json'));
    return { status, ranking, probes };
  }
}

// Where the run stopped on our side (disk full, --max-delete, a signal), the source it was on did
// nothing wrong: that last entry is not held against it.
const NOT_THE_SOURCES_FAULT = new Set(['sync.local', 'sync.maxDelete', 'interrupted.sigint', 'interrupted.sigterm']);

async function recordHistory(target: string, status: RunStatus, passes: PassesResult | undefined, now: Date): Promise<void> {
  const tried = status.error !== null && NOT_THE_SOURCES_FAULT.has(status.error.code) ? status.tried.slice(0, -1) : status.tried;
  if (tried.length === 0) return;
  const entries: OutcomeEntry[] = tried.map((entry) => ({
    source: entry.name,
    ok: entry.error === null,
    bytesReceived: entry.bytesReceived,
    durationSeconds: entry.name === passes?.source ? passes.durationMs / 1000 : undefined,
    error: entry.error,
  }));
  await writeHistory(target, recordOutcomes(await readHistory(target), entries, now));
}

function lagOf(local: LocalProbe, ranking: Ranking): number | null {
  if (local.freshness === null || ranking.newest === null) return null;
  return Math.max(0, Math.round((ranking.newest.at.getTime() - local.freshness.at.getTime()) / 1000));
}



function sameLocalState(a: LocalState, b: LocalState): boolean {
  const freshness = (state: LocalState) => (state.local.freshness === null ? null : `${state.local.freshness.at.toISOString()} ${state.local.freshness.identity ?? ''}`);
  return a.mode === b.mode && a.local.empty === b.local.empty && freshness(a) === freshness(b);
}

