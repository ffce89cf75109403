import { posix } from 'node:path';
import { checkRsyncArg } from '../config/rsync-args.js';
import { MirrorsyncError } from '../errors.js';
import { partialFilterArgs } from './partial-filters.js';
import { checkTargetPath } from './target-safety.js';

/** rsync's staging dir, relative so rsync protects it with a perishable filter (see FIELD-NOTES). */
export const PARTIAL_DIR = '.~mirrorsync-partial~';
/** Our folder at the root of the target: status, trace, log, lock. Excluded from every pass. */
export const STATE_DIR = '.mirrorsync';

/** One rsync pass, as decided by the planner; buildRsyncArgs turns it into argv. */
export interface RsyncPassPlan {
  /** bulk: the tree without the trace; trace: the trace file alone, after bulk; verify: bulk with --checksum. */
  readonly kind: 'bulk' | 'trace' | 'verify';
  /** formatRsyncUrl output: rsync://, never with a password. */
  readonly sourceUrl: string;
  /** Absolute target directory (a trailing slash is added). */
  readonly target: string;
  /** Path of the master's trace inside the tree; required for the trace pass. */
  readonly trace?: string;
  /** --max-delete for bulk and verify passes (see maxDeleteFor). */
  readonly maxDelete?: number;
  /** The user's rsync.args, already validated by the config. */
  readonly extraArgs: readonly string[];
  readonly timeoutSeconds: number;
  readonly connectTimeoutSeconds: number;
  readonly dryRun?: boolean;
  readonly progress?: boolean;
  /**
   * Where rsync appends its own log of the pass (last-run.log while it is written): one line per
   * file, its errors and the --stats summary, so none of it has to pass through node.
   */
  readonly logFile?: string;
  /** The password goes to rsync's stdin (--password-file=-), never into argv or the environment. */
  readonly usesPassword: boolean;
  /** A partial mirror's filter rules (see partialFilterArgs); bulk and verify passes only. */
  readonly filters?: readonly string[];
  /** This pass's share of the host's bandwidth budget, in KiB/s. */
  readonly bwlimitKBps?: number;
  /** rsync.keepUnsafeLinks: create upstream symlinks that leave the tree (no --safe-links). */
  readonly keepUnsafeLinks?: boolean;
}

/** Largest trace the trace pass brings: rsync's --max-size skips a bigger one, which is then refused. */
export const TRACE_MAX_BYTES = 64 * 1024;

/**
 * What a source may never decide on the host, as options placed after the user's (the last one
 * wins, and a user's `-a` would otherwise bring -o -g -D back): no owners or groups (files belong
 * to the user mirrorsync runs as), no device nodes, FIFOs or sockets, no super-user activities
 * even as root, and modes without setuid, setgid, sticky or world-write bits. The sticky bit
 * goes too: once world-write is stripped it restricts nothing, and a mirror serves plain modes.
 */
export const HOST_SAFETY_OPTIONS: readonly string[] = [
  '--no-owner', '--no-group', '--no-devices', '--no-specials', '--no-super',
  '--chmod=ug-s,a-t,o-w',
];

/**
 * The argv for one pass (without the binary). Order: our filter rules first (rsync's filters are
 * first-match-wins, so the user's cannot re-include .mirrorsync/), then the user's arguments, then
 * our options (for options that take a value the last one wins), then `--` and the operands.
 */
export function buildRsyncArgs(plan: RsyncPassPlan): string[] {
  const unsafe = findUnsafeRsyncArgs(plan.extraArgs);
  if (unsafe.length > 0) throw new MirrorsyncError('config.invalid', `rsync.args: ${unsafe.join('; ')}`);
  const source = checkSource(plan.sourceUrl);
  const target = checkTarget(plan.target);
  const operands = plan.kind === 'trace' ? traceOperands(source, target, requireTrace(plan)) : [`${source}/`, `${target}/`];
  const partial = plan.kind === 'trace' || plan.filters === undefined ? [] : partialFilterArgs(plan.filters);
  return [...filterRules(plan), ...partial, ...plan.extraArgs, ...options(plan), '--', ...operands];
}

/**
 * The --max-delete cap for a target holding `localEntryCount` entries (files, directories,
 * symlinks): floor(count × fraction), but at least 1 when there is something to delete and the
 * fraction is not 0, so that a tree smaller than 1/fraction entries can still lose a file. An
 * empty target gets 0: there is nothing it could legitimately lose, and rsync then reports any
 * deletion instead of doing it.
 */
export function maxDeleteFor(localEntryCount: number, fraction: number): number {
  if (!Number.isSafeInteger(localEntryCount) || localEntryCount < 0) {
    throw new RangeError(`maxDeleteFor: the entry count must be a non-negative integer, not ${localEntryCount}`);
  }
  if (!Number.isFinite(fraction) || fraction < 0 || fraction > 1) {
    throw new RangeError(`maxDeleteFor: the fraction must be between 0 and 1, not ${fraction}`);
  }
  if (localEntryCount === 0 || fraction === 0) return 0;
  return Math.max(1, Math.floor(localEntryCount * fraction));
}

/**
 * What is wrong with the user's extra rsync arguments, one sentence each (empty when fine). The
 * policy is the config's (one list of what mirrorsync owns); checked again here because a pass
 * must never run with an argument that defeats its safety, whoever built the plan.
 */
