import type { Freshness } from '../sources/types.js';

/** The publication a pass stopped at the --max-delete cap for, kept in status.json. */
export interface MaxDeleteStop {
  readonly freshness: string | null;
  readonly identity: string | null;
  readonly maxDelete: number;
}

export function maxDeleteStopFor(newest: Freshness | null, maxDelete: number): MaxDeleteStop {
  return { freshness: newest?.at.toISOString() ?? null, identity: newest?.identity ?? null, maxDelete };
}

/**
 * rsync deletes up to the cap and then stops, so a run that simply tried again would take
 * another bite each time until the mirror was gone. Once a pass stopped at the cap, the same
 * publication is refused until an operator raises the cap (or upstream publishes again).
 */
export function repeatsMaxDeleteStop(previous: MaxDeleteStop | undefined, newest: Freshness | null, maxDelete: number): boolean {
  if (previous === undefined || newest === null) return false;
  const same = previous.freshness === newest.at.toISOString() && previous.identity === (newest.identity ?? null);
  return same && maxDelete <= previous.maxDelete;
}
