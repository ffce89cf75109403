import type { ProbeSettings, RsyncSettings } from './types.js';

/**
 * Every default and bound of sources.json in one place. sources.schema.json repeats them for
 * editors; test/config/schema.test.ts checks the two agree.
 */
export const DEFAULT_NAME = 'mirror';

export const RSYNC_DEFAULTS: RsyncSettings = {
  args: [],
  timeoutSeconds: 600,
  connectTimeoutSeconds: 30,
  maxDurationSeconds: 43200,
  maxDeleteFraction: 0.2,
  retries: 2,
  retryDelaySeconds: 10,
  binary: 'rsync',
  cve2024Patched: false,
  keepUnsafeLinks: false,
};

/** rsync.maxDeleteFraction, and `sync --max-delete-fraction` for one run: above 0, at most 1. */
export const MAX_DELETE_FRACTION = { exclusiveMin: 0, max: 1 } as const;

export const PROBE_DEFAULTS: ProbeSettings = {
  timeoutMs: 5000,
  samples: 3,
  freshWithinSeconds: 21600,
  maxClockSkewSeconds: 300,
};

export const SOURCE_DEFAULTS = { master: false, priority: 0 } as const;

// Node's timers overflow past 2^31-1 ms and then fire after 1 ms, so anything that may become a
// timer is capped below that.
const MAX_TIMER_MS = 2_147_483_647;
const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

export interface IntegerBounds {
  readonly min: number;
  readonly max: number;
}

export const LIMITS = {
  timeoutSeconds: { min: 1, max: MAX_TIMER_SECONDS },
  connectTimeoutSeconds: { min: 1, max: MAX_TIMER_SECONDS },
  maxDurationSeconds: { min: 1, max: MAX_TIMER_SECONDS },
  // Backoff doubles the delay per retry (and p-retry's jitter up to doubles it again): these
  // bounds keep the longest wait under the timer limit.
  retries: { min: 0, max: 10 },
  retryDelaySeconds: { min: 0, max: 600 },
  timeoutMs: { min: 1, max: MAX_TIMER_MS },
  samples: { min: 1, max: 20 },
  freshWithinSeconds: { min: 0, max: Number.MAX_SAFE_INTEGER },
  // A day: a skew wider than that is a broken clock, and would let a liar move its date that far.
  maxClockSkewSeconds: { min: 0, max: 86400 },
  priority: { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
} as const satisfies Record<string, IntegerBounds>;

/** The keys each object may hold; anything else is reported as unknown. */
export const KNOWN_KEYS = {
  root: ['$schema', 'name', 'target', 'trace', 'sources', 'rsync', 'probe', 'hooks'],
  source: ['name', 'url', 'http', 'master', 'priority', 'passwordFile', 'region'],
  rsync: ['args', 'timeoutSeconds', 'connectTimeoutSeconds', 'maxDurationSeconds', 'maxDeleteFraction', 'retries', 'retryDelaySeconds', 'binary', 'cve2024Patched', 'keepUnsafeLinks'],
  probe: ['timeoutMs', 'samples', 'freshWithinSeconds', 'maxClockSkewSeconds'],
  hooks: ['onSuccess', 'onFailure'],
} as const satisfies Record<string, readonly string[]>;
