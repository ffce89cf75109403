/**
 * `<target>/.mirrorsync/last-run.log`: rsync's output for the last run. Lines are streamed to a
 * temp file and renamed over last-run.log on close, so the previous run's log stays whole and
 * readable until the new one is complete (a run killed midway leaves the previous log, and its
 * temp file is swept by the next run).
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { MirrorsyncError, describeError } from '../errors.js';
import { removeStaleTemps, syncDirectory, tempPathFor } from './atomic-write.js';
import { STATE_DIR, stateDir } from './status-file.js';

export interface RunLogOptions {
  /** Applied to every line before it is written, e.g. to remove a known password. */
  readonly redact?: (line: string) => string;
}

export interface RunLog {
  /** The final path (the log is written to a temp name until close). */
  readonly path: string;
  /**
   * Appends one line. Resolves at once while the stream has room, else when it drains: await it
   * to pass backpressure back to the producer. Never rejects; a write error is kept for close().
   */
  write(line: string): Promise<void>;
  /** Flushes, fsyncs and puts the log in place. Rejects with `sync.local` when the log could not be written. */
  close(): Promise<void>;
}

export function runLogPath(target: string): string {
  return join(target, STATE_DIR, 'last-run.log');
}

/** Replaces the password of any `rsync://user:password@` in a line: a safety net under `redact`. */
export function redactCredentials(line: string): string {
  return line.replace(/(rsync:\/\/[^/@:\s]+:)[^/\s]*@/g, '$1***@');
}

const CHUNK_CHARS = 64 * 1024;

export async function openRunLog(target: string, options: RunLogOptions = {}): Promise<RunLog> {
  const path = runLogPath(target);
  const temp = tempPathFor(path);
  const redact = options.redact ?? ((line: string) => line);
  let handle: FileHandle;
  try {
    await mkdir(stateDir(target), { recursive: true });
    await removeStaleTemps(path);
    handle = await open(temp, 'wx', 0o644);
  } catch (error) {
    throw localError(path, error);
  }
  const stream: Writable = handle.createWriteStream({ autoClose: false, encoding: 'utf8' });
  let failure: unknown;
  let drained: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  stream.on('error', (error) => {
    failure ??= error;
  });

  const waitForDrain = (): Promise<void> =>
    (drained ??= new Promise<void>((resolve) => {
      const done = (): void => {
        stream.off('drain', done).off('error', done).off('close', done);
        drained = undefined;
        resolve();
      };
      stream.on('drain', done).on('error', done).on('close', done);
    }));

  const finish = async (): Promise<void> => {
    try {
      if (failure === undefined) await endStream(stream);
      if (failure !== undefined) throw failure;
      await handle.sync();
      await releaseStream(stream);
      await handle.close();
      await rename(temp, path);
    } catch (error) {
      await releaseStream(stream);
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      throw localError(path, error);
    }
    await syncDirectory(stateDir(target));
  };

  // One stream write per line cost a million-file pass seconds of CPU: lines are gathered into
  // chunks of about 64 KiB, and what is left is written on close.
  let pending = '';
  const flush = (): Promise<void> => {
    if (pending === '') return Promise.resolve();
    const chunk = pending;
    pending = '';
    return stream.write(chunk) ? Promise.resolve() : waitForDrain();
  };

  return {
    path,
    write(line) {
      if (closing !== undefined || failure !== undefined) return Promise.resolve();
      pending += `${redactCredentials(redact(line.endsWith('\n') ? line.slice(0, -1) : line))}\n`;
      return pending.length >= CHUNK_CHARS ? flush() : Promise.resolve();
    },
    close() {
      return (closing ??= flush().then(finish));
    },
  };
}

function endStream(stream: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve).once('error', reject);
    stream.end();
  });
}

// A stream made by FileHandle.createWriteStream holds the handle: handle.close() waits until
// the stream is destroyed, even with autoClose off (which keeps the handle open for the fsync).
function releaseStream(stream: Writable): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    stream.once('close', resolve);
    stream.destroy();
  });
}

function localError(path: string, error: unknown): MirrorsyncError {
  return new MirrorsyncError('sync.local', `cannot write ${path}: ${describeError(error)}`, { cause: error, details: { path } });
}
