import type { Config } from '../config/types.js';
import { compareFreshness } from '../sources/freshness.js';
import type { LocalProbe } from '../sources/probe-local.js';
import { probeAll } from '../sources/probe.js';
import type { SyncMode } from '../sources/rank.js';
import type { ProbeResult } from '../sources/types.js';

export interface EarlyProbeInput {
  readonly config: Config;
  readonly local: LocalProbe;
  readonly mode: SyncMode;
  readonly full: boolean;
  readonly pinned: string | undefined;
  readonly signal: AbortSignal;
}

/**
 * Probes every source, but stops the rest as soon as the master's trace equals the local one:
 * the scheduled run that finds nothing new must not wait for the slowest (or a dead) mirror.
 */
export async function probeWithEarlyNoop(input: EarlyProbeInput): Promise<{ probes: ProbeResult[]; noop: boolean }> {
  const master = input.config.sources.find((source) => source.master);
  const localFreshness = input.local.freshness;
  const eligible = input.mode === 'incremental' && !input.full && input.pinned === undefined && localFreshness !== null;
  const stopRest = new AbortController();
  let noop = false;
  const probes = await probeAll(input.config, {
    signal: AbortSignal.any([input.signal, stopRest.signal]),
    onResult: (result) => {
      if (!eligible || noop || result.name !== master?.name || result.freshness === null) return;
      if (compareFreshness(result.freshness, localFreshness) === 0) {
        noop = true;
        stopRest.abort();
      }
    },
  });
  return { probes, noop };
}
