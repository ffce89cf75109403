import type { Config, SourceConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { formatRsyncUrl, parseRsyncAddress, redactUrl, type RsyncAddress } from '../sources/address.js';
import { readSourcePassword } from '../sources/password.js';
import { verifyOverRsync } from '../sources/probe.js';
import type { AttemptResult } from './failover.js';
import { buildRsyncArgs, type RsyncPassPlan } from './rsync-args.js';
import { classifyRsyncExit, type RsyncOutcome } from './rsync-exit.js';
import { runRsync, type RsyncRunResult } from './rsync-run.js';
import { splitProgress, type PassProgress } from './progress.js';
import { addStats, emptyStats, type RsyncStats } from './rsync-stats.js';

export interface PassContext {
  readonly config: Config;
  readonly target: string;
  readonly lockFd: number | undefined;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Every output line of every rsync pass, already redacted. */
  readonly writeLog: (line: string) => Promise<void> | void;
  readonly maxDelete: number | undefined;
  /** Verifying pass: --checksum, and run even when nothing is new. */
  readonly full: boolean;
  /** Re-check the source over rsync before the first pass (its probe went over HTTP). */
  readonly verifyFirst: (source: SourceConfig) => boolean;
  readonly onProgress?: (source: string, progress: PassProgress) => void;
}

export interface SourcePassValue {
  readonly stats: RsyncStats;
  readonly durationMs: number;
}

/**
 * One attempt at one source: a safety check when the probe could not vouch for the rsync module,
 * the bulk pass (everything but the trace), then the trace pass, so a tree whose trace is new is a
 * tree whose sync completed.
 */
export async function attemptSource(source: SourceConfig, attemptNumber: number, context: PassContext): Promise<AttemptResult<SourcePassValue>> {
  const refuse = (reason: string): AttemptResult<SourcePassValue> => ({ ok: false, bytesReceived: 0, outcome: { class: 'permanent', exitCode: null, reason } });
  const address = source.url === undefined ? undefined : parseRsyncAddress(source.url);
  if (address === undefined || 'error' in address) return refuse('no usable rsync url');
  const password = await readSourcePassword(address, source);
  if ('error' in password) return refuse(password.error);

  if (attemptNumber === 1 && context.verifyFirst(source)) {
    const check = await verifyOverRsync(source, context.config, { signal: context.signal });
    if (check !== null) {
      if (context.signal.aborted) return { ok: false, bytesReceived: 0, outcome: { class: 'interrupted', exitCode: null, reason: 'interrupted' } };
      return refuse(`refused before any deletion: ${check}`);
    }
  }

  const started = performance.now();
  const total = emptyStats();
  const kinds: Array<RsyncPassPlan['kind']> = [context.full ? 'verify' : 'bulk'];
  if (context.config.trace !== undefined) kinds.push('trace');
  let lastExit: number | null = 0;
  for (const kind of kinds) {
    const run = await runPass(kind, source, address, password.password, context);
    addStats(total, run.stats);
    const outcome = classify(run, context.config.rsync.timeoutSeconds);
    lastExit = run.exitCode;
    context.logger.info(
      { source: source.name, pass: kind, exitCode: run.exitCode, bytesReceived: run.stats.bytesReceived, files: run.stats.filesTransferred, seconds: Math.round(run.durationMs) / 1000 },
      `${kind} pass from ${source.name}: ${outcome.class === 'success' ? 'done' : outcome.reason}`,
    );
    if (outcome.class !== 'success') return { ok: false, outcome, bytesReceived: total.bytesReceived };
  }
  return { ok: true, exitCode: lastExit, bytesReceived: total.bytesReceived, value: { stats: total, durationMs: performance.now() - started } };
}

/** The exact arguments of one pass; shared with --dry-run so it prints what would run. */
export function buildPassArgs(
  kind: RsyncPassPlan['kind'],
  address: RsyncAddress,
  usesPassword: boolean,
  options: { readonly config: Config; readonly target: string; readonly maxDelete: number | undefined; readonly progress: boolean },
): string[] {
  const { config } = options;
  return buildRsyncArgs({
    kind,
    sourceUrl: formatRsyncUrl(address),
    target: options.target,
    ...(config.trace === undefined ? {} : { trace: config.trace }),
    ...(options.maxDelete === undefined || kind === 'trace' ? {} : { maxDelete: options.maxDelete }),
    extraArgs: config.rsync.args,
    timeoutSeconds: config.rsync.timeoutSeconds,
    connectTimeoutSeconds: config.rsync.connectTimeoutSeconds,
    progress: options.progress && kind !== 'trace',
    usesPassword,
  });
}

async function runPass(
  kind: RsyncPassPlan['kind'],
  source: SourceConfig,
  address: RsyncAddress,
  password: string | undefined,
  context: PassContext,
): Promise<RsyncRunResult> {
  const { config } = context;
  const args = buildPassArgs(kind, address, password !== undefined, { ...context, progress: context.onProgress !== undefined });
  await context.writeLog(`== ${kind} pass from ${source.name}: ${config.rsync.binary} ${args.map(redactUrl).join(' ')}`);
  const result = await runRsync({
    binary: config.rsync.binary,
    args,
    ...(password === undefined ? {} : { password }),
    ...(context.lockFd === undefined ? {} : { lockFd: context.lockFd }),
    signal: context.signal,
    maxDurationMs: config.rsync.maxDurationSeconds * 1000,
    stallTimeoutMs: config.rsync.timeoutSeconds * 1000,
    onLine: (stream, line) => {
      const { text, progress } = stream === 'stdout' ? splitProgress(line) : { text: [line], progress: undefined };
      if (progress !== undefined) context.onProgress?.(source.name, progress);
      for (const part of text) void context.writeLog(stream === 'stderr' ? `! ${part}` : part);
    },
  });
  await context.writeLog(`== ${kind} pass from ${source.name} ended: exit ${result.exitCode ?? `signal ${result.signal ?? '?'}`} after ${(result.durationMs / 1000).toFixed(1)} s`);
  return result;
}

function classify(run: RsyncRunResult, stallSeconds: number): RsyncOutcome {
  if (run.stalled && !run.canceled) {
    return { class: 'transient', exitCode: run.exitCode, reason: `the source stopped sending: nothing arrived for ${stallSeconds} s` };
  }
  return classifyRsyncExit({ exitCode: run.exitCode, signal: run.signal, stderrLines: run.stderrLines, killedByWatchdog: run.killedByWatchdog, canceled: run.canceled });
}

