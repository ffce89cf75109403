import { loadHost, resolveConfigDir } from '../../host/load.js';
import { isBroken, type HostMirror } from '../../host/types.js';
import { viewMirrors } from '../../publish/gather.js';
import { cliClock } from '../clock.js';
import type { CliContext } from '../context.js';
import { checkHostFlags, type HostFlags } from '../host-flags.js';
import type { CliLogger } from '../logger.js';
import type { SyncAllOptions } from './sync-all.js';

/**
 * `sync --all --due`, the host timer's tick: the mirrors whose schedule says so or whose trigger
 * waits (never inside their notBetween window), within the host limits. Most ticks find none, so
 * that path reads each mirror's status and trigger folder and stops there: the sync machinery
 * is loaded only when a mirror is due. A mirror file that is invalid is reported every tick.
 */
export async function syncDueCommand(options: SyncAllOptions & HostFlags, context: CliContext, cliLogger: CliLogger): Promise<number> {
  checkHostFlags(options, '--all');
  const loaded = await loadHost(resolveConfigDir({ ...(options.configDir === undefined ? {} : { dir: options.configDir }), env: context.env, cwd: context.cwd }));
  const now = cliClock(context.env)();
  const valid = loaded.mirrors.filter((entry): entry is HostMirror => !isBroken(entry));
  const views = await viewMirrors(valid, now);
  const due = new Set(loaded.mirrors.filter(isBroken).map((entry) => entry.name));
  for (const view of views) {
    if (view.due.due) due.add(view.mirror.name);
    cliLogger.logger.debug({ mirror: view.mirror.name, due: view.due.due, why: view.due.why, next: view.facts.next.toISOString() }, view.due.due ? 'due' : 'not due');
  }
  if (due.size === 0) {
    if (options.json === true) context.stdout.write(`${JSON.stringify({ mirrors: [] }, null, 2)}\n`);
    return 0;
  }
  const { syncAllCommand } = await import('./sync-all.js');
  return syncAllCommand({ ...options, only: [...due], loaded }, context, cliLogger);
}
