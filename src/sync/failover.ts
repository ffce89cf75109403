import { MirrorsyncError, interruptionOf } from '../errors.js';
import type { TriedSource } from '../report/status-file.js';
import type { RsyncOutcome } from './rsync-exit.js';


export type AttemptResult<T> =
  | { readonly ok: true; readonly value: T; readonly exitCode: number | null; readonly bytesReceived: number }
  | { readonly ok: false; readonly outcome: RsyncOutcome; readonly bytesReceived: number };

export interface FailoverOptions<T> {
  /** Source names in the order to try them. */
  readonly sources: readonly string[];
  readonly attempt: (source: string, attemptNumber: number) => Promise<AttemptResult<T>>;
  /** Further attempts per source after a transient failure. */
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly signal: AbortSignal;
  readonly onFailure?: (source: string, outcome: RsyncOutcome, attemptNumber: number, willRetry: boolean) => void;
}

export interface FailoverResult<T> {
  readonly source: string;
  readonly value: T;
  readonly tried: readonly TriedSource[];
}

class AttemptFailed extends Error {
  constructor(readonly outcome: RsyncOutcome) {
    super(outcome.reason);
  }
}

/**
 * Walks the sources in order. A transient failure is retried with backoff on the same source,
 * a permanent one moves on at once; a local failure or a --max-delete stop ends the whole run,
 * since every other source would fail (or delete) the same way. Each source resumes from what is
 * on disk: nothing here cleans the target between attempts.
 */
export async function syncWithFailover<T>(options: FailoverOptions<T>): Promise<FailoverResult<T>> {
  const tried: TriedSource[] = [];
  let refusedAll = true;
  for (const source of options.sources) {
    let attempts = 0;
    let bytesReceived = 0;
    const attemptOnce = async (attemptNumber: number): Promise<T> => {
      attempts = attemptNumber;
      const result = await options.attempt(source, attemptNumber);
      bytesReceived += result.bytesReceived;
      if (result.ok) {
        tried.push({ name: source, exitCode: result.exitCode, error: null, attempts, bytesReceived });
        return result.value;
      }
      const willRetry = result.outcome.class === 'transient' && attemptNumber <= options.retries && !options.signal.aborted;
      options.onFailure?.(source, result.outcome, attemptNumber, willRetry);
      throw new AttemptFailed(result.outcome);
    };
    try {
      const value = await attemptWithRetries(attemptOnce, options);
      return { source, value, tried };
    } catch (error) {
      const outcome = outcomeOf(error);
      if (outcome === undefined) {
        // Stopped between attempts (a signal during the backoff): the source was tried all the same.
        if (attempts > 0) tried.push({ name: source, exitCode: null, error: 'interrupted', attempts, bytesReceived });
        throw error instanceof MirrorsyncError ? withTried(error, tried) : error;
      }
      tried.push({ name: source, exitCode: outcome.exitCode, error: outcome.reason, attempts, bytesReceived });
      refusedAll &&= outcome.refused === true;
      const stop = stopError(outcome, tried, options.signal);
      if (stop) throw stop;
    }
  }
  const summary = tried.map((entry) => `${entry.name}: ${entry.error ?? 'failed'}`).join('; ');
  // Sources refused by a safety check before anything changed were never usable after all.
  if (refusedAll) throw new MirrorsyncError('sources.noneUsable', `no usable source (${summary})`, { details: { tried } });
  throw new MirrorsyncError('sync.failed', `every usable source failed (${summary})`, { details: { tried } });
}

/**
 * The first attempt runs bare; p-retry is loaded only when a transient failure leaves retries
 * to make (most runs never fail: they need not pay for loading the retry machinery). That first
 * failure is replayed as p-retry's own first attempt, so the backoff is p-retry's throughout.
 */
async function attemptWithRetries<T>(attemptOnce: (attemptNumber: number) => Promise<T>, options: FailoverOptions<T>): Promise<T> {
  let first: AttemptFailed;
  try {
    return await attemptOnce(1);
  } catch (error) {
    if (!(error instanceof AttemptFailed) || error.outcome.class !== 'transient' || options.retries < 1) throw error;
    first = error;
  }
  const { default: pRetry, AbortError } = await import('p-retry');
  return pRetry(
    async (attemptNumber) => {
      try {
        if (attemptNumber === 1) throw first;
        return await attemptOnce(attemptNumber);
      } catch (error) {
        // Only a transient failure is worth another attempt at the same source.
        if (error instanceof AttemptFailed && error.outcome.class !== 'transient') throw new AbortError(error);
        throw error;
      }
    },
    { retries: options.retries, minTimeout: options.retryDelayMs, factor: 2, randomize: true, signal: options.signal },
  );
}

function outcomeOf(error: unknown): RsyncOutcome | undefined {
  if (error instanceof AttemptFailed) return error.outcome;
  // p-retry's AbortError, which wraps a failure that is not to be retried.
  const original: unknown = error instanceof Error && 'originalError' in error ? error.originalError : undefined;
  return original instanceof AttemptFailed ? original.outcome : undefined;
}

function stopError(outcome: RsyncOutcome, tried: readonly TriedSource[], signal: AbortSignal): MirrorsyncError | undefined {
  const details = { tried };
  switch (outcome.class) {
    case 'interrupted':
      return withTried(interruptionOf(signal, outcome.reason), tried);
    case 'local':
      return new MirrorsyncError('sync.local', `the local side failed, so no other source can help: ${outcome.reason}`, { details });
    case 'maxDelete':
      return new MirrorsyncError('sync.maxDelete', `stopped at the --max-delete limit (no failover: the next source would delete the same files): ${outcome.reason}`, { details });
    default:
      return signal.aborted ? withTried(interruptionOf(signal), tried) : undefined;
  }
}

// status.json lists every source tried, interrupted runs included.
function withTried(error: MirrorsyncError, tried: readonly TriedSource[]): MirrorsyncError {
  return new MirrorsyncError(error.code, error.message, { cause: error, details: { ...error.details, tried } });
}
