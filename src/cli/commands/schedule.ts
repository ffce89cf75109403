import { dirname, resolve } from 'node:path';
import { RSYNC_DEFAULTS } from '../../config/defaults.js';
import { loadCommandConfig } from '../command-config.js';
import type { Config } from '../../config/types.js';
import { MirrorsyncError } from '../../errors.js';
import { renderKubernetes } from '../../ops/schedule-kubernetes.js';
import { renderSystemd, renderSystemdTemplate } from '../../ops/schedule-systemd.js';
import { renderCron, type MirrorSchedule, type ScheduleFormat } from '../../ops/schedule.js';
import { renderNetworkCron, renderNetworkSystemd } from '../../ops/schedule-network.js';
import { historyDbPath } from '../../network/db-path.js';
import type { CliContext } from '../context.js';

export interface ScheduleOptions {
  readonly config?: string;
  readonly format: ScheduleFormat;
  /** systemd only: instance units for many mirrors. */
  readonly template?: boolean;
  /** Seconds between runs (already parsed from --every). */
  readonly every: number;
  /** Whether --every was given (a network schedule is hourly otherwise). */
  readonly everyGiven?: boolean;
  /** Schedule `network check` and `network report --out` instead of sync. */
  readonly network?: boolean;
  readonly out?: string;
  readonly db?: string;
}

/** Where the template's instances may write when no config names a target. */
const DEFAULT_MIRRORS_ROOT = '/srv/mirror';

/** Prints what to install so that `mirrorsync sync` runs on a schedule. */
export async function scheduleCommand(options: ScheduleOptions, context: CliContext): Promise<number> {
  if (options.template === true && options.format !== 'systemd') {
    throw new MirrorsyncError('usage.invalid', `--template applies to --format systemd only (instance units), not to --format ${options.format}`);
  }
  const node = process.execPath;
  // The script this run was started with (bin/mirrorsync.js once installed), made absolute.
  const cli = resolve(context.cwd, context.entryScript);
  if (options.network === true || options.out !== undefined) return scheduleNetwork(options, context, node, cli);
  if (options.template === true) {
    const config = await loadOptionalConfig(options, context);
    context.stdout.write(
      renderSystemdTemplate({
        everySeconds: options.every,
        node,
        cli,
        writableRoot: mirrorsRoot(config?.target),
        maxDurationSeconds: config?.rsync.maxDurationSeconds ?? RSYNC_DEFAULTS.maxDurationSeconds,
      }),
    );
    return 0;
  }
  const config = await loadCommandConfig({ config: options.config }, context);
  if (config.target === undefined) {
    throw new MirrorsyncError('usage.invalid', `no target: set "target" in ${config.file}; the scheduled sync reads it from there`);
  }
  const input: MirrorSchedule = {
    everySeconds: options.every,
    node,
    cli,
    name: config.name,
    configFile: config.file,
    target: config.target,
    maxDurationSeconds: config.rsync.maxDurationSeconds,
  };
  const text =
    options.format === 'cron' ? renderCron(input)
    : options.format === 'systemd' ? renderSystemd(input)
    : renderKubernetes({ ...input, version: context.version });
  context.stdout.write(text);
  return 0;
}

async function scheduleNetwork(options: ScheduleOptions, context: CliContext, node: string, cli: string): Promise<number> {
  if (options.network !== true || options.out === undefined) throw new MirrorsyncError('usage.invalid', '--network needs --out DIR (where the report is written), and --out goes with --network');
  if (options.format === 'kubernetes' || options.template === true) throw new MirrorsyncError('usage.invalid', '--network prints --format cron or systemd');
  const config = await loadCommandConfig({ config: options.config }, context);
  const input = {
    everySeconds: options.everyGiven === true ? options.every : 3_600,
    node,
    cli,
    name: config.name,
    configFile: config.file,
    outDir: resolve(context.cwd, options.out),
    dbFile: historyDbPath(config, options.db, context.cwd),
  };
  context.stdout.write(options.format === 'cron' ? renderNetworkCron(input) : renderNetworkSystemd(input));
  return 0;
}

// Instance units serve many mirrors, so a config is only a hint (its target's parent): without
// one, the defaults do.
async function loadOptionalConfig(options: ScheduleOptions, context: CliContext): Promise<Config | undefined> {
  try {
    return await loadCommandConfig({ config: options.config }, context);
  } catch (error) {
    if (options.config === undefined && error instanceof MirrorsyncError && error.code === 'config.notFound') return undefined;
    throw error;
  }
}

function mirrorsRoot(target: string | undefined): string {
  if (target === undefined) return DEFAULT_MIRRORS_ROOT;
  const parent = dirname(target);
  // A target right under / would make its parent the whole file system: keep it to the target.
  return parent === '/' ? target : parent;
}

/**
 * The script a scheduled job runs with node, as an absolute path (cron and systemd have no
 * useful PATH): the package's bin/mirrorsync.js when it loads this very build, else this
 * build's own entry point (a build in another outDir).
 */
