import type { Config } from '../config/types.js';
import type { JsonObject } from '../config/fields.js';
import type { MirrorsyncError } from '../errors.js';

/** host.json after defaults, with every path made absolute (relative ones are from the config dir). */
export interface HostSettings {
  /** The config dir (absolute). */
  readonly dir: string;
  /** Absolute path of host.json, or null when the dir has none (every default applies). */
  readonly file: string | null;
  readonly maxConcurrentJobs: number;
  /** Concurrent rsync connections to one upstream (host and port), across every mirror and process. */
  readonly maxConnectionsPerUpstream: number;
  /** Host-wide bandwidth budget in KiB/s shared by the passes that run; 0 = no limit. */
  readonly bwlimitKBps: number;
  /** A mirror does not start while its target's filesystem has less free space; 0 = no floor. */
  readonly minFreeBytes: number;
  readonly statusFile?: string;
  readonly metricsFile?: string;
  /** Where the host-wide slot files live (job and upstream slots); shared by every process. */
  readonly stateDir: string;
  /** `rsync`, `probe` and `hooks` as host.json holds them (already checked), layered under each mirror's. */
  readonly defaults: HostDefaults;
}

export interface HostDefaults {
  readonly rsync?: JsonObject;
  readonly probe?: JsonObject;
  readonly hooks?: JsonObject;
}

/** When a mirror is due: every N seconds or a cron expression, never inside `notBetween`. */
export type Schedule = ({ readonly kind: 'every'; readonly seconds: number } | { readonly kind: 'cron'; readonly expression: string }) & {
  /** Local times `HH:MM` [from, to): no run starts inside; from > to wraps past midnight. */
  readonly notBetween?: readonly [string, string];
};

/** One mirror of the host, its file valid. */
export interface HostMirror {
  readonly name: string;
  /** Absolute path of its file under mirrors/. */
  readonly file: string;
  /** The sources.json view of it, host defaults layered under its own values. */
  readonly config: Config;
  readonly schedule?: Schedule;
  /** rsync filter rules for a partial mirror (checked: `-`, `+` and `P` rules only). */
  readonly filters: readonly string[];
}

/** A mirror file that could not be used: the mirror fails with this error (exit 78) in lists. */
export interface BrokenMirror {
  readonly name: string;
  readonly file: string;
  readonly error: MirrorsyncError;
}

export type MirrorEntry = HostMirror | BrokenMirror;

export interface HostConfig {
  readonly host: HostSettings;
  /** Sorted by name. */
  readonly mirrors: readonly MirrorEntry[];
}

export function isBroken(entry: MirrorEntry): entry is BrokenMirror {
  return 'error' in entry;
}
