import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadCommandConfig } from '../command-config.js';
import { MirrorsyncError } from '../../errors.js';
import { renderRsyncdConf } from '../../ops/rsyncd-conf.js';
import { refuseUnsafeTarget } from '../../sync/preflight.js';
import type { CliContext } from '../context.js';

export interface RsyncdConfOptions {
  readonly config?: string;
  readonly target?: string;
}

/** Prints an rsyncd.conf serving the target read-only, fit for whoever runs this (root or not). */
export async function rsyncdConfCommand(options: RsyncdConfOptions, context: CliContext): Promise<number> {
  const config = await loadCommandConfig(options, context);
  if (config.target === undefined) throw new MirrorsyncError('usage.invalid', `no target: set "target" in ${config.file} or pass --target`);
  // The module would publish the target as it is: the same refusals as a sync, since serving
  // /usr/local or a link to /etc read-only to anyone is as wrong as syncing into it.
  refuseUnsafeTarget(config.target, 'not published');
  const root = process.getuid?.() === 0;
  context.stdout.write(
    renderRsyncdConf({
      name: config.name,
      target: config.target,
      configFile: config.file,
      // Only root may write /run; anyone else keeps the lock file next to the config.
      lockFile: root ? `/run/rsyncd-${config.name}.lock` : join(dirname(config.file), `rsyncd-${config.name}.lock`),
      ...(root ? { root: { group: nobodyGroup() } } : {}),
    }),
  );
  return 0;
}

// Debian calls the unprivileged group "nogroup", Red Hat and others "nobody".
function nobodyGroup(): string {
  try {
    return /^nogroup:/m.test(readFileSync('/etc/group', 'utf8')) ? 'nogroup' : 'nobody';
  } catch {
    return 'nobody';
  }
}
