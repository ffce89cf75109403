import { lstatSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { describeSystemError, isSystemError } from '../errors.js';

/** `local`: not a safety refusal but a local problem (a file where the folder should be): exit 74. */
export type TargetCheck = { readonly ok: true } | { readonly ok: false; readonly message: string; readonly local?: true };

/**
 * The operating system and kernel file systems: never a target, nor anything inside them.
 * (/var/run and /var/lock are listed because they are symlinks into /run that the pure check
 * cannot resolve.)
 */
export const SYSTEM_TREES: readonly string[] = [
  '/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/run', '/sbin', '/sys', '/usr',
  '/var/lock', '/var/run',
];

/**
 * Directories that hold other things: a mirror may live inside them, never be one of them,
 * since --delete-after would remove everything else they hold.
 */
export const SHARED_DIRECTORIES: readonly string[] = [
  '/', '/home', '/lost+found', '/media', '/mnt', '/opt', '/root', '/snap', '/srv', '/tmp', '/var',
  '/var/backups', '/var/cache', '/var/lib', '/var/local', '/var/log', '/var/mail', '/var/opt', '/var/spool',
  '/var/tmp', '/var/www',
];

/** The rules on the path alone: absolute, normalised, not `/`, not a system directory. */
export function checkTargetPath(target: string): TargetCheck {
  if (target === '') return refuse('target is empty');
  if (target.startsWith('-')) return refuse(`target ${target} must not begin with "-"`);
  if (/[\0-\x1f\x7f]/.test(target)) return refuse('target must not contain control characters');
  if (!target.startsWith('/')) return refuse(`target ${target} must be an absolute path`);
  const path = target.length > 1 && target.endsWith('/') ? target.slice(0, -1) : target;
  const normal = posix.normalize(path);
  if (normal !== path) return refuse(`target ${target} must be written in normal form (${normal})`);
  const tree = SYSTEM_TREES.find((root) => path === root || path.startsWith(`${root}/`));
  if (tree !== undefined) {
    return refuse(path === tree ? `target ${path} is a system directory` : `target ${path} is inside the system directory ${tree}`);
  }
  if (SHARED_DIRECTORIES.includes(path)) {
    return refuse(path === '/' ? 'target must not be /' : `target ${path} is a system directory; use a directory inside it`);
  }
  return { ok: true };
}

/**
 * checkTargetPath, then the same rules on where the path really leads: symlinks resolved for the
 * part that exists, so `/srv/mirror -> /etc` is refused too. The target need not exist yet.
 */
export function checkTarget(target: string): TargetCheck {
  const byPath = checkTargetPath(target);
  if (!byPath.ok) return byPath;
  const path = posix.normalize(target).replace(/(.)\/$/, '$1');
  const resolved = resolveExisting(path);
  if ('error' in resolved) return resolved.local === true ? { ok: false, message: `target ${path}: ${resolved.error}`, local: true } : refuse(`target ${path}: ${resolved.error}`);
  if (resolved.path !== path) {
    const real = checkTargetPath(resolved.path);
    if (!real.ok) return refuse(`target ${path} leads to ${resolved.path}: ${real.message}`);
  }
  return { ok: true };
}

// Resolves the longest existing prefix with realpath and appends the rest unchanged.
function resolveExisting(path: string): { path: string } | { error: string; local?: true } {
  const rest: string[] = [];
  let current = path;
  for (;;) {
    try {
      const real = realpathSync(current);
      if (!statSync(real).isDirectory()) return { error: `${real} is not a directory`, local: true };
      return { path: rest.length === 0 ? real : join(real, ...rest.reverse()) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' || current === '/') return { error: `cannot resolve ${current}: ${isSystemError(error) ? describeSystemError(error) : String(error)}`, local: true };
      if (isDanglingSymlink(current)) return { error: `${current} is a symlink to a missing path` };
      rest.push(basename(current));
      current = dirname(current);
    }
  }
}

function isDanglingSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function refuse(message: string): TargetCheck {
  return { ok: false, message };
}
