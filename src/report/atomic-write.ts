import { open, readdir, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CREATE_NEW } from '../util/no-follow.js';
import { isProcessAlive } from '../util/process-alive.js';

let tempCounter = 0;

/**
 * A temp name next to `path`: same folder (so rename is atomic), dot-prefixed and ending in
 * `.tmp` (so node_exporter's textfile collector, which reads `*.prom`, never picks it up), with
 * the pid, a counter, the time and random digits so concurrent writers do not share one, even
 * two containers' PID 1 writing into one folder. Math.random, not node:crypto (18 internal modules
 * on the no-op path): the name needs to be unlikely to collide, not secret, since the temp is
 * created with O_EXCL|O_NOFOLLOW and a name someone else took fails instead of being used.
 */
export function tempPathFor(path: string): string {
  tempCounter += 1;
  const unique = `${tempCounter.toString(16)}f${Date.now().toString(16)}f${Math.floor(Math.random() * 2 ** 48).toString(16)}`;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${unique}.tmp`);
}

/**
 * Replaces `path` with `data` so that a reader sees either the old file or the new one, never a
 * part, and a crash leaves one of the two on disk: temp file, write, fsync, rename, fsync of the
 * folder. The temp file is removed when any step before the rename fails. `mode`, when given, is
 * applied exactly (not filtered by the umask); otherwise the umask decides, as for writeFile.
 * Throws Node's own errors (with their `code`), for the caller to classify.
 */
export async function writeFileAtomic(path: string, data: string, mode?: number): Promise<void> {
  const temp = tempPathFor(path);
  let handle: FileHandle | undefined;
  let created = false;
  try {
    handle = await open(temp, CREATE_NEW, mode ?? 0o666);
    created = true;
    if (mode !== undefined) await handle.chmod(mode);
    await handle.writeFile(data, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    // Only our own temp: a name that was taken (EEXIST) is another writer's file in progress.
    if (created) await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(path));
}

/**
 * Makes a rename in `dir` durable. Best effort: some file systems refuse fsync on a directory,
 * and by then the new file is already in place, so such a refusal is not a failed write.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // see above: durability of the folder entry is best effort
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]+\.tmp$/;

/**
 * Removes temp files of `path` left by processes that died between open and rename (SIGKILL,
 * power loss). A temp whose pid is alive, this process included, is left alone: it may be
 * another writer's file in progress.
 */
export async function removeStaleTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (match === null || match[1] !== base) continue;
    const pid = Number(match[2]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    await rm(join(dir, name), { force: true }).catch(() => undefined);
  }
}

