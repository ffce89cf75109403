import { statfs } from 'node:fs/promises';
import type { StatsFs } from 'node:fs';
import { dirname } from 'node:path';
import { MirrorsyncError } from '../errors.js';

/**
 * Fails with `sync.diskFloor` when the filesystem that holds (or will hold) `target` has less than
 * `minFreeBytes` available: one mirror must not fill the disk its neighbours share. Counted as
 * what an unprivileged writer may use (f_bavail): the root reserve is the last resort of the host.
 */
export async function checkDiskFloor(target: string, minFreeBytes: number): Promise<void> {
  if (minFreeBytes <= 0) return;
  const { path, stats } = await statfsNearest(target);
  const free = Number(stats.bavail) * Number(stats.bsize);
  if (free >= minFreeBytes) return;
  throw new MirrorsyncError('sync.diskFloor', `${path} has ${free} bytes free, under the host's floor minFreeBytes = ${minFreeBytes}: not starting (free space, or lower the floor in host.json)`, {
    details: { path, freeBytes: free, minFreeBytes },
  });
}

// A target not created yet (an initial sync) lands on the filesystem of its nearest parent.
async function statfsNearest(target: string): Promise<{ path: string; stats: StatsFs }> {
  for (let path = target; ; path = dirname(path)) {
    try {
      return { path, stats: await statfs(path) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || path === dirname(path)) {
        throw new MirrorsyncError('sync.local', `cannot read the free space of ${path}: ${(error as Error).message}`, { cause: error });
      }
    }
  }
}
