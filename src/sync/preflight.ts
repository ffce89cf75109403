/**
 * The refusals a sync makes, shared by the real run and `sync --dry-run`, so a dry run refuses
 * exactly what a real run refuses and names the exit code it would end with.
 */
import type { Config, SourceConfig } from '../config/types.js';
import { MirrorsyncError } from '../errors.js';
import type { Ranking } from '../sources/rank.js';
import { noneUsableError, type Assessment } from './assess.js';
import { repeatsMaxDeleteStop, type MaxDeleteStop } from './max-delete-guard.js';
import { checkTarget } from './target-safety.js';

/** What is wrong with the request itself, before anything is probed: the target, `--source`. */
export function checkRequest(config: Config, target: string, pinned: string | undefined): void {
  refuseUnsafeTarget(target);
  if (pinned === undefined) return;
  const source: SourceConfig | undefined = config.sources.find((entry) => entry.name === pinned);
  if (source === undefined) {
    throw new MirrorsyncError('sources.unknown', `unknown source '${pinned}'; ${config.file} has: ${config.sources.map((entry) => entry.name).join(', ')}`);
  }
  if (source.url === undefined) throw new MirrorsyncError('sources.unknown', `source '${pinned}' is probe-only (no rsync url): it can be ranked but not synced from`);
}

/**
 * Throws unless `target` may be a mirror: `target.unsafe` (78) for a system folder or a link to
 * one, `sync.local` (74) for a local problem (a file in the way). `consequence` ends the message
 * for a command other than sync.
 */
export function refuseUnsafeTarget(target: string, consequence?: string): void {
  const verdict = checkTarget(target);
  if (verdict.ok) return;
  const message = consequence === undefined ? verdict.message : `${verdict.message}: ${consequence}`;
  throw new MirrorsyncError(verdict.local === true ? 'sync.local' : 'target.unsafe', message);
}

/** After the probes, when it is not a no-op: no usable source (69). */
export function checkCandidates(assessment: Assessment, pinned: string | undefined): void {
  if (assessment.noop === null && assessment.candidates.length === 0) throw noneUsableError(assessment.ranking, pinned);
}

/** A publication whose pass already stopped at the --max-delete cap is refused until the fraction is raised (1). */
export function checkMaxDeleteRepeat(previous: MaxDeleteStop | undefined, ranking: Ranking, fraction: number, maxDelete: number): void {
  if (!repeatsMaxDeleteStop(previous, ranking.newest, fraction)) return;
  throw new MirrorsyncError(
    'sync.maxDelete',
    `the last run already stopped at the --max-delete limit (${previous?.maxDelete ?? maxDelete} entries) for this same publication; trying again would delete more. Check the upstream tree; to accept its deletions, run once with --max-delete-fraction above ${fraction} (or raise rsync.maxDeleteFraction)`,
  );
}
