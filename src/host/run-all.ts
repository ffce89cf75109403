import type { MirrorEntry } from './types.js';

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
  const rows: Row[] = new Array<Row>(entries.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < entries.length) {
      const index = next;
      next += 1;
      const entry = entries[index] as MirrorEntry;
      await hooks.onMirrorStart?.(entry);
      const row = await runOne(entry);
      rows[index] = row;
      await hooks.onMirrorEnd?.(entry, row);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, entries.length)) }, worker));
  return rows;
}
