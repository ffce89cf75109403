/**
 * Sync requests (`mirrorsync trigger NAME`, an upstream's push), kept as files in
 * `<target>/.mirrorsync/triggers/`, one file a request.
 *
 * The protocol never loses a push and never doubles a run:
 * - a trigger only ever creates a new file (O_CREAT|O_EXCL, a unique name): no read-modify-write
 *   that two triggers could interleave;
 * - a run, once it holds the mirror's lock and before it looks at any source, lists the requests
 *   and removes exactly those it listed: any number of requests before that point make this one
 *   run; a request that arrives after the listing is a file this run never removes, so it makes
 *   exactly one more run (Debian's push rule), however many arrive.
 * Every path is opened without following links, and `.mirrorsync` and `triggers` must be real
 * folders: a symlink planted there is refused, never followed.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, MirrorsyncError } from '../errors.js';
import { checkStateDir, STATE_DIR } from '../report/state-dir.js';
import { CREATE_NEW, errnoOf } from '../util/no-follow.js';

const TRIGGER_NAME = /^\d{13}-\d+-[0-9a-f]{12}$/;

export function triggersDir(target: string): string {
  return join(target, STATE_DIR, 'triggers');
}

/**
 * Records one request. Returns false when the target does not exist yet: a mirror that never
 * synced is due anyway, and a trigger must not create a mirror's folder.
 */
export async function recordTrigger(target: string, now: Date): Promise<boolean> {
  if ((await kindOf(target)) === 'missing') return false;
  // The checks every run makes (state-dir.ts): a state entry of the wrong type is refused, never used.
  await checkStateDir(target);
  const dir = await ensureRealDir(join(target, STATE_DIR));
  const triggers = await ensureRealDir(join(dir, 'triggers'));
  const name = `${String(now.getTime()).padStart(13, '0')}-${process.pid}-${randomBytes(6).toString('hex')}`;
  const path = join(triggers, name);
  try {
    const handle = await open(path, CREATE_NEW, 0o644);
    try {
      await handle.writeFile(`${now.toISOString()}\n`);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new MirrorsyncError('sync.local', `cannot record the request in ${path}: ${describeError(error)}`, { cause: error });
  }
  return true;
}

/** The requests waiting, oldest first (names start with the time). A missing folder is none. */
export async function pendingTriggers(target: string): Promise<string[]> {
  const dir = triggersDir(target);
  const kind = await kindOf(dir);
  if (kind === 'missing') return [];
  if (kind !== 'dir') throw unsafe(dir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return [];
    throw new MirrorsyncError('sync.local', `cannot read ${dir}: ${describeError(error)}`, { cause: error });
  }
  return names.filter((name) => TRIGGER_NAME.test(name)).sort();
}

/**
 * Takes the requests waiting now, for the run about to start. Call it holding the mirror's lock:
 * the run that takes them is the one that serves them. Returns how many it took.
 */
export async function takeTriggers(target: string): Promise<number> {
  const names = await pendingTriggers(target);
  let taken = 0;
  for (const name of names) {
    try {
      await unlink(join(triggersDir(target), name));
      taken += 1;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new MirrorsyncError('sync.local', `cannot remove the request ${name}: ${describeError(error)}`, { cause: error });
    }
  }
  return taken;
}

/** The time of the oldest request waiting, from its name; null when none waits. */
export function oldestRequest(names: readonly string[]): Date | null {
  const first = names[0];
  return first === undefined ? null : new Date(Number(first.slice(0, 13)));
}

type Kind = 'missing' | 'dir' | 'other';

async function kindOf(path: string): Promise<Kind> {
  try {
    return (await lstat(path)).isDirectory() ? 'dir' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw new MirrorsyncError('sync.local', `cannot inspect ${path}: ${describeError(error)}`, { cause: error });
  }
}

async function ensureRealDir(path: string): Promise<string> {
  const kind = await kindOf(path);
  if (kind === 'dir') return path;
  if (kind === 'other') throw unsafe(path);
  try {
    await mkdir(path, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new MirrorsyncError('sync.local', `cannot create ${path}: ${describeError(error)}`, { cause: error });
  }
  // Whoever created it, it must be a folder now (not a link that won a race).
  if ((await kindOf(path)) !== 'dir') throw unsafe(path);
  return path;
}

function unsafe(path: string): MirrorsyncError {
  return new MirrorsyncError('state.unsafe', `${path} is not a folder (a symlink or another kind of file): refusing to use it`, { details: { path } });
}
