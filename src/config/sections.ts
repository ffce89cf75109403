import type { HookSettings, ProbeSettings, RsyncSettings } from './types.js';
import { KNOWN_KEYS, LIMITS, MAX_DELETE_FRACTION, PROBE_DEFAULTS, RSYNC_DEFAULTS } from './defaults.js';
import { Fields, readObject, type Problems } from './fields.js';
import { childPath, indexPath } from './json-path.js';
import { checkCommand } from './rules.js';
import { checkRsyncArg } from './rsync-args.js';
import { describeValue } from './show.js';

/** The `rsync`, `probe` and `hooks` sections: absent keys take their defaults. */
export function readRsync(value: unknown, path: string, problems: Problems): RsyncSettings {
  const object = value === undefined ? {} : readObject(value, path, KNOWN_KEYS.rsync, problems);
  if (object === undefined) return RSYNC_DEFAULTS;
  const fields = new Fields(object, path, problems);
  return {
    args: readStrings(fields.raw('args'), fields.pathOf('args'), problems, checkRsyncArg) ?? RSYNC_DEFAULTS.args,
    timeoutSeconds: fields.integer('timeoutSeconds', LIMITS.timeoutSeconds) ?? RSYNC_DEFAULTS.timeoutSeconds,
    connectTimeoutSeconds: fields.integer('connectTimeoutSeconds', LIMITS.connectTimeoutSeconds) ?? RSYNC_DEFAULTS.connectTimeoutSeconds,
    maxDurationSeconds: fields.integer('maxDurationSeconds', LIMITS.maxDurationSeconds) ?? RSYNC_DEFAULTS.maxDurationSeconds,
    maxDeleteFraction: fields.fraction('maxDeleteFraction', MAX_DELETE_FRACTION.exclusiveMin, MAX_DELETE_FRACTION.max) ?? RSYNC_DEFAULTS.maxDeleteFraction,
    retries: fields.integer('retries', LIMITS.retries) ?? RSYNC_DEFAULTS.retries,
    retryDelaySeconds: fields.integer('retryDelaySeconds', LIMITS.retryDelaySeconds) ?? RSYNC_DEFAULTS.retryDelaySeconds,
    binary: fields.string('binary', checkCommand) ?? RSYNC_DEFAULTS.binary,
    cve2024Patched: fields.boolean('cve2024Patched') ?? RSYNC_DEFAULTS.cve2024Patched,
    keepUnsafeLinks: fields.boolean('keepUnsafeLinks') ?? RSYNC_DEFAULTS.keepUnsafeLinks,
  };
}

export function readProbe(value: unknown, path: string, problems: Problems): ProbeSettings {
  const object = value === undefined ? {} : readObject(value, path, KNOWN_KEYS.probe, problems);
  if (object === undefined) return PROBE_DEFAULTS;
  const fields = new Fields(object, path, problems);
  return {
    timeoutMs: fields.integer('timeoutMs', LIMITS.timeoutMs) ?? PROBE_DEFAULTS.timeoutMs,
    samples: fields.integer('samples', LIMITS.samples) ?? PROBE_DEFAULTS.samples,
    freshWithinSeconds: fields.integer('freshWithinSeconds', LIMITS.freshWithinSeconds) ?? PROBE_DEFAULTS.freshWithinSeconds,
    maxClockSkewSeconds: fields.integer('maxClockSkewSeconds', LIMITS.maxClockSkewSeconds) ?? PROBE_DEFAULTS.maxClockSkewSeconds,
  };
}

export function readHooks(value: unknown, path: string, problems: Problems): HookSettings {
  const object = value === undefined ? {} : readObject(value, path, KNOWN_KEYS.hooks, problems);
  if (object === undefined) return {};
  const hooks: { onSuccess?: readonly string[]; onFailure?: readonly string[] } = {};
  for (const key of ['onSuccess', 'onFailure'] as const) {
    if (!Object.hasOwn(object, key)) continue;
    const argv = readArgv(object[key], childPath(path, key), problems);
    if (argv !== undefined) hooks[key] = argv;
  }
  return hooks;
}

// A hook is an argv array run without a shell, so its first element is what gets executed.
function readArgv(value: unknown, path: string, problems: Problems): readonly string[] | undefined {
  const argv = readStrings(value, path, problems, (text) => (text.includes('\0') ? 'must not contain a NUL character' : undefined));
  if (argv === undefined) return undefined;
  const [command] = argv;
  if (command === undefined) {
    problems.add(path, 'must hold at least the command to run');
    return undefined;
  }
  const checked = checkCommand(command);
  if ('error' in checked) {
    problems.add(indexPath(path, 0), checked.error);
    return undefined;
  }
  return argv;
}

/** An array of strings, each passed through `check` (which returns what is wrong, if anything). */
function readStrings(value: unknown, path: string, problems: Problems, check: (text: string) => string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    problems.add(path, `must be an array of strings, got ${describeValue(value)}`);
    return undefined;
  }
  const before = problems.list.length;
  value.forEach((item: unknown, index) => {
    const problem = typeof item === 'string' ? check(item) : `must be a string, got ${describeValue(item)}`;
    if (problem !== undefined) problems.add(indexPath(path, index), problem);
  });
  return problems.list.length > before ? undefined : (value as string[]).slice();
}
