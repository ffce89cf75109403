import type { Config, SourceConfig } from '../config/types.js';
import { formatRsyncUrl, parseRsyncAddress, type RsyncAddress } from './address.js';
import { readSourcePassword } from './password.js';
import { probeLatency, type LatencyResult } from './probe-latency.js';
import { fetchTraceOverHttp } from './probe-trace-http.js';
import { freshnessFromListing, listTopLevel, readTraceOverRsync } from './probe-trace-rsync.js';
import { futureError } from './freshness.js';
import { parseTrace } from './trace-format.js';
import type { Freshness, ProbeFailureKind, ProbeResult, TraceCopy } from './types.js';
import { monotonicMs } from '../util/monotonic.js';

export interface ProbeOptions {
  /** The caller's signal: aborting it stops the probe (it then resolves, as a timeout). */
  readonly signal?: AbortSignal;
  /** The clock for "trace from the future" checks. */
  readonly now?: Date;
  /** Read freshness only: no latency connects (each costs the daemon a fork). */
  readonly freshnessOnly?: boolean;
  /** Where each trace read over rsync and believed is kept, by source name, for a sync to install. */
  readonly traceCopies?: Map<string, TraceCopy>;
}

export interface ProbeAllOptions extends ProbeOptions {
  /** Called as each probe ends, so the caller can decide early and abort its signal to stop the rest. */
  readonly onResult?: (result: ProbeResult) => void;
  /** Freshness already read in this run, by source name: those sources are measured for latency only. */
  readonly known?: ReadonlyMap<string, Freshness>;
}

export type Failure = { readonly kind: ProbeFailureKind; readonly message: string };
/** A read's freshness, with the trace's bytes when it was copied over rsync. */
export type FreshnessRead = { readonly freshness: Freshness; readonly copy?: TraceCopy } | { readonly failure: Failure };

