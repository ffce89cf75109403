import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyRsyncFailure, runRsyncProbe } from './probe-rsync-run.js';
import type { Freshness, ProbeFailureKind, TraceCopy } from './types.js';
import { readSmallFile } from '../util/no-follow.js';
import { monotonicMs } from '../util/monotonic.js';

export interface RsyncProbeOptions {
  /** rsync binary (config.rsync.binary). */
  readonly binary: string;
  /** The deadline; rsync is killed when it aborts. */
  readonly signal: AbortSignal;
  /** The module's password, sent on stdin (never in argv or the environment). */
  readonly password?: string;
}

type Failure = { readonly failure: { readonly kind: ProbeFailureKind; readonly message: string } };

/** Largest trace copied: rsync's --max-size skips a bigger file instead of filling the disk. */
export const TRACE_MAX_BYTES = 64 * 1024;

/** The arguments of a trace read; exported so tests can check what reaches argv. */
export function buildTraceReadArgs(traceUrl: string, destination: string, withPassword: boolean): string[] {
  // --times: the copy keeps the source's mtime, as a trace pass would give it in the tree.
  return ['--no-motd', '--times', '--copy-links', `--max-size=${TRACE_MAX_BYTES}`, ...passwordArgs(withPassword), traceUrl, destination];
}

/** The arguments of a top-level listing. */
export function buildListArgs(url: string, withPassword: boolean): string[] {
  return ['--no-motd', '--list-only', '--no-h', ...passwordArgs(withPassword), url.endsWith('/') ? url : `${url}/`];
}

function passwordArgs(withPassword: boolean): string[] {
  return withPassword ? ['--password-file=-'] : [];
}

/** Reads a remote file through an rsync daemon by copying it into a private temp dir. */
export async function readTraceOverRsync(traceUrl: string, options: RsyncProbeOptions): Promise<(TraceCopy & { readonly text: string }) | Failure> {
  const dir = await mkdtemp(join(tmpdir(), 'mirrorsync-probe-'));
  try {
    const destination = join(dir, 'trace');
    const outcome = await runRsyncProbe(buildTraceReadArgs(traceUrl, destination, options.password !== undefined), options);
    if (outcome.aborted) return fail('timeout', 'timed out');
    if (outcome.spawnError !== undefined) return fail('unreachable', `cannot run rsync: ${outcome.spawnError}`);
    if (outcome.exitCode !== 0) return { failure: classifyRsyncFailure(outcome.exitCode, outcome.stderr) };
    // rsync exits 0 when it skips a directory, a dangling link or a file over --max-size.
    const read = await readSmallFile(destination, TRACE_MAX_BYTES);
    if (read.kind === 'ok') return { text: read.text, bytes: read.bytes, mtimeMs: read.mtimeMs, readAtMs: monotonicMs() };
    return fail('trace-garbage', `the trace is not a regular file of at most ${TRACE_MAX_BYTES / 1024} KiB`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ListingEntry {
  readonly name: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'other';
  readonly size: number;
  readonly mtime: Date;
}

/** Lists the top level of `url` (a module or a path in one), with mtimes read in UTC. */
export async function listTopLevel(url: string, options: RsyncProbeOptions): Promise<{ readonly entries: ListingEntry[] } | Failure> {
  const entries: ListingEntry[] = [];
  // A hostile daemon can stream an endless made-up listing until the deadline: keep the first
  // LISTING_MAX_ENTRIES and, past them, only the newest entry, which is all freshness needs.
  let newestBeyond: ListingEntry | undefined;
  const onLine = (line: string): void => {
    const entry = parseListLine(line);
    if (entry === undefined) return;
    if (entries.length < LISTING_MAX_ENTRIES) entries.push(entry);
    else if (countsForFreshness(entry) && (newestBeyond === undefined || entry.mtime > newestBeyond.mtime)) newestBeyond = entry;
  };
  const outcome = await runRsyncProbe(buildListArgs(url, options.password !== undefined), { ...options, onLine });
  if (outcome.aborted) return fail('timeout', 'timed out');
  if (outcome.spawnError !== undefined) return fail('unreachable', `cannot run rsync: ${outcome.spawnError}`);
  if (outcome.exitCode !== 0) {
    const failure = classifyRsyncFailure(outcome.exitCode, outcome.stderr);
    return failure.kind === 'trace-missing' ? fail('empty', 'the path does not exist on the source') : { failure };
  }
  if (newestBeyond !== undefined) entries.push(newestBeyond);
  return { entries };
}

/** Top-level entries kept from a listing; a real mirror's top level holds a few dozen. */
export const LISTING_MAX_ENTRIES = 10_000;

function countsForFreshness(entry: ListingEntry): boolean {
  return entry.name !== '.' && entry.name !== '.mirrorsync';
}

/** Freshness from a listing: the newest entry, ignoring '.' and mirrorsync's own folder. */
export function freshnessFromListing(entries: readonly ListingEntry[]): Freshness | Failure {
  let newest: Date | undefined;
  for (const entry of entries) {
    if (!countsForFreshness(entry)) continue;
    if (newest === undefined || entry.mtime > newest) newest = entry.mtime;
  }
  return newest === undefined ? fail('empty', "the listing holds nothing but '.'") : { at: newest };
}

const LIST_LINE = /^([-dlcbps])[-rwxsStT]{9}[+.@]?\s+([\d,.]+)\s+(\d{4})\/(\d{2})\/(\d{2})\s+(\d{2}):(\d{2}):(\d{2}) (.+)$/;

/** Parses one `rsync --list-only` line printed with TZ=UTC; undefined for anything else. */
export function parseListLine(line: string): ListingEntry | undefined {
  const m = LIST_LINE.exec(line);
  if (m === null) return undefined;
  const [, kind, size, year, month, day, hour, minute, second, name] = m;
  const mtime = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)));
  const type = kind === '-' ? 'file' : kind === 'd' ? 'directory' : kind === 'l' ? 'symlink' : 'other';
  return { name: unescapeName(name ?? ''), type, size: Number((size ?? '0').replace(/[,.]/g, '')), mtime };
}

// rsync prints unprintable bytes as \#ooo (octal); the name is the bytes, read as UTF-8.
function unescapeName(name: string): string {
  if (!name.includes('\\#')) return name;
  const bytes: Buffer[] = [];
  let rest = name;
  for (let m = /\\#([0-7]{3})/.exec(rest); m !== null; m = /\\#([0-7]{3})/.exec(rest)) {
    bytes.push(Buffer.from(rest.slice(0, m.index), 'utf8'), Buffer.from([Number.parseInt(m[1] ?? '0', 8)]));
    rest = rest.slice(m.index + m[0].length);
  }
  bytes.push(Buffer.from(rest, 'utf8'));
  return Buffer.concat(bytes).toString('utf8');
}

function fail(kind: ProbeFailureKind, message: string): Failure {
  return { failure: { kind, message } };
}
