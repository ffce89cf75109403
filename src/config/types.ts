/** One upstream, as configured in sources.json (after defaults). */
export interface SourceConfig {
  readonly name: string;
  /** rsync daemon address; absent for probe-only sources. */
  readonly url?: string;
  /** Base URL of the same tree over HTTP(S); used to probe the trace. */
  readonly http?: string;
  readonly master: boolean;
  /** Lower is preferred among equally fresh sources. */
  readonly priority: number;
  /** Path to a file holding the rsync password (mode 0600). */
  readonly passwordFile?: string;
  /** Free-form location, e.g. a country code, shown in listings. */
  readonly region?: string;
}

export interface RsyncSettings {
  /** Extra rsync arguments, validated against our safety flags. */
  readonly args: readonly string[];
  readonly timeoutSeconds: number;
  readonly connectTimeoutSeconds: number;
  readonly maxDurationSeconds: number;
  readonly maxDeleteFraction: number;
  /** Further attempts on the same source after a transient failure (timeouts, resets). */
  readonly retries: number;
  /** Delay before the first retry; doubled for each next one. */
  readonly retryDelaySeconds: number;
  /** rsync binary to run. */
  readonly binary: string;
  /** The operator checked that the local rsync, though older than 3.4.0, carries the fixes for CVE-2024-12084 to 12088. */
  readonly cve2024Patched: boolean;
  /** Create upstream symlinks that point out of the tree (no --safe-links). Off by default: the web server would follow them. */
  readonly keepUnsafeLinks: boolean;
}

export interface ProbeSettings {
  readonly timeoutMs: number;
  readonly samples: number;
  readonly freshWithinSeconds: number;
  /** A freshness later than now plus this is refused as a trace from the future. */
  readonly maxClockSkewSeconds: number;
}

export interface HookSettings {
  readonly onSuccess?: readonly string[];
  readonly onFailure?: readonly string[];
}

/** A validated, frozen sources.json with every default filled in. */
export interface Config {
  /** Absolute path of the file it was read from, for messages. */
  readonly file: string;
  readonly name: string;
  /** Absolute target directory, or undefined when it must come from --target. */
  readonly target?: string;
  /** Path of the master's trace file inside the tree, or undefined to use listing mtimes. */
  readonly trace?: string;
  readonly sources: readonly SourceConfig[];
  readonly rsync: RsyncSettings;
  readonly probe: ProbeSettings;
  readonly hooks: HookSettings;
}
