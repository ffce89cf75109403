import { resolve } from 'node:path';
import type { Config } from './types.js';
import { DEFAULT_NAME, KNOWN_KEYS } from './defaults.js';
import { Fields, Problems, readObject } from './fields.js';
import { deepFreeze } from './freeze.js';
import { ROOT_PATH } from './json-path.js';
import { checkName, checkTarget, checkTrace } from './rules.js';
import { readHooks, readProbe, readRsync } from './sections.js';
import { readSources } from './sources.js';

export interface ConfigOverrides {
  /** From --target: replaces the file's `target` (must already be absolute). */
  readonly target?: string;
  /** Top-level keys a wrapper reads itself (a host's mirror file adds `schedule` and `filters`). */
  readonly extraKeys?: readonly string[];
}

/** The message path used for a problem with the --target option. */
export const TARGET_OPTION_PATH = '--target';

/**
 * Checks a parsed sources.json and fills every default. Pure: no file access. Collects every
 * problem instead of stopping at the first, so one edit fixes them all.
 */
export function validateConfig(raw: unknown, file: string, overrides: ConfigOverrides = {}): { config: Config } | { errors: string[] } {
  const problems = new Problems();
  const object = readObject(raw, ROOT_PATH, [...KNOWN_KEYS.root, ...(overrides.extraKeys ?? [])], problems);
  if (object === undefined) return { errors: problems.list };
  const fields = new Fields(object, '', problems);

  fields.string('$schema');
  const name = fields.string('name', checkName) ?? DEFAULT_NAME;
  let target = fields.string('target', checkTarget);
  if (overrides.target !== undefined) {
    const checked = checkTarget(overrides.target);
    if ('error' in checked) problems.add(TARGET_OPTION_PATH, checked.error);
    else target = checked.value;
  }
  const trace = fields.string('trace', checkTrace);
  if (!fields.has('sources')) problems.add('sources', 'is required: list at least one source');
  const sources = fields.has('sources') ? readSources(fields.raw('sources'), 'sources', problems) : [];
  const rsync = readRsync(fields.raw('rsync'), 'rsync', problems);
  const probe = readProbe(fields.raw('probe'), 'probe', problems);
  const hooks = readHooks(fields.raw('hooks'), 'hooks', problems);

  if (problems.list.length > 0) return { errors: problems.list };
  const config: Config = {
    file: resolve(file),
    name,
    ...(target === undefined ? {} : { target }),
    ...(trace === undefined ? {} : { trace }),
    sources,
    rsync,
    probe,
    hooks,
  };
  return { config: deepFreeze(config) };
}
