import { loadCommandConfig } from '../command-config.js';
import { MirrorsyncError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { inspectStatus, statusPath } from '../../report/status-file.js';
import { judgeStatus, renderStatus } from '../render-status.js';
import type { CliContext } from '../context.js';

export interface StatusOptions {
  readonly config?: string;
  readonly target?: string;
  /** Seconds. */
  readonly maxAge: number;
  readonly json?: boolean;
}

/** Prints the target's last run; the exit status makes it a monitoring check (0 healthy, 1 not). */
export async function statusCommand(options: StatusOptions, context: CliContext, logger: Logger): Promise<number> {
  const target = await resolveTarget(options, context);
  const read = await inspectStatus(target);
  if (read.kind !== 'ok') {
    const message = read.kind === 'missing' ? `no status at ${statusPath(target)}: mirrorsync has not run on this target yet` : `unreadable status at ${statusPath(target)}: ${read.problem}`;
    if (options.json === true) context.stdout.write(`${JSON.stringify({ healthy: false, problem: message })}\n`);
    throw new MirrorsyncError('status.missing', message);
  }
  const verdict = judgeStatus(read.status, options.maxAge, new Date());
  if (!verdict.healthy) logger.debug({ problem: verdict.problem }, 'unhealthy');
  context.stdout.write(options.json === true ? `${JSON.stringify(read.status, null, 2)}\n` : renderStatus(read.status, verdict, target));
  return verdict.healthy ? 0 : 1;
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
