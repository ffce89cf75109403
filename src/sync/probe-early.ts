import type { Config } from '../config/types.js';
import { compareFreshness } from '../sources/freshness.js';
import type { LocalProbe } from '../sources/probe-local.js';
import { probeSource } from '../sources/probe.js';
import { probeAll } from '../sources/probe-all.js';
import type { SyncMode } from '../sources/rank.js';
import type { ProbeResult, TraceCopy } from '../sources/types.js';

export interface EarlyProbeInput {
  readonly config: Config;
  readonly local: LocalProbe;
  readonly mode: SyncMode;
  readonly full: boolean;
  readonly pinned: string | undefined;
  readonly signal: AbortSignal;
  /** Where the traces read over rsync are kept for the passes (see TraceCopy). */
  readonly traceCopies?: Map<string, TraceCopy>;
}

/**
 * The scheduled run that finds nothing new is the common one: it asks the master alone for its
 * trace (no latency samples, no other source), and stops there when the trace equals the local
 * one. Only when something is new are all sources probed, concurrently, for the ranking.
 */
export async function probeWithEarlyNoop(input: EarlyProbeInput): Promise<{ probes: ProbeResult[]; noop: boolean }> {
  const copies = input.traceCopies === undefined ? {} : { traceCopies: input.traceCopies };
  const master = input.config.sources.find((source) => source.master);
  const localFreshness = input.local.freshness;
  if (master !== undefined && localFreshness !== null && input.mode === 'incremental' && !input.full && input.pinned === undefined) {
    const first = await probeSource(master, input.config, { signal: input.signal, freshnessOnly: true, ...copies });
    if (first.freshness !== null && compareFreshness(first.freshness, localFreshness) === 0) return { probes: [first], noop: true };
    // A master that failed has had its chance: its answer stands, and a hung master costs one
    // probe timeout, not two. One with news is measured with the others, its trace not read again.
    if (first.failure !== null) {
      const others = { ...input.config, sources: input.config.sources.filter((source) => source !== master) };
      return { probes: [first, ...(await probeAll(others, { signal: input.signal, ...copies }))], noop: false };
    }
    if (first.freshness !== null) {
      return { probes: await probeAll(input.config, { signal: input.signal, known: new Map([[master.name, first.freshness]]), ...copies }), noop: false };
    }
  }
  return { probes: await probeAll(input.config, { signal: input.signal, ...copies }), noop: false };
}
