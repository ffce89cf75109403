import { closeSync, constants, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { tempPathFor } from '../report/atomic-write.js';
import { CREATE_NEW } from '../util/no-follow.js';

/**
 * V8's compiled code for the bundle, kept beside it. A cache is code: whoever can write it runs
 * code as whoever runs mirrorsync (often root). So it lives only beside the bundle, never in a
 * shared folder such as /tmp (where node's own compile cache defaults to), and it is used only
 * when it is a plain file owned by the bundle's owner that nobody else may write, exactly the
 * trust the bundle itself gets.
 *
 * The file starts with one line naming the bundle it was made for: the digest the build wrote at
 * the top of the bundle, and the bundle file's size and modification time in nanoseconds (what
 * Python checks before using a .pyc). V8 checks a cache against the source's length only: a
 * same-length edit, or a cache made for another build, would run the old code.
 */
export interface BundleIdentity {
  readonly digest: string;
  readonly size: bigint;
  readonly mtimeNs: bigint;
}

/** Far above the ~1 MB a full cache takes: a larger file is not one of ours. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

export function identityLine(identity: BundleIdentity): string {
  return `mirrorsync-code-cache 1 ${identity.digest} ${identity.size} ${identity.mtimeNs}\n`;
}

/**
 * One file per V8 and per set of node options: V8 rejects a cache made under other flags
 * (`--max-old-space-size` included), so two units that start node differently each keep theirs
 * instead of rewriting one in turn. The usual start, with no options, gets the plain name.
 */
export function codeCachePath(bundlePath: string, execArgv: readonly string[] = process.execArgv, nodeOptions = process.env['NODE_OPTIONS'] ?? ''): string {
  const options = [...execArgv, nodeOptions].join('\0');
  const variant = options === '' ? '' : `-${fnv1a(options)}`;
  return `${bundlePath}.v8-${process.versions.v8.replace(/[^0-9A-Za-z.-]/g, '_')}${variant}.cache`;
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

export type CodeCacheRead =
  | { readonly kind: 'found'; readonly data: Buffer }
  | { readonly kind: 'missing' }
  | { readonly kind: 'refused'; readonly problem: string };

/** Why a cache file may not be trusted as code for this bundle, or undefined when it may. */
export function cacheTrustProblem(cache: Pick<Stats, 'uid' | 'mode' | 'size' | 'isFile'>, bundleUid: number): string | undefined {
  if (!cache.isFile()) return 'not a regular file';
  if (cache.uid !== bundleUid) return `owned by uid ${cache.uid}, the bundle by uid ${bundleUid}`;
  if ((cache.mode & 0o022) !== 0) return `writable by others (mode ${(cache.mode & 0o777).toString(8)})`;
  if (cache.size === 0 || cache.size > MAX_CACHE_BYTES) return `${cache.size} bytes`;
  return undefined;
}

/** Reads the cache made for the bundle `identity` names: never through a link, never one that fails cacheTrustProblem. */
export function readCodeCache(cachePath: string, identity: BundleIdentity, bundleUid: number): CodeCacheRead {
  let fd: number;
  try {
    fd = openSync(cachePath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { kind: 'missing' } : { kind: 'refused', problem: code ?? String(error) };
  }
  try {
    const stats = fstatSync(fd);
    const problem = cacheTrustProblem(stats, bundleUid);
    if (problem !== undefined) return { kind: 'refused', problem };
    const file = Buffer.allocUnsafe(stats.size);
    let filled = 0;
    while (filled < file.length) {
      const read = readSync(fd, file, filled, file.length - filled, null);
      if (read === 0) break;
      filled += read;
    }
    if (filled !== file.length) return { kind: 'refused', problem: 'shorter than its size' };
    const expected = identityLine(identity);
    if (file.length <= expected.length || file.toString('latin1', 0, expected.length) !== expected) return { kind: 'refused', problem: 'made for another bundle' };
    return { kind: 'found', data: file.subarray(expected.length) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces the cache with `makeData()`, made for the bundle `identity` names: a new temp file
 * (O_EXCL, never through a link), fsync, rename, so a reader sees the old cache or the whole new
 * one. Synchronous because it runs in an 'exit' listener, and it never throws: a folder we may
 * not write (a read-only file system) keeps what it has, and V8 is not asked for the data (tens
 * of ms) until the temp file is open. Returns whether it wrote.
 */
export function writeCodeCache(cachePath: string, identity: BundleIdentity, makeData: () => Buffer): boolean {
  const temp = tempPathFor(cachePath);
  let fd: number | undefined;
  try {
    fd = openSync(temp, CREATE_NEW, 0o644);
  } catch {
    return false;
  }
  try {
    writeFileSync(fd, identityLine(identity), 'latin1');
    writeFileSync(fd, makeData());
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, cachePath);
    return true;
  } catch {
    try {
      if (fd !== undefined) closeSync(fd);
      rmSync(temp, { force: true });
    } catch {
      // Nothing more to do: a temp file of ours may stay, under a name no reader takes.
    }
    return false;
  }
}
