/**
 * `<target>/.mirrorsync/`: mirrorsync's state inside the tree it mirrors. A source must never be
 * able to turn it into a way out of the tree, so before anything is opened there the folder must
 * be a real directory and each state entry of its expected type: a symlink, a FIFO or a folder
 * where a file belongs is refused (`state.unsafe`, exit 74) rather than removed, since it means
 * something other than mirrorsync wrote there and the operator should look.
 */
import { lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, MirrorsyncError } from '../errors.js';
import { describeType, errnoOf } from '../util/no-follow.js';

export const STATE_DIR = '.mirrorsync';

export function stateDir(target: string): string {
  return join(target, STATE_DIR);
}

/** What each entry of the state folder must be. Add new state files here. */
export const STATE_ENTRIES: ReadonlyMap<string, 'file' | 'directory'> = new Map([
  ['lock', 'file'],
  ['lock.pid', 'file'],
  ['status.json', 'file'],
  ['trace', 'file'],
  ['last-run.log', 'file'],
  ['history.json', 'file'],
  ['incoming', 'directory'],
  // Sync requests (schedule/triggers.ts), one file each.
  ['triggers', 'directory'],
]);

// Temp files of atomic writes (atomic-write.ts tempPathFor): `.<name>.<pid>.<hex>.tmp`.
const TEMP_FILE = /^\..+\.\d+\.[0-9a-f]+\.tmp$/;

/**
 * Refuses a state folder that is not a real directory, or that holds a state entry of the wrong
 * type. A missing folder is fine (it is created by ensureStateDir).
 */
export async function checkStateDir(target: string): Promise<void> {
  const dir = stateDir(target);
  if (!(await checkFolder(dir))) return;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new MirrorsyncError('state.unsafe', `cannot read ${dir}: ${describeError(error)}`, { cause: error, details: { path: dir } });
  }
  for (const name of names) {
    const expected = STATE_ENTRIES.get(name) ?? (TEMP_FILE.test(name) ? 'file' : undefined);
    if (expected === undefined) continue;
    const path = join(dir, name);
    const info = await lstat(path).catch(() => undefined);
    if (info === undefined) continue; // removed meanwhile (a temp renamed into place)
    const fits = expected === 'file' ? info.isFile() : info.isDirectory();
    if (!fits) throw unsafe(path, `is ${describeType(info)}, not a ${expected === 'file' ? 'regular file' : 'directory'}`);
  }
}

/**
 * Creates the state folder when missing (the target too) without following a link in its place,
 * and checks it is a real directory. Every writer calls this before it opens anything there.
 */
export async function ensureStateDir(target: string): Promise<string> {
  const dir = stateDir(target);
  try {
    await mkdir(target, { recursive: true });
    // Not recursive: mkdir -p would accept a symlink to a directory as the folder.
    await mkdir(dir, { mode: 0o755 });
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') {
      throw new MirrorsyncError('sync.local', `cannot create ${dir}: ${describeError(error)}`, { cause: error, details: { path: dir } });
    }
  }
  await checkFolder(dir);
  return dir;
}

/** True when `dir` is a real directory, false when missing; throws for anything else. */
async function checkFolder(dir: string): Promise<boolean> {
  try {
    const info = await lstat(dir);
    if (info.isDirectory()) return true;
    throw unsafe(dir, `is ${describeType(info)}, not a directory`);
  } catch (error) {
    if (error instanceof MirrorsyncError) throw error;
    if (errnoOf(error) === 'ENOENT') return false;
    throw new MirrorsyncError('state.unsafe', `cannot inspect ${dir}: ${describeError(error)}`, { cause: error, details: { path: dir } });
  }
}

function unsafe(path: string, what: string): MirrorsyncError {
  return new MirrorsyncError(
    'state.unsafe',
    `${path} ${what}: mirrorsync keeps its state there and never writes through links or into other kinds of file. Something other than mirrorsync put it there (a source cannot, but an older version let one): check it, remove it, and run again`,
    { details: { path } },
  );
}