/** Probes one source: latency and freshness in parallel, the whole within config.probe.timeoutMs. Never rejects. */
export async function probeSource(source: SourceConfig, config: Config, options: ProbeOptions = {}): Promise<ProbeResult> {
  // Load first, then start the clock: on a loaded host, loading the HTTP client alone can take a second.
  const loaded = await loadClients([source], config).then(
    () => undefined,
    (error: unknown): FreshnessRead => ({ failure: { kind: 'refused', message: `cannot load the HTTP client: ${error instanceof Error ? error.message : String(error)}` } }),
  );
  const started = monotonicMs();
  const timeout = AbortSignal.timeout(config.probe.timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  if (loaded !== undefined) return combineProbe(source, config, { latency: unmeasured('not measured'), read: loaded, started, timeout, signal, freshnessOnly: true });
  const plan = planProbe(source);
  if ('failure' in plan) return combineProbe(source, config, { latency: unmeasured('no address'), read: plan, started, timeout, signal, freshnessOnly: true });
  const freshnessOnly = options.freshnessOnly === true;
  const [latency, read] = await Promise.all([
    freshnessOnly ? Promise.resolve(unmeasured('not measured')) : probeLatency(plan.endpoint.host, plan.endpoint.port, config.probe.samples, signal),
    readSourceFreshness(source, plan.address, config, signal, options.now),
  ]);
  keepTraceCopy(options.traceCopies, source, read);
  return combineProbe(source, config, { latency, read, started, timeout, signal, freshnessOnly });
}

/** Where a source is probed: its rsync address, else its HTTP endpoint. */
export function planProbe(source: SourceConfig): { address: RsyncAddress | undefined; endpoint: { host: string; port: number } } | { failure: Failure } {
  const address = source.url === undefined ? undefined : parseRsyncAddress(source.url);
  if (address !== undefined && 'error' in address) return { failure: { kind: 'refused', message: `invalid rsync address: ${address.error}` } };
  const endpoint = address ?? httpEndpoint(source.http);
  if (endpoint === undefined) return { failure: { kind: 'refused', message: 'the source has neither url nor a valid http' } };
  return { address, endpoint };
}

/** Keeps a believed trace copy for the sync: the same bytes, not fetched a second time. */
export function keepTraceCopy(copies: Map<string, TraceCopy> | undefined, source: SourceConfig, read: FreshnessRead): void {
  if (copies !== undefined && 'copy' in read && read.copy !== undefined) copies.set(source.name, read.copy);
}

/** Loads the HTTP client when a source will need it, so no probe deadline pays for module loading. */
export async function loadClients(sources: readonly SourceConfig[], config: Config): Promise<void> {
  if (config.trace !== undefined && sources.some((source) => source.http !== undefined)) await import('undici');
}

/** Reads a source's freshness under `signal`; never rejects. */
export async function readSourceFreshness(source: SourceConfig, address: RsyncAddress | undefined, config: Config, signal: AbortSignal, now?: Date): Promise<FreshnessRead> {
  const read = await readFreshness(source, address, config, signal).catch(
    (error: unknown): FreshnessRead => ({ failure: { kind: 'refused', message: `cannot probe: ${error instanceof Error ? error.message : String(error)}` } }),
  );
  return refuseFuture(read, now ?? new Date(), config.probe.maxClockSkewSeconds);
}

export interface ProbeParts {
  readonly latency: LatencyResult;
  readonly read: FreshnessRead;
  /** monotonicMs() when this source's probe began. */
  readonly started: number;
  /** The deadline of the read: when it fired, a failed read is a timeout, else a stop. */
  readonly timeout: AbortSignal;
  readonly signal: AbortSignal;
  /** No latency was measured: a trace that was read is the proof of reachability. */
  readonly freshnessOnly: boolean;
}

/** One ProbeResult from a latency measurement and a freshness read. */
export function combineProbe(source: SourceConfig, config: Config, parts: ProbeParts): ProbeResult {
  const { latency, read, signal, timeout, freshnessOnly } = parts;
  let failure = 'failure' in read ? read.failure : null;
  if (failure?.kind === 'timeout' && signal.aborted) failure = stopped(timeout, config.probe.timeoutMs);
  // Freshness read over HTTP says nothing about the rsync port a sync would use.
  if (failure === null && !latency.reachable && source.url !== undefined && !freshnessOnly) {
    failure = { kind: 'unreachable', message: `rsync port: ${latency.error ?? 'unreachable'}` };
  }
  return {
    name: source.name,
    reachable: freshnessOnly ? failure === null : latency.reachable,
    latencyMs: latency.medianMs,
    latencySpreadMs: latency.spreadMs,
    freshness: 'freshness' in read ? read.freshness : null,
    via: probeVia(source, config),
    failure,
    durationMs: Math.round(monotonicMs() - parts.started),
  };
}

/** How a source's freshness is read: its trace over HTTP, its trace over rsync, or its listing. */
export function probeVia(source: SourceConfig, config: Config): ProbeResult['via'] {
  if (config.trace === undefined) return 'rsync-listing';
  return source.http !== undefined ? 'http' : 'rsync-trace';
}

// Every source, the master included, and whether read from a trace or a listing.
function refuseFuture(read: FreshnessRead, now: Date, maxSkewSeconds: number): FreshnessRead {
  if (!('freshness' in read)) return read;
  const future = futureError(read.freshness.at, now, maxSkewSeconds);
  return future === undefined ? read : { failure: { kind: 'future', message: future } };
}

async function readFreshness(source: SourceConfig, address: RsyncAddress | undefined, config: Config, signal: AbortSignal): Promise<FreshnessRead> {
  if (config.trace !== undefined && source.http !== undefined) {
    return toFreshness(await fetchTraceOverHttp(source.http, config.trace, { signal }));
  }
  if (address === undefined) return { failure: { kind: 'trace-missing', message: 'a probe-only source needs a trace to be probed' } };
  const secret = await readSourcePassword(address, source);
  if ('error' in secret) return { failure: { kind: 'refused', message: secret.error } };
  const { password } = secret;
  const rsync = { binary: config.rsync.binary, signal, ...(password === undefined ? {} : { password }) };
  if (config.trace !== undefined) return toFreshness(await readTraceOverRsync(formatRsyncUrl(address, config.trace), rsync));
  const listing = await listTopLevel(formatRsyncUrl(address), rsync);
  if ('failure' in listing) return listing;
  const freshness = freshnessFromListing(listing.entries);
  return 'failure' in freshness ? freshness : { freshness };
}

function toFreshness(read: { readonly text: string; readonly bytes?: Buffer; readonly mtimeMs?: number; readonly readAtMs?: number } | { readonly failure: Failure }): FreshnessRead {
  if ('failure' in read) return read;
  // No bound here: refuseFuture judges every freshness against the configured skew.
  const parsed = parseTrace(read.text, new Date(), Number.POSITIVE_INFINITY);
  if ('error' in parsed) return { failure: { kind: 'trace-garbage', message: parsed.error } };
  // Only a copy made over rsync is the tree's own trace; an HTTP server's may be another file.
  const { bytes, mtimeMs, readAtMs } = read;
  return bytes === undefined || mtimeMs === undefined || readAtMs === undefined ? { freshness: parsed } : { freshness: parsed, copy: { bytes, mtimeMs, readAtMs } };
}

function httpEndpoint(http: string | undefined): { host: string; port: number } | undefined {
  if (http === undefined) return undefined;
  try {
    const url = new URL(http);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    return host === '' ? undefined : { host, port };
  } catch {
    return undefined;
  }
}

export function stopped(timeout: AbortSignal, timeoutMs: number): Failure {
  return timeout.aborted ? { kind: 'timeout', message: `no answer within ${timeoutMs} ms` } : { kind: 'stopped', message: 'probe stopped before it ended' };
}

export function unmeasured(error: string): LatencyResult {
  return { reachable: false, medianMs: null, spreadMs: null, error };
}
