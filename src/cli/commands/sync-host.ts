import type { Config } from '../../config/types.js';
import { MirrorsyncError } from '../../errors.js';
import { loadHost, resolveConfigDir } from '../../host/load.js';
import { syncHostMirror } from '../../host/run-mirror.js';
import { isBroken, type HostMirror, type HostSettings } from '../../host/types.js';
import type { Logger } from '../../log.js';
import { afterRun, runExtras, type HostRunContext } from '../../publish/host-run.js';
import type { FinalResult } from '../../report/status-file.js';
import type { SyncReport, SyncRequest } from '../../sync/run-sync.js';
import { cliClock } from '../clock.js';
import type { CliContext } from '../context.js';

/** `sync NAME`: one mirror of a config dir, run as `sync --all` runs it (host limits, triggers, host files). */
export interface HostMirrorSync {
  readonly mirror: HostMirror;
  /** What the request adds for a host's mirror: its pending triggers, the host files. */
  readonly extras: Pick<SyncRequest, 'onLocked' | 'onStarted' | 'clock'>;
  /** `config`: the mirror's, with this run's flags applied (--max-delete-fraction). */
  sync(request: Omit<SyncRequest, 'config' | 'target' | 'gate' | 'filters'>, config: Config): Promise<SyncReport>;
  after(result: FinalResult | 'syncing'): Promise<void>;
}

// Kept apart from sync.ts and imported only for `sync NAME`: the host machinery is most of the
// code a single mirror's no-op would otherwise load for nothing.
export async function prepareHostMirror(name: string, configDir: string | undefined, context: CliContext, logger: Logger): Promise<HostMirrorSync> {
  const { host, mirror, mirrors } = await loadHostMirror(name, configDir, context);
  const run: HostRunContext = { host, mirrors, clock: cliClock(context.env), logger };
  return {
    mirror,
    extras: runExtras(run, mirror, logger),
    sync: (request, config) => syncHostMirror({ host, mirror: { ...mirror, config }, request }),
    after: (result) => afterRun(run, mirror.config.name, result),
  };
}

async function loadHostMirror(name: string, configDir: string | undefined, context: CliContext): Promise<{ host: HostSettings; mirror: HostMirror; mirrors: HostMirror[] }> {
  const { host, mirrors } = await loadHost(resolveConfigDir({ ...(configDir === undefined ? {} : { dir: configDir }), env: context.env, cwd: context.cwd }));
  const entry = mirrors.find((mirror) => mirror.name === name);
  if (entry === undefined) {
    throw new MirrorsyncError('usage.invalid', `no mirror named '${name}' in ${host.dir}/mirrors (${mirrors.map((mirror) => mirror.name).join(', ') || 'none'})`);
  }
  if (isBroken(entry)) throw entry.error;
  return { host, mirror: entry, mirrors: mirrors.filter((other): other is HostMirror => !isBroken(other)) };
}
