/**
 * What `sync --all` adds around each mirror's run for scheduling and publishing: the run takes
 * the mirror's pending triggers once it holds the lock, the host files are rebuilt when status.json
 * says `running` and again when the run ends (with the run counted), and the run's times come
 * from the CLI's clock.
 */
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { HostMirror, HostSettings } from '../host/types.js';
import type { FinalResult } from '../report/run-status.js';
import { pendingTriggers, takeTriggers } from '../schedule/triggers.js';
import type { SyncRequest } from '../sync/run-sync.js';
import { publishHost } from './host-files.js';

export interface HostRunContext {
  readonly host: HostSettings;
  readonly mirrors: readonly HostMirror[];
  readonly clock: () => Date;
  readonly logger: Logger;
}

/** How many runs one `sync --all` gives a mirror in a row while triggers keep arriving; the rest wait for the next tick. */
export const MAX_RUNS_IN_A_ROW = 3;

/** The fields of a mirror's SyncRequest that scheduling and publishing set. */
export function runExtras(context: HostRunContext, mirror: HostMirror, logger: Logger): Pick<SyncRequest, 'onLocked' | 'onStarted' | 'clock'> {
  const target = mirror.config.target;
  return {
    clock: context.clock,
    onLocked: async () => {
      if (target === undefined) return;
      const taken = await takeTriggers(target);
      if (taken > 0) logger.info({ requests: taken }, `this run serves ${taken === 1 ? 'a sync request' : `${taken} sync requests`}`);
    },
    onStarted: () => publish(context),
  };
}

/** After a mirror's run: count it and rebuild the host files. Never throws (logged). */
export async function afterRun(context: HostRunContext, mirror: string, result: FinalResult | 'syncing'): Promise<void> {
  await publish(context, result === 'syncing' ? undefined : { mirror, result });
}

/** Whether a request arrived while the mirror synced: Debian's push rule, one more run. */
export async function triggeredAgain(mirror: HostMirror): Promise<boolean> {
  const target = mirror.config.target;
  if (target === undefined) return false;
  return (await pendingTriggers(target).catch(() => [])).length > 0;
}

async function publish(context: HostRunContext, ended?: { mirror: string; result: FinalResult }): Promise<void> {
  try {
    await publishHost({ host: context.host, mirrors: context.mirrors, now: context.clock(), ...(ended === undefined ? {} : { ended }) });
  } catch (error) {
    context.logger.warn({ err: describeError(error) }, 'could not rewrite the host status or metrics file');
  }
}
