import { lstat, open, unlink } from 'node:fs/promises';
import { describeError, MirrorsyncError } from '../errors.js';
import { readStartTime } from './lock-holders.js';
import { CREATE_NEW, readSmallFile } from '../util/no-follow.js';
import { isProcessAlive } from '../util/process-alive.js';

/** A file younger than this with no PID yet is being written by its creator, not stale. */
const FRESH_EMPTY_FILE_MS = 5_000;

interface PidRecord {
  readonly pid: number;
  readonly startTime?: string;
}

/**
 * The fallback lock when flock(1) is missing: `<lock>.pid`, created atomically, holding
 * `pid starttime`. The start time tells a live holder from a reused PID. Unlike flock(2) it does
 * not follow the descriptor into rsync children, and taking over a stale file leaves a narrow
 * race (two processes judging the same file stale), so it is a fallback only.
 */
export async function acquirePidFile(pidPath: string): Promise<{ release(): Promise<void> }> {
  const startTime = readStartTime(process.pid);
  const content = startTime === undefined ? `${process.pid}\n` : `${process.pid} ${startTime}\n`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const handle = await open(pidPath, CREATE_NEW, 0o644);
      try {
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
      return { release: () => removeIfOurs(pidPath, content) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new MirrorsyncError('lock.failed', `cannot create the lock file ${pidPath}: ${describeError(error)}`, {
          cause: error,
        });
      }
    }
    const holder = await inspect(pidPath);
    if (holder.state === 'stale' && attempt === 0) {
      await unlink(pidPath).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw new MirrorsyncError('lock.failed', `cannot remove the stale lock file ${pidPath}: ${describeError(error)}`, {
          cause: error,
        });
      });
      continue;
    }
    const pid = holder.state === 'held' ? holder.pid : undefined;
    throw new MirrorsyncError('lock.held', `another sync holds the lock ${pidPath}${pid === undefined ? '' : ` (PID ${pid})`}`, {
      details: { pid: pid ?? null },
    });
  }
}

async function inspect(pidPath: string): Promise<{ state: 'held'; pid: number | undefined } | { state: 'stale' }> {
  let text: string;
  let mtimeMs: number;
  try {
    const [read, info] = await Promise.all([readSmallFile(pidPath, 256), lstat(pidPath)]);
    if (read.kind === 'refused') {
      throw new MirrorsyncError('state.unsafe', `the lock file ${pidPath} ${read.problem}: mirrorsync never reads through links or other kinds of file; remove it and run again`, { details: { path: pidPath } });
    }
    // Removed between our create and our read: free again, worth one more try.
    if (read.kind === 'missing') return { state: 'stale' };
    [text, mtimeMs] = [read.text, info.mtimeMs];
  } catch (error) {
    if (error instanceof MirrorsyncError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'stale' };
    throw new MirrorsyncError('lock.failed', `cannot read the lock file ${pidPath}: ${describeError(error)}`, { cause: error });
  }
  const record = parseRecord(text);
  if (record === undefined) {
    return Date.now() - mtimeMs < FRESH_EMPTY_FILE_MS ? { state: 'held', pid: undefined } : { state: 'stale' };
  }
  return isRecordLive(record) ? { state: 'held', pid: record.pid } : { state: 'stale' };
}

function parseRecord(text: string): PidRecord | undefined {
  const match = /^(\d{1,10})(?: (\d+))?\s*$/.exec(text);
  if (match?.[1] === undefined) return undefined;
  const pid = Number(match[1]);
  if (pid <= 0) return undefined;
  return match[2] === undefined ? { pid } : { pid, startTime: match[2] };
}

function isRecordLive(record: PidRecord): boolean {
  if (record.startTime === undefined) return isProcessAlive(record.pid);
  return readStartTime(record.pid) === record.startTime;
}

async function removeIfOurs(pidPath: string, content: string): Promise<void> {
  const read = await readSmallFile(pidPath, 256);
  // Released twice, or taken over after being judged stale: someone else's file now.
  if (read.kind === 'ok' && read.text === content) await unlink(pidPath).catch(() => undefined);
}
