import { closeSync, constants, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync, type Stats } from 'node:fs';
import { tempPathFor } from '../report/atomic-write.js';
import { CREATE_NEW } from '../util/no-follow.js';

/**
 * V8's compiled code for the bundle, kept beside it. A cache is code: whoever can write it runs
 * code as whoever runs mirrorsync (often root). So it lives only beside the bundle, never in a
 * shared folder such as /tmp (where node's own compile cache defaults to), and it is used only
 * when it is a plain file owned by the bundle's owner that nobody else may write, exactly the
 * trust the bundle itself gets.
 *
 * The file starts with the bundle's digest (the build's header): V8 checks a cache against the
 * source's length only, so a cache made for another bundle of the same length would be taken.
 */
const DIGEST_BYTES = 64;
/** Far above the ~1 MB a full cache takes: a larger file is not one of ours. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

/** One file per V8 version: two nodes on one host each keep theirs instead of rewriting one in turn. */
export function codeCachePath(bundlePath: string): string {
  return `${bundlePath}.v8-${process.versions.v8.replace(/[^0-9A-Za-z.-]/g, '_')}.cache`;
}

export type CodeCacheRead =
  | { readonly kind: 'found'; readonly data: Buffer }
  | { readonly kind: 'missing' }
  | { readonly kind: 'refused'; readonly problem: string };

/** Why a cache file may not be trusted as code for this bundle, or undefined when it may. */
export function cacheTrustProblem(cache: Pick<Stats, 'uid' | 'mode' | 'size' | 'isFile'>, bundle: Pick<Stats, 'uid'>): string | undefined {
  if (!cache.isFile()) return 'not a regular file';
  if (cache.uid !== bundle.uid) return `owned by uid ${cache.uid}, the bundle by uid ${bundle.uid}`;
  if ((cache.mode & 0o022) !== 0) return `writable by others (mode ${(cache.mode & 0o777).toString(8)})`;
  if (cache.size <= DIGEST_BYTES || cache.size > MAX_CACHE_BYTES) return `${cache.size} bytes`;
  return undefined;
}

/** Reads the cache for the bundle whose digest and owner are given: never through a link, never one that fails cacheTrustProblem. */
export function readCodeCache(cachePath: string, digest: string, bundle: Pick<Stats, 'uid'>): CodeCacheRead {
  let fd: number;
  try {
    fd = openSync(cachePath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { kind: 'missing' } : { kind: 'refused', problem: code ?? String(error) };
  }
  try {
    const stats = fstatSync(fd);
    const problem = cacheTrustProblem(stats, bundle);
    if (problem !== undefined) return { kind: 'refused', problem };
    const file = Buffer.allocUnsafe(stats.size);
    let filled = 0;
    while (filled < file.length) {
      const read = readSync(fd, file, filled, file.length - filled, null);
      if (read === 0) break;
      filled += read;
    }
    if (filled !== file.length) return { kind: 'refused', problem: 'shorter than its size' };
    if (file.toString('latin1', 0, DIGEST_BYTES) !== digest) return { kind: 'refused', problem: 'made for another bundle' };
    return { kind: 'found', data: file.subarray(DIGEST_BYTES) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces the cache with `makeData()`, made for the bundle with `digest`: a new temp file
 * (O_EXCL, never through a link), fsync, rename, so a reader sees the old cache or the whole new
 * one. Synchronous because it runs in an 'exit' listener. Best effort: a folder we may not write
 * (a read-only file system) keeps what it has, and V8 is not asked for the data (tens of ms) until
 * the temp file is open. Returns whether it wrote.
 */
export function writeCodeCache(cachePath: string, digest: string, makeData: () => Buffer): boolean {
  const temp = tempPathFor(cachePath);
  let fd: number | undefined;
  try {
    fd = openSync(temp, CREATE_NEW, 0o644);
  } catch {
    return false;
  }
  try {
    writeAll(fd, Buffer.from(digest, 'latin1'));
    writeAll(fd, makeData());
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, cachePath);
    return true;
  } catch {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    return false;
  }
}

function writeAll(fd: number, data: Buffer): void {
  for (let written = 0; written < data.length; ) written += writeSync(fd, data, written);
}
