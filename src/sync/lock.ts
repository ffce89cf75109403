import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeError, MirrorsyncError } from '../errors.js';
import { findLockHolder, findSurvivingWriter, parseRecordedPid } from './lock-holders.js';
import { acquirePidFile } from './lock-pidfile.js';
import { describeType } from '../util/no-follow.js';

/** A lock this process holds until release(). */
export interface HeldLock {
  /**
   * The lock file's descriptor. Pass it to every rsync child (an extra `stdio` entry): the flock
   * belongs to the open file description, so it stays held while any child keeps it, even if
   * mirrorsync itself is killed.
   */
  readonly fd: number;
  readonly path: string;
  /** 'pidfile' only when flock(1) is missing: then children do not keep the lock. */
  readonly kind: 'flock' | 'pidfile';
  /** Idempotent. For 'flock', the lock is free once no child holds the descriptor either. */
  release(): Promise<void>;
}

export interface AcquireLockOptions {
  /** util-linux flock(1); default 'flock' found on PATH. When missing, a PID file is used. */
  readonly flockBinary?: string;
}

/**
 * Takes an exclusive flock(2) on `lockPath` without a native addon: flock(1) locks our own
 * descriptor, handed to it as its fd 3, so the lock belongs to our open file description and
 * outlives the flock process. The file is never replaced or removed: that would undo the locking.
 * Throws MirrorsyncError 'lock.held' (naming the holder's PID) or 'lock.failed'.
 */
export async function acquireLock(lockPath: string, options: AcquireLockOptions = {}): Promise<HeldLock> {
  try {
    return await tryLock(lockPath, options);
  } catch (error) {
    // Held, but nobody holds it any more: its last holder ended in between. Try once more.
    if (!(error instanceof MirrorsyncError && error.code === 'lock.held' && error.details['pid'] === null)) throw error;
    return tryLock(lockPath, options);
  }
}

async function tryLock(lockPath: string, options: AcquireLockOptions): Promise<HeldLock> {
  const { handle, outcome } = await flockOnce(lockPath, options);
  if (outcome === 'missing') return acquireWithPidFile(lockPath, handle);
  if (outcome === 'held') {
    const recorded = await readText(handle);
    await handle.close();
    const holder = findLockHolder(lockPath, parseRecordedPid(recorded));
    const named = holder === undefined ? '' : ` (PID ${holder.pid})`;
    throw new MirrorsyncError('lock.held', `another sync holds the lock ${lockPath}${named}`, {
      details: { pid: holder?.pid ?? null, ...(holder?.command === undefined ? {} : { command: holder.command }) },
    });
  }
  try {
    // In place, never by rename: the lock lives on this inode.
    await handle.truncate(0);
    await handle.write(`${process.pid}\n`, 0, 'utf8');
  } catch (error) {
    await handle.close();
    throw new MirrorsyncError('lock.failed', `cannot write to the lock file ${lockPath}: ${describeError(error)}`, {
      cause: error,
    });
  }
  return heldLock(lockPath, 'flock', handle, async () => undefined);
}

/**
 * One non-blocking try at an exclusive flock on `lockPath`, for pools of slot files: undefined when
 * another holds it, without looking for who. Needs flock(1) ('lock.failed' without it): a PID file
 * cannot be held by children, and a slot must outlive a killed mirrorsync while its rsync runs.
 */
export async function tryFlock(lockPath: string, options: AcquireLockOptions = {}): Promise<HeldLock | undefined> {
  const { handle, outcome } = await flockOnce(lockPath, options);
  if (outcome === 'locked') return heldLock(lockPath, 'flock', handle, async () => undefined);
  await handle.close();
  if (outcome === 'held') return undefined;
  throw new MirrorsyncError('lock.failed', `cannot lock ${lockPath}: flock(1) (util-linux) is missing`);
}

type FlockOutcome = 'locked' | 'held' | 'missing';

async function flockOnce(lockPath: string, options: AcquireLockOptions): Promise<{ handle: FileHandle; outcome: FlockOutcome }> {
  const handle = await openLockFile(lockPath);
  try {
    return { handle, outcome: await runFlock(options.flockBinary ?? 'flock', handle.fd) };
  } catch (error) {
    await handle.close();
    throw new MirrorsyncError('lock.failed', `cannot lock ${lockPath}: ${describeError(error)}`, { cause: error });
  }
}

// Never through a link (a lock opened with O_CREAT follows one and truncates what it points to),
// and never a FIFO or a device in its place: O_NONBLOCK keeps open() from waiting on a FIFO.
async function openLockFile(lockPath: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    await mkdir(dirname(lockPath), { recursive: true });
    handle = await open(lockPath, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw unsafeLock(lockPath, 'is a symbolic link');
    throw new MirrorsyncError('lock.failed', `cannot open the lock file ${lockPath}: ${describeError(error)}`, {
      cause: error,
    });
  }
  const info = await handle.stat().catch(() => undefined);
  if (info?.isFile() !== true) {
    await handle.close();
    throw unsafeLock(lockPath, info === undefined ? 'cannot be inspected' : `is ${describeType(info)}`);
  }
  return handle;
}

function unsafeLock(lockPath: string, what: string): MirrorsyncError {
  return new MirrorsyncError('state.unsafe', `the lock file ${lockPath} ${what}, not a regular file: mirrorsync never locks through links or other kinds of file; remove it and run again`, {
    details: { path: lockPath },
  });
}

function runFlock(binary: string, fd: number): Promise<FlockOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--exclusive', '--nonblock', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 2000) stderr += chunk;
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') resolve('missing');
      else reject(error);
    });
    child.once('close', (code, signal) => {
      if (code === 0) resolve('locked');
      else if (code === 1) resolve('held');
      else reject(new Error(`${binary} exited with ${code ?? signal}${stderr === '' ? '' : `: ${stderr.trim()}`}`));
    });
  });
}

async function acquireWithPidFile(lockPath: string, handle: FileHandle): Promise<HeldLock> {
  try {
    const writer = findSurvivingWriter(lockPath);
    if (writer !== undefined) {
      throw new MirrorsyncError('lock.held', `another sync holds the lock ${lockPath} (PID ${writer.pid}, an rsync still writing)`, { details: { pid: writer.pid, command: writer.command } });
    }
    const pidFile = await acquirePidFile(`${lockPath}.pid`);
    // The lock file stays open so that callers pass a descriptor to children whatever the kind.
    return heldLock(lockPath, 'pidfile', handle, () => pidFile.release());
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function heldLock(path: string, kind: HeldLock['kind'], handle: FileHandle, onRelease: () => Promise<void>): HeldLock {
  let released: Promise<void> | undefined;
  return {
    fd: handle.fd,
    path,
    kind,
    release() {
      released ??= onRelease().finally(() => handle.close());
      return released;
    },
  };
}

async function readText(handle: FileHandle): Promise<string> {
  try {
    const buffer = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } catch {
    return '';
  }
}
