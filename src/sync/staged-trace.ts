import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ensureStateDir, STATE_DIR } from '../report/state-dir.js';
import { parseTrace } from '../sources/trace-format.js';
import type { Freshness, TraceCopy } from '../sources/types.js';
import { checkFoldersOnPath, CREATE_NEW, readSmallFile } from '../util/no-follow.js';
import { TRACE_MAX_BYTES } from './rsync-args.js';
import { judgeFetchedTrace, type TraceBounds } from './trace-bounds.js';

/** Where a source's trace waits, inside the target (same file system: moving it in is a rename). */
export function stagingDir(target: string): string {
  return join(target, STATE_DIR, 'incoming');
}

export interface StagedTrace {
  readonly path: string;
  readonly freshness: Freshness;
}

/**
 * Empties the staging folder and makes the trace's folders in it. Emptied on every attempt: a
 * trace left by an earlier attempt must never pass for the one this source sends (a source whose
 * trace rsync skips, as too big or not a file, would otherwise be judged on the old one).
 */
export async function prepareStaging(target: string, trace: string): Promise<void> {
  await ensureStateDir(target);
  // rm does not follow links: whatever an older version left there goes, nothing it points to.
  await rm(stagingDir(target), { recursive: true, force: true });
  await mkdir(join(stagingDir(target), dirname(trace)), { recursive: true });
}

/**
 * How old a probe's copy of the trace may be and still stand for the source's trace. A bulk pass
 * starts seconds after the probe; a catch-up pass after an hours-long bootstrap does not, and the
 * source has published since: its trace is then fetched again. (An old copy would not be unsafe,
 * only an older claim than the tree holds, corrected by the next run.)
 */
export const TRACE_COPY_MAX_AGE_MS = 60_000;

/** The copy to stage for a source, when there is one recent enough. Pure. */
export function usableTraceCopy(copy: TraceCopy | undefined, nowMs: number): TraceCopy | undefined {
  return copy !== undefined && nowMs - copy.readAtMs <= TRACE_COPY_MAX_AGE_MS ? copy : undefined;
}

/**
 * Stages the trace its probe copied from this source, as a trace pass would have: the same bytes,
 * read moments before, with the source's mtime. It is judged by checkStagedTrace like a fetched
 * one. Created exclusively without following links, in the folder prepareStaging just emptied.
 */
export async function stageTraceCopy(target: string, trace: string, copy: TraceCopy): Promise<void> {
  const path = join(stagingDir(target), trace);
  const handle = await open(path, CREATE_NEW, 0o644);
  try {
    // Exactly 0644 whatever the umask: what the trace pass's --perms --chmod=ug-s,a-t,o-w gave a
    // source's 0644 trace, and readable by the web server and downstream mirrors.
    await handle.chmod(0o644);
    await handle.writeFile(copy.bytes);
    const mtime = new Date(copy.mtimeMs);
    await handle.utimes(mtime, mtime);
  } finally {
    await handle.close();
  }
}

/** Reads the fetched trace and refuses a source whose publication is unreadable or out of bounds (older than ours, ahead of the master, from the future). */
export async function checkStagedTrace(
  context: { readonly target: string; readonly config: { readonly trace?: string }; readonly traceBounds: TraceBounds },
  fromMaster: boolean,
): Promise<StagedTrace | { refusal: string }> {
  const trace = context.config.trace ?? '';
  const path = join(stagingDir(context.target), trace);
  const read = await readSmallFile(path, TRACE_MAX_BYTES);
  // rsync exits 0 without copying when the trace is a directory, a dangling link, a special file
  // or bigger than --max-size.
  if (read.kind !== 'ok') return { refusal: `trace unreadable: ${trace} on the source is not a regular file of at most ${TRACE_MAX_BYTES / 1024} KiB` };
  // judgeFetchedTrace bounds the future with the configured skew.
  const parsed = parseTrace(read.text, new Date(), Number.POSITIVE_INFINITY);
  if ('error' in parsed) return { refusal: `its ${trace} is unreadable: ${parsed.error}` };
  const refusal = judgeFetchedTrace(parsed, context.traceBounds, fromMaster);
  return refusal === undefined ? { path, freshness: parsed } : { refusal: `its ${trace}: ${refusal}` };
}

/**
 * Puts the trace in the tree, last: from now on the tree says it holds that publication. The
 * rename crosses no symlink: every folder on the trace's path must be a real directory (a source
 * that sent one of them as a link to elsewhere would have the trace land outside the tree): such a
 * tree is the source's doing, returned as a refusal of that source. I/O errors are thrown.
 */
export async function installStagedTrace(staged: StagedTrace, context: { readonly target: string; readonly config: { readonly trace?: string } }): Promise<{ refusal: string } | undefined> {
  const trace = context.config.trace ?? '';
  const destination = join(context.target, trace);
  let path = await checkFoldersOnPath(context.target, trace);
  if (!path.ok && path.missing) {
    await mkdir(dirname(destination), { recursive: true });
    path = await checkFoldersOnPath(context.target, trace);
  }
  if (!path.ok) return { refusal: `the trace was not put in place, its path leaves the tree: ${path.problem.replace(`${context.target}/`, '')}` };
  await rename(staged.path, destination);
  return undefined;
}
