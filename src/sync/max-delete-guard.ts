import type { Freshness } from '../sources/types.js';

/** The publication a pass stopped at the --max-delete cap for, kept in status.json. */
export interface MaxDeleteStop {
  readonly freshness: string | null;
  readonly identity: string | null;
  /** The cap that stopped it. */
  readonly maxDelete: number;
  /** rsync.maxDeleteFraction then: only a larger one is an operator accepting the deletions. */
  readonly fraction: number;
}

export function maxDeleteStopFor(newest: Freshness | null, maxDelete: number, fraction: number): MaxDeleteStop {
  return { freshness: newest?.at.toISOString() ?? null, identity: newest?.identity ?? null, maxDelete, fraction };
}

/**
 * rsync deletes up to the cap and then stops, so a run that simply tried again would take
 * another bite each time until the mirror was gone. Once a pass stopped at the cap, the same
 * publication is refused until an operator raises rsync.maxDeleteFraction (or upstream publishes
 * again). The fraction is compared, not the cap: the stopped pass already brought upstream's new
 * files in, so a cap recomputed from today's count would grow by itself.
 */
export function repeatsMaxDeleteStop(previous: MaxDeleteStop | undefined, newest: Freshness | null, fraction: number): boolean {
  if (previous === undefined || newest === null) return false;
  const same = previous.freshness === newest.at.toISOString() && previous.identity === (newest.identity ?? null);
  return same && fraction <= previous.fraction;
}
