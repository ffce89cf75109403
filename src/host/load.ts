import { readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { Problems, isJsonObject, type JsonObject } from '../config/fields.js';
import { invalidConfig, readJsonDocument } from '../config/load.js';
import { checkName } from '../config/rules.js';
import { validateConfig } from '../config/validate.js';
import { MirrorsyncError } from '../errors.js';
import { CONFIG_DIR_ENV, DEFAULT_CONFIG_DIR, HOST_FILE, HOST_KEYS, MIRRORS_DIR } from './defaults.js';
import { readFilters, readSchedule } from './mirror-extras.js';
import type { HostConfig, HostDefaults, HostSettings, MirrorEntry } from './types.js';
import { validateHost } from './validate-host.js';

export interface ConfigDirOptions {
  /** From --config-dir; relative to `cwd`. */
  readonly dir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** --config-dir, else $MIRRORSYNC_CONFIG_DIR, else /etc/mirrorsync; always absolute. */
export function resolveConfigDir(options: ConfigDirOptions = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const fromEnv = (options.env ?? process.env)[CONFIG_DIR_ENV];
  const dir = options.dir ?? (fromEnv === undefined || fromEnv === '' ? DEFAULT_CONFIG_DIR : fromEnv);
  return isAbsolute(dir) ? resolve(dir) : resolve(cwd, dir);
}

/**
 * Reads a config dir: host.json (optional) and mirrors/*.json. An invalid host.json throws
 * `config.invalid` (nothing may run on limits nobody can read); an invalid mirror file becomes a
 * BrokenMirror, so one bad edit does not stop the host's other mirrors.
 */
export async function loadHost(dir: string): Promise<HostConfig> {
  const host = await loadHostFile(dir);
  const mirrorsDir = join(dir, MIRRORS_DIR);
  let names: string[];
  try {
    names = (await readdir(mirrorsDir)).filter((name) => name.endsWith('.json') && !name.startsWith('.')).sort();
  } catch (error) {
    throw new MirrorsyncError('config.notFound', `${mirrorsDir}: cannot list the mirror files: ${(error as Error).message}`, { cause: error, details: { file: mirrorsDir } });
  }
  const entries = await Promise.all(names.map((name) => loadMirror(join(mirrorsDir, name), host)));
  return { host, mirrors: rejectDuplicateNames(entries) };
}

async function loadHostFile(dir: string): Promise<HostSettings> {
  const file = join(dir, HOST_FILE);
  const present = await stat(file).then(
    (info) => info.isFile(),
    () => false,
  );
  const document = present ? await readJsonDocument(file) : { value: {}, duplicates: [] };
  const result = validateHost(document.value, present ? file : null, dir);
  const problems = [...document.duplicates, ...('errors' in result ? result.errors : [])];
  if (problems.length > 0 || 'errors' in result) throw invalidConfig(file, problems);
  return result.host;
}

async function loadMirror(file: string, host: HostSettings): Promise<MirrorEntry> {
  const stem = basename(file, '.json');
  try {
    const { value, duplicates } = await readJsonDocument(file);
    const named = isJsonObject(value) && typeof value['name'] === 'string' ? value['name'] : stem;
    const problems = new Problems();
    const own = isJsonObject(value) ? value : undefined;
    const schedule = readSchedule(own?.['schedule'], problems);
    const filters = readFilters(own?.['filters'], problems);
    const stemName = own !== undefined && !Object.hasOwn(own, 'name') ? checkName(stem) : { value: stem };
    if ('error' in stemName) problems.add('(file name)', `the mirror's name is the file's stem unless it sets "name": ${stemName.error}`);
    const result = validateConfig(layer(value, host.defaults, stem), file, { extraKeys: HOST_KEYS.mirror });
    const all = [...duplicates, ...problems.list, ...('errors' in result ? result.errors : [])];
    // Nothing on a host's command line could supply it: `sync --all` has no --target.
    if ('config' in result && result.config.target === undefined) all.push('target: is required in a mirror file');
    if (all.length > 0 || 'errors' in result) return { name: named, file, error: invalidConfig(file, all) };
    return { name: result.config.name, file, config: result.config, ...(schedule === undefined ? {} : { schedule }), filters };
  } catch (error) {
    if (error instanceof MirrorsyncError) return { name: stem, file, error };
    throw error;
  }
}

/**
 * The mirror's own document with the host's defaults under it: key by key inside `rsync`, `probe`
 * and `hooks` (a mirror's `rsync.args` replaces the host's, it does not add to it), and the
 * file's stem as `name` when it sets none.
 */
export function layer(value: unknown, defaults: HostDefaults, stem: string): unknown {
  if (!isJsonObject(value)) return value;
  const merged: Record<string, unknown> = { name: stem, ...value };
  for (const key of HOST_KEYS.defaults) {
    const base = defaults[key];
    if (base === undefined) continue;
    const own: unknown = value[key];
    if (own === undefined) merged[key] = base;
    else if (isJsonObject(own)) merged[key] = { ...base, ...(own as JsonObject) };
  }
  return merged;
}

// Two files claiming one name would share status, triggers and metrics: neither runs.
function rejectDuplicateNames(entries: MirrorEntry[]): MirrorEntry[] {
  const files = new Map<string, string[]>();
  for (const entry of entries) files.set(entry.name, [...(files.get(entry.name) ?? []), entry.file]);
  return entries.map((entry) => {
    const same = files.get(entry.name) ?? [];
    if (same.length < 2) return entry;
    const others = same.filter((file) => file !== entry.file).join(', ');
    return { name: entry.name, file: entry.file, error: invalidConfig(entry.file, [`name: '${entry.name}' is also the name of ${others}`]) };
  });
}
