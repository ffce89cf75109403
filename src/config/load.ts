import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { MirrorsyncError } from '../errors.js';
import type { Config } from './types.js';
import { parseJsonText } from './json-text.js';
import { validateConfig } from './validate.js';

export interface LoadConfigOptions {
  /** From --config; relative to `cwd`. */
  readonly file?: string;
  /** From --target; replaces the file's `target`. Must be absolute, like the file's: a mirror's path is never guessed from where a command happened to run. */
  readonly target?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export const CONFIG_ENV = 'MIRRORSYNC_CONFIG';
export const DEFAULT_CONFIG_FILE = 'sources.json';

/**
 * Reads, checks and freezes the config. Throws `config.notFound` when no file is found and
 * `config.invalid` (message: the file, then one `<json path>: <problem>` per line) otherwise.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<Config> {
  const file = await resolveConfigFile(options);
  const { value, duplicates } = await readJsonDocument(file);
  const result = validateConfig(value, file, options.target === undefined ? {} : { target: options.target });
  const problems = [...duplicates, ...('errors' in result ? result.errors : [])];
  if (problems.length > 0) throw invalidConfig(file, problems);
  if ('errors' in result) throw new MirrorsyncError('internal', `${file}: validation failed without a message`);
  return result.config;
}

/**
 * Reads and parses one JSON config file. Throws `config.invalid` when it cannot be read or is not
 * JSON (with line and column); repeated keys come back as problems, one `<json path>: ...` each.
 */
export async function readJsonDocument(file: string): Promise<{ value: unknown; duplicates: string[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new MirrorsyncError('config.invalid', `${file}: cannot be read: ${(error as Error).message}`, { cause: error, details: { file } });
  }
  const parsed = parseJsonText(text);
  if ('syntaxError' in parsed) {
    const { message, line, column } = parsed.syntaxError;
    throw new MirrorsyncError('config.invalid', `${file}:${line}:${column}: invalid JSON at line ${line}, column ${column}: ${message}`, {
      details: { file, line, column },
    });
  }
  return { value: parsed.value, duplicates: parsed.duplicateKeys.map((path) => `${path}: duplicate key (JSON keeps only the last one)`) };
}

/** The error for a config file with problems: the file, then one `<json path>: <problem>` per line. */
export function invalidConfig(file: string, problems: readonly string[]): MirrorsyncError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new MirrorsyncError('config.invalid', `${file}: ${count}:\n${problems.join('\n')}`, { details: { file, problems } });
}

/** --config, else $MIRRORSYNC_CONFIG, else ./sources.json in cwd; always an absolute path. */
export async function resolveConfigFile(options: Pick<LoadConfigOptions, 'file' | 'env' | 'cwd'> = {}): Promise<string> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  if (options.file !== undefined) {
    const file = resolve(cwd, options.file);
    const problem = await fileProblem(file);
    if (problem !== undefined) throw notFound(`${file}: config file ${problem} (given with --config)`, file);
    return file;
  }
  // An explicit environment (a unit's Environment=, a cron line) beats whatever file happens to
  // sit in the working directory.
  const fromEnv = env[CONFIG_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const file = isAbsolute(fromEnv) ? fromEnv : resolve(cwd, fromEnv);
    const problem = await fileProblem(file);
    if (problem !== undefined) throw notFound(`${file}: config file ${problem} (named by $${CONFIG_ENV})`, file);
    return file;
  }
  const local = resolve(cwd, DEFAULT_CONFIG_FILE);
  if (await isFile(local)) return local;
  throw notFound(`no config file: pass --config FILE, set $${CONFIG_ENV}, or create ./${DEFAULT_CONFIG_FILE} in ${cwd}`, local);
}

async function isFile(path: string): Promise<boolean> {
  return (await fileProblem(path)) === undefined;
}

/** Why `path` is not a config file to read, in words for the message, or undefined when it is one. */
async function fileProblem(path: string): Promise<string | undefined> {
  try {
    const stats = await stat(path);
    if (stats.isFile()) return undefined;
    return stats.isDirectory() ? 'is a folder, not a file' : 'is not a regular file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'not found' : `cannot be read (${code ?? String(error)})`;
  }
}

function notFound(message: string, file: string): MirrorsyncError {
  return new MirrorsyncError('config.notFound', message, { details: { file } });
}
