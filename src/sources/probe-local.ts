import { lstat, readdir } from 'node:fs/promises';
import { checkFoldersOnPath, readSmallFile } from '../util/no-follow.js';
import { join } from 'node:path';
import { futureError } from './freshness.js';
import { parseTrace } from './trace-format.js';
import type { Freshness } from './types.js';

export interface LocalProbe {
  /** The target directory exists. */
  readonly exists: boolean;
  /** The target is missing or holds nothing besides `.mirrorsync`. */
  readonly empty: boolean;
  /** The local copy's freshness; null when the trace is missing or unreadable, or the tree is empty. */
  readonly freshness: Freshness | null;
  /** Why freshness could not be read, when that is not simply a missing trace. */
  readonly error?: string;
}

const OWN_FOLDER = '.mirrorsync';
const TRACE_MAX_BYTES = 64 * 1024;
const DAY_SECONDS = 86_400;

export interface LocalProbeOptions {
  readonly now?: Date;
  /**
   * Without a trace, take the freshness recorded by the last completed sync (`.mirrorsync/trace`)
   * when there is one: the tree's own mtimes also move when an interrupted pass stages files, and
   * would make a half-synced mirror look newer than its source.
   */
  readonly preferRecorded?: boolean;
  /** probe.maxClockSkewSeconds: a local freshness later than now plus this is not believed. Default a day. */
  readonly maxSkewSeconds?: number;
}

/** Reads the local copy's freshness the way sources are read: its trace, else its newest top-level mtime. */
export async function probeLocal(target: string, trace: string | undefined, options: LocalProbeOptions = {}): Promise<LocalProbe> {
  const now = options.now ?? new Date();
  const skew = options.maxSkewSeconds ?? DAY_SECONDS;
  let names: string[];
  try {
    names = (await readdir(target)).filter((name) => name !== OWN_FOLDER);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { exists: false, empty: true, freshness: null };
    return { exists: errorCode(error) !== 'ENOTDIR', empty: true, freshness: null, error: `cannot read the target: ${message(error)}` };
  }
  const empty = names.length === 0;
  if (trace !== undefined) return { exists: true, empty, ...(await readLocalTrace(target, trace, now, skew)) };
  if (empty) return { exists: true, empty, freshness: null };
  if (options.preferRecorded === true) {
    const recorded = await readLocalTrace(target, `${OWN_FOLDER}/trace`, now, skew);
    if (recorded.freshness !== null) return { exists: true, empty, freshness: recorded.freshness };
  }
  try {
    const times = await Promise.all(names.map(async (name) => (await lstat(join(target, name))).mtimeMs));
    // rsync lists whole seconds; so do we, or a local copy would look newer than its source.
    const at = new Date(Math.floor(Math.max(...times) / 1000) * 1000);
    const future = futureError(at, now, skew);
    return future === undefined ? { exists: true, empty, freshness: { at } } : { exists: true, empty, freshness: null, error: `the local listing is from the future: ${future}` };
  } catch (error) {
    return { exists: true, empty, freshness: null, error: `cannot read the target: ${message(error)}` };
  }
}

// Never through a link, on the way or at the end (an old run may have left the trace as one),
// and never a FIFO, a device or a huge file: the tree is what sources sent.
async function readLocalTrace(target: string, trace: string, now: Date, maxSkewSeconds: number): Promise<{ freshness: Freshness | null; error?: string }> {
  const folders = await checkFoldersOnPath(target, trace);
  if (!folders.ok) return folders.missing ? { freshness: null } : { freshness: null, error: `local trace unreadable: ${folders.problem}` };
  const read = await readSmallFile(join(target, trace), TRACE_MAX_BYTES);
  if (read.kind === 'missing') return { freshness: null };
  if (read.kind === 'refused') return { freshness: null, error: `local trace unreadable: ${join(target, trace)} ${read.problem}` };
  const parsed = parseTrace(read.text, now, maxSkewSeconds);
  if (!('error' in parsed)) return { freshness: parsed };
  // Believing it would make every honest source look older than the mirror: the mirror captured.
  return { freshness: null, error: parsed.future === true ? `the local trace is from the future: ${parsed.error}` : `local trace: ${parsed.error}` };
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
