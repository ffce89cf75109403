import { opendir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Counts the entries of a tree (files, directories, links), skipping the given top-level names.
 * Streams each directory, so a million-file mirror costs time but not memory.
 */
export async function countEntries(root: string, skipTopLevel: readonly string[] = []): Promise<number> {
  let count = 0;
  const pending: string[] = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let handle;
    try {
      handle = await opendir(dir, { bufferSize: 256 });
    } catch {
      continue;
    }
    for await (const entry of handle) {
      if (dir === root && skipTopLevel.includes(entry.name)) continue;
      count += 1;
      if (entry.isDirectory()) pending.push(join(dir, entry.name));
    }
  }
  return count;
}
