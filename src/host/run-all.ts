import type { MirrorEntry } from './types.js';
import { mapLimited } from '../util/map-limited.js';

/**
 * Where a host run tells the outside that one mirror starts and ends (the host status file is
 * written there). Called in-process, in the order things happen; a hook that throws is logged by
 * the caller and never stops a mirror.
 */
export interface HostRunHooks<Row> {
  readonly onMirrorStart?: (entry: MirrorEntry) => Promise<void> | void;
  readonly onMirrorEnd?: (entry: MirrorEntry, row: Row) => Promise<void> | void;
}

/**
 * Runs `runOne` for every entry, at most `concurrency` at once, in the entries' order; the rows
 * come back in that order. `runOne` must not throw: one mirror's failure is its row, never a reason
 * to stop another. The cross-process limits are the slots' business; this only bounds the work
 * this process starts.
 */
export async function runEach<Row>(
  entries: readonly MirrorEntry[],
  concurrency: number,
  runOne: (entry: MirrorEntry) => Promise<Row>,
  hooks: HostRunHooks<Row> = {},
): Promise<Row[]> {
  return mapLimited(entries, concurrency, async (entry) => {
    await hooks.onMirrorStart?.(entry);
    const row = await runOne(entry);
    await hooks.onMirrorEnd?.(entry, row);
    return row;
  });
}
