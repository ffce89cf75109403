/** A point in a source's publication history, as read from its trace (or listing). */
export interface Freshness {
  readonly at: Date;
  /** What identifies the publication beyond its date (SageMath's version and hashes, Debian's archive serial). */
  readonly identity?: string;
}

/**
 * A source's trace as its probe copied it over rsync (a regular file of at most 64 KiB), with the
 * mtime the source gave it: a sync from that source installs these bytes instead of fetching the
 * trace again in a pass of its own.
 */
export interface TraceCopy {
  /** The file as it arrived: installed byte for byte (a decoded and re-encoded text would not be). */
  readonly bytes: Buffer;
  readonly mtimeMs: number;
  /** monotonicMs() when the copy was made. */
  readonly readAtMs: number;
}

/** Why a probe could not tell a source's freshness. */
export type ProbeFailureKind =
  | 'unreachable' // connection refused, DNS failure, no route
  | 'timeout' // the probe's deadline passed
  | 'refused' // the daemon answered with @ERROR (unknown module, auth failed, max connections)
  | 'trace-missing' // the configured trace file does not exist on the source
  | 'trace-garbage' // the trace exists but no date could be read from it
  | 'future' // the freshness is later than now plus probe.maxClockSkewSeconds
  | 'empty' // the module's listing holds nothing but '.'
  | 'http-error' // a non-2xx answer, too many redirects, a body over the cap
  | 'stopped'; // the caller stopped the probe (its answer was no longer needed): says nothing of the source

export interface ProbeResult {
  readonly name: string;
  /** TCP connect succeeded at least once. */
  readonly reachable: boolean;
  /** Median TCP connect time, or null when no connect succeeded. */
  readonly latencyMs: number | null;
  /** Max minus min of the connect samples. */
  readonly latencySpreadMs: number | null;
  /** What was read; null when the probe failed. */
  readonly freshness: Freshness | null;
  /** How freshness was read. */
  readonly via: 'http' | 'rsync-trace' | 'rsync-listing';
  /** Null when the probe succeeded. */
  readonly failure: { readonly kind: ProbeFailureKind; readonly message: string } | null;
  readonly durationMs: number;
}
