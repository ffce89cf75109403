import { dirname, resolve } from 'node:path';
import { RSYNC_DEFAULTS } from '../../config/defaults.js';
import { loadCommandConfig } from '../command-config.js';
import type { Config } from '../../config/types.js';
import { MirrorsyncError } from '../../errors.js';
import { renderKubernetes } from '../../ops/schedule-kubernetes.js';
import { renderSystemd, renderSystemdTemplate } from '../../ops/schedule-systemd.js';
import { readFile } from 'node:fs/promises';
import { renderCron, USER_NAME, type MirrorSchedule, type ScheduleFormat, type ScheduleUser } from '../../ops/schedule.js';
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
  /** --user: the dedicated user the runs are for. */
  readonly user?: string;
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
  if ((options.network === true || options.out !== undefined) && options.user !== undefined) {
    throw new MirrorsyncError('usage.invalid', '--user applies to a mirror\'s sync schedule, not to --network yet');
  }
  if (options.network === true || options.out !== undefined) return scheduleNetwork(options, context, node, cli);
  const user = options.user === undefined ? undefined : await scheduleUser(options.user, options.format);
  if (options.template === true) {
    const config = await loadOptionalConfig(options, context);
    context.stdout.write(
      renderSystemdTemplate({
        everySeconds: options.every,
        node,
        cli,
        writableRoot: mirrorsRoot(config?.target),
        maxDurationSeconds: config?.rsync.maxDurationSeconds ?? RSYNC_DEFAULTS.maxDurationSeconds,
        ...(user === undefined ? {} : { user }),
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
    ...(user === undefined ? {} : { user }),
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
 * The --user: a name cron and systemd take as is, and its ids from this host's /etc/passwd, which
 * a Kubernetes securityContext needs (numbers only). Root is refused: it is what runs by default.
 */
async function scheduleUser(name: string, format: ScheduleFormat): Promise<ScheduleUser> {
  if (!USER_NAME.test(name)) throw new MirrorsyncError('usage.invalid', `--user ${JSON.stringify(name)} is not a user name (lower-case letters, digits, _ and -, at most 32)`);
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const entry = passwd.split('\n').map((line) => line.split(':')).find((fields) => fields[0] === name);
  const uid = Number(entry?.[2]);
  const gid = Number(entry?.[3]);
  if (entry !== undefined && uid === 0) throw new MirrorsyncError('usage.invalid', `--user ${name} is root: create a dedicated unprivileged user (see the README's Security model)`);
  if (entry === undefined || !Number.isSafeInteger(uid) || !Number.isSafeInteger(gid)) {
    if (format === 'kubernetes') throw new MirrorsyncError('usage.invalid', `--user ${name} is not in /etc/passwd here: runAsUser needs its ids; create the user first (see the README's Security model)`);
    return { name };
  }
  return { name, uid, gid };
}
