/**
 * File access that a hostile tree cannot turn against the host: a source decides what lands in the
 * mirror (symlinks, FIFOs, devices, huge files), so anything mirrorsync reads or writes there is
 * opened without following links, checked for its type first, and read with a byte cap.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Flags for reading: never through a link; O_NONBLOCK so that a FIFO swapped in cannot block open(). */
export const READ_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
/** Flags for a new file that must not exist yet, link or not (temp files of atomic writes). */
export const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export type SmallFileRead =
  | { readonly kind: 'ok'; readonly text: string; readonly bytes: Buffer; readonly mtimeMs: number }
  | { readonly kind: 'missing' }
  | { readonly kind: 'refused'; readonly problem: string };

/**
 * Reads `path` when it is a regular file of at most `maxBytes` bytes, never through a symlink and
 * never more than `maxBytes + 1` bytes (a file that grows while read is refused, not truncated).
 * Anything else (a link, a FIFO, a device, a directory, a bigger file) is `refused`, with a
 * sentence that names the type, never the content.
 */
export async function readSmallFile(path: string, maxBytes: number): Promise<SmallFileRead> {
  let before: Stats;
  try {
    before = await lstat(path);
  } catch (error) {
    return errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR' ? { kind: 'missing' } : refused(`cannot be read (${errnoOf(error) ?? 'error'})`);
  }
  if (!before.isFile()) return refused(`is ${describeType(before)}, not a regular file`);
  if (before.size > maxBytes) return refused(`is larger than ${formatBytes(maxBytes)}`);
  let handle: FileHandle;
  try {
    handle = await open(path, READ_NO_FOLLOW);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return { kind: 'missing' };
    return refused(errnoOf(error) === 'ELOOP' ? 'is a symbolic link, not a regular file' : `cannot be read (${errnoOf(error) ?? 'error'})`);
  }
  try {
    const opened = await handle.stat();
    // Swapped between lstat and open: judge only the file actually opened.
    if (!opened.isFile() || opened.ino !== before.ino || opened.dev !== before.dev) return refused('changed while it was being read');
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) return refused(`is larger than ${formatBytes(maxBytes)}`);
    }
    const bytes = buffer.subarray(0, length);
    return { kind: 'ok', text: bytes.toString('utf8'), bytes, mtimeMs: opened.mtimeMs };
  } catch (error) {
    return refused(`cannot be read (${errnoOf(error) ?? 'error'})`);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

export type TreePathCheck = { readonly ok: true } | { readonly ok: false; readonly missing: boolean; readonly problem: string };

/**
 * Checks that every folder on the way from `root` to `root/relative` (the last component
 * excluded) is a real directory: a symlinked folder on the way would take a read or a rename out
 * of the tree. `missing` tells a path not there yet from one that is refused.
 */
export async function checkFoldersOnPath(root: string, relative: string): Promise<TreePathCheck> {
  const parts = relative.split('/').filter((part) => part !== '' && part !== '.');
  let current = root;
  for (const part of parts.slice(0, -1)) {
    if (part === '..') return { ok: false, missing: false, problem: `${relative} climbs out of the tree` };
    current = join(current, part);
    let info: Stats;
    try {
      info = await lstat(current);
    } catch (error) {
      const missing = errnoOf(error) === 'ENOENT';
      return { ok: false, missing, problem: missing ? `${current} does not exist` : `${current} cannot be read (${errnoOf(error) ?? 'error'})` };
    }
    if (!info.isDirectory()) return { ok: false, missing: false, problem: `${current} is ${describeType(info)}, not a directory` };
  }
  return { ok: true };
}

/** "a symbolic link", "a FIFO"…: what an entry is, for refusals. */
export function describeType(info: Stats): string {
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isDirectory()) return 'a directory';
  if (info.isFile()) return 'a regular file';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isCharacterDevice()) return 'a character device';
  return 'an unknown kind of file';
}

export function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function refused(problem: string): SmallFileRead {
  return { kind: 'refused', problem };
}

function formatBytes(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}
