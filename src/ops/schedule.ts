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
}

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

/** A user crontab line for `crontab -e`, with comments saying how to install it. */
export function renderCron(input: MirrorSchedule): string {
  const cadence = planCadence(input.everySeconds, input.name, 'cron');
  const errFile = `${LOG_DIR}/${input.name}.err`;
  const logFile = `${LOG_DIR}/${input.name}.log`;
  const command = [...syncArgv(input), '--quiet', '--log-file', logFile].map(shellWord).join(' ');
  const line = `${cronExpression(cadence)} ${cronCommand(`${command} 2>>${shellWord(errFile)}`)}`;
  return [
    `# mirrorsync: sync the ${input.name} mirror ${describeCadence(cadence)}.`,
    '# The minute comes from the mirror\'s name, so mirrors sharing a master do not all start at once.',
    '#',
    `# Install: \`crontab -e\` as the user that owns ${input.target}, and paste the last line.`,
    `# For /etc/cron.d/mirrorsync-${input.name} instead, add that user's name after the five time fields.`,
    `# Create the log folder first: mkdir -p ${shellWord(LOG_DIR)} (writable by that user).`,
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
