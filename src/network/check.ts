import type { Config, SourceConfig } from '../config/types.js';
import { redactUrl } from '../sources/address.js';
import { probeSource } from '../sources/probe.js';
import { readOwnStatus } from './mirror-files.js';
import { clip } from './own-status.js';
import type { Check, CheckRow, Protocol } from './types.js';
import { mapLimited } from '../util/map-limited.js';

export interface CheckOptions {
  /** The caller's signal (SIGINT/SIGTERM): stops every probe. */
  readonly signal?: AbortSignal;
  /** The check's time; tests pass chosen times to build a history. */
  readonly now?: Date;
  /** Sources probed at once; each probe's deadline starts when it starts. Default 16. */
  readonly concurrency?: number;
}

/**
 * Probes every source of the config once, each protocol apart (its rsync module and its HTTP
 * tree), and reads what the mirror publishes of its own runs; all of it under the probe
 * deadline. Never rejects on a source's behaviour.
 */
export async function checkNetwork(config: Config, options: CheckOptions = {}): Promise<Check> {
  const now = options.now ?? new Date();
  // Loaded before any deadline starts: on a loaded host, loading the HTTP client alone can take a
  // probe's whole budget (FIELD-NOTES.md).
  if (config.sources.some((source) => source.http !== undefined)) await import('undici');
  // The master first: its answer is what every lag is measured against.
  const ordered = [...config.sources].sort((a, b) => Number(b.master) - Number(a.master));
  const perSource = await mapLimited(ordered, options.concurrency ?? 16, (source) => checkSource(source, config, now, options.signal));
  const rows = perSource.flat();
  return { checkedAt: now, suspect: isSuspect(rows), rows };
}

/** Most rows failed: more likely the checker's own network than that many mirrors at once. */
export function isSuspect(rows: readonly Pick<CheckRow, 'ok'>[]): boolean {
  const failed = rows.filter((row) => !row.ok).length;
  return rows.length >= 2 && failed * 2 > rows.length;
}

async function checkSource(source: SourceConfig, config: Config, now: Date, signal: AbortSignal | undefined): Promise<CheckRow[]> {
  const deadline = AbortSignal.timeout(config.probe.timeoutMs);
  const filesSignal = signal === undefined ? deadline : AbortSignal.any([signal, deadline]);
  const probeOptions = { now, freshnessOnly: true, ...(signal === undefined ? {} : { signal }) };
  const protocols: { protocol: Protocol; url: string; alone: SourceConfig }[] = [];
  const { url, http, ...rest } = source;
  if (url !== undefined) protocols.push({ protocol: 'rsync', url: redactUrl(url), alone: { ...rest, url } });
  if (http !== undefined) protocols.push({ protocol: 'http', url: http, alone: { ...rest, http } });
  const [own, ...probes] = await Promise.all([
    readOwnStatus(source, config, filesSignal),
    ...protocols.map((entry) => probeSource(entry.alone, config, probeOptions)),
  ]);
  return protocols.map((entry, index): CheckRow => {
    const probe = probes[index];
    const failure = probe?.failure ?? { kind: 'stopped', message: 'not probed' };
    const ok = probe !== undefined && probe.failure === null && probe.freshness !== null;
    return {
      source: source.name,
      protocol: entry.protocol,
      url: entry.url,
      master: source.master,
      ok,
      freshness: ok ? (probe.freshness?.at ?? null) : null,
      durationMs: probe?.durationMs ?? 0,
      // The message may quote the daemon (@ERROR ...): the mirror's text, clipped.
      error: ok ? null : clip(`${failure.kind}: ${failure.message}`),
      own,
    };
  });
}
