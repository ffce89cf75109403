import { parseRunStatus } from '../report/status-file.js';
import type { OwnStatus } from './types.js';

/** Longest text kept from a mirror for one field: enough for a sentence, not for a page. */
export const MAX_FIELD_CHARS = 300;

/** What was fetched of one published file: its text, nothing (not published), or why it could not be read. */
export type Fetched = { readonly text: string; readonly truncated?: boolean } | { readonly missing: true } | { readonly problem: string };

/**
 * What a mirror's `.mirrorsync/status.json` and the tail of its `last-run.log` say of its last
 * run. Pure; every string that comes out is clipped and stripped of control characters (it is
 * still the mirror's text: whoever shows it escapes it). Null when the mirror publishes neither.
 */
export function summarizeOwnStatus(status: Fetched, log: Fetched): OwnStatus | null {
  if ('missing' in status && 'missing' in log) return null;
  const problems: string[] = [];
  let fields: Pick<OwnStatus, 'result' | 'endedAt' | 'lastSuccessAt' | 'error'> = { result: null, endedAt: null, lastSuccessAt: null, error: null };
  if ('problem' in status) problems.push(`status.json: ${status.problem}`);
  else if ('missing' in status) problems.push('status.json: not published');
  else {
    const read = readStatusText(status.text);
    if (typeof read === 'string') problems.push(`status.json: ${read}`);
    else fields = read;
  }
  let logError: string | null = null;
  if ('problem' in log) problems.push(`last-run.log: ${log.problem}`);
  else if ('text' in log) logError = lastRsyncError(log.text, log.truncated === true);
  return { ...fields, logError, problem: problems.length === 0 ? null : clip(problems.join('; ')) };
}

function readStatusText(text: string): Pick<OwnStatus, 'result' | 'endedAt' | 'lastSuccessAt' | 'error'> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const status = parseRunStatus(value);
  if (typeof status === 'string') return clip(status);
  return {
    result: status.result,
    endedAt: status.endedAt,
    lastSuccessAt: status.lastSuccessAt,
    error: status.error === null ? null : clip(status.error.message),
  };
}

// rsync's own error lines, anchored at the start of a line: a file name that contains the words
// somewhere else in a line is not rsync speaking.
const RSYNC_ERROR_PREFIXES = ['@ERROR: ', 'rsync error: ', 'rsync: '] as const;

/** The last line of a run log that rsync wrote as an error, the daemon's `@ERROR` first. */
export function lastRsyncError(text: string, startsMidLine: boolean): string | null {
  const lines = text.split('\n');
  if (startsMidLine) lines.shift();
  for (const prefix of RSYNC_ERROR_PREFIXES) {
    for (let i = lines.length - 1; i >= 0; i -= 1) {
      const line = (lines[i] ?? '').replace(/\r$/, '');
      if (line.startsWith(prefix)) return clip(line);
    }
  }
  return null;
}

/** Clips to MAX_FIELD_CHARS and replaces control characters (terminal escapes, NULs, newlines) with spaces. */
export function clip(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  return clean.length > MAX_FIELD_CHARS ? `${clean.slice(0, MAX_FIELD_CHARS - 1)}…` : clean;
}
