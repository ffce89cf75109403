import { isAbsolute, resolve } from 'node:path';
import { Fields, Problems, readObject, type JsonObject } from '../config/fields.js';
import { ROOT_PATH } from '../config/json-path.js';
import type { Checked } from '../config/rules.js';
import { readHooks, readProbe, readRsync } from '../config/sections.js';
import { quote } from '../config/show.js';
import { HOST_DEFAULTS, HOST_KEYS, HOST_LIMITS } from './defaults.js';
import type { HostDefaults, HostSettings } from './types.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Checks a parsed host.json (or `{}` when there is none) and fills every default. Pure. `dir` is
 * the config dir: relative paths in the file are taken from there, not from wherever cron runs.
 */
export function validateHost(raw: unknown, file: string | null, dir: string): { host: HostSettings } | { errors: string[] } {
  const problems = new Problems();
  const object = readObject(raw, ROOT_PATH, HOST_KEYS.root, problems);
  if (object === undefined) return { errors: problems.list };
  const fields = new Fields(object, '', problems);
  const path = (value: string): Checked<string> => checkPath(value, dir);

  fields.string('$schema');
  const statusFile = fields.string('statusFile', path);
  const metricsFile = fields.string('metricsFile', path);
  const host: HostSettings = {
    dir,
    file,
    maxConcurrentJobs: fields.integer('maxConcurrentJobs', HOST_LIMITS.maxConcurrentJobs) ?? HOST_DEFAULTS.maxConcurrentJobs,
    maxConnectionsPerUpstream: fields.integer('maxConnectionsPerUpstream', HOST_LIMITS.maxConnectionsPerUpstream) ?? HOST_DEFAULTS.maxConnectionsPerUpstream,
    bwlimitKBps: fields.integer('bwlimitKBps', HOST_LIMITS.bwlimitKBps) ?? HOST_DEFAULTS.bwlimitKBps,
    minFreeBytes: fields.integer('minFreeBytes', HOST_LIMITS.minFreeBytes) ?? HOST_DEFAULTS.minFreeBytes,
    ...(statusFile === undefined ? {} : { statusFile }),
    ...(metricsFile === undefined ? {} : { metricsFile }),
    stateDir: fields.string('stateDir', path) ?? HOST_DEFAULTS.stateDir,
    defaults: readDefaults(fields.raw('defaults'), problems),
  };
  return problems.list.length > 0 ? { errors: problems.list } : { host };
}

// The sections are checked with the very readers sources.json uses, so a default that passes here
// is one a mirror could have written itself; they are kept as written, to be layered key by key.
function readDefaults(value: unknown, problems: Problems): HostDefaults {
  if (value === undefined) return {};
  const object = readObject(value, 'defaults', HOST_KEYS.defaults, problems);
  if (object === undefined) return {};
  const defaults: { rsync?: JsonObject; probe?: JsonObject; hooks?: JsonObject } = {};
  const readers = { rsync: readRsync, probe: readProbe, hooks: readHooks } as const;
  for (const key of HOST_KEYS.defaults) {
    if (!Object.hasOwn(object, key)) continue;
    const before = problems.list.length;
    readers[key](object[key], `defaults.${key}`, problems);
    if (problems.list.length === before) defaults[key] = object[key] as JsonObject;
  }
  return defaults;
}

function checkPath(value: string, dir: string): Checked<string> {
  if (value === '' || CONTROL.test(value)) return { error: `must be a path without control characters, got ${quote(value)}` };
  return { value: isAbsolute(value) ? resolve(value) : resolve(dir, value) };
}
