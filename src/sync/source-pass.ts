import type { Config, SourceConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { RunLog } from '../report/run-log.js';
import { formatRsyncUrl, parseRsyncAddress, redactUrl, type RsyncAddress } from '../sources/address.js';
import { readSourcePassword } from '../sources/password.js';
import type { TraceCopy } from '../sources/types.js';
import { checkStagedTrace, installStagedTrace, prepareStaging, stageTraceCopy, stagingDir, usableTraceCopy, type StagedTrace } from './staged-trace.js';
import type { AttemptResult } from './failover.js';
import type { TraceBounds } from './trace-bounds.js';
import { buildRsyncArgs, type RsyncPassPlan } from './rsync-args.js';
import { classifyRsyncExit, type RsyncOutcome } from './rsync-exit.js';
import { confirmLocalFailure } from './local-side-check.js';
import { runRsync, type RsyncRunResult } from './rsync-run.js';
import type { PassGate, PassTicket } from './pass-gate.js';
import type { PassProgress } from './progress.js';
import { addStats, emptyStats, type RsyncStats } from './rsync-stats.js';
import { monotonicMs } from '../util/monotonic.js';

export interface PassContext {
  readonly config: Config;
  readonly target: string;
  readonly lockFd: number | undefined;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** last-run.log while it is written: rsync appends to `file`, mirrorsync frames each pass. */
  readonly runLog: Pick<RunLog, 'file' | 'write' | 'flush'>;
  readonly maxDelete: number | undefined;
  /** Verifying pass: --checksum, and run even when nothing is new. */
  readonly full: boolean;
  /** What the fetched trace may say: not older than the mirror, not ahead of the master, not from the future. */
  readonly traceBounds: TraceBounds;
  readonly onProgress?: (source: string, progress: PassProgress) => void;
  readonly gate?: PassGate;
  readonly filters?: readonly string[];
  /**
   * The traces the probes copied over rsync, by source: the first attempt at such a source stages
   * that copy instead of running a trace pass (one rsync start and exit less on every run that
   * transfers). Taken once, and only while recent: a retry, or a catch-up pass after a long
   * bootstrap, fetches the trace again.
   */
  readonly traceCopies?: Map<string, TraceCopy>;
  /** Called each time a pass's rsync has been started. */
  readonly onPassSpawned?: () => void;
}

export interface SourcePassValue {
  readonly stats: RsyncStats;
  readonly durationMs: number;
}

/**
 * One attempt at one source. With a trace configured, the source's trace is fetched first, into
 * `.mirrorsync/incoming/` (or the copy its probe just made is put there): a source without it,
 * with garbage in it, or older than the local copy is refused before any deletion. Then the bulk
 * pass (everything but the trace), and only then
 * the fetched trace is moved into the tree. Because a master writes its trace last, a trace read
 * before the bulk pass never claims more than the tree that pass brought: a publication that lands
 * mid-run is picked up by the next run instead of being announced over a half-synced tree.
 */
export async function attemptSource(source: SourceConfig, context: PassContext): Promise<AttemptResult<SourcePassValue>> {
  const address = source.url === undefined ? undefined : parseRsyncAddress(source.url);
  if (address === undefined || 'error' in address) return refuse('no usable rsync url');
  const password = await readSourcePassword(address, source);
  if ('error' in password) return refuse(password.error);
  // The host's limits count connections, not probes: the slot is taken here, after ranking.
  const ticket = await context.gate?.enter(address, context.signal);
  try {
    return await attemptWith(source, address, password.password, ticket, context);
  } finally {
    await ticket?.release();
  }
}

async function attemptWith(
  source: SourceConfig,
  address: RsyncAddress,
  password: string | undefined,
  ticket: PassTicket | undefined,
  context: PassContext,
): Promise<AttemptResult<SourcePassValue>> {

  const started = monotonicMs();
  const total = emptyStats();
  const pass = async (kind: RsyncPassPlan['kind']): Promise<RsyncOutcome> => {
    context.logger.info({ source: source.name, pass: kind, maxDelete: kind === 'trace' ? undefined : context.maxDelete }, passStartMessage(kind, source.name, context.maxDelete));
    const run = await runPass(kind, source, address, password, ticket, context);
    addStats(total, run.stats);
    const outcome = await confirmLocalFailure(classify(run, context.config.rsync.timeoutSeconds, kind === 'trace' ? undefined : context.maxDelete), context.target);
    context.logger.info(
      { source: source.name, pass: kind, exitCode: run.exitCode, bytesReceived: run.stats.bytesReceived, files: run.stats.filesTransferred, seconds: Math.round(run.durationMs) / 1000 },
      `${kind} pass from ${source.name}: ${outcome.class === 'success' ? 'done' : outcome.reason}`,
    );
    return outcome;
  };
  const failed = (outcome: RsyncOutcome): AttemptResult<SourcePassValue> => ({ ok: false, outcome, bytesReceived: total.bytesReceived });

  let staged: StagedTrace | undefined;
  if (context.config.trace !== undefined) {
    try {
      await prepareStaging(context.target, context.config.trace);
    } catch (error) {
      return failed({ class: 'local', exitCode: null, reason: `cannot prepare ${stagingDir(context.target)}: ${error instanceof Error ? error.message : String(error)}` });
    }
    const copy = usableTraceCopy(context.traceCopies?.get(source.name), monotonicMs());
    context.traceCopies?.delete(source.name);
    if (copy !== undefined) {
      try {
        await stageTraceCopy(context.target, context.config.trace, copy);
      } catch (error) {
        return failed({ class: 'local', exitCode: null, reason: `cannot stage the trace in ${stagingDir(context.target)}: ${error instanceof Error ? error.message : String(error)}` });
      }
      context.logger.info({ source: source.name, pass: 'trace' }, `trace from ${source.name}: the copy its probe read, no trace pass`);
      context.runLog.write(`== trace from ${source.name}: the copy its probe read moments ago (${copy.bytes.length} bytes), no trace pass`);
    } else {
      const fetched = await pass('trace');
      if (fetched.class !== 'success') return failed(missingTraceIsRefusal(fetched, context.config.trace));
    }
    const checked = await checkStagedTrace(context, source.master);
    if ('refusal' in checked) return failed(refusal(checked.refusal));
    staged = checked;
  }
  const bulk = await pass(context.full ? 'verify' : 'bulk');
  if (bulk.class !== 'success') return failed(bulk);
  if (staged !== undefined) {
    try {
      const refused = await installStagedTrace(staged, context);
      if (refused !== undefined) return failed({ class: 'permanent', exitCode: null, reason: refused.refusal });
    } catch (error) {
      return failed({ class: 'local', exitCode: null, reason: `cannot put the trace in place: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  return { ok: true, exitCode: 0, bytesReceived: total.bytesReceived, value: { stats: total, durationMs: monotonicMs() - started } };
}

function refusal(reason: string): RsyncOutcome {
  return { class: 'permanent', exitCode: null, reason: `refused before any deletion: ${reason}`, refused: true };
}

function refuse(reason: string): AttemptResult<SourcePassValue> {
  return { ok: false, bytesReceived: 0, outcome: { class: 'permanent', exitCode: null, reason } };
}

// rsync exits 23 when the file named as its source does not exist: the source lacks the trace.
function missingTraceIsRefusal(outcome: RsyncOutcome, trace: string): RsyncOutcome {
  const missing = outcome.exitCode === 23 && outcome.class !== 'local';
  return missing ? refusal(`the source has no ${trace}`) : outcome;
}

/** The exact arguments of one pass; shared with --dry-run so it prints what would run. */
export function buildPassArgs(
  kind: RsyncPassPlan['kind'],
  address: RsyncAddress,
  usesPassword: boolean,
  options: {
    readonly config: Config;
    readonly target: string;
    readonly maxDelete: number | undefined;
    readonly progress: boolean;
    readonly logFile: string;
    readonly filters?: readonly string[] | undefined;
    readonly bwlimitKBps?: number | undefined;
  },
): string[] {
  const { config } = options;
  return buildRsyncArgs({
    kind,
    sourceUrl: formatRsyncUrl(address),
    target: kind === 'trace' ? stagingDir(options.target) : options.target,
    ...(config.trace === undefined ? {} : { trace: config.trace }),
    ...(options.maxDelete === undefined || kind === 'trace' ? {} : { maxDelete: options.maxDelete }),
    extraArgs: config.rsync.args,
    timeoutSeconds: config.rsync.timeoutSeconds,
    connectTimeoutSeconds: config.rsync.connectTimeoutSeconds,
    progress: options.progress && kind !== 'trace',
    logFile: options.logFile,
    usesPassword,
    ...(options.filters === undefined ? {} : { filters: options.filters }),
    ...(options.bwlimitKBps === undefined ? {} : { bwlimitKBps: options.bwlimitKBps }),
    keepUnsafeLinks: config.rsync.keepUnsafeLinks,
  });
}

async function runPass(
  kind: RsyncPassPlan['kind'],
  source: SourceConfig,
  address: RsyncAddress,
  password: string | undefined,
  ticket: PassTicket | undefined,
  context: PassContext,
): Promise<RsyncRunResult> {
  const { config } = context;
  const args = buildPassArgs(kind, address, password !== undefined, {
    ...context,
    progress: context.onProgress !== undefined,
    logFile: context.runLog.file,
    bwlimitKBps: ticket?.bwlimitKBps(),
  });
  context.runLog.write(`== ${kind} pass from ${source.name}: ${config.rsync.binary} ${args.map(redactUrl).join(' ')}`);
  await context.runLog.flush();
  const onProgress = context.onProgress;
  const result = await runRsync({
    binary: config.rsync.binary,
    args,
    ...(password === undefined ? {} : { password }),
    ...(context.lockFd === undefined ? {} : { lockFd: context.lockFd }),
    ...(ticket === undefined ? {} : { extraFds: ticket.fds }),
    signal: context.signal,
    maxDurationMs: config.rsync.maxDurationSeconds * 1000,
    stallTimeoutMs: config.rsync.timeoutSeconds * 1000,
    ...(onProgress === undefined ? {} : { onProgress: (progress: PassProgress) => onProgress(source.name, progress) }),
    ...(context.onPassSpawned === undefined ? {} : { onSpawned: context.onPassSpawned }),
  });
  context.runLog.write(`== ${kind} pass from ${source.name} ended: exit ${result.exitCode ?? `signal ${result.signal ?? '?'}`} after ${(result.durationMs / 1000).toFixed(1)} s`);
  return result;
}

// A bootstrap can run for hours: its start is logged with what is known before any list arrives.
function passStartMessage(kind: RsyncPassPlan['kind'], source: string, maxDelete: number | undefined): string {
  if (kind === 'trace') return `trace pass from ${source}: starting, fetching the trace alone`;
  const cap = maxDelete === undefined ? '' : maxDelete === 0 ? ', no deletion allowed' : `, at most ${maxDelete.toLocaleString('en')} deletions`;
  return `${kind} pass from ${source}: starting${kind === 'verify' ? ' (--checksum: every file is read on both sides)' : ''}${cap}`;
}

function classify(run: RsyncRunResult, stallSeconds: number, maxDelete: number | undefined): RsyncOutcome {
  if (run.stalled && !run.canceled) {
    return { class: 'transient', exitCode: run.exitCode, reason: `the source stopped sending: nothing arrived for ${stallSeconds} s` };
  }
  return classifyRsyncExit({
    exitCode: run.exitCode, signal: run.signal, stderrLines: run.stderrLines, killedByWatchdog: run.killedByWatchdog, canceled: run.canceled,
    deletedFiles: run.stats.deletedFiles, ...(maxDelete === undefined ? {} : { maxDelete }),
  });
}

