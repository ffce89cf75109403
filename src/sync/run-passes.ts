import type { SourceConfig } from '../config/types.js';
import { MirrorsyncError } from '../errors.js';
import { openRunLog, redactCredentials } from '../report/run-log.js';
import type { TriedSource } from '../report/status-file.js';
import { compareFreshness } from '../sources/freshness.js';
import type { Ranking, RankedSource, SyncMode } from '../sources/rank.js';
import type { ProbeResult, TraceCopy } from '../sources/types.js';
import type { TraceBounds } from './trace-bounds.js';
import type { FailoverResult } from './failover.js';
import type { SyncRequest } from './run-sync.js';
import { STATE_DIR } from '../report/status-file.js';
import { countEntries } from './count-files.js';
import { maxDeleteFor } from './rsync-args.js';
import { addStats, type RsyncStats } from './rsync-stats.js';
import { checkRsyncVersion } from './rsync-version.js';
import { attemptSource, type PassContext, type SourcePassValue } from './source-pass.js';

export interface PassesInput {
  readonly request: SyncRequest;
  readonly mode: SyncMode;
  readonly ranking: Ranking;
  /** Usable source names, best first. */
  readonly candidates: readonly string[];
  readonly probes: readonly ProbeResult[];
  readonly maxDelete: number;
  readonly lockFd: number;
  readonly traceBounds: TraceBounds;
  /** The traces the probes copied over rsync (Assessment.traceCopies). */
  readonly traceCopies?: ReadonlyMap<string, TraceCopy>;
}

export interface PassesResult {
  /** The source the tree now comes from. */
  readonly source: string;
  readonly tried: readonly TriedSource[];
  readonly stats: RsyncStats;
  readonly durationMs: number;
}

/**
 * Syncs from the candidates with failover. After an initial sync from an alternate that is behind
 * the newest publication, a catch-up pass from the freshest source brings the mirror level at the
 * cost of only the difference.
 */
export async function runPasses(input: PassesInput): Promise<PassesResult> {
  const { request } = input;
  const { config, logger } = request;
  // Asked only here, where a pass runs (the no-op path never spawns `rsync --version`), and once
  // the first pass has started: waiting for it, or even forking it first, held every transfer's
  // start back by 5-10 ms. Its answer is logged when it comes, during that pass.
  let versionWarning: Promise<void> | undefined;
  const checkVersion = (): void => {
    if (versionWarning !== undefined || config.rsync.cve2024Patched) return;
    versionWarning = checkRsyncVersion(config.rsync.binary).then((warning) => {
      if (warning !== undefined) logger.warn({ binary: config.rsync.binary }, warning);
    });
  };
  // p-retry is loaded only when a pass is about to run: the no-op path never pays for it.
  const { syncWithFailover } = await import('./failover.js');
  const runLog = await openRunLog(request.target, { redact: redactCredentials });
  const context: PassContext = {
    config,
    target: request.target,
    lockFd: input.lockFd,
    signal: request.signal,
    logger,
    runLog,
    maxDelete: undefined,
    full: request.full,
    traceBounds: input.traceBounds,
    traceCopies: new Map(input.traceCopies),
    onPassSpawned: checkVersion,
    ...(request.onProgress === undefined ? {} : { onProgress: request.onProgress }),
    ...(request.gate === undefined ? {} : { gate: request.gate }),
    ...(request.filters === undefined ? {} : { filters: request.filters }),
  };
  const byName = new Map(config.sources.map((source) => [source.name, source]));
  // The cap is a fraction of what the mirror holds. Once a pass has run, that changed (a failed
  // attempt leaves received files and temp files; a bulk pass brings a whole tree): count again.
  let passRan = false;
  const currentCap = async (): Promise<number> => {
    if (!passRan) return input.maxDelete;
    return maxDeleteFor(await countEntries(request.target, [STATE_DIR]), config.rsync.maxDeleteFraction);
  };
  const sync = (names: readonly string[]): Promise<FailoverResult<SourcePassValue>> =>
    syncWithFailover<SourcePassValue>({
      sources: names,
      attempt: async (name) => {
        const maxDelete = await currentCap();
        passRan = true;
        return attemptSource(byName.get(name) as SourceConfig, { ...context, maxDelete });
      },
      retries: config.rsync.retries,
      retryDelayMs: config.rsync.retryDelaySeconds * 1000,
      signal: request.signal,
      onFailure: (name, outcome, attemptNumber, willRetry) =>
        logger.warn({ source: name, attempt: attemptNumber, exitCode: outcome.exitCode, class: outcome.class }, `${name} failed: ${outcome.reason}${willRetry ? '; retrying' : ''}`),
    });

  try {
    const main = await sync(input.candidates);
    const result = { source: main.source, tried: [...main.tried], stats: { ...main.value.stats }, durationMs: main.value.durationMs };
    const catchUp = input.mode === 'initial' ? catchUpSources(input.ranking, main.source) : [];
    if (catchUp.length > 0) {
      logger.info({ from: catchUp[0] }, `catching up: ${main.source} is behind the newest publication`);
      try {
        const level = await sync(catchUp);
        result.source = level.source;
        result.tried.push(...level.tried);
        addStats(result.stats, level.value.stats);
        result.durationMs += level.value.durationMs;
      } catch (error) {
        // The tree is a complete copy of the bulk source's publication; the next run catches up
        // after a source failure. A local failure, a --max-delete stop or an interrupt is the run's.
        if (error instanceof MirrorsyncError && Array.isArray(error.details['tried'])) result.tried.push(...(error.details['tried'] as TriedSource[]));
        if (!(error instanceof MirrorsyncError) || error.code !== 'sync.failed') {
          throw error instanceof MirrorsyncError ? new MirrorsyncError(error.code, error.message, { cause: error, details: { ...error.details, tried: result.tried } }) : error;
        }
        logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'catch-up pass failed; the mirror holds the bulk source\'s publication');
        if (request.signal.aborted) throw error;
      }
    }
    return result;
  } finally {
    checkVersion(); // every source refused before any pass: the warning still belongs in this run
    await versionWarning;
    // The log must not mask how the passes ended: on a full disk its own close fails too.
    await runLog.close().catch((error: unknown) => logger.error({ err: error instanceof Error ? error.message : String(error) }, 'could not write last-run.log'));
  }
}

/** Usable sources holding the newest publication, when the bulk source does not. */
function catchUpSources(ranking: Ranking, bulkSource: string): string[] {
  const bulk = ranking.sources.find((row) => row.name === bulkSource);
  if (ranking.newest === null || bulk?.freshness == null) return [];
  const newest = ranking.newest;
  const holdsNewest = (row: RankedSource) => row.freshness !== null && compareFreshness({ at: new Date(row.freshness), ...(row.traceIdentity === null ? {} : { identity: row.traceIdentity }) }, newest) >= 0;
  if (holdsNewest(bulk)) return [];
  return ranking.sources.filter((row) => row.usable && row.name !== bulkSource && holdsNewest(row)).map((row) => row.name);
}
