import { describeError, MirrorsyncError } from '../../errors.js';
import { withFields } from '../../log.js';
import { loadHost, resolveConfigDir } from '../../host/load.js';
import { runEach, type HostRunHooks } from '../../host/run-all.js';
import { syncHostMirror } from '../../host/run-mirror.js';
import { isBroken, type MirrorEntry } from '../../host/types.js';
import { runHooks } from '../../report/hooks.js';
import { redactCredentials } from '../../report/run-log.js';
import type { RequestedMode } from '../../sync/plan.js';
import { SyncFailure, type SyncReport } from '../../sync/run-sync.js';
import type { CliContext } from '../context.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import type { CliLogger } from '../logger.js';
import { renderTable } from '../table.js';

export interface SyncAllOptions {
  readonly configDir?: string;
  readonly mode: RequestedMode;
  readonly full?: boolean;
  readonly json?: boolean;
}

/** One line of `sync --all`: what `sync NAME` would have exited with, and why. */
export interface MirrorRow {
  readonly name: string;
  readonly exitCode: number;
  /** status.json's result, or `syncing` (another run holds its lock: skipped). */
  readonly result: 'synced' | 'noop' | 'failed' | 'interrupted' | 'syncing';
  readonly error: { readonly code: string; readonly message: string } | null;
}

const FINE = new Set<MirrorRow['result']>(['synced', 'noop', 'syncing']);

/**
 * Every mirror of the config dir, in this process, at most maxConcurrentJobs at once (and within
 * the host's slots, shared with every other process). Exit 0 when every row is fine, 1 otherwise;
 * 78 (thrown) when host.json is invalid; the signal's status when interrupted.
 */
export async function syncAllCommand(options: SyncAllOptions, context: CliContext, cliLogger: CliLogger, hooks: HostRunHooks<MirrorRow> = {}): Promise<number> {
  const { host, mirrors } = await loadHost(resolveConfigDir({ ...(options.configDir === undefined ? {} : { dir: options.configDir }), env: context.env, cwd: context.cwd }));
  if (mirrors.length === 0) cliLogger.logger.warn({ dir: host.dir }, `no mirror files in ${host.dir}/mirrors`);
  const runOne = (entry: MirrorEntry) => syncEntry(entry, options, context, cliLogger, host);
  const rows = await runEach(mirrors, host.maxConcurrentJobs, runOne, {
    onMirrorStart: (entry) => guarded(() => hooks.onMirrorStart?.(entry), cliLogger, entry.name),
    onMirrorEnd: (entry, row) => guarded(() => hooks.onMirrorEnd?.(entry, row), cliLogger, entry.name),
  });
  if (options.json === true) context.stdout.write(`${JSON.stringify({ mirrors: rows }, null, 2)}\n`);
  else context.stdout.write(renderTable(['MIRROR', 'RESULT', 'EXIT', 'ERROR'], rows.map((row) => [row.name, row.result, String(row.exitCode), row.error?.message.split('\n')[0] ?? ''])));
  if (context.signal.aborted && context.signal.reason instanceof MirrorsyncError) return exitCodeFor(context.signal.reason.code);
  return rows.every((row) => FINE.has(row.result)) ? EXIT.ok : EXIT.failed;
}

async function syncEntry(entry: MirrorEntry, options: SyncAllOptions, context: CliContext, cliLogger: CliLogger, host: Parameters<typeof syncHostMirror>[0]['host']): Promise<MirrorRow> {
  const logger = withFields(cliLogger.logger, { mirror: entry.name });
  if (isBroken(entry)) {
    logger.error({ file: entry.file }, entry.error.message);
    return failedRow(entry.name, entry.error);
  }
  let report: SyncReport | undefined;
  let row: MirrorRow;
  try {
    report = await syncHostMirror({ host, mirror: entry, request: { mode: options.mode, full: options.full === true, signal: context.signal, logger, version: context.version } });
    row = { name: entry.name, exitCode: EXIT.ok, result: report.status.result === 'noop' ? 'noop' : 'synced', error: null };
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
  return { name, exitCode: exitCodeFor(error.code), result, error: { code: error.code, message: redactCredentials(error.message) } };
}

// A status-file writer that fails must not stop the mirrors: it is told, and the run goes on.
async function guarded(hook: () => Promise<void> | void, cliLogger: CliLogger, name: string): Promise<void> {
  try {
    await hook();
  } catch (error) {
    cliLogger.logger.error({ mirror: name, err: describeError(error) }, 'a host run hook failed');
  }
}
