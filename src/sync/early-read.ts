import type { Config } from '../config/types.js';
import { probeSource, probeVia } from '../sources/probe.js';
import type { ProbeResult, TraceCopy } from '../sources/types.js';

/**
 * The master's trace read, started as soon as the config is known: it is the longest step of the
 * common run (nothing new), so the rest of the sync machinery loads, the state folder is checked
 * and the lock is taken while that rsync runs. Its answer serves the early no-op decision, and in
 * any other run it stands for the master's freshness: a failed read is the master's answer (one
 * probe timeout, not two); only a read stopped before it answered is made again.
 */
export interface EarlyRead {
  readonly master: string;
  readonly result: Promise<ProbeResult>;
  /** The trace the read copied, for the passes (see TraceCopy). */
  readonly traceCopies: ReadonlyMap<string, TraceCopy>;
  /** Stops the read if it still runs and waits for its rsync to be gone. */
  stop(): Promise<void>;
}

/** Starts reading the master's freshness (no latency samples); undefined without a master. Neither it nor stop() rejects. */
export function startEarlyRead(config: Config, signal: AbortSignal): EarlyRead | undefined {
  const master = config.sources.find((source) => source.master);
  if (master === undefined) return undefined;
  const controller = new AbortController();
  const traceCopies = new Map<string, TraceCopy>();
  // probeSource never rejects; the catch keeps that promise even for a bug, since nobody may be
  // awaiting the read yet when it ends.
  const result = probeSource(master, config, { signal: AbortSignal.any([signal, controller.signal]), freshnessOnly: true, traceCopies }).catch(
    (error: unknown): ProbeResult => ({
      name: master.name,
      reachable: false,
      latencyMs: null,
      latencySpreadMs: null,
      freshness: null,
      via: probeVia(master, config),
      failure: { kind: 'refused', message: `cannot probe: ${error instanceof Error ? error.message : String(error)}` },
      durationMs: 0,
    }),
  );
  return {
    master: master.name,
    result,
    traceCopies,
    async stop() {
      controller.abort();
      await result;
    },
  };
}
