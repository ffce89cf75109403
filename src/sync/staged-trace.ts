import { mkdir, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { STATE_DIR } from '../report/status-file.js';
import { parseTrace } from '../sources/trace-format.js';
import type { Freshness } from '../sources/types.js';
import { judgeFetchedTrace, type TraceBounds } from './trace-bounds.js';

/** Where a source's trace waits, inside the target (same file system: moving it in is a rename). */
export function stagingDir(target: string): string {
  return join(target, STATE_DIR, 'incoming');
}

export interface StagedTrace {
  readonly path: string;
  readonly freshness: Freshness;
}

/** rsync creates only the last folder of a destination: make the rest. */
export async function prepareStaging(target: string, trace: string): Promise<void> {
  await mkdir(join(stagingDir(target), dirname(trace)), { recursive: true });
}

/** Reads the fetched trace and refuses a source whose publication is unreadable or out of bounds (older than ours, ahead of the master, from the future). */
export async function checkStagedTrace(
  context: { readonly target: string; readonly config: { readonly trace?: string }; readonly traceBounds: TraceBounds },
  fromMaster: boolean,
): Promise<StagedTrace | { refusal: string }> {
  const trace = context.config.trace ?? '';
  const path = join(stagingDir(context.target), trace);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    // rsync exits 0 without copying when the trace is a directory or a dangling link.
    return { refusal: `${trace} on the source is not a readable file` };
  }
  // judgeFetchedTrace bounds the future with the configured skew.
  const parsed = parseTrace(text, new Date(), Number.POSITIVE_INFINITY);
  if ('error' in parsed) return { refusal: `its ${trace} is unreadable: ${parsed.error}` };
  const refusal = judgeFetchedTrace(parsed, context.traceBounds, fromMaster);
  return refusal === undefined ? { path, freshness: parsed } : { refusal: `its ${trace}: ${refusal}` };
}

/** Puts the trace in the tree, last: from now on the tree says it holds that publication. */
export async function installStagedTrace(staged: StagedTrace, context: { readonly target: string; readonly config: { readonly trace?: string } }): Promise<void> {
  const destination = join(context.target, context.config.trace ?? '');
  await mkdir(dirname(destination), { recursive: true });
  await rename(staged.path, destination);
}
