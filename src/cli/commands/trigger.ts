import { loadHost, resolveConfigDir } from '../../host/load.js';
import { isBroken } from '../../host/types.js';
import { MirrorsyncError } from '../../errors.js';
import { recordTrigger } from '../../schedule/triggers.js';
import { cliClock } from '../clock.js';
import type { CliContext } from '../context.js';

export interface TriggerOptions {
  readonly configDir?: string;
}

// A mirror name as the loader accepts it: no path, no option, nothing a shell or a log would read twice.
const MIRROR_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Records a request to sync NAME and exits at once; the next `sync --all --due` runs it. Made to
 * sit behind an ssh `command=` line: it takes only the name of a mirror the config dir has, and
 * anything else (a path, an option, another mirror's file) is refused before any file is touched.
 */
export async function triggerCommand(name: string, options: TriggerOptions, context: CliContext): Promise<number> {
  if (!MIRROR_NAME.test(name)) throw new MirrorsyncError('usage.invalid', `${JSON.stringify(name)} is not a mirror name (letters, digits, '.', '_' and '-')`);
  const dir = resolveConfigDir({ ...(options.configDir === undefined ? {} : { dir: options.configDir }), env: context.env, cwd: context.cwd });
  const { mirrors } = await loadHost(dir);
  const entry = mirrors.find((candidate) => candidate.name === name);
  if (entry === undefined) throw new MirrorsyncError('usage.invalid', `no mirror named ${name} in ${dir}/mirrors`);
  if (isBroken(entry)) throw entry.error;
  const target = entry.config.target;
  if (target === undefined) throw new MirrorsyncError('config.invalid', `${entry.file}: target: is required in a mirror file`);
  const recorded = await recordTrigger(target, cliClock(context.env)());
  context.stdout.write(
    recorded ? `${name}: sync requested; the next \`mirrorsync sync --all --due\` runs it\n` : `${name}: has not synced yet; the next \`mirrorsync sync --all --due\` runs it anyway\n`,
  );
  return 0;
}
