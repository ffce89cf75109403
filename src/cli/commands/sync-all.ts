import { describeError, MirrorsyncError } from '../../errors.js';
import { withFields } from '../../log.js';
import { loadHost, resolveConfigDir } from '../../host/load.js';
import { afterRun, MAX_RUNS_IN_A_ROW, runExtras, triggeredAgain, type HostRunContext } from '../../publish/host-run.js';
import { runEach, type HostRunHooks } from '../../host/run-all.js';
import { syncHostMirror } from '../../host/run-mirror.js';
import { isBroken, type HostConfig, type HostMirror, type MirrorEntry } from '../../host/types.js';
import { runHooks } from '../../report/hooks.js';
import { redactCredentials } from '../../report/run-log.js';
import type { RequestedMode } from '../../sync/plan.js';
import { SyncFailure, type SyncReport } from '../../sync/run-sync.js';
import { cliClock } from '../clock.js';
import type { CliContext } from '../context.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import type { CliLogger } from '../logger.js';
import { renderTable } from '../table.js';

export interface SyncAllOptions {
  readonly configDir?: string;
  readonly mode: RequestedMode;
  readonly full?: boolean;
  readonly json?: boolean;
  readonly quiet?: boolean;
  /** Only these mirrors (`--due` chose them); every mirror when absent. */
  readonly only?: readonly string[];
  /** The config dir already loaded (by `--due`). */
  readonly loaded?: HostConfig;
}

/** One line of `sync --all`: what `sync NAME` would have exited with, and why. */
export interface MirrorRow {
  readonly name: string;
  readonly exitCode: number;
  /** status.json's result, or `syncing` (another run holds its lock: skipped). */
  readonly result: 'synced' | 'noop' | 'failed' | 'interrupted' | 'syncing';
  readonly error: { readonly code: string; readonly message: string } | null;
  /** Runs this process gave the mirror: 2 when a trigger arrived during the first (Debian's push rule). */
  readonly runs: number;
}

const FINE = new Set<MirrorRow['result']>(['synced', 'noop', 'syncing']);

/**
 * Every mirror of the config dir, in this process, at most maxConcurrentJobs at once (and within
 * the host's slots, shared with every other process). Exit 0 when every row is fine, 1 otherwise;
 * 78 (thrown) when host.json is invalid; the signal's status when interrupted.
 */
export async function syncAllCommand(options: SyncAllOptions, context: CliContext, cliLogger: CliLogger, hooks: HostRunHooks<MirrorRow> = {}): Promise<number> {
  const { host, mirrors } = options.loaded ?? (await loadHost(resolveConfigDir({ ...(options.configDir === undefined ? {} : { dir: options.configDir }), env: context.env, cwd: context.cwd })));
  if (mirrors.length === 0) cliLogger.logger.warn({ dir: host.dir }, `no mirror files in ${host.dir}/mirrors`);
  const valid = mirrors.filter((entry): entry is HostMirror => !isBroken(entry));
  const hostRun: HostRunContext = { host, mirrors: valid, clock: cliClock(context.env), logger: cliLogger.logger };
  const selected = options.only === undefined ? mirrors : mirrors.filter((entry) => options.only?.includes(entry.name) === true);
  const runOne = (entry: MirrorEntry) => syncEntry(entry, options, context, cliLogger, host, hostRun);
  const rows = await runEach(selected, host.maxConcurrentJobs, runOne, {
    onMirrorStart: (entry) => guarded(() => hooks.onMirrorStart?.(entry), cliLogger, entry.name),
    onMirrorEnd: (entry, row) => guarded(() => hooks.onMirrorEnd?.(entry, row), cliLogger, entry.name),
  });
  if (options.json === true) context.stdout.write(`${JSON.stringify({ mirrors: rows }, null, 2)}\n`);
  // --quiet (the timer's runs): the log has every row; a table on stdout would be mailed by cron.
  else if (options.quiet !== true) context.stdout.write(renderTable(['MIRROR', 'RESULT', 'EXIT', 'ERROR'], rows.map((row) => [row.name, row.result, String(row.exitCode), row.error?.message.split('\n')[0] ?? ''])));
  if (context.signal.aborted && context.signal.reason instanceof MirrorsyncError) return exitCodeFor(context.signal.reason.code);
  return rows.every((row) => FINE.has(row.result)) ? EXIT.ok : EXIT.failed;
}

type Host = Parameters<typeof syncHostMirror>[0]['host'];

/**
 * One mirror's row. A sync request that arrived while the mirror synced (its file still waits:
 * the run took only those there at its start) makes one more run at once, up to MAX_RUNS_IN_A_ROW.
 */
async function syncEntry(entry: MirrorEntry, options: SyncAllOptions, context: CliContext, cliLogger: CliLogger, host: Host, hostRun: HostRunContext): Promise<MirrorRow> {
  const logger = withFields(cliLogger.logger, { mirror: entry.name });
  if (isBroken(entry)) {
    logger.error({ file: entry.file }, entry.error.message);
    return failedRow(entry.name, entry.error);
  }
  let runs = 0;
  for (;;) {
    const row = await syncOnce(entry, options, context, logger, host, hostRun);
    if (row.result !== 'syncing') runs += 1;
    await afterRun(hostRun, entry.name, row.result);
    const again = row.result !== 'syncing' && row.result !== 'interrupted' && !context.signal.aborted && runs < MAX_RUNS_IN_A_ROW && (await triggeredAgain(entry));
    if (!again) return { ...row, runs };
    logger.info({ run: runs + 1 }, 'a sync request arrived during the run: one more run');
  }
}

async function syncOnce(entry: HostMirror, options: SyncAllOptions, context: CliContext, logger: CliLogger['logger'], host: Host, hostRun: HostRunContext): Promise<MirrorRow> {
  let report: SyncReport | undefined;
  let row: MirrorRow;
  try {
    const request = { mode: options.mode, full: options.full === true, signal: context.signal, logger, version: context.version, ...runExtras(hostRun, entry, logger) };
    report = await syncHostMirror({ host, mirror: entry, request });
    row = { name: entry.name, exitCode: EXIT.ok, result: report.status.result === 'noop' ? 'noop' : 'synced', error: null, runs: 1 };
  } catch (error) {
    if (error instanceof SyncFailure) report = error.report;
    const failure = error instanceof MirrorsyncError ? error : new MirrorsyncError('internal', describeError(error), { cause: error });
    if (failure.code === 'lock.held') logger.info({ err: failure.message }, 'already syncing: skipped');
    else logger.error({ code: failure.code }, failure.message);
    row = failedRow(entry.name, failure);
  }
  if (report !== undefined) await runHooks({ hooks: entry.config.hooks, status: report.status, exitCode: row.exitCode, target: entry.config.target ?? '', name: entry.name, logger });
  return row;
}

function failedRow(name: string, error: MirrorsyncError): MirrorRow {
  const interrupted = error.code === 'interrupted.sigint' || error.code === 'interrupted.sigterm';
  const result = error.code === 'lock.held' ? 'syncing' : interrupted ? 'interrupted' : 'failed';
  return { name, exitCode: exitCodeFor(error.code), result, error: { code: error.code, message: redactCredentials(error.message) }, runs: 0 };
}

// A status-file writer that fails must not stop the mirrors: it is told, and the run goes on.
async function guarded(hook: () => Promise<void> | void, cliLogger: CliLogger, name: string): Promise<void> {
  try {
    await hook();
  } catch (error) {
    cliLogger.logger.error({ mirror: name, err: describeError(error) }, 'a host run hook failed');
  }
}