export function findUnsafeRsyncArgs(args: readonly string[]): string[] {
  return args.flatMap((arg) => {
    const problem = checkRsyncArg(arg);
    return problem === undefined ? [] : [problem];
  });
}

function filterRules(plan: RsyncPassPlan): string[] {
  // Without a trailing slash, so the rules match .mirrorsync whatever its type on either side (a
  // symlink named so must not replace the state folder). The protect rule comes first: it keeps
  // the local folder even under a --delete-excluded, which turns '-' into a sender-only rule.
  const rules = [`--filter=P /${STATE_DIR}`, `--exclude=/${STATE_DIR}`];
  // The tree's trace arrives last, in its own pass, so a new trace means a complete tree.
  if (plan.kind !== 'trace' && plan.trace !== undefined) rules.push(`--exclude=/${checkTrace(plan.trace)}`);
  return rules;
}

function options(plan: RsyncPassPlan): string[] {
  const deletes = plan.kind !== 'trace';
  return [
    // Not -a: as root it would also copy upstream owners, groups and device files into the mirror.
    ...(plan.kind === 'trace' ? traceOnly() : ['--recursive', '--links']),
    '--perms', '--times',
    ...HOST_SAFETY_OPTIONS,
    ...(plan.keepUnsafeLinks === true ? [] : ['--safe-links']),
    ...(deletes ? ['--delete-after'] : []),
    '--delay-updates',
    `--partial-dir=${PARTIAL_DIR}`,
    `--timeout=${positiveSeconds(plan.timeoutSeconds, 'timeoutSeconds')}`,
    `--contimeout=${positiveSeconds(plan.connectTimeoutSeconds, 'connectTimeoutSeconds')}`,
    ...(deletes && plan.maxDelete !== undefined ? [`--max-delete=${count(plan.maxDelete, 'maxDelete')}`] : []),
    ...(plan.kind === 'verify' ? ['--checksum'] : []),
    '--no-motd',
    '--stats',
    // rsync escapes control characters in the names it logs (\#012): a hostile name cannot
    // forge a line of last-run.log. It logs neither the URL nor the password (stdin).
    ...(plan.logFile === undefined ? [] : [`--log-file=${checkLogFile(plan.logFile)}`, `--log-file-format=${LOG_FILE_FORMAT}`]),
    ...(plan.progress === true ? ['--info=progress2'] : []),
    ...(plan.bwlimitKBps === undefined ? [] : [`--bwlimit=${count(plan.bwlimitKBps, 'bwlimitKBps')}`]),
    ...(plan.dryRun === true ? ['--dry-run'] : []),
    ...(plan.usesPassword ? ['--password-file=-'] : []),
  ];
}

// The trace is one regular file: a link is resolved on the sender (nothing it points to on the
// host is ever read), a folder is skipped (not recursed into), and it is capped in size.
function traceOnly(): string[] {
  return ['--no-recursive', '--copy-links', `--max-size=${TRACE_MAX_BYTES}`];
}

// The trace pass names the file itself: a source without it then fails (exit 23) instead of
// succeeding with nothing transferred. Its directory exists, the bulk pass brought it.
function traceOperands(source: string, target: string, trace: string): string[] {
  const dir = posix.dirname(trace);
  return [`${source}/${trace}`, dir === '.' ? `${target}/` : `${target}/${dir}/`];
}

/** Per file: what changed (itemized), the name, and a symlink's target. */
export const LOG_FILE_FORMAT = '%i %n%L';

function checkLogFile(path: string): string {
  if (!path.startsWith('/') || /[\0-\x1f\x7f]/.test(path)) throw internal(`log file "${path}" must be an absolute path without control characters`);
  return path;
}

function checkSource(url: string): string {
  if (url.startsWith('-')) throw internal(`rsync source "${url}" begins with "-"`);
  if (!url.startsWith('rsync://')) throw internal(`rsync source "${url}" is not an rsync:// URL`);
  if (/^rsync:\/\/[^/@]*:[^/@]*@/.test(url)) throw internal('rsync source URL carries a password');
  if (/[\s\0-\x1f\x7f]/.test(url)) throw internal('rsync source URL contains white space or control characters');
  return url.replace(/\/+$/, '');
}

function checkTarget(target: string): string {
  const check = checkTargetPath(target);
  if (!check.ok) throw new MirrorsyncError('target.unsafe', check.message);
  return target === '/' ? target : target.replace(/\/+$/, '');
}

function requireTrace(plan: RsyncPassPlan): string {
  if (plan.trace === undefined) throw internal('a trace pass needs the trace path');
  return checkTrace(plan.trace);
}

// The trace lands in filter rules and URLs: a plain relative path, no wildcards.
function checkTrace(trace: string): string {
  const segments = trace.split('/');
  const plain = segments.every((segment) => segment !== '' && segment !== '.' && segment !== '..');
  if (!plain || /[*?[\\\0-\x1f\x7f]/.test(trace)) {
    throw new MirrorsyncError('config.invalid', `trace "${trace}" must be a relative path without wildcards, "." or ".."`);
  }
  return trace;
}

function positiveSeconds(value: number, name: string): number {
  // 0 would switch rsync's timeout off, and a pass without one can hang for weeks.
  if (!Number.isSafeInteger(value) || value < 1) throw internal(`${name} must be a positive integer, not ${value}`);
  return value;
}

function count(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw internal(`${name} must be a non-negative integer, not ${value}`);
  return value;
}

function internal(message: string): MirrorsyncError {
  return new MirrorsyncError('internal', message);
}
