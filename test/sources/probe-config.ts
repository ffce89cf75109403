import type { Config, SourceConfig } from '../../src/config/types.js';
import { PROBE_DEFAULTS, RSYNC_DEFAULTS, SOURCE_DEFAULTS } from '../../src/config/defaults.js';

/** A source as the config loader would hand it over, defaults filled in. */
export function source(name: string, fields: Partial<Omit<SourceConfig, 'name'>> = {}): SourceConfig {
  return { name, ...SOURCE_DEFAULTS, ...fields };
}

/** A complete Config for probes; `trace` undefined means probing by listing. */
export function probeConfig(sources: readonly SourceConfig[], options: { trace?: string; timeoutMs?: number; samples?: number; binary?: string } = {}): Config {
  return {
    file: '/lab/sources.json',
    name: 'lab',
    ...(options.trace === undefined ? {} : { trace: options.trace }),
    sources,
    rsync: { ...RSYNC_DEFAULTS, binary: options.binary ?? 'rsync' },
    probe: { ...PROBE_DEFAULTS, timeoutMs: options.timeoutMs ?? 30_000, samples: options.samples ?? 3 },
    hooks: {},
  };
}
