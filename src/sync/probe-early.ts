import type { Config, SourceConfig } from '../config/types.js';
import { compareFreshness } from '../sources/freshness.js';
import type { LocalProbe } from '../sources/probe-local.js';
import { probeSource } from '../sources/probe.js';
import { probeAll } from '../sources/probe-all.js';
import type { SyncMode } from '../sources/rank.js';
import type { ProbeResult, TraceCopy } from '../sources/types.js';
import type { EarlyRead } from './early-read.js';

export interface EarlyProbeInput {
  readonly config: Config;
  readonly local: LocalProbe;
  readonly mode: SyncMode;
  readonly full: boolean;
  readonly pinned: string | undefined;
  readonly signal: AbortSignal;
  /** Where the traces read over rsync are kept for the passes (see TraceCopy). */
  readonly traceCopies?: Map<string, TraceCopy>;
  /** The master's read, started before the local state was known (see EarlyRead). */
  readonly early?: EarlyRead;
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
  const eligible = master !== undefined && localFreshness !== null && input.mode === 'incremental' && !input.full && input.pinned === undefined;
  const early = await earlyAnswer(input, master);
  const first = early ?? (eligible ? await probeSource(master, input.config, { signal: input.signal, freshnessOnly: true, ...copies }) : undefined);
  if (master !== undefined && first !== undefined) {
    if (eligible && first.freshness !== null && compareFreshness(first.freshness, localFreshness) === 0) return { probes: [first], noop: true };
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

/**
 * The early read's result, when it answered (one stopped before answering is no answer), its trace
 * copy joined to this run's. An aborted assessment stops waiting but leaves the read running: a
 * run that judges again after the lock (another run finished meanwhile) still wants it, and its
 * owner, the sync command, stops it when the run ends.
 */
async function earlyAnswer(input: EarlyProbeInput, master: SourceConfig | undefined): Promise<ProbeResult | undefined> {
  const { early } = input;
  if (early === undefined || master === undefined || early.master !== master.name || input.signal.aborted) return undefined;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    input.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const result = await Promise.race([early.result, aborted]);
    if (result === undefined || result.failure?.kind === 'stopped') return undefined;
    for (const [name, copy] of early.traceCopies) input.traceCopies?.set(name, copy);
    return result;
  } finally {
    if (onAbort !== undefined) input.signal.removeEventListener('abort', onAbort);
  }
}
