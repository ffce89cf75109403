/**
 * `<target>/.mirrorsync/last-run.log`: the log of the last run. rsync appends its own per-file
 * log, errors and --stats to it (`--log-file`); mirrorsync adds a line before and after each
 * pass. It is written under a temp name and renamed over last-run.log on close, so the previous
 * run's log stays whole and readable until the new one is complete (a run killed midway leaves
 * the previous log, and its temp file is swept by the next run).
 */
import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MirrorsyncError, describeError } from '../errors.js';
import { removeStaleTemps, syncDirectory, tempPathFor } from './atomic-write.js';
import { CREATE_NEW } from '../util/no-follow.js';
import { ensureStateDir, STATE_DIR, stateDir } from './state-dir.js';

export interface RunLogOptions {
  /** Applied to every line before it is written, e.g. to remove a known password. */
  readonly redact?: (line: string) => string;
}

export interface RunLog {
  /** The final path (the log is written to a temp name until close). */
  readonly path: string;
  /** The temp file being written: rsync's --log-file, appended to while a pass runs. */
  readonly file: string;
  /** Adds one line of mirrorsync's own; it reaches the file at the next flush or close. */
  write(line: string): void;
  /** Writes what write() gathered: before a pass starts, so rsync's lines follow it. Never rejects; an error is kept for close(). */
  flush(): Promise<void>;
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

export async function openRunLog(target: string, options: RunLogOptions = {}): Promise<RunLog> {
  const path = runLogPath(target);
  const temp = tempPathFor(path);
  const redact = options.redact ?? ((line: string) => line);
  let handle: FileHandle;
  try {
    await ensureStateDir(target);
    await removeStaleTemps(path);
    // O_APPEND: rsync appends to the same file between our writes; ours must land after its.
    handle = await open(temp, CREATE_NEW | constants.O_APPEND, 0o644);
  } catch (error) {
    if (error instanceof MirrorsyncError) throw error;
    throw localError(path, error);
  }
  let failure: unknown;
  let closing: Promise<void> | undefined;
  let pending = '';
  let writing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    const chunk = pending;
    pending = '';
    if (chunk !== '') {
      writing = writing.then(async () => {
        if (failure === undefined) await handle.appendFile(chunk).catch((error: unknown) => void (failure ??= error));
      });
    }
    return writing;
  };

  const finish = async (): Promise<void> => {
    try {
      if (failure !== undefined) throw failure;
      await handle.sync();
      await handle.close();
      await rename(temp, path);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      throw localError(path, error);
    }
    await syncDirectory(stateDir(target));
  };

  return {
    path,
    file: temp,
    write(line) {
      if (closing !== undefined || failure !== undefined) return;
      pending += `${redactCredentials(redact(line.endsWith('\n') ? line.slice(0, -1) : line))}\n`;
    },
    flush,
    close() {
      return (closing ??= flush().then(finish));
    },
  };
}

function localError(path: string, error: unknown): MirrorsyncError {
  return new MirrorsyncError('sync.local', `cannot write ${path}: ${describeError(error)}`, { cause: error, details: { path } });
}
