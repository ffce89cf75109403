import type { Config } from '../config/types.js';
import { runLogPath } from '../report/run-log.js';
import { MirrorsyncError } from '../errors.js';
import { checkStateDir } from '../report/state-dir.js';
import { readStatus, STATE_DIR } from '../report/status-file.js';
import { parseRsyncAddress, redactUrl } from '../sources/address.js';
import type { Ranking } from '../sources/rank.js';
import { assessSources, readLocalState } from './assess.js';
import { countEntries } from './count-files.js';
import type { RequestedMode } from './plan.js';
import { checkCandidates, checkMaxDeleteRepeat, checkRequest } from './preflight.js';
import { maxDeleteFor, type RsyncPassPlan } from './rsync-args.js';
import { buildPassArgs } from './source-pass.js';

export interface DryRunPlan {
  readonly ranking: Ranking;
  readonly noop: string | null;
  /** The source the run would start with, or null. */
  readonly source: string | null;
  /** The exact commands of its passes, argv arrays (the password never appears: it goes on stdin). */
  readonly commands: readonly (readonly string[])[];
  /** Where the tree's trace would come from: the copy the source's probe read, a trace pass, or none configured. */
  readonly traceFrom: 'probe' | 'pass' | null;
  readonly maxDelete: number;
  /** What a real run would refuse after probing (no usable source, a repeated --max-delete stop), or null. */
  readonly refusal: MirrorsyncError | null;
}

/**
 * What `sync` would do, computed without the lock and without writing anything. What a real run
 * refuses before probing is thrown; what it refuses after is returned with the plan.
 */
export async function planDryRun(input: {
  readonly config: Config;
  readonly target: string;
  readonly mode: RequestedMode;
  readonly full: boolean;
  readonly pinned: string | undefined;
  readonly signal: AbortSignal;
  /** A partial mirror's filter rules. */
  readonly filters?: readonly string[];
}): Promise<DryRunPlan> {
  const { config, target } = input;
  checkRequest(config, target, input.pinned);
  await checkStateDir(target);
  const state = await readLocalState(config, target, input.mode);
  const assessment = await assessSources({ config, target, state, full: input.full, pinned: input.pinned, signal: input.signal });
  const maxDelete = maxDeleteFor(state.local.empty ? 0 : await countEntries(target, [STATE_DIR]), config.rsync.maxDeleteFraction);
  const refusal = refusalOf(async () => {
    checkCandidates(assessment, input.pinned);
    if (assessment.noop === null) checkMaxDeleteRepeat((await readStatus(target))?.maxDeleteStop, assessment.ranking, config.rsync.maxDeleteFraction, maxDelete);
  });
  const first = assessment.noop === null ? assessment.candidates[0] : undefined;
  const source = config.sources.find((entry) => entry.name === first);
  const address = source?.url === undefined ? undefined : parseRsyncAddress(source.url);
  const commands: string[][] = [];
  // A real run's first attempt at a source its probe read over rsync stages that copy instead.
  const traceFrom = config.trace === undefined || source === undefined ? null : assessment.traceCopies.has(source.name) ? 'probe' : 'pass';
  if (source !== undefined && address !== undefined && !('error' in address)) {
    const usesPassword = address.password !== undefined || source.passwordFile !== undefined;
    // The trace first (into .mirrorsync/incoming, moved into the tree once the bulk pass is done).
    const kinds: RsyncPassPlan['kind'][] = [...(traceFrom === 'pass' ? (['trace'] as const) : []), input.full ? 'verify' : 'bulk'];
    for (const kind of kinds) {
      commands.push([config.rsync.binary, ...buildPassArgs(kind, address, usesPassword, { config, target, maxDelete, progress: false, logFile: runLogPath(target), filters: input.filters }).map(redactUrl)]);
    }
  }
  return { ranking: assessment.ranking, noop: assessment.noop, source: source?.name ?? null, commands, traceFrom, maxDelete, refusal: await refusal };
}

async function refusalOf(check: () => Promise<void>): Promise<MirrorsyncError | null> {
  try {
    await check();
    return null;
  } catch (error) {
    if (error instanceof MirrorsyncError) return error;
    throw error;
  }
}
