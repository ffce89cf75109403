import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { describeSystemError, isSystemError, MirrorsyncError } from '../errors.js';

/** Why a file named on the command line cannot be created, as `local.cannotCreate` (exit 73). */
export function cannotCreateError(what: string, path: string, cause: unknown): MirrorsyncError {
  const folder = dirname(resolve(path));
  const why = !isSystemError(cause) ? String(cause) : cause.code === 'ENOENT' ? `its folder ${folder} does not exist` : describeSystemError(cause);
  return new MirrorsyncError('local.cannotCreate', `cannot create the ${what} ${path}: ${why}`, { cause, details: { path } });
}

/**
 * Checks, before a run starts, that a file named on the command line can be created (its folder
 * exists and is writable, the name is not a folder): a run that would only fail to report at its
 * end is refused at once instead.
 */
export async function assertCanCreate(path: string, what: string): Promise<void> {
  const file = resolve(path);
  try {
    const folder = dirname(file);
    if (!(await stat(folder)).isDirectory()) throw Object.assign(new Error(`${folder} is not a folder`), { code: 'ENOTDIR' });
    await access(folder, constants.W_OK);
    if ((await stat(file).catch(() => null))?.isDirectory() === true) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
  } catch (error) {
    throw cannotCreateError(what, path, error);
  }
}
