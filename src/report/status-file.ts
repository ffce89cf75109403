/**
 * `<target>/.mirrorsync/status.json`: the last run, written atomically when a run starts and
 * when it ends. Types and the pure start/finish steps live in run-status.ts.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { MirrorsyncError, describeError } from '../errors.js';
import { readSmallFile } from '../util/no-follow.js';
import { writeFileAtomic } from './atomic-write.js';
import { ensureStateDir, STATE_DIR } from './state-dir.js';
import { RUN_RESULTS } from './run-status.js';
import type { RunResult, RunStatus, TriedSource } from './run-status.js';

export { RUN_RESULTS, finishRunStatus, startRunStatus } from './run-status.js';
export type { FinalResult, RunEnd, RunMode, RunResult, RunStart, RunStatus, TriedSource } from './run-status.js';

export { STATE_DIR, stateDir } from './state-dir.js';

/** A status is a few KiB; anything far bigger is not one of ours, and is not read whole. */
const STATUS_MAX_BYTES = 1 << 20;

export function statusPath(target: string): string {
  return join(target, STATE_DIR, 'status.json');
}

/** What is on disk: a status, nothing, or a file that is not a status (with why). */
export type StatusRead =
  | { readonly kind: 'ok'; readonly status: RunStatus }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly problem: string };

/**
 * Reads status.json without throwing: an unreadable or corrupt file is reported as `invalid`,
 * so `status` can say so and `sync` can log it and go on (a corrupt status must not stop the
 * mirror from syncing; it only loses lastSuccessAt).
 */
export async function inspectStatus(target: string): Promise<StatusRead> {
  const read = await readSmallFile(statusPath(target), STATUS_MAX_BYTES);
  if (read.kind === 'missing') return { kind: 'missing' };
  if (read.kind === 'refused') return { kind: 'invalid', problem: `${statusPath(target)} ${read.problem}` };
  let value: unknown;
  try {
    value = JSON.parse(read.text);
  } catch {
    // Not the parser's message: it quotes the text, and the file may not be ours.
    return { kind: 'invalid', problem: `${statusPath(target)} is not JSON` };
  }
  const parsed = parseRunStatus(value);
  return typeof parsed === 'string' ? { kind: 'invalid', problem: `${statusPath(target)}: ${parsed}` } : { kind: 'ok', status: parsed };
}

/** The last run's status, or null when there is none or it is unreadable (see inspectStatus for why). */
export async function readStatus(target: string): Promise<RunStatus | null> {
  const read = await inspectStatus(target);
  return read.kind === 'ok' ? read.status : null;
}

/** Writes status.json atomically, creating `.mirrorsync/`. Failures are local: `sync.local`. */
export async function writeStatus(target: string, status: RunStatus): Promise<void> {
  const path = statusPath(target);
  try {
    await ensureStateDir(target);
    await writeFileAtomic(path, `${JSON.stringify(status, null, 2)}\n`, 0o644).catch(async (error: unknown) => {
      // A full disk leaves no room for a second copy; the status must still say what happened,
      // so rewrite it in place (truncating first frees its blocks), never through a link.
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
      try {
        await handle.writeFile(`${JSON.stringify(status)}\n`);
      } finally {
        await handle.close();
      }
    });
  } catch (error) {
    if (error instanceof MirrorsyncError) throw error;
    throw new MirrorsyncError('sync.local', `cannot write ${path}: ${describeError(error)}`, { cause: error, details: { path } });
  }
}

type Fields = Record<string, unknown>;

/** Checks a parsed status.json; returns the status or a sentence saying what is wrong. */
export function parseRunStatus(value: unknown): RunStatus | string {
  if (!isObject(value)) return 'not an object';
  const v = value;
  if (!RUN_RESULTS.includes(v['result'] as RunResult)) return `unknown result ${JSON.stringify(v['result'])}`;
  if (v['mode'] !== 'initial' && v['mode'] !== 'incremental') return `unknown mode ${JSON.stringify(v['mode'])}`;
  const wrong =
    check(v, 'startedAt', isDate) ??
    check(v, 'endedAt', orNull(isDate)) ??
    check(v, 'pid', orMissing(isCount)) ??
    check(v, 'source', orNull(isString)) ??
    check(v, 'tried', (x) => Array.isArray(x) && x.every(isTried)) ??
    check(v, 'bytesReceived', isCount) ??
    check(v, 'filesTransferred', isCount) ??
    check(v, 'freshness', orNull(isDate)) ??
    check(v, 'lagSeconds', orNull(isNumber)) ??
    check(v, 'lastSuccessAt', orNull(isDate)) ??
    check(v, 'error', orNull((x) => isObject(x) && isString(x['code']) && isString(x['message']))) ??
    check(v, 'previousRunDied', orMissing((x) => isObject(x) && isDate(x['startedAt']) && orNull(isCount)(x['pid']))) ??
    check(v, 'host', orMissing(isString)) ??
    check(v, 'version', orMissing(isString)) ??
    check(v, 'durationSeconds', orMissing(isNumber)) ??
    check(v, 'totalFileSize', orMissing(isCount));
  return wrong ?? (v as unknown as RunStatus);
}

function check(v: Fields, key: string, ok: (x: unknown) => boolean): string | undefined {
  return ok(v[key]) ? undefined : `field ${key} is ${v[key] === undefined ? 'missing' : `invalid: ${JSON.stringify(v[key])}`}`;
}

function isObject(x: unknown): x is Fields {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
function isString(x: unknown): x is string {
  return typeof x === 'string';
}
function isNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
function isCount(x: unknown): x is number {
  return isNumber(x) && Number.isInteger(x) && x >= 0;
}
function isDate(x: unknown): x is string {
  return typeof x === 'string' && !Number.isNaN(Date.parse(x));
}
function orNull(ok: (x: unknown) => boolean): (x: unknown) => boolean {
  return (x) => x === null || ok(x);
}
function orMissing(ok: (x: unknown) => boolean): (x: unknown) => boolean {
  return (x) => x === undefined || ok(x);
}
function isTried(x: unknown): x is TriedSource {
  return (
    isObject(x) &&
    isString(x['name']) &&
    (x['exitCode'] === null || (isNumber(x['exitCode']) && Number.isInteger(x['exitCode']))) &&
    orNull(isString)(x['error']) &&
    orMissing(isCount)(x['attempts']) &&
    orMissing(isCount)(x['bytesReceived'])
  );
}
