import { mkdir, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { STATE_DIR } from '../report/status-file.js';
import { compareFreshness } from '../sources/freshness.js';
import { parseTrace } from '../sources/trace-format.js';
import type { Freshness } from '../sources/types.js';
import { formatDuration } from '../util/duration.js';

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

/** Reads the fetched trace and refuses a source whose publication is unreadable or older than ours. */
export async function checkStagedTrace(context: { readonly target: string; readonly config: { readonly trace?: string }; readonly localFreshness: Freshness | null }): Promise<StagedTrace | { refusal: string }> {
  const trace = context.config.trace ?? '';
  const path = join(stagingDir(context.target), trace);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    // rsync exits 0 without copying when the trace is a directory or a dangling link.
    return { refusal: `${trace} on the source is not a readable file` };
  }
  const parsed = parseTrace(text);
  if ('error' in parsed) return { refusal: `its ${trace} is unreadable: ${parsed.error}` };
  const local = context.localFreshness;
  if (local !== null && compareFreshness(parsed, local) < 0) {
    const behind = Math.round((local.at.getTime() - parsed.at.getTime()) / 1000);
    return { refusal: `its ${trace} is older than the local copy by ${formatDuration(behind)}: it would roll the mirror back` };
  }
  return { path, freshness: parsed };
}

/** Puts the trace in the tree, last: from now on the tree says it holds that publication. */
export async function installStagedTrace(staged: StagedTrace, context: { readonly target: string; readonly config: { readonly trace?: string } }): Promise<void> {
  const destination = join(context.target, context.config.trace ?? '');
  await mkdir(dirname(destination), { recursive: true });
  await rename(staged.path, destination);
}
