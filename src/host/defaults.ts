/**
 * Defaults and keys of host.json. host.schema.json repeats them for editors; test/host/schema.test.ts
 * checks the two agree.
 */
export const HOST_DEFAULTS = {
  maxConcurrentJobs: 3,
  maxConnectionsPerUpstream: 2,
  bwlimitKBps: 0,
  minFreeBytes: 0,
  stateDir: '/var/lib/mirrorsync',
} as const;

export const HOST_LIMITS = {
  maxConcurrentJobs: { min: 1, max: 64 },
  maxConnectionsPerUpstream: { min: 1, max: 64 },
  bwlimitKBps: { min: 0, max: Number.MAX_SAFE_INTEGER },
  minFreeBytes: { min: 0, max: Number.MAX_SAFE_INTEGER },
} as const;

export const HOST_KEYS = {
  root: ['$schema', 'maxConcurrentJobs', 'maxConnectionsPerUpstream', 'bwlimitKBps', 'minFreeBytes', 'statusFile', 'metricsFile', 'stateDir', 'defaults'],
  defaults: ['rsync', 'probe', 'hooks'],
  /** What a mirror file may hold beyond sources.json. */
  mirror: ['schedule', 'filters'],
  schedule: ['every', 'cron', 'notBetween'],
} as const;

export const CONFIG_DIR_ENV = 'MIRRORSYNC_CONFIG_DIR';
export const DEFAULT_CONFIG_DIR = '/etc/mirrorsync';
export const HOST_FILE = 'host.json';
export const MIRRORS_DIR = 'mirrors';
