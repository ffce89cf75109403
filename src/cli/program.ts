import { Command, CommanderError, Option } from 'commander';
import { MAX_DELETE_FRACTION } from '../config/defaults.js';
import { asMirrorsyncError, MirrorsyncError } from '../errors.js';
import { LEVEL_VALUES, LOG_LEVELS, type LogLevel } from '../log.js';
import { parseDuration } from '../util/duration.js';
import type { ScheduleOptions } from './commands/schedule.js';
import type { CliContext } from './context.js';
import { failureDocument, trackWrites, wantsJson } from './json-failure.js';
import { createCliLogger, type CliLogger } from './logger.js';

interface CommonOptions {
  config?: string;
  target?: string;
  json?: boolean;
  logLevel?: LogLevel;
  logFile?: string;
  quiet?: boolean;
}

/** Parses argv and runs one command; resolves to the exit status, rejects with MirrorsyncError. */
export async function runCli(argv: readonly string[], outerContext: CliContext): Promise<number> {
  const json = wantsJson(argv);
  const stdout = trackWrites(outerContext.stdout);
  const context: CliContext = { ...outerContext, stdout: stdout.stream };
  let status = 0;
  const program = new Command('mirrorsync')
    .description('Keep a software mirror in sync: probe sources, rank them, run one locked rsync, fail over, report.')
    .version(context.version, '-V, --version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (text) => context.stdout.write(text), writeErr: (text) => context.stderr.write(text) });

  const configOption = () => new Option('-c, --config <file>', 'sources.json to read (default $MIRRORSYNC_CONFIG, then ./sources.json)');
  const targetOption = () => new Option('-t, --target <dir>', 'mirror directory (overrides the config\'s target)');
  const modeOption = () => new Option('--mode <mode>', 'initial (bootstrap), incremental, or auto: initial when the target is empty').choices(['auto', 'initial', 'incremental']).default('auto');
  const configDirOption = () => new Option('--config-dir <dir>', "a host's config dir: host.json and mirrors/*.json (default $MIRRORSYNC_CONFIG_DIR, then /etc/mirrorsync)");
  const jsonOption = () => new Option('--json', 'print one JSON document on stdout and nothing else there');
  const logOptions = (command: Command) =>
    command
      .addOption(new Option('--log-level <level>', 'log threshold').choices(LOG_LEVELS).default('info'))
      .addOption(new Option('--log-file <path>', 'also append JSON log lines here (reopened on SIGHUP)'))
      .addOption(new Option('-q, --quiet', 'only warnings and errors on stderr, no progress'));

  const run = (name: string, action: (options: never, logger: CliLogger) => Promise<number>) =>
    async (options: CommonOptions) => {
      const level = options.logLevel ?? 'info';
      const cliLogger = createCliLogger({
        level,
        // --quiet quiets the terminal (and cron's mail), not the log file.
        ...(options.quiet === true && LEVEL_VALUES[level] < LEVEL_VALUES.warn ? { stderrLevel: 'warn' as const } : {}),
        stderr: context.stderr,
        pretty: context.stderrIsTTY,
        ...(options.logFile === undefined ? {} : { file: options.logFile }),
      });
      const reopen = () => cliLogger.reopen();
      process.on('SIGHUP', reopen);
      try {
        cliLogger.logger.debug({ command: name }, 'start');
        status = await action(options as never, cliLogger);
      } finally {
        process.off('SIGHUP', reopen);
        cliLogger.close();
      }
    };

  logOptions(
    program
      .command('sync')
      .description('probe, rank, and sync the target from the best source, failing over to the next')
      .argument('[name]', 'one mirror of the config dir (--config-dir), within the host limits')
      .option('--all', 'every mirror of the config dir, within the host limits')
      .option('--due', "with --all: only the mirrors whose schedule says so or whose trigger waits (the host timer's tick)")
      .option('--config-dir <dir>', 'a host\'s config dir: host.json and mirrors/*.json (default $MIRRORSYNC_CONFIG_DIR, then /etc/mirrorsync)')
      .addOption(configOption())
      .addOption(targetOption())
      .addOption(modeOption())
      .option('-s, --source <name>', 'sync from this source only (still refused when unsafe)')
      .option('--full', 'run an rsync pass even when nothing is new (verifies the tree)')
      .option('-n, --dry-run', 'print the plan and the exact rsync command; change nothing')
      .addOption(jsonOption())
      .option('--metrics-file <path>', 'write Prometheus metrics here (node_exporter textfile collector)')
      .addOption(new Option('--max-delete-fraction <fraction>', 'rsync.maxDeleteFraction for this run only (e.g. 1 to accept the deletions of a pass stopped at the cap)').argParser(parseFractionOption)),
  ).action((name: string | undefined, options: CommonOptions) =>
    run('sync', async (parsed: { all?: boolean; due?: boolean }, logger) => {
      if (parsed.due === true && (parsed.all !== true || name !== undefined)) throw new MirrorsyncError('usage.invalid', '--due goes with --all (the host timer runs sync --all --due)');
      // The timer's tick loads only what deciding needs; the sync machinery comes when a mirror is due.
      if (parsed.due === true) return (await import('./commands/sync-due.js')).syncDueCommand(parsed as never, context, logger);
      return (await import('./commands/sync.js')).syncCommand({ ...parsed, ...(name === undefined ? {} : { name }) } as never, context, logger);
    })(options),
  );

  const sources = program.command('sources').description('inspect the configured sources');
  logOptions(
    sources
      .command('rank')
      .description('probe every source and show the order a sync would try them in, and why')
      .addOption(configOption())
      .addOption(targetOption())
      .addOption(modeOption())
      .addOption(jsonOption()),
  ).action(run('sources rank', async (options, logger) => (await import('./commands/sources-rank.js')).sourcesRankCommand(options, context, logger.logger)));
  logOptions(
    sources.command('list').description('list the configured sources without probing them').addOption(configOption()).addOption(jsonOption()),
  ).action(run('sources list', async (options) => (await import('./commands/sources-list.js')).sourcesListCommand(options, context)));

  logOptions(
    program
      .command('status')
      .description("a monitoring plugin: the target's last run as OK, WARNING, CRITICAL or UNKNOWN (exit 0, 1, 2, 3)")
      .addOption(configOption())
      .addOption(targetOption())
      .addOption(new Option('--warning <duration>', 'WARNING when the last success is older (e.g. 12h, 1d)').default(86_400, '1d').argParser(parseDurationOption))
      .addOption(new Option('--critical <duration>', 'CRITICAL when no success is this recent (default 2d)').argParser(parseDurationOption))
      .addOption(new Option('--max-age <duration>', 'the old name of --critical').argParser(parseDurationOption))
      .addOption(jsonOption())
      .option('--all', "every mirror of the config dir: a row each; exits with the worst mirror's verdict")
      .addOption(configDirOption())
      .addOption(new Option('--format <format>', 'with --all: print the mirrors as tunasync /jobs JSON (as --json does) or mirrorz entries').choices(['tunasync', 'mirrorz'])),
  ).action(
    run('status', async (options: { all?: boolean }) =>
      options.all === true
        ? (await import('./commands/status-all.js')).statusAllCommand(options as never, context)
        : (await import('./commands/status.js')).statusCommand(options as never, context),
    ),
  );

  logOptions(
    program
      .command('trigger')
      .description('ask for a sync of one mirror of the host now (an upstream push); the next sync --all --due runs it')
      .argument('<name>', 'the mirror, as named in the config dir')
      .addOption(configDirOption()),
  ).action((name: string, options: CommonOptions) => run('trigger', async (parsed: object) => (await import('./commands/trigger.js')).triggerCommand(name, parsed, context))(options));

  const schedule = program.command('schedule');
  logOptions(
    schedule
      .description('print a crontab line, systemd units or a Kubernetes CronJob that run mirrorsync sync')
      .addOption(configOption())
      .addOption(new Option('--format <format>', 'what to print').choices(['cron', 'systemd', 'kubernetes']).makeOptionMandatory())
      .option('--template', 'systemd: print mirrorsync@.service/.timer instance units, one config per mirror')
      .addOption(new Option('--every <duration>', 'how often to sync (e.g. 10m, 1h, 6h)').default(6 * 3_600, '6h').argParser(parseDurationOption))
      .option('--all', 'the one line or timer of a host: sync --all --due every 5 minutes (cron or systemd)')
      .addOption(configDirOption())
      .option('--network', 'schedule `network check` then `network report --out DIR` instead (hourly unless --every)')
      .option('--out <dir>', 'with --network: where the report is written')
      .option('--db <file>', 'with --network: the history database')
      .option('--user <name>', "run as this dedicated unprivileged user (cron.d user field, systemd User=, Kubernetes runAsUser)"),
  ).action(
    run('schedule', async (options: ScheduleOptions & { all?: boolean }) =>
      options.all === true && options.user !== undefined
        ? Promise.reject(new MirrorsyncError('usage.invalid', '--user applies to one mirror\'s schedule, not to --all yet: set User= in the printed unit or the user field of the cron line'))
        : options.all === true
        ? (await import('./commands/schedule-all.js')).scheduleAllCommand(options as never, context)
        : (await import('./commands/schedule.js')).scheduleCommand({ ...options, everyGiven: schedule.getOptionValueSource('every') === 'cli' }, context),
    ),
  );

  const network = program.command('network').description("watch the network: check every source and its own published status, report on the history");
  const dbOption = () => new Option('--db <file>', "history database (default <config's folder>/<name>-network.sqlite)");
  logOptions(
    network
      .command('check')
      .description('probe every source once (rsync and HTTP apart), read its own status, and record it; exits 69 when most sources failed')
      .addOption(configOption())
      .addOption(dbOption())
      .addOption(jsonOption()),
  ).action(run('network check', async (options, logger) => (await import('./commands/network-check.js')).networkCheckCommand(options, context, logger.logger)));
  logOptions(
    network
      .command('report')
      .description('write DIR/index.html (a self-contained page) and DIR/status.json (archweb v3 fields) from the history')
      .addOption(configOption())
      .addOption(dbOption())
      .requiredOption('-o, --out <dir>', 'folder to write index.html and status.json in')
      .addOption(new Option('--cutoff <duration>', 'history scored, as archweb\'s cutoff').default(86_400, '1d').argParser(parseDurationOption)),
  ).action(run('network report', async (options) => (await import('./commands/network-report.js')).networkReportCommand(options, context)));

  logOptions(
    program
      .command('rsyncd-conf')
      .description('print an rsyncd.conf module that serves the target read-only to other mirrors')
      .addOption(configOption())
      .addOption(targetOption()),
  ).action(run('rsyncd-conf', async (options) => (await import('./commands/rsyncd-conf.js')).rsyncdConfCommand(options, context)));

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    // --help and --version end with 0; help shown because a command was missing is a usage error.
    if (error instanceof CommanderError && error.exitCode === 0) return 0;
    const failure =
      error instanceof CommanderError
        ? // commander has already printed the problem (and the hint to --help) on stderr.
          new MirrorsyncError('usage.invalid', error.message.replace(/^error: /, ''), { cause: error, details: { alreadyShown: true } })
        : asMirrorsyncError(error);
    if (json && !stdout.written()) context.stdout.write(failureDocument(failure));
    throw failure;
  }
  return status;
}

function parseFractionOption(value: string): number {
  const { exclusiveMin, max } = MAX_DELETE_FRACTION;
  const fraction = /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!(fraction > exclusiveMin && fraction <= max)) throw new CommanderError(64, 'commander.invalidArgument', `'${value}' is not a fraction greater than ${exclusiveMin} and at most ${max} (e.g. 0.5)`);
  return fraction;
}

function parseDurationOption(value: string): number {
  const seconds = parseDuration(value);
  if (seconds === undefined || seconds <= 0) throw new CommanderError(64, 'commander.invalidArgument', `'${value}' is not a duration (try 90s, 10m, 6h or 2d)`);
  return seconds;
}
