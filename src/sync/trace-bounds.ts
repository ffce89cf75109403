import { compareFreshness, futureError } from '../sources/freshness.js';
import type { Ranking } from '../sources/rank.js';
import type { Freshness } from '../sources/types.js';
import { formatDuration } from '../util/duration.js';

/**
 * What a trace fetched for a pass may say. The probe's answer is not enough: a source can show
 * one trace to the probe and another to the pass, so the fetched one is judged again.
 */
export interface TraceBounds {
  /** The oldest publication a pass may bring: the local copy's, or the master's in a recall. */
  readonly floor: Freshness | null;
  /** The reachable master's publication as probed: no alternate may bring a newer one. */
  readonly master: Freshness | null;
  readonly maxSkewSeconds: number;
}

export function traceBoundsOf(ranking: Ranking, maxSkewSeconds: number): TraceBounds {
  return { floor: ranking.floor, master: ranking.master, maxSkewSeconds };
}

/**
 * Why a fetched trace must not be installed, or undefined when it may. The master itself may
 * have published since it was probed; an alternate may not be ahead of it.
 */
export function judgeFetchedTrace(fetched: Freshness, bounds: TraceBounds, fromMaster: boolean, now: Date = new Date()): string | undefined {
  const future = futureError(fetched.at, now, bounds.maxSkewSeconds);
  if (future !== undefined) return `it is from the future: ${future}`;
  if (!fromMaster && bounds.master !== null && compareFreshness(fetched, bounds.master) > 0) {
    return "it claims a publication newer than the master's: the master is the authority on what is current";
  }
  if (bounds.floor !== null && compareFreshness(fetched, bounds.floor) < 0) {
    const behind = Math.round((bounds.floor.at.getTime() - fetched.at.getTime()) / 1000);
    return `it is older than the local copy by ${formatDuration(behind)}: it would roll the mirror back`;
  }
  return undefined;
}
