import { loadCommandConfig } from '../command-config.js';
import { MirrorsyncError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { runHooks } from '../../report/hooks.js';
import { renderMetrics, writeMetricsFile } from '../../report/metrics.js';
import type { RunStatus } from '../../report/status-file.js';
import type { RequestedMode } from '../../sync/plan.js';
import type { PassProgress } from '../../sync/progress.js';
import { startEarlyRead } from '../../sync/early-read.js';
import type { SyncReport } from '../../sync/run-sync.js';
import type { CliContext } from '../context.js';
import { checkHostFlags } from '../host-flags.js';
import type { CliLogger } from '../logger.js';
import { exitCodeFor } from '../exit-codes.js';
import { createProgressLine } from '../progress-line.js';

export interface SyncOptions {
  /** A mirror of the config dir (sync NAME). */
  readonly name?: string;
  readonly all?: boolean;
  readonly configDir?: string;
  readonly config?: string;
  readonly target?: string;
  readonly mode: RequestedMode;
  readonly source?: string;
  readonly full?: boolean;
  readonly dryRun?: boolean;
  readonly json?: boolean;
  readonly metricsFile?: string;
  readonly quiet?: boolean;
  /** Replaces rsync.maxDeleteFraction for this run. */
  readonly maxDeleteFraction?: number;
}

export async function syncCommand(options: SyncOptions, context: CliContext, cliLogger: CliLogger): Promise<number> {
  const { logger } = cliLogger;
  if (options.all === true) {
    checkHostFlags(options, '--all');
    if (options.name !== undefined) throw new MirrorsyncError('usage.invalid', `sync takes a mirror NAME or --all, not both`);
    return (await import('./sync-all.js')).syncAllCommand(options, context, cliLogger);
  }
  if (options.name !== undefined) checkHostFlags(options, 'a mirror NAME');
  else if (options.configDir !== undefined) throw new MirrorsyncError('usage.invalid', '--config-dir goes with a mirror NAME or --all');
  const hostMirror = options.name === undefined ? undefined : await (await import('./sync-host.js')).prepareHostMirror(options.name, options.configDir, context, logger);
  const loaded = hostMirror?.mirror.config ?? (await loadCommandConfig(options, context));
  const config = options.maxDeleteFraction === undefined ? loaded : { ...loaded, rsync: { ...loaded.rsync, maxDeleteFraction: options.maxDeleteFraction } };
  if (options.maxDeleteFraction !== undefined) logger.info({ maxDeleteFraction: options.maxDeleteFraction, configured: loaded.rsync.maxDeleteFraction }, `--max-delete-fraction ${options.maxDeleteFraction} for this run (the config says ${loaded.rsync.maxDeleteFraction})`);
  const target = config.target;
  if (target === undefined) throw new MirrorsyncError('usage.invalid', `no target: set "target" in ${config.file} or pass --target`);
  const full = options.full === true;
  if (options.metricsFile !== undefined) await (await import('../../util/can-create.js')).assertCanCreate(options.metricsFile, 'metrics file');

  if (options.dryRun === true) {
    const { dryRunCommand } = await import('./sync-dry-run.js');
    return dryRunCommand({ config, target, mode: options.mode, full, source: options.source, json: options.json === true, ...(hostMirror === undefined ? {} : { filters: hostMirror.mirror.filters }) }, context);
  }

  const started = Date.now();
  let report: SyncReport | undefined;
  let exitCode = 0;
  // A progress line only for a person watching: a terminal, and neither --quiet nor --json.
  const progress = context.stdoutIsTTY && options.quiet !== true && options.json !== true ? createProgressLine(context.stdout) : undefined;
  // A log line must not be glued to the progress line: erase it first; the next update redraws it.
  if (progress !== undefined) cliLogger.beforeStderrWrite = () => progress.clear();
  // The master's trace read is most of a run that finds nothing new: it starts now, and the sync
  // machinery loads while it runs. A pinned source or a verifying run asks its own questions.
  const early = hostMirror === undefined && options.source === undefined && !full ? startEarlyRead(config, context.signal) : undefined;
  let sync: typeof import('../../sync/run-sync.js');
  try {
    sync = await import('../../sync/run-sync.js');
  } catch (error) {
    await early?.stop();
    throw error;
  }
  const { runSync, SyncFailure } = sync;
  try {
    const request = {
      mode: options.mode,
      ...(options.source === undefined ? {} : { source: options.source }),
      full,
      signal: context.signal,
      logger,
      version: context.version,
      ...(progress === undefined ? {} : { onProgress: (source: string, update: PassProgress) => progress.update(source, update) }),
      // A host's mirror serves its pending triggers and updates the host files, as in sync --all.
      ...hostMirror?.extras,
    };
    report = hostMirror === undefined ? await runSync({ ...request, config, target, ...(early === undefined ? {} : { early }) }) : await hostMirror.sync(request, config);
    progress?.clear();
    summarize(report.status, logger);
    return 0;
  } catch (error) {
    progress?.clear();
    if (error instanceof SyncFailure) report = error.report;
    if (error instanceof MirrorsyncError) exitCode = exitCodeFor(error.code);
    throw error;
  } finally {
    // Never an rsync left behind, whatever ended the run (a refused target, a held lock).
    await early?.stop();
    if (report !== undefined) {
      if (hostMirror !== undefined && report.status.result !== 'running') await hostMirror.after(report.status.result);
      if (options.json === true) context.stdout.write(`${JSON.stringify(report.status, null, 2)}\n`);
      if (options.metricsFile !== undefined) await writeMetrics(options.metricsFile, config.name, report, started, logger);
      await runHooks({ hooks: config.hooks, status: report.status, exitCode, target, name: config.name, logger });
    }
  }
}

function summarize(status: RunStatus, logger: Logger): void {
  if (status.result === 'synced') {
    logger.info(
      { source: status.source, bytesReceived: status.bytesReceived, filesTransferred: status.filesTransferred, freshness: status.freshness },
      `synced from ${status.source ?? '?'}: ${status.filesTransferred} files, ${status.bytesReceived} bytes received`,
    );
  }
}

async function writeMetrics(path: string, mirror: string, report: SyncReport, started: number, logger: Logger): Promise<void> {
  // A source not probed (the master alone already said "nothing new") is neither up nor down.
  const sources = (report.ranking?.sources ?? [])
    .filter((row) => row.verdict !== 'stopped' && row.verdict !== 'not-probed')
    .map((row) => ({ name: row.name, up: row.reachable, lagSeconds: row.lagSeconds }));
  try {
    await writeMetricsFile(path, renderMetrics({ mirror, status: report.status, sources, durationSeconds: (Date.now() - started) / 1000 }));
  } catch (error) {
    // Metrics are for monitoring; failing to write them must not turn a good sync into a failure.
    logger.error({ path, err: error instanceof Error ? error.message : String(error) }, 'could not write the metrics file');
  }
}
