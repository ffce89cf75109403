import { cronExpression, describeCadence, planCadence } from './cadence.js';
import { cronCommand, shellWord } from './quote.js';

export type ScheduleFormat = 'cron' | 'systemd' | 'kubernetes';

/** What a schedule for one mirror needs; every path absolute. */
export interface MirrorSchedule {
  /** Seconds between runs (--every). */
  readonly everySeconds: number;
  /** The node binary (process.execPath). */
  readonly node: string;
  /** The mirrorsync CLI script run with node. */
  readonly cli: string;
  /** config.name: names units, logs, jobs and the minute offset. */
  readonly name: string;
  /** The config file the scheduled sync reads. */
  readonly configFile: string;
  readonly target: string;
  /** rsync.maxDurationSeconds, the per-pass limit mirrorsync enforces itself. */
  readonly maxDurationSeconds: number;
  /** The dedicated unprivileged user the runs are for (--user); root when absent. */
  readonly user?: ScheduleUser;
}

/** A system user: its name for cron and systemd, its ids (when known here) for Kubernetes. */
export interface ScheduleUser {
  readonly name: string;
  readonly uid?: number;
  readonly gid?: number;
}

/** A user name cron, systemd and useradd all take: no spaces, no shell or unit syntax. */
export const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/** Where cron jobs append their stderr. */
export const LOG_DIR = '/var/log/mirrorsync';
/** Where systemd instance units look for `<instance>.json`. */
export const CONFIG_DIR = '/etc/mirrorsync';

/**
 * A backstop for the scheduler (systemd's TimeoutStartSec, a Job's activeDeadlineSeconds), not
 * the limit itself: mirrorsync stops each rsync pass after maxDurationSeconds, and one run may
 * hold a bulk pass and a catch-up pass, plus probes and the trace pass.
 */
export function runDeadlineSeconds(maxDurationSeconds: number): number {
  return 2 * maxDurationSeconds + 600;
}

/** The argv of the scheduled sync, before quoting. */
export function syncArgv(input: Pick<MirrorSchedule, 'node' | 'cli' | 'configFile'>): string[] {
  return [input.node, input.cli, 'sync', '--config', input.configFile];
}

/**
 * A user crontab line for `crontab -e`, with comments saying how to install it; with a user, an
 * /etc/cron.d line that names it (the sixth field), so the runs are that user's.
 */
export function renderCron(input: MirrorSchedule): string {
  const cadence = planCadence(input.everySeconds, input.name, 'cron');
  const errFile = `${LOG_DIR}/${input.name}.err`;
  const logFile = `${LOG_DIR}/${input.name}.log`;
  const command = [...syncArgv(input), '--quiet', '--log-file', logFile].map(shellWord).join(' ');
  const user = input.user?.name;
  const line = `${cronExpression(cadence)} ${user === undefined ? '' : `${user} `}${cronCommand(`${command} 2>>${shellWord(errFile)}`)}`;
  // cron ignores /etc/cron.d files whose names hold a dot.
  const cronFile = `/etc/cron.d/mirrorsync-${input.name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const install =
    user === undefined
      ? [
          `# Install: \`crontab -e\` as the user that owns ${input.target}, and paste the last line.`,
          `# For ${cronFile} instead, add that user's name after the five time fields.`,
          `# Create the log folder first: mkdir -p ${shellWord(LOG_DIR)} (writable by that user).`,
        ]
      : [
          `# Install: save the last line as ${cronFile}; the runs are ${user}'s, who must own`,
          `# ${input.target} and ${LOG_DIR}: install -d -o ${user} -g ${user} ${shellWord(input.target)} ${shellWord(LOG_DIR)}`,
        ];
  return [
    `# mirrorsync: sync the ${input.name} mirror ${describeCadence(cadence)}.`,
    '# The minute comes from the mirror\'s name, so mirrors sharing a master do not all start at once.',
    '#',
    ...install,
    '#',
    `# Every run logs to ${logFile} (JSON lines; see the README's logrotate snippet). --quiet leaves`,
    `# only warnings and errors on stderr, appended to ${errFile} (drop the "2>>" part to have cron`,
    '# mail them instead). The last run\'s details stay in',
    `# ${input.target}/.mirrorsync/ (status.json, last-run.log); \`mirrorsync status\` is the monitoring check.`,
    '# A run still going when the next one is due keeps its lock; the next one exits 75 at once.',
    line,
    '',
  ].join('\n');
}
