import { loadCommandConfig } from '../command-config.js';
import { describeError, MirrorsyncError } from '../../errors.js';
import { checkStateDir } from '../../report/state-dir.js';
import { inspectStatus, statusPath } from '../../report/status-file.js';
import { judgeStatus, unknownVerdict, verdictLine, type Thresholds } from '../../report/verdict.js';
import { isProcessAlive } from '../../util/process-alive.js';
import { exitCodeForVerdict } from '../exit-codes.js';
import { renderStatusDetails } from '../render-status.js';
import type { RunStatus } from '../../report/status-file.js';
import type { CliContext } from '../context.js';

export interface StatusOptions {
  readonly config?: string;
  readonly target?: string;
  /** Seconds. */
  readonly warning: number;
  /** Seconds; --max-age is its old name. */
  readonly critical?: number;
  readonly maxAge?: number;
  readonly json?: boolean;
}

export const DEFAULT_CRITICAL_SECONDS = 2 * 86_400;

/** --warning and --critical (or its old name --max-age) as thresholds; warning never above critical. */
export function thresholdsFrom(options: Pick<StatusOptions, 'warning' | 'critical' | 'maxAge'>): Thresholds {
  const critical = options.critical ?? options.maxAge ?? DEFAULT_CRITICAL_SECONDS;
  return { warningSeconds: Math.min(options.warning, critical), criticalSeconds: critical };
}

/**
 * A monitoring plugin (Nagios/Icinga/monitoring-plugins): one first line with perfdata, details
 * after it, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. Nothing it meets is an error: a missing
 * or unreadable status, even a bad config, is UNKNOWN, so the monitoring shows why.
 */
export async function statusCommand(options: StatusOptions, context: CliContext): Promise<number> {
  const thresholds = thresholdsFrom(options);
  const found = await findStatus(options, context);
  const verdict = 'status' in found ? judgeStatus(found.status, new Date(), thresholds, isProcessAlive) : unknownVerdict(found.problem.message, thresholds);
  const exitCode = exitCodeForVerdict(verdict.state);
  if (options.json === true) {
    const verdictJson = { state: verdict.state, exitCode, line: verdictLine(verdict), summary: verdict.summary, ageSeconds: verdict.ageSeconds, ...verdict.thresholds };
    const document =
      'status' in found
        ? { ...found.status, verdict: verdictJson }
        : { result: 'failed', error: { code: found.problem.code, message: found.problem.message }, exitCode, verdict: verdictJson };
    context.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  } else {
    context.stdout.write(`${verdictLine(verdict)}\n${'status' in found ? renderStatusDetails(found.status, found.target) : ''}`);
  }
  return exitCode;
}

type Found = { readonly status: RunStatus; readonly target: string } | { readonly problem: { readonly code: string; readonly message: string } };

async function findStatus(options: StatusOptions, context: CliContext): Promise<Found> {
  let target: string;
  try {
    target = await resolveTarget(options, context);
  } catch (error) {
    return { problem: error instanceof MirrorsyncError ? { code: error.code, message: error.message.replace(/\n/g, '; ') } : { code: 'internal', message: describeError(error) } };
  }
  try {
    // A state folder that is a link or of the wrong type is not read through: UNKNOWN, saying why.
    await checkStateDir(target);
  } catch (error) {
    if (error instanceof MirrorsyncError) return { problem: { code: error.code, message: error.message } };
    throw error;
  }
  const read = await inspectStatus(target);
  if (read.kind === 'ok') return { status: read.status, target };
  const message = read.kind === 'missing' ? `no status at ${statusPath(target)}: mirrorsync has not run on this target yet` : `unreadable status: ${read.problem}`;
  return { problem: { code: 'status.missing', message } };
}

async function resolveTarget(options: StatusOptions, context: CliContext): Promise<string> {
  try {
    const config = await loadCommandConfig(options, context);
    if (config.target !== undefined) return config.target;
  } catch (error) {
    // A monitoring host may have only the mirror, not its config: --target alone is enough.
    if (!(error instanceof MirrorsyncError && error.code === 'config.notFound' && options.target !== undefined)) throw error;
    return options.target;
  }
  throw new MirrorsyncError('usage.invalid', 'no target: set "target" in the config or pass --target');
}

