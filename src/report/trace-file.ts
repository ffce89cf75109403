/**
 * `<target>/.mirrorsync/trace`: this mirror's own trace, for mirrors downstream. One line whose
 * first token is the freshness of the tree (ISO 8601, UTC, whole seconds), so any reader that
 * takes the first token as a date (mirrorsync's trace reader does) can use the file as a
 * source's trace; the rest is `key=value` facts for humans:
 *   2026-11-24T01:58:29Z synced-at=2026-11-24T02:03:11Z source=mit
 */
import { join } from 'node:path';
import { MirrorsyncError, describeError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { ensureStateDir, STATE_DIR } from './state-dir.js';

export interface MirrorTrace {
  /** The tree's freshness; null when it could not be read. */
  readonly freshness: Date | null;
  readonly syncedAt: Date;
  readonly source: string | null;
}

export function mirrorTracePath(target: string): string {
  return join(target, STATE_DIR, 'trace');
}

/** ISO 8601 in UTC with whole seconds, rounded down (a trace must never claim more than it holds). */
export function formatTraceDate(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The line written, or null when the freshness is unknown. */
export function formatMirrorTrace(trace: MirrorTrace): string | null {
  if (trace.freshness === null) return null;
  const source = trace.source === null ? '' : ` source=${encodeURIComponent(trace.source)}`;
  return `${formatTraceDate(trace.freshness)} synced-at=${formatTraceDate(trace.syncedAt)}${source}\n`;
}

/**
 * Writes the trace atomically and returns true, or, when the freshness is unknown, leaves the
 * previous trace alone and returns false: writing the sync time in its place would overstate the
 * tree, and a downstream mirror could then take its real upstream for older than its own copy.
 */
export async function writeMirrorTrace(target: string, trace: MirrorTrace): Promise<boolean> {
  const line = formatMirrorTrace(trace);
  if (line === null) return false;
  const path = mirrorTracePath(target);
  try {
    await ensureStateDir(target);
    await writeFileAtomic(path, line, 0o644);
  } catch (error) {
    if (error instanceof MirrorsyncError) throw error;
    throw new MirrorsyncError('sync.local', `cannot write ${path}: ${describeError(error)}`, { cause: error, details: { path } });
  }
  return true;
}

/** What parseMirrorTrace reads back; the facts after the date are optional. */
export interface ParsedMirrorTrace {
  readonly freshness: Date;
  readonly syncedAt: Date | null;
  readonly source: string | null;
}

/** Reads back what formatMirrorTrace wrote; null when the first token is not an ISO 8601 date. */
export function parseMirrorTrace(text: string): ParsedMirrorTrace | null {
  const [first = '', ...facts] = (text.split('\n')[0] ?? '').trim().split(/\s+/);
  const freshness = new Date(first);
  if (!/^\d{4}-\d\d-\d\dT/.test(first) || Number.isNaN(freshness.getTime())) return null;
  const fact = (key: string): string | undefined => facts.find((f) => f.startsWith(`${key}=`))?.slice(key.length + 1);
  const syncedAt = new Date(fact('synced-at') ?? '');
  const source = fact('source');
  return {
    freshness,
    syncedAt: Number.isNaN(syncedAt.getTime()) ? null : syncedAt,
    source: source === undefined ? null : safeDecode(source),
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
