/**
 * `mirrorsync schedule --all`: the one crontab line or systemd timer of a mirror host. It runs
 * `sync --all --due` every 5 minutes; each mirror's own `schedule` (and its triggers) decide
 * which of them run, so adding a mirror is adding a file, never another timer.
 */
import { cronExpression, describeCadence, planCadence } from './cadence.js';
import { cronCommand, shellWord, systemdArgument, systemdPathWord, systemdProgram } from './quote.js';
import { LOG_DIR } from './schedule.js';
import { service, timer, UNIT_DIR } from './schedule-systemd.js';

export interface HostSchedule {
  readonly node: string;
  readonly cli: string;
  /** The config dir (absolute). */
  readonly configDir: string;
  /** Every folder a run writes: the mirrors' targets, the host state folder, the status and metrics files' folders. */
  readonly writable: readonly string[];
  /** The largest rsync.maxDurationSeconds of the host's mirrors. */
  readonly maxDurationSeconds: number;
}

/** How often the host's timer looks for due mirrors. */
export const HOST_TICK_SECONDS = 300;

export function hostSyncArgv(input: Pick<HostSchedule, 'node' | 'cli' | 'configDir'>): string[] {
  return [input.node, input.cli, 'sync', '--all', '--due', '--config-dir', input.configDir];
}

export function renderHostCron(input: HostSchedule): string {
  const cadence = planCadence(HOST_TICK_SECONDS, undefined, 'cron');
  const logFile = `${LOG_DIR}/host.log`;
  const errFile = `${LOG_DIR}/host.err`;
  const command = [...hostSyncArgv(input), '--quiet', '--log-file', logFile].map(shellWord).join(' ');
  return [
    `# mirrorsync: every mirror of ${input.configDir}, looked at ${describeCadence(cadence)}.`,
    '# Each run starts only the mirrors that are due (their "schedule" in mirrors/*.json, or a',
    '# `mirrorsync trigger NAME`), within host.json\'s limits; the others cost a file read.',
    '# A run still going when the next one starts is fine: each mirror keeps its own lock, and the',
    '# per-upstream connection slots are shared by every process.',
    '#',
    '# Install: `crontab -e` as the user that owns the mirrors, and paste the last line; for',
    '# /etc/cron.d/mirrorsync, add that user\'s name after the five time fields.',
    `# Create the log folder first: mkdir -p ${shellWord(LOG_DIR)} (writable by that user).`,
    `# Runs log to ${logFile}; warnings and errors are appended to ${errFile}.`,
    '# `mirrorsync status --all` is the monitoring check.',
    `${cronExpression(cadence)} ${cronCommand(`${command} 2>>${shellWord(errFile)}`)}`,
    '',
  ].join('\n');
}

export function renderHostSystemd(input: HostSchedule): string {
  const cadence = planCadence(HOST_TICK_SECONDS, undefined, 'systemd');
  const unit = 'mirrorsync-host';
  const [program = '', ...args] = hostSyncArgv(input);
  const execStart = [systemdProgram(program), ...args.map(systemdArgument)].join(' ');
  return [
    `# mirrorsync: one timer for every mirror of ${input.configDir}, looking for due mirrors ${describeCadence(cadence)}.`,
    '# Save each part as the file its "---" line names, then:',
    `#   mkdir -p ${input.writable.map(shellWord).join(' ')} && systemctl daemon-reload && systemctl enable --now ${unit}.timer`,
    `# Watch it with: systemctl list-timers ${unit}.timer; journalctl -u ${unit}.service`,
    '# While one run is still going, the timer does not start another: mirrors that fall due',
    '# meanwhile start at the first tick after it ends (cron, which starts one every time, does not wait).',
    `# --- ${UNIT_DIR}/${unit}.service ---`,
    ...service({
      description: `mirrorsync: sync the due mirrors of ${input.configDir}`,
      execStart,
      writable: input.writable.map(systemdPathWord).join(' '),
      maxDurationSeconds: input.maxDurationSeconds,
      writableNote: [],
      // One run holds many mirrors' runs, each bounded by its own limit: no single deadline fits.
      timeoutStartSec: 'infinity',
    }),
    `# --- ${UNIT_DIR}/${unit}.timer ---`,
    ...timer(cadence, `mirrorsync: look for due mirrors of ${input.configDir}`, 'A few seconds of random delay keep many hosts from starting at once.'),
  ].join('\n');
}
